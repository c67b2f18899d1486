"""An open call on a pool with BL's three bands, and a housing organisation ready to apply,
built through the product's services."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from pulje.accounts.models import User
from pulje.calls.models import Call, QuestionKind
from pulje.calls.services import add_question, create_call
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.services import appropriate, delegate
from pulje.registry.models import HousingDepartment, Municipality, Organisation
from pulje.registry.services.organisations import update_organisation
from tests.factories import HousingDepartmentFactory, OrganisationFactory, PoolFactory, UserFactory

PARTNER_CVR = "29189706"
# BL's three grant bands: the smallest and largest grant in kroner.
BANDS_KR = [(10_000, 49_999), (50_000, 149_999), (150_000, 400_000)]


@dataclass
class Applicant:
    call: Call
    organisation: Organisation
    department: HousingDepartment
    user: User


def make_call(**overrides: object) -> Call:
    pool = PoolFactory(period_start=dt.date(2020, 11, 1), period_end=dt.date(2030, 12, 31))
    for n, (low, high) in enumerate(BANDS_KR):
        PoolFactory(
            parent=pool,
            administrator=pool.administrator,
            grant_min_ore=kr(low),
            grant_max_ore=kr(high),
            code=f"{pool.code}-band-{n}",
        )
    now = timezone.now()
    fields: dict[str, object] = {
        "pool": pool,
        "code": f"call-{pool.pk}",
        "reference_prefix": f"T{pool.pk}",
        "title": "Fællesskaber mod ensomhed",
        "purpose": "Lokale fællesskaber",
        "eligibility": "Almene boligorganisationer",
        "opens_at": now - dt.timedelta(days=1),
        "closes_at": now + dt.timedelta(days=30),
        "project_start_earliest": dt.date(2021, 1, 1),
        "project_end_latest": dt.date(2021, 12, 31),
        "partner_kinds": ["association"],
    }
    fields.update(overrides)
    return create_call(actor=None, **fields)  # type: ignore[arg-type]


def make_applicant(
    call: Call,
    *,
    name: str = "Boligselskabet Test",
    city: str = "Aarhus C",
    department: str = "Gellerupparken",
    municipality: str = "101",
    finance_email: str = "ole@boligtest.dk",
) -> Applicant:
    """A housing organisation with its payment and contact details, a department (named
    ``department``, in ``municipality``) and a member."""
    organisation = OrganisationFactory(name=name, address="Vej 1", postal_code="8000", city=city)
    update_organisation(
        actor=None,
        organisation=organisation,
        payment_iban="DK5000400440116243",
        contact_name="Mette Hansen",
        contact_email=f"mette@{organisation.cvr}.dk",
        contact_phone="12345678",
        finance_name="Ole Jensen",
        finance_email=finance_email,
    )
    return Applicant(
        call=call,
        organisation=organisation,
        department=HousingDepartmentFactory(
            organisation=organisation,
            name=department,
            municipality=Municipality.objects.get(code=municipality),
        ),
        user=UserFactory(organisation=organisation),
    )


def fund_bands(
    top: Pool, administrator: Organisation, band_name: str, band_money: Sequence[int]
) -> tuple[Pool, list[Pool]]:
    """BL's pool below ``top`` and the three bands below it (``band_name 1`` to ``3``): 10 mio.
    kr. appropriated to ``top``, 1 mio. kr. of it delegated to BL's pool and ``band_money`` on
    to the bands. Returns BL's pool and the bands."""
    pool = PoolFactory(parent=top, administrator=administrator, name="BL-puljen")
    bands: list[Pool] = [
        PoolFactory(
            parent=pool,
            administrator=administrator,
            name=f"{band_name} {n + 1}",
            grant_min_ore=kr(low),
            grant_max_ore=kr(high),
        )
        for n, (low, high) in enumerate(BANDS_KR)
    ]
    appropriate(actor=None, pool=top, amount_ore=kr(10_000_000))
    delegate(actor=None, pool=top, to=pool, amount_ore=kr(1_000_000))
    for band, money in zip(bands, band_money, strict=True):
        delegate(actor=None, pool=pool, to=band, amount_ore=money)
    return pool, bands


def complete_draft(applicant: Applicant) -> dict[str, list[str]]:
    """A draft that passes every check: 60.000 kr. in the middle band."""
    return {
        "departments": [str(applicant.department.pk)],
        "title": ["Spisefællesskab i Gellerup"],
        "summary": ["Fælles spisning hver torsdag for beboere, der sidder alene."],
        "target_groups": ["adults", "elderly"],
        "activities": ["Madlavning og spisning hver torsdag i beboerhuset."],
        "loneliness": ["Vi inviterer personligt, med hjælp fra boligsociale medarbejdere."],
        "period_start": ["2021-02-01"],
        "period_end": ["2021-11-30"],
        "expected_participants": ["40"],
        "amount": ["60.000"],
        "budget_activities": ["45.000"],
        "budget_materials": ["15.000,00 kr."],
        "cofunding": [""],
        "partner_1_name": ["Gellerup Kulturforening"],
        "partner_1_cvr": [PARTNER_CVR],
        "partner_1_kind": ["association"],
    }


def add_yes_no(call: Call) -> None:
    add_question(
        actor=None,
        call=call,
        label="Har I samarbejdet før?",
        kind=QuestionKind.YES_NO,
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
