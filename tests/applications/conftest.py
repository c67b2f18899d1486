"""An open call on a pool with BL's three bands, and a housing organisation ready to apply."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django import Settings

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.services import start_application
from pulje.calls.models import Call, QuestionKind
from pulje.calls.services import add_question, create_call
from pulje.core.money import kr
from pulje.registry.models import HousingDepartment, Organisation
from pulje.registry.services import update_organisation
from tests.factories import HousingDepartmentFactory, OrganisationFactory, PoolFactory, UserFactory

PARTNER_CVR = "29189706"


@dataclass
class Applicant:
    call: Call
    organisation: Organisation
    department: HousingDepartment
    user: User


@pytest.fixture(autouse=True)
def _fast_passwords_and_private_media(settings: Settings, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


def make_call(**overrides: object) -> Call:
    pool = PoolFactory(period_start=dt.date(2020, 11, 1), period_end=dt.date(2030, 12, 31))
    for n, (low, high) in enumerate([(10_000, 49_999), (50_000, 149_999), (150_000, 400_000)]):
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


def make_applicant(call: Call) -> Applicant:
    organisation = OrganisationFactory(
        name="Boligselskabet Test", address="Vej 1", postal_code="8000", city="Aarhus C"
    )
    update_organisation(
        actor=None,
        organisation=organisation,
        payment_iban="DK5000400440116243",
        contact_name="Mette Hansen",
        contact_email=f"mette@{organisation.cvr}.dk",
        contact_phone="12345678",
        finance_name="Ole Jensen",
        finance_email="ole@boligtest.dk",
    )
    department = HousingDepartmentFactory(organisation=organisation, name="Gellerupparken")
    user = UserFactory(organisation=organisation)
    return Applicant(call=call, organisation=organisation, department=department, user=user)


@pytest.fixture
def call(db: None) -> Call:
    return make_call()


@pytest.fixture
def applicant(call: Call) -> Applicant:
    return make_applicant(call)


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


@pytest.fixture
def draft(applicant: Applicant) -> Application:
    application = start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )
    application.draft = complete_draft(applicant)
    application.save(update_fields=["draft"])
    return application


def add_yes_no(call: Call) -> None:
    add_question(
        actor=None,
        call=call,
        label="Har I samarbejdet før?",
        kind=QuestionKind.YES_NO,
    )
