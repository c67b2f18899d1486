"""A funded call with screened applications to decide, built through the product's services."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.services import fingerprint, start_application, submit_application
from pulje.applications.workflow import transition
from pulje.calls.models import Call
from pulje.core.money import kr
from pulje.funds.models import Pool, ReportingRequirement
from pulje.funds.services import set_reporting_rules
from pulje.ledger.models import PoolAccount
from pulje.registry.models import OrganisationKind
from tests.factories import HousingDepartmentFactory, OrganisationFactory, PoolFactory, UserFactory
from tests.factories.applications import (
    Applicant,
    complete_draft,
    fund_bands,
    make_applicant,
    make_call,
)

# Money delegated to each band: 10.000–49.999 kr., 50.000–149.999 kr., 150.000–400.000 kr.
BAND_MONEY = (kr(100_000), kr(200_000), kr(400_000))
SPEND_BY = dt.date(2022, 6, 30)


@dataclass
class Funded:
    call: Call
    pool: Pool
    bands: list[Pool]
    applicant: Applicant
    caseworker: User
    funder: User


def make_funded(band_money: tuple[int, int, int] = BAND_MONEY) -> Funded:
    ministry = OrganisationFactory(kind=OrganisationKind.FUNDER, name="Ministeriet")
    bl = OrganisationFactory(kind=OrganisationKind.FUNDER, name="BL")
    top = PoolFactory(
        administrator=ministry,
        period_start=dt.date(2020, 11, 1),
        period_end=dt.date(2030, 12, 31),
        spend_by=SPEND_BY,
    )
    pool, bands = fund_bands(top, bl, "Bånd", band_money)
    set_reporting_rules(
        actor=None,
        pool=top,
        rules=[(0, ReportingRequirement.DECLARATION), (kr(100_000), ReportingRequirement.ACCOUNTS)],
    )
    call = make_call(pool=pool)
    return Funded(
        call=call,
        pool=pool,
        bands=bands,
        applicant=make_applicant(call),
        caseworker=UserFactory(organisation=bl, name="Sagsbehandler"),
        funder=UserFactory(organisation=ministry, name="Ministeriets læser"),
    )


def screened(applicant: Applicant, amount_kr: int = 60_000, title: str = "") -> Application:
    """A submitted and screened application for ``amount_kr`` (all of it activities), in a
    housing department of its own so that it is never screened as another's duplicate."""
    department = HousingDepartmentFactory(organisation=applicant.organisation)
    application = start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )
    application.draft = {
        **complete_draft(applicant),
        "departments": [str(department.pk)],
        "title": [title or f"Fællesskab for {amount_kr} kr."],
        "amount": [str(amount_kr)],
        "budget_activities": [str(amount_kr)],
        "budget_materials": [""],
    }
    application.save(update_fields=["draft"])
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )
    application.refresh_from_db()
    with transaction.atomic():
        transition(actor=None, application=application, action="screen")
    return application


def available(pool: Pool) -> int:
    return PoolAccount.objects.get(pool=pool).balance.available


def close_call(call: Call) -> None:
    """The call's deadline moved into the past, as when its applications are decided (the
    confirmation blocks deciding before it: ``decisions.warnings``). Set directly: the call
    editor refuses a deadline in the past for an open call, and this is test data."""
    closes_at = timezone.now() - dt.timedelta(minutes=1)
    Call.objects.filter(pk=call.pk).update(closes_at=closes_at)
    call.closes_at = closes_at
