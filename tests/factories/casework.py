"""A funded call for the secretariat, built through the product's services."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.services import fingerprint, start_application, submit_application
from pulje.calls.models import Call
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.registry.models import Organisation, OrganisationKind
from tests.factories import OrganisationFactory, PoolFactory, UserFactory
from tests.factories.applications import (
    PARTNER_CVR,
    Applicant,
    complete_draft,
    fund_bands,
    make_applicant,
    make_call,
)

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
    pool, bands = fund_bands(top, bl, "Ramme", BAND_MONEY)
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


def make_applicant_in(
    call: Call, municipality: str = "101", name: str = "Boligselskabet"
) -> Applicant:
    return make_applicant(
        call,
        name=name,
        city="By",
        department="Parken",
        municipality=municipality,
        finance_email="ole@bolig.dk",
    )


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
