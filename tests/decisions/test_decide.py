import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone, translation

from pulje.applications.models import Application, ApplicationStatus
from pulje.casework.models import Screening
from pulje.casework.services import override_screening
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.decisions.models import Decision, DecisionTerms, Outcome, RejectionReason
from pulje.decisions.services import DecisionRefused, decide_applications, write
from pulje.funds.models import ReportingRequirement
from pulje.ledger.models import Entry, GrantAccount, PoolAccount
from pulje.ledger.selectors import find_ledger_discrepancies
from tests.factories.decisions import SPEND_BY, Funded, available, screened

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def queued_letters(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The letters app's queue, recorded: what it does is tested in tests/letters."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: calls.append(kw))
    return calls


def state() -> tuple[Any, ...]:
    """Everything a refused decision must leave as it was."""
    return (
        list(PoolAccount.objects.order_by("pool_id").values()),
        Entry.objects.count(),
        GrantAccount.objects.count(),
        Decision.objects.count(),
        AuditEvent.objects.count(),
        sorted(Application.objects.values_list("pk", "status")),
    )


def test_a_grant_in_full_commits_the_amount_in_its_band(
    funded: Funded, english: object, django_capture_on_commit_callbacks: Capture
) -> None:
    application = screened(funded.applicant, 60_000)
    with django_capture_on_commit_callbacks(execute=True):
        [decision] = decide_applications(
            actor=funded.caseworker, applications=[application], outcome="grant"
        )

    decision.refresh_from_db()
    today = timezone.localdate()
    assert (decision.outcome, decision.amount_ore, decision.requested_ore) == (
        Outcome.GRANT,
        kr(60_000),
        kr(60_000),
    )
    assert decision.band == funded.bands[1]
    assert decision.accept_by == today + dt.timedelta(days=30)
    assert decision.spend_by == SPEND_BY
    assert decision.reporting == ReportingRequirement.DECLARATION
    assert decision.decided_by == funded.caseworker
    assert decision.grant is not None
    assert decision.commitment is not None
    assert (decision.grant.pool, decision.grant.committed_ore) == (funded.bands[1], kr(60_000))
    assert decision.grant.reference == application.reference
    assert decision.grant.recipient == funded.applicant.organisation
    assert (decision.commitment.kind, decision.commitment.amount_ore) == ("commitment", kr(60_000))
    assert available(funded.bands[1]) == kr(140_000)
    assert find_ledger_discrepancies() == []
    application.refresh_from_db()
    assert application.status == ApplicationStatus.GRANTED
    event = AuditEvent.objects.filter(action="applications.application.granted").get()
    assert event.after is not None
    assert (event.after["decision"], event.after["amount_ore"]) == (decision.pk, kr(60_000))
    # One e-mail per decision: the letter's (tests/letters), none of the decision's own.
    assert mail.outbox == []


def test_the_letters_are_queued_in_the_decisions_transaction_for_the_whole_batch(
    funded: Funded,
    queued_letters: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    """Queued with the decisions, so no decision is ever left without its letters job, and
    nothing else is sent after the commit: the letter's e-mail is the one."""
    applications = [screened(funded.applicant, 20_000, f"Projekt {n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decisions = decide_applications(
            actor=funded.caseworker, applications=applications, outcome="grant"
        )
    assert queued_letters == [
        {"actor": funded.caseworker, "decision_ids": [d.pk for d in decisions]}
    ]
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert mail.outbox == []


def test_a_reduced_grant_commits_the_reduced_amount_in_the_band_applied_for(
    funded: Funded,
) -> None:
    application = screened(funded.applicant, 60_000)
    [decision] = decide_applications(
        actor=funded.caseworker,
        applications=[application],
        outcome="grant",
        amounts={application.pk: kr(40_000)},
        reason_text="Materialerne er ikke støtteberettigede.",
    )
    # 40.000 kr. is below band 2's minimum: the grant still comes from the band it competed in.
    assert (decision.outcome, decision.amount_ore, decision.band) == (
        Outcome.REDUCED,
        kr(40_000),
        funded.bands[1],
    )
    assert decision.reason_text == "Materialerne er ikke støtteberettigede."
    assert available(funded.bands[1]) == kr(160_000)
    assert available(funded.bands[0]) == kr(100_000)
    assert find_ledger_discrepancies() == []


def test_a_reduced_grant_needs_a_reason_and_writes_nothing_without(
    funded: Funded, english: object
) -> None:
    application = screened(funded.applicant, 60_000)
    before = state()
    with pytest.raises(DecisionRefused) as refused:
        decide_applications(
            actor=funded.caseworker,
            applications=[application],
            outcome="grant",
            amounts={application.pk: kr(40_000)},
        )
    assert refused.value.message == f"{application.reference}: say why the grant is reduced."
    assert state() == before


@pytest.mark.parametrize("amount", [0, -1, kr(60_000) + 1])
def test_a_grant_is_more_than_nothing_and_at_most_the_amount_requested(
    funded: Funded, english: object, amount: int
) -> None:
    application = screened(funded.applicant, 60_000)
    before = state()
    with pytest.raises(DecisionRefused) as refused:
        decide_applications(
            actor=funded.caseworker,
            applications=[application],
            outcome="grant",
            amounts={application.pk: amount},
            reason_text="Skåret til.",
        )
    assert refused.value.message == (
        f"{application.reference}: the amount must be more than 0 kr. and at most 60.000 kr."
    )
    assert state() == before


def test_a_rejection_records_its_reason_and_moves_no_money(funded: Funded) -> None:
    application = screened(funded.applicant, 60_000)
    entries = Entry.objects.count()
    [decision] = decide_applications(
        actor=funded.caseworker,
        applications=[application],
        outcome="reject",
        reason_code=RejectionReason.WEAKER_THAN_OTHERS,
        reason_text="Andre ansøgninger opfyldte kriterierne bedre.",
    )
    decision.refresh_from_db()
    assert (decision.outcome, decision.amount_ore, decision.grant, decision.accept_by) == (
        Outcome.REJECT,
        None,
        None,
        None,
    )
    assert decision.reason_code == RejectionReason.WEAKER_THAN_OTHERS
    assert Entry.objects.count() == entries
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert find_ledger_discrepancies() == []


@pytest.mark.parametrize(
    ("code", "text", "message"),
    [
        ("", "", "Choose the reason for the rejection."),
        ("nonsense", "", "Choose the reason for the rejection."),
        (RejectionReason.OTHER, "  ", "Describe the reason for the rejection."),
    ],
)
def test_a_rejection_needs_a_reason(
    funded: Funded, english: object, code: str, text: str, message: str
) -> None:
    application = screened(funded.applicant)
    before = state()
    with pytest.raises(DecisionRefused) as refused:
        decide_applications(
            actor=funded.caseworker,
            applications=[application],
            outcome="reject",
            reason_code=code,
            reason_text=text,
        )
    assert refused.value.message == message
    assert state() == before


def test_a_bulk_grant_that_would_overspend_a_band_is_refused_whole(
    funded: Funded, english: object
) -> None:
    # Band 1 has 100.000 kr.; three grants of 40.000 kr. ask 120.000 kr. The band 2 grant
    # alone would fit, but the batch is refused whole.
    small = [screened(funded.applicant, 40_000, f"Lille {n}") for n in range(3)]
    middle = screened(funded.applicant, 60_000, "Mellem")
    before = state()
    with pytest.raises(DecisionRefused) as refused:
        decide_applications(actor=funded.caseworker, applications=[*small, middle], outcome="grant")
    assert refused.value.message == (
        "“Bånd 1” cannot pay for these grants: they come to 120.000 kr. and it has "
        "100.000 kr. available, 20.000 kr. too little."
    )
    assert state() == before
    assert [available(band) for band in funded.bands] == [kr(100_000), kr(200_000), kr(400_000)]
    assert find_ledger_discrepancies() == []


def test_the_refusal_names_every_band_that_is_short(funded: Funded, english: object) -> None:
    small = [screened(funded.applicant, 40_000, f"Lille {n}") for n in range(3)]
    large = [screened(funded.applicant, 150_000, f"Stor {n}") for n in range(3)]
    with pytest.raises(DecisionRefused) as refused:
        decide_applications(actor=funded.caseworker, applications=[*large, *small], outcome="grant")
    assert refused.value.message == (
        "“Bånd 1” cannot pay for these grants: they come to 120.000 kr. and it has "
        "100.000 kr. available, 20.000 kr. too little. "
        "“Bånd 3” cannot pay for these grants: they come to 450.000 kr. and it has "
        "400.000 kr. available, 50.000 kr. too little."
    )


def test_a_batch_that_fits_exactly_is_granted(funded: Funded) -> None:
    applications = [screened(funded.applicant, 25_000, f"Projekt {n}") for n in range(4)]
    decisions = decide_applications(
        actor=funded.caseworker, applications=applications, outcome="grant"
    )
    assert len(decisions) == 4
    assert available(funded.bands[0]) == 0
    assert find_ledger_discrepancies() == []


def test_an_application_in_the_wrong_state_refuses_the_batch(
    funded: Funded, english: object
) -> None:
    ready = screened(funded.applicant, 20_000, "Klar")
    decided = screened(funded.applicant, 20_000, "Afgjort")
    decide_applications(actor=funded.caseworker, applications=[decided], outcome="grant")
    before = state()
    with pytest.raises(DecisionRefused) as refused:
        decide_applications(actor=funded.caseworker, applications=[ready, decided], outcome="grant")
    assert refused.value.message == f"{decided.reference} cannot be decided: it is “granted”."
    assert state() == before


def test_only_the_calls_caseworkers_decide(funded: Funded, english: object) -> None:
    application = screened(funded.applicant)
    before = state()
    for user in (funded.funder, funded.applicant.user):
        with pytest.raises(DecisionRefused) as refused:
            decide_applications(actor=user, applications=[application], outcome="grant")
        assert refused.value.message == (
            "You cannot decide applications to “Fællesskaber mod ensomhed”."
        )
    assert state() == before


def test_the_calls_terms_set_the_days_to_accept(funded: Funded) -> None:
    DecisionTerms.objects.create(call=funded.call, accept_days=14)
    [decision] = decide_applications(
        actor=funded.caseworker, applications=[screened(funded.applicant)], outcome="grant"
    )
    assert decision.accept_by == timezone.localdate() + dt.timedelta(days=14)


def test_a_large_grant_gets_the_reporting_rule_for_its_amount(funded: Funded) -> None:
    [decision] = decide_applications(
        actor=funded.caseworker,
        applications=[screened(funded.applicant, 150_000)],
        outcome="grant",
    )
    assert (decision.band, decision.reporting) == (funded.bands[2], ReportingRequirement.ACCOUNTS)


def test_an_application_that_failed_screening_is_not_granted_until_overridden(
    funded: Funded,
) -> None:
    application = screened(funded.applicant, 60_000)
    screening = Screening.objects.filter(application=application).latest("pk")
    override_screening(
        actor=funded.caseworker, screening=screening, outcome="fail", reason="Over lønloftet."
    )
    with translation.override("en"), pytest.raises(DecisionRefused) as refused:
        decide_applications(actor=funded.caseworker, applications=[application], outcome="grant")
    assert str(refused.value) == (
        f"{application.reference} failed screening: override the screening with a reason "
        "before granting it."
    )
    assert available(funded.bands[1]) == kr(200_000)
    # A rejection needs no override.
    decide_applications(
        actor=funded.caseworker,
        applications=[application],
        outcome="reject",
        reason_code="budget",
    )
