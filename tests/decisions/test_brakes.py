"""The decision service's own brakes: confirmed with a token, it decides only what was shown,
never with a blocking warning, and with other warnings only once they are ticked as seen."""

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.utils import translation

from pulje.applications.models import Application, ApplicationStatus
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.decisions.brakes import brake_facts, brake_items
from pulje.decisions.confirmation import preview_decisions
from pulje.decisions.models import Decision
from pulje.decisions.services import DecisionRefused, decide_applications, write
from pulje.decisions.warnings import confirmation_token, warnings_for
from pulje.ledger.models import Entry, PoolAccount
from tests.factories.decisions import Funded, close_call, screened

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def queued_letters(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: calls.append(kw))
    return calls


def state() -> tuple[Any, ...]:
    return (
        list(PoolAccount.objects.order_by("pool_id").values()),
        Entry.objects.count(),
        Decision.objects.count(),
        AuditEvent.objects.count(),
        sorted(Application.objects.values_list("pk", "status")),
    )


def token_of(funded: Funded, applications: list[Application], outcome: str = "grant") -> str:
    items = brake_items(applications, outcome, reason_code="budget" if outcome == "reject" else "")
    return confirmation_token(items, warnings_for(brake_facts(funded.call), items))


def refused(act: Callable[[], object]) -> DecisionRefused:
    before = state()
    with translation.override("en"), pytest.raises(DecisionRefused) as raised:
        act()
    assert state() == before
    return raised.value


def test_confirmed_as_shown_with_the_warnings_ticked_it_decides(funded: Funded) -> None:
    applications = [screened(funded.applicant, 60_000), screened(funded.applicant, 20_000)]
    close_call(funded.call)
    token = token_of(funded, applications)

    no_tick = refused(
        lambda: decide_applications(
            actor=funded.caseworker, applications=applications, outcome="grant", shown=token
        )
    )
    assert no_tick.code == "warnings_not_seen"

    decided = decide_applications(
        actor=funded.caseworker,
        applications=applications,
        outcome="grant",
        shown=token,
        warnings_seen=True,
    )
    assert sorted(d.amount_ore or 0 for d in decided) == [kr(20_000), kr(60_000)]


def test_a_changed_selection_amount_or_state_is_refused_not_decided(funded: Funded) -> None:
    first, second = screened(funded.applicant, 60_000), screened(funded.applicant, 20_000)
    close_call(funded.call)
    token = token_of(funded, [first, second])
    decide = decide_applications

    def confirm(**changes: Any) -> None:
        arguments: dict[str, Any] = {
            "actor": funded.caseworker,
            "applications": [first, second],
            "outcome": "grant",
            "shown": token,
            "warnings_seen": True,
        }
        decide(**{**arguments, **changes})

    changed: list[dict[str, Any]] = [
        {"applications": [first]},
        {"amounts": {first.pk: kr(50_000)}, "reason_text": "Skåret."},
        {"outcome": "reject", "reason_code": "budget"},
    ]
    for changes in changed:
        refusal = refused(partial(confirm, **changes))
        assert refusal.code == "changed_since_shown", changes
        assert refusal.message.startswith("The applications or what is known about them changed")
    Application.objects.filter(pk=second.pk).update(status=ApplicationStatus.RECOMMENDED)
    assert refused(confirm).code == "changed_since_shown"


def test_a_blocking_warning_is_refused_by_the_service_itself(funded: Funded) -> None:
    application = screened(funded.applicant, 60_000)
    # The call is open and its applicants may change what they sent: whatever the token.
    token = token_of(funded, [application])
    refusal = refused(
        lambda: decide_applications(
            actor=funded.caseworker,
            applications=[application],
            outcome="grant",
            shown=token,
            warnings_seen=True,
        )
    )
    assert refusal.code == "blocked"
    assert "deadline has not passed" in refusal.message


def test_the_preview_is_a_dry_run_that_leaves_nothing(funded: Funded) -> None:
    application = screened(funded.applicant, 60_000)
    close_call(funded.call)
    before = state()

    preview = preview_decisions(
        call=funded.call,
        items=brake_items([application], "grant"),
        act=lambda: decide_applications(
            actor=funded.caseworker,
            applications=[application],
            outcome="grant",
            queue_letters=False,
        ),
    )

    assert state() == before
    assert application.reference in preview.letter
    assert "60.000 kr." in preview.letter
    assert preview.letter_reference == application.reference
    assert preview.token == token_of(funded, [application])
    assert not preview.blocked
