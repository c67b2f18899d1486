"""A funded call for the secretariat: the ministry's pool → BL's pool (the call's) → three
grant bands with money; BL's caseworker, the ministry's reader, and applicants in several
municipalities who submit through the applicant's own services."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.services import fingerprint, start_application, submit_application
from pulje.calls.models import Call
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.services import appropriate, delegate
from pulje.registry.models import Municipality, Organisation, OrganisationKind
from pulje.registry.services import update_organisation
from tests.applications.conftest import (  # noqa: F401 - the fixture applies here too
    PARTNER_CVR,
    Applicant,
    _fast_passwords_and_private_media,
    complete_draft,
    make_call,
)
from tests.factories import HousingDepartmentFactory, OrganisationFactory, PoolFactory, UserFactory

BAND_MONEY = (kr(100_000), kr(200_000), kr(400_000))


@dataclass
class Desk:
    call: Call
    pool: Pool
    bands: list[Pool]
    caseworker: User
    funder: User


def make_desk() -> Desk:
    ministry = OrganisationFactory(kind=OrganisationKind.FUNDER, name="Ministeriet")
    bl = OrganisationFactory(kind=OrganisationKind.INTERMEDIARY, name="BL")
    top = PoolFactory(
        administrator=ministry, period_start=dt.date(2020, 11, 1), period_end=dt.date(2030, 12, 31)
    )
    pool = PoolFactory(parent=top, administrator=bl, name="BL-puljen")
    bands: list[Pool] = [
        PoolFactory(
            parent=pool,
            administrator=bl,
            name=f"Ramme {n + 1}",
            grant_min_ore=kr(low),
            grant_max_ore=kr(high),
        )
        for n, (low, high) in enumerate([(10_000, 49_999), (50_000, 149_999), (150_000, 400_000)])
    ]
    appropriate(actor=None, pool=top, amount_ore=kr(10_000_000))
    delegate(actor=None, pool=top, to=pool, amount_ore=kr(1_000_000))
    for band, money in zip(bands, BAND_MONEY, strict=True):
        delegate(actor=None, pool=pool, to=band, amount_ore=money)
    # The partner every complete draft names is a known association.
    if not Organisation.objects.filter(cvr=PARTNER_CVR).exists():
        OrganisationFactory(
            cvr=PARTNER_CVR, kind=OrganisationKind.ASSOCIATION, name="Kulturforening"
        )
    return Desk(
        call=make_call(pool=pool),
        pool=pool,
        bands=bands,
        caseworker=UserFactory(organisation=bl, name="Sagsbehandler"),
        funder=UserFactory(organisation=ministry, name="Ministeriets læser"),
    )


@pytest.fixture
def desk(db: None) -> Desk:
    return make_desk()


def make_applicant_in(
    call: Call, municipality: str = "101", name: str = "Boligselskabet"
) -> Applicant:
    organisation = OrganisationFactory(name=name, address="Vej 1", postal_code="8000", city="By")
    update_organisation(
        actor=None,
        organisation=organisation,
        payment_iban="DK5000400440116243",
        contact_name="Mette Hansen",
        contact_email=f"mette@{organisation.cvr}.dk",
        contact_phone="12345678",
        finance_name="Ole Jensen",
        finance_email="ole@bolig.dk",
    )
    department = HousingDepartmentFactory(
        organisation=organisation,
        name="Parken",
        municipality=Municipality.objects.get(code=municipality),
    )
    user = UserFactory(organisation=organisation)
    return Applicant(call=call, organisation=organisation, department=department, user=user)


def submit(applicant: Applicant, **fields: Any) -> Application:
    """Start, fill in and submit an application: the complete draft with ``fields`` changed
    (a value, or a list of values; None removes the field)."""
    application = start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )
    draft = complete_draft(applicant)
    for name, value in fields.items():
        if value is None:
            draft.pop(name, None)
        else:
            draft[name] = value if isinstance(value, list) else [value]
    application.draft = draft
    application.save(update_fields=["draft"])
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )
    application.refresh_from_db()
    return application
