"""A call's money: granted, accepted, awaiting acceptance and lapsed (issue 14 point 8)."""

import datetime as dt

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.decisions.selectors import CallMoney, call_money
from pulje.decisions.services import (
    accept_grant,
    decide_applications,
    lapse_overdue_grants,
    write,
)
from pulje.ledger.services import reverse
from tests.factories.decisions import Funded, screened

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: None)


def _decide(funded: Funded, amount_kr: int, outcome: str = "grant") -> Decision:
    application = screened(funded.applicant, amount_kr)
    [decision] = decide_applications(
        actor=funded.caseworker,
        applications=[application],
        outcome=outcome,
        reason_code="weaker_than_others" if outcome == "reject" else "",
    )
    return decision


def test_the_calls_money_follows_its_grants_through_acceptance_and_lapse(
    funded: Funded, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    assert call_money(funded.call) == CallMoney(granted_ore=0, accepted_ore=0, lapsed_ore=0)
    accepted = _decide(funded, 60_000)
    accept_grant(actor=funded.applicant.user, decision=accepted, public_summary="Spisning.")
    _decide(funded, 25_000)
    overdue = _decide(funded, 70_000)
    _decide(funded, 40_000, outcome="reject")
    Decision.objects.exclude(pk=overdue.pk).update(accept_by=dt.date(2099, 1, 1))
    assert overdue.accept_by is not None
    lapse_overdue_grants(
        now=dt.datetime.combine(
            overdue.accept_by + dt.timedelta(days=1), dt.time(1), timezone.get_current_timezone()
        )
    )

    with django_assert_num_queries(2):
        money = call_money(funded.call)

    assert money == CallMoney(
        granted_ore=kr(85_000), accepted_ore=kr(60_000), lapsed_ore=kr(70_000)
    )
    assert money.awaiting_acceptance_ore == kr(25_000)
    # A lapse that is reversed (a mistake corrected) no longer counts as lapsed.
    overdue.refresh_from_db()
    assert overdue.release is not None
    reverse(actor=None, entry=overdue.release, text="Fejl")
    assert call_money(funded.call).lapsed_ore == 0
