"""Separation of duties (issue 11): a caseworker who is a member of the applicant
organisation, or has declared a conflict of interest with it or the application, cannot
screen, override, recommend, decide, approve or confirm an allocation covering it. Every
service refuses them itself, writing nothing; every page says why and names who can."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.allocation.models import AllocationRun
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import AllocationRefused, confirm_allocation, run_allocation
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import ApplicationRefused, transition
from pulje.assessment.models import Recommendation
from pulje.assessment.services import AssessmentRefused, recommend_applications
from pulje.casework.models import CaseworkerConflict, ConflictScope, Screening
from pulje.casework.permissions import (
    ConflictReason,
    caseworker_conflict,
    caseworker_conflicts,
    free_caseworkers,
)
from pulje.casework.services import (
    declare_caseworker_conflict,
    override_screening,
    screen_application,
    screen_applications,
)
from pulje.core.models import AuditEvent
from pulje.decisions.models import Decision
from pulje.decisions.services import DecisionRefused, decide_applications
from pulje.ledger.models import Entry, PoolAccount
from pulje.registry.services.memberships import add_membership
from tests.factories import UserFactory
from tests.factories.allocation import Scarce, make_scarce
from tests.factories.applications import make_applicant
from tests.factories.casework import submit
from tests.factories.decisions import Funded, make_funded, screened

pytestmark = pytest.mark.django_db


@dataclass
class Duties:
    funded: Funded
    own: Application  # from the organisation the conflicted caseworker is a member of
    other: Application  # from an organisation nobody at BL has a conflict with
    member: User  # a BL caseworker who is also a member of ``own``'s organisation
    declared: User  # a BL caseworker who has declared a conflict with ``own``'s organisation
    colleague: User  # the BL caseworker free of conflicts (the fixture's)


def make_duties() -> Duties:
    funded = make_funded()
    own = screened(funded.applicant, 60_000, title="Spiseklub")
    other = screened(make_applicant(funded.call, name="Andet Boligselskab"), 60_000)
    bl = funded.pool.administrator
    # A board member of the applicant who later joined BL's secretariat.
    member = UserFactory(organisation=own.organisation, name="Mette Medlem")
    add_membership(actor=None, user=member, organisation=bl)
    declared = UserFactory(organisation=bl, name="Dorte Erklæret")
    declare_caseworker_conflict(
        actor=declared, application=own, scope=ConflictScope.ORGANISATION, note="Bestyrelsen"
    )
    return Duties(funded, own, other, member, declared, funded.caseworker)


@pytest.fixture
def duties(db: None) -> Duties:
    return make_duties()


def state() -> tuple[Any, ...]:
    """Everything a refused act must leave as it was."""
    return (
        sorted(Application.objects.values_list("pk", "status")),
        list(Screening.objects.order_by("pk").values()),
        Recommendation.objects.count(),
        Decision.objects.count(),
        Entry.objects.count(),
        list(PoolAccount.objects.order_by("pool_id").values()),
        AuditEvent.objects.count(),
        list(AllocationRun.objects.order_by("pk").values("pk", "confirmed_at")),
    )


def refused(error: type[Exception], service: Callable[..., object], **arguments: object) -> str:
    """Call ``service`` and return its refusal's message, having checked nothing changed."""
    before = state()
    with pytest.raises(error) as raised:
        service(**arguments)
    assert state() == before
    return str(getattr(raised.value, "message", None) or raised.value.messages[0])  # type: ignore[attr-defined]


# The predicate


def test_the_predicate_names_each_kind_of_conflict_in_one_query(
    duties: Duties, django_assert_num_queries: DjangoAssertNumQueries, english: Client
) -> None:
    third = screened(make_applicant(duties.funded.call, name="Tredje"), 60_000)
    declare_caseworker_conflict(
        actor=duties.colleague, application=third, scope=ConflictScope.APPLICATION
    )
    applications = [duties.own, duties.other, third]
    with django_assert_num_queries(1):
        by_member = caseworker_conflicts(duties.member, applications)
    with django_assert_num_queries(1):
        by_colleague = caseworker_conflicts(duties.colleague, applications)
    assert {pk: c.reason for pk, c in by_member.items()} == {duties.own.pk: ConflictReason.MEMBER}
    assert {pk: c.reason for pk, c in by_colleague.items()} == {
        third.pk: ConflictReason.DECLARED_APPLICATION
    }
    declared = caseworker_conflict(duties.declared, duties.own)
    assert declared is not None
    assert declared.reason == ConflictReason.DECLARED_ORGANISATION
    assert declared.message == (
        f"{duties.own.reference}: you have declared a conflict of interest with "
        f"{duties.own.organisation.name}"
    )
    assert caseworker_conflict(duties.declared, duties.other) is None
    # An organisation's declaration covers its later applications too.
    later = submit_for(duties)
    assert caseworker_conflict(duties.declared, later) is not None
    assert free_caseworkers(duties.funded.call, [duties.own]) == [duties.colleague]
    assert free_caseworkers(duties.funded.call, [duties.other], besides=[duties.colleague]) == [
        duties.declared,
        duties.member,
    ]


def submit_for(duties: Duties) -> Application:
    return screened(duties.funded.applicant, 70_000, title="Gåklub")


def test_declaring_records_the_conflict_once(duties: Duties, english: Client) -> None:
    conflict = declare_caseworker_conflict(
        actor=duties.colleague, application=duties.other, scope=ConflictScope.APPLICATION
    )
    event = AuditEvent.objects.get(action="casework.conflict.declared", object_id=str(conflict.pk))
    assert (event.actor, event.after) == (
        duties.colleague,
        {
            "organisation": duties.other.organisation_id,
            "application": duties.other.pk,
            "declared_on": duties.other.pk,
            "note": "",
        },
    )
    # The same again, within the organisation's declaration, or as a member: refused.
    for actor, application, scope in [
        (duties.colleague, duties.other, ConflictScope.APPLICATION),
        (duties.declared, duties.own, ConflictScope.APPLICATION),
        (duties.member, duties.own, ConflictScope.ORGANISATION),
    ]:
        message = refused(
            ValidationError,
            declare_caseworker_conflict,
            actor=actor,
            application=application,
            scope=scope,
        )
        assert message.startswith(f"{application.reference}: you ")
    # Widening one application's declaration to the organisation is a new one.
    declare_caseworker_conflict(
        actor=duties.colleague, application=duties.other, scope=ConflictScope.ORGANISATION
    )
    assert CaseworkerConflict.objects.filter(user=duties.colleague).count() == 2
    # Only the call's secretariat declares.
    assert refused(
        ValidationError,
        declare_caseworker_conflict,
        actor=duties.funded.funder,
        application=duties.other,
        scope=ConflictScope.APPLICATION,
    ) == ("Only the call's secretariat declares conflicts of interest.")


# Every service refuses a conflicted caseworker, writing nothing


def expected(duties: Duties, lead: str, conflicted: User) -> str:
    """The refusal: what they cannot do, why, and the caseworkers who can."""
    reason = (
        f"you are a member of {duties.own.organisation.name}, the applicant"
        if conflicted == duties.member
        else f"you have declared a conflict of interest with {duties.own.organisation.name}"
    )
    return f"{lead} {duties.own.reference}: {reason}. Caseworkers who can: Sagsbehandler."


@pytest.mark.parametrize("who", ["member", "declared"])
def test_screening_again_is_refused_whole_naming_who_can(
    duties: Duties, english: Client, who: str
) -> None:
    conflicted = getattr(duties, who)
    lead = "You have a conflict of interest and cannot screen these applications:"
    assert refused(
        ApplicationRefused,
        screen_applications,
        actor=conflicted,
        applications=[duties.other, duties.own],
    ) == expected(duties, lead, conflicted)
    assert refused(
        ApplicationRefused, screen_application, actor=conflicted, application=duties.own
    ) == expected(duties, lead, conflicted)
    # The others' screening goes on, by someone free of conflicts.
    screen_applications(actor=conflicted, applications=[duties.other])
    screen_applications(actor=duties.colleague, applications=[duties.own])


def test_screening_on_submission_is_pulje_s_act_and_stays(duties: Duties) -> None:
    """The conflicted caseworker submits for their own organisation: screened at once."""
    application = submit(duties.funded.applicant)
    assert application.status == ApplicationStatus.SCREENED
    assert Screening.objects.get(application=application).screened_by is None


@pytest.mark.parametrize("who", ["member", "declared"])
def test_overriding_the_screening_is_refused(duties: Duties, english: Client, who: str) -> None:
    conflicted = getattr(duties, who)
    screening = screen_application(actor=duties.colleague, application=duties.own)
    assert refused(
        ValidationError,
        override_screening,
        actor=conflicted,
        screening=screening,
        outcome="fail",
        reason="Ikke støtteberettiget",
    ) == expected(
        duties, "You have a conflict of interest and cannot override this screening:", conflicted
    )


@pytest.mark.parametrize("who", ["member", "declared"])
def test_recommending_is_refused_for_the_whole_batch(
    duties: Duties, english: Client, who: str
) -> None:
    conflicted = getattr(duties, who)
    with transaction.atomic():
        for application in (duties.own, duties.other):
            transition(actor=None, application=application, action="start_assessment")
    assert refused(
        AssessmentRefused,
        recommend_applications,
        actor=conflicted,
        applications=[duties.other, duties.own],
        recommended=True,
        reason="Stærk",
    ) == expected(
        duties,
        "You have a conflict of interest and cannot recommend these applications:",
        conflicted,
    )


@pytest.mark.parametrize(
    ("outcome", "extra"),
    [
        ("grant", {}),
        ("grant", {"reason_text": "Nedsat"}),
        ("reject", {"reason_code": "budget"}),
    ],
    ids=["grant", "reduce", "reject"],
)
@pytest.mark.parametrize("who", ["member", "declared"])
def test_deciding_is_refused_whole_in_bulk_and_alone(
    duties: Duties, english: Client, who: str, outcome: str, extra: dict[str, Any]
) -> None:
    conflicted = getattr(duties, who)
    amounts = {duties.own.pk: 50_000_00} if extra.get("reason_text") else None
    lead = "You have a conflict of interest and cannot decide these applications:"
    for batch in ([duties.own], [duties.other, duties.own]):
        assert refused(
            DecisionRefused,
            decide_applications,
            actor=conflicted,
            applications=batch,
            outcome=outcome,
            amounts=amounts,
            **extra,
        ) == expected(duties, lead, conflicted)
    # The colleague decides it.
    decided = decide_applications(
        actor=duties.colleague, applications=[duties.own], outcome=outcome, amounts=amounts, **extra
    )
    assert [decision.decided_by for decision in decided] == [duties.colleague]


def test_confirming_an_allocation_that_decides_one_s_own_application_is_refused(
    english: Client,
) -> None:
    scarce: Scarce = make_scarce()
    bl = scarce.call.pool.administrator
    # Knitting is rejected by the run: deciding it counts as much as granting it.
    member = UserFactory(organisation=scarce.knitting.organisation, name="Mette Medlem")
    add_membership(actor=None, user=member, organisation=bl)
    run = run_allocation(actor=member, call=scarce.call, options=AllocationOptions())
    message = refused(AllocationRefused, confirm_allocation, actor=member, run=run)
    assert message == (
        "You have a conflict of interest with applications this proposal decides, so you "
        f"cannot confirm it: {scarce.knitting.reference}: you are a member of "
        f"{scarce.knitting.organisation.name}, the applicant. Caseworkers who can: "
        f"{scarce.caseworker.name}."
    )
    assert len(confirm_allocation(actor=scarce.caseworker, run=run)) == 4


# The pages say why and who can


def casework_url(application: Application) -> str:
    return reverse("desk:application", kwargs={"uuid": application.uuid})


def decide_url(application: Application) -> str:
    return reverse("decisions:decide", kwargs={"uuid": application.uuid})


def recommend_url(application: Application) -> str:
    return reverse("assessment:assign", kwargs={"uuid": application.uuid})


NAMED = "Caseworkers who can: Sagsbehandler."


@pytest.mark.parametrize("url", [casework_url, decide_url, recommend_url])
def test_each_page_says_why_and_names_who_can(
    duties: Duties, english: Client, url: Callable[[Application], str]
) -> None:
    english.force_login(duties.member)
    page = english.get(url(duties.own)).content.decode()
    assert (
        f"{duties.own.reference}: you are a member of {duties.own.organisation.name}, "
        "the applicant." in page
    )
    # Dorte has declared a conflict too, so only the colleague is named.
    assert NAMED in page
    assert "Dorte" not in page
    # Nothing to act with: no override, decision or recommendation form.
    for form in acting_forms(duties.own):
        assert form not in page
    # On the other organisation's application they act as usual.
    other = english.get(url(duties.other)).content.decode()
    assert "You have a conflict of interest" not in other
    assert any(form in other for form in acting_forms(duties.other))


def acting_forms(application: Application) -> list[str]:
    uuid = {"uuid": application.uuid}
    return [
        f'action="{reverse("desk:override", kwargs=uuid)}"',
        f'action="{reverse("assessment:recommend", kwargs=uuid)}"',
        'name="outcome" value="grant"',
        'name="outcome" value="reject"',
    ]


def test_the_decision_page_shows_the_service_s_refusal_on_a_post(
    duties: Duties, english: Client
) -> None:
    english.force_login(duties.declared)
    before = state()
    page = english.post(decide_url(duties.own), {"outcome": "grant"})
    assert page.status_code == 200
    assert NAMED in page.content.decode()
    assert state() == before


def test_the_confirm_page_shows_the_refusal(english: Client) -> None:
    scarce: Scarce = make_scarce()
    member = UserFactory(organisation=scarce.knitting.organisation, name="Mette Medlem")
    add_membership(actor=None, user=member, organisation=scarce.call.pool.administrator)
    run = run_allocation(actor=member, call=scarce.call, options=AllocationOptions())
    english.force_login(member)
    url = reverse("allocation:confirm", kwargs={"code": scarce.call.code, "pk": run.pk})
    page = english.post(url, {"reduction_reason": "Flere projekter"})
    assert page.status_code == 400
    body = page.content.decode()
    assert "You have a conflict of interest with applications this proposal decides" in body
    assert f"Caseworkers who can: {scarce.caseworker.name}." in body


def test_the_application_page_declares_a_conflict(duties: Duties, english: Client) -> None:
    english.force_login(duties.colleague)
    page = english.get(casework_url(duties.other)).content.decode()
    declare = reverse("desk:declare_conflict", kwargs={"uuid": duties.other.uuid})
    assert f'action="{declare}"' in page
    response = english.post(declare, {"scope": "organisation", "note": "Min søster er formand"})
    assert response.status_code == 302
    conflict = CaseworkerConflict.objects.get(user=duties.colleague)
    assert (conflict.organisation, conflict.application, conflict.note) == (
        duties.other.organisation,
        None,
        "Min søster er formand",
    )
    page = english.get(casework_url(duties.other)).content.decode()
    assert (
        f"{duties.other.reference}: you have declared a conflict of interest with "
        f"{duties.other.organisation.name}." in page
    )
    assert "Caseworkers who can: Dorte Erklæret, Mette Medlem." in page
    assert f'action="{declare}"' not in page
