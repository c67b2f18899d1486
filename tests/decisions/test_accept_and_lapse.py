import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from pulje.accounts.models import Membership, User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import APPLICATION, ApplicationRefused, transition
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.decisions.models import Decision, RevisedBudgetLine
from pulje.decisions.services import (
    DecisionRefused,
    LapseResult,
    accept_grant,
    decide_applications,
    lapse_overdue_grants,
    write,
)
from pulje.ledger.models import Entry, GrantAccount, PoolAccount
from pulje.ledger.selectors import find_ledger_discrepancies
from pulje.registry.services.organisations import update_organisation
from tests.factories import UserFactory
from tests.factories.applications import make_applicant
from tests.factories.decisions import Funded, available, screened

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def _no_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: None)


def grant(funded: Funded, amount_kr: int = 60_000, reduced_kr: int | None = None) -> Decision:
    application = screened(funded.applicant, amount_kr)
    [decision] = decide_applications(
        actor=funded.caseworker,
        applications=[application],
        outcome="grant",
        amounts={application.pk: kr(reduced_kr)} if reduced_kr else None,
        reason_text="Skåret til." if reduced_kr else "",
    )
    return decision


def status(decision: Decision) -> str:
    return Application.objects.get(pk=decision.application_id).status


def state() -> tuple[Any, ...]:
    return (
        list(Decision.objects.order_by("pk").values()),
        RevisedBudgetLine.objects.count(),
        AuditEvent.objects.count(),
        sorted(Application.objects.values_list("pk", "status")),
        list(PoolAccount.objects.order_by("pool_id").values()),
    )


def test_a_member_accepts_a_grant_in_full_in_time(funded: Funded) -> None:
    decision = grant(funded)
    accepted = accept_grant(
        actor=funded.applicant.user, decision=decision, public_summary="  Fælles spisning.  "
    )
    assert status(decision) == ApplicationStatus.ACCEPTED
    assert accepted.accepted_by == funded.applicant.user
    assert accepted.payment_iban == "DK5000400440116243"
    assert accepted.public_summary == "Fælles spisning."
    assert RevisedBudgetLine.objects.count() == 0
    event = AuditEvent.objects.filter(action="applications.application.accepted").get()
    assert event.after is not None
    assert (event.after["decision"], event.after["payment_iban"]) == (
        decision.pk,
        "DK5000400440116243",
    )


def test_a_reduced_grant_is_accepted_with_a_budget_that_adds_up(funded: Funded) -> None:
    decision = grant(funded, 60_000, reduced_kr=40_000)
    accept_grant(
        actor=funded.applicant.user,
        decision=decision,
        public_summary="Fælles spisning.",
        budget={"activities": kr(30_000), "materials": kr(10_000), "salaries": 0},
    )
    assert status(decision) == ApplicationStatus.ACCEPTED
    assert list(
        RevisedBudgetLine.objects.filter(decision=decision).values_list("kind", "amount_ore")
    ) == [("activities", kr(30_000)), ("materials", kr(10_000))]


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        (
            {"activities": kr(30_000)},
            "The revised budget must add up to the 40.000 kr. granted; it adds up to 30.000 kr.",
        ),
        (None, "The revised budget must add up to the 40.000 kr. granted; it adds up to 0 kr."),
        (
            {"travel": kr(40_000)},
            "The revised budget has an unknown kind or a negative amount.",
        ),
    ],
)
def test_a_revised_budget_that_does_not_add_up_is_refused(
    funded: Funded, english: object, budget: dict[str, int] | None, message: str
) -> None:
    decision = grant(funded, 60_000, reduced_kr=40_000)
    before = state()
    with pytest.raises(DecisionRefused) as refused:
        accept_grant(
            actor=funded.applicant.user,
            decision=decision,
            public_summary="Fælles spisning.",
            budget=budget,
        )
    assert refused.value.message == message
    assert state() == before


def due(decision: Decision, days_from_today: int) -> Decision:
    """Move the decision's accept-by date, as if it had been decided at another time."""
    Decision.objects.filter(pk=decision.pk).update(
        accept_by=timezone.localdate() + dt.timedelta(days=days_from_today)
    )
    decision.refresh_from_db()
    return decision


def test_acceptance_after_the_date_is_refused_with_the_date(
    funded: Funded, english: object
) -> None:
    decision = due(grant(funded), -1)
    assert decision.accept_by is not None
    before = state()
    with pytest.raises(DecisionRefused) as refused:
        accept_grant(actor=funded.applicant.user, decision=decision, public_summary="Tekst.")
    assert refused.value.message == (
        f"The grant had to be accepted by {date_format(decision.accept_by, 'DATE_FORMAT')}; "
        "it can no longer be accepted."
    )
    assert state() == before


def test_acceptance_on_the_last_day_is_in_time(funded: Funded) -> None:
    decision = due(grant(funded), 0)
    accept_grant(actor=funded.applicant.user, decision=decision, public_summary="Tekst.")
    assert status(decision) == ApplicationStatus.ACCEPTED


def test_only_the_organisations_proven_members_accept(funded: Funded, english: object) -> None:
    decision = grant(funded)
    # A request to act for the organisation that nobody has proven yet.
    unproven = UserFactory()
    Membership.objects.create(user=unproven, organisation=funded.applicant.organisation)
    outsiders: list[User] = [
        make_applicant(funded.call).user,
        funded.caseworker,
        UserFactory(),
        unproven,
    ]
    before = state()
    for user in outsiders:
        with pytest.raises(DecisionRefused) as refused:
            accept_grant(actor=user, decision=decision, public_summary="Tekst.")
        assert refused.value.message == (
            "Only the organisation's members can accept the grant, once it is proven that they "
            "act for it (on the organisation's page)."
        )
    assert state() == before


def test_acceptance_needs_a_payment_account_and_a_summary(funded: Funded, english: object) -> None:
    decision = grant(funded)
    with pytest.raises(DecisionRefused) as refused:
        accept_grant(actor=funded.applicant.user, decision=decision, public_summary=" ")
    assert refused.value.message == "Write the summary that may be published."
    update_organisation(actor=None, organisation=funded.applicant.organisation, payment_iban="")
    before = state()
    with pytest.raises(DecisionRefused) as refused:
        accept_grant(actor=funded.applicant.user, decision=decision, public_summary="Tekst.")
    assert refused.value.message == (
        "Add the payment account to the organisation's profile before accepting."
    )
    assert state() == before


def test_a_grant_is_accepted_once_and_a_rejection_never(funded: Funded, english: object) -> None:
    decision = grant(funded)
    accept_grant(actor=funded.applicant.user, decision=decision, public_summary="Tekst.")
    rejected = screened(funded.applicant, 20_000, "Afslag")
    [rejection] = decide_applications(
        actor=funded.caseworker, applications=[rejected], outcome="reject", reason_code="budget"
    )
    for done in (decision, rejection):
        with pytest.raises(DecisionRefused) as refused:
            accept_grant(actor=funded.applicant.user, decision=done, public_summary="Tekst.")
        assert refused.value.message == "The grant is not awaiting acceptance."


def test_lapse_releases_overdue_grants_once(funded: Funded) -> None:
    overdue = grant(funded, 60_000)
    reduced = grant(funded, 30_000, reduced_kr=20_000)
    accepted = grant(funded, 70_000)
    accept_grant(actor=funded.applicant.user, decision=accepted, public_summary="Tekst.")
    assert overdue.accept_by is not None
    Decision.objects.filter(pk=reduced.pk).update(
        accept_by=overdue.accept_by + dt.timedelta(days=1)
    )
    after_deadline = dt.datetime.combine(
        overdue.accept_by + dt.timedelta(days=1), dt.time(1, 0), timezone.get_current_timezone()
    )
    assert available(funded.bands[1]) == kr(200_000 - 60_000 - 70_000)

    assert lapse_overdue_grants(now=after_deadline) == LapseResult(
        lapsed=1, released_ore=kr(60_000)
    )

    assert status(overdue) == ApplicationStatus.LAPSED
    assert (status(reduced), status(accepted)) == (
        ApplicationStatus.GRANTED,
        ApplicationStatus.ACCEPTED,
    )
    assert available(funded.bands[1]) == kr(200_000 - 70_000)
    overdue.refresh_from_db()
    assert overdue.lapsed_at == after_deadline
    assert overdue.release is not None
    assert (overdue.release.kind, overdue.release.release_reason, overdue.release.amount_ore) == (
        "release",
        "lapsed",
        kr(60_000),
    )
    assert overdue.grant is not None
    assert GrantAccount.objects.get(pk=overdue.grant.pk).committed_ore == 0
    assert find_ledger_discrepancies() == []
    events = AuditEvent.objects.count()
    entries = Entry.objects.count()

    assert lapse_overdue_grants(now=after_deadline) == LapseResult(lapsed=0, released_ore=0)
    assert (AuditEvent.objects.count(), Entry.objects.count()) == (events, entries)
    assert available(funded.bands[1]) == kr(200_000 - 70_000)


def test_a_grant_is_not_lapsed_on_its_last_day(funded: Funded) -> None:
    decision = grant(funded)
    assert decision.accept_by is not None
    last_day = dt.datetime.combine(
        decision.accept_by, dt.time(23, 59), timezone.get_current_timezone()
    )
    assert lapse_overdue_grants(now=last_day) == LapseResult(lapsed=0, released_ore=0)
    assert status(decision) == ApplicationStatus.GRANTED


def test_the_command_lapses_and_prints_the_counts(
    funded: Funded, capsys: pytest.CaptureFixture[str]
) -> None:
    decision = due(grant(funded), -2)
    call_command("lapse_grants")
    call_command("lapse_grants")
    assert capsys.readouterr().out == (
        "1 grant(s) lapsed, 60.000 kr. released.\n0 grant(s) lapsed, 0 kr. released.\n"
    )
    assert status(decision) == ApplicationStatus.LAPSED
    assert available(funded.bands[1]) == kr(200_000)
    assert find_ledger_discrepancies() == []


def test_a_lapsed_grant_cannot_be_accepted_even_from_a_stale_copy(
    funded: Funded, english: object
) -> None:
    decision = grant(funded)
    stale = Decision.objects.select_related("application").get(pk=decision.pk)
    assert decision.accept_by is not None
    after_deadline = dt.datetime.combine(
        decision.accept_by + dt.timedelta(days=1), dt.time(1, 0), timezone.get_current_timezone()
    )
    lapse_overdue_grants(now=after_deadline)
    before = state()

    with pytest.raises(DecisionRefused) as refused:
        accept_grant(actor=funded.applicant.user, decision=stale, public_summary="Tekst.")

    assert refused.value.message == "The grant is not awaiting acceptance."
    assert state() == before


def test_a_stale_granted_application_cannot_move_twice(funded: Funded) -> None:
    decision = grant(funded)
    stale = Application.objects.get(pk=decision.application_id)
    accept_grant(actor=funded.applicant.user, decision=decision, public_summary="Tekst.")
    assert APPLICATION.allowed(stale, "lapse")

    with pytest.raises(ApplicationRefused) as refused, transaction.atomic():
        transition(actor=None, application=stale, action="lapse")

    assert refused.value.code == "conflict"
    assert status(decision) == ApplicationStatus.ACCEPTED
