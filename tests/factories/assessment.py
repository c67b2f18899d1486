"""A call with a panel of assessors and applications to assess, from different housing
organisations, built through the product's services."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import translation

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import (
    fingerprint,
    start_application,
    submit_application,
    withdraw_application,
)
from pulje.applications.workflow import transition
from pulje.assessment.models import Assignment
from pulje.assessment.services import (
    add_assessor,
    assign_assessor,
    declare_interest,
    ensure_rubric,
    submit_scores,
)
from pulje.calls.models import Call
from pulje.core.money import kr
from pulje.registry.models import OrganisationKind
from pulje.registry.services.memberships import add_membership
from tests.factories import OrganisationFactory, PoolFactory, UserFactory
from tests.factories.applications import complete_draft, make_applicant, make_call


@dataclass
class Panel:
    call: Call
    caseworker: User
    funder: User
    alice: User
    bob: User


def submitted_application(call: Call, *, title: str = "Spisefællesskab i Gellerup") -> Application:
    """A submitted application from a new housing organisation."""
    applicant = make_applicant(call)
    application = start_application(
        actor=applicant.user, call=call, organisation=applicant.organisation
    )
    application.draft = {**complete_draft(applicant), "title": [title]}
    application.save(update_fields=["draft"])
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )
    application.refresh_from_db()
    return application


def screened_application(call: Call, *, title: str = "Spisefællesskab i Gellerup") -> Application:
    """A submitted application, which submission screens at once."""
    application = submitted_application(call, title=title)
    if application.status == ApplicationStatus.SUBMITTED:
        with transaction.atomic():
            transition(actor=None, application=application, action="screen")
    assert application.status == ApplicationStatus.SCREENED
    return application


def withdrawn_application(call: Call, *, title: str = "Strikkeklub") -> Application:
    application = submitted_application(call, title=title)
    withdraw_application(actor=application.created_by, application=application)
    application.refresh_from_db()
    return application


def make_panel() -> Panel:
    """A call on a pool that the secretariat administers under the funder's top pool."""
    period = {"period_start": dt.date(2020, 11, 1), "period_end": dt.date(2030, 12, 31)}
    top = PoolFactory(**period)
    secretariat = OrganisationFactory(kind=OrganisationKind.FUNDER, name="Sekretariatet")
    pool = PoolFactory(parent=top, administrator=secretariat, **period)
    for n, (low, high) in enumerate([(10_000, 49_999), (50_000, 149_999), (150_000, 400_000)]):
        PoolFactory(
            parent=pool,
            administrator=secretariat,
            grant_min_ore=kr(low),
            grant_max_ore=kr(high),
            code=f"{pool.code}-band-{n}",
            **period,
        )
    call = make_call(pool=pool, code=f"call-{pool.pk}", reference_prefix=f"T{pool.pk}")
    caseworker = UserFactory(name="Sara Sekretariat", organisation=secretariat)
    funder = UserFactory(name="Frede Fond", organisation=top.administrator)
    alice = add_assessor(actor=caseworker, call=call, email="alice@example.dk", name="Alice").user
    bob = add_assessor(actor=caseworker, call=call, email="bob@example.dk", name="Bob").user
    # The default criteria's texts are stored in the language of the moment: English msgids
    # here, whatever the translations say.
    with translation.override("en"):
        ensure_rubric(actor=caseworker, call=call)
    return Panel(call=call, caseworker=caseworker, funder=funder, alice=alice, bob=bob)


def assigned(
    panel: Panel, application: Application, assessor: User, *, declare: bool = True
) -> Assignment:
    """Assign ``assessor`` and, unless told not to, declare no conflict."""
    assign_assessor(actor=panel.caseworker, applications=[application], assessor=assessor)
    assignment = Assignment.objects.get(application=application, assessor=assessor)
    if declare:
        declare_interest(actor=assessor, assignment=assignment, conflict=False)
    return assignment


def housing_member(application: Application, *, name: str = "Ib Indenfor") -> User:
    """A user who acts for the application's organisation."""
    user = UserFactory(name=name)
    add_membership(actor=None, user=user, organisation=application.organisation)
    return user


def score_all(panel: Panel, assignment: Assignment, values: list[int]) -> None:
    rubric = ensure_rubric(actor=None, call=panel.call)
    criteria = list(rubric.criteria.all())
    submit_scores(
        actor=assignment.assessor,
        assignment=assignment,
        values={c.pk: (v, "Begrundelse") for c, v in zip(criteria, values, strict=True)},
    )
