"""Two caseworkers grant a batch each from one band at the same moment.

Each thread has its own connection, as each web worker would; only PostgreSQL has the row
locks this is about, so these tests run in the PostgreSQL leg of `make test`.
"""

from functools import partial
from typing import Any

import pytest

from pulje.applications.models import Application, ApplicationStatus
from pulje.core.locks import lock_for
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.decisions.services import DecisionRefused, common, decide, decide_applications, write
from pulje.ledger.selectors import find_ledger_discrepancies
from tests.concurrency import Outcome, another_connection_waits_for_a_lock, run_at_once, wait_until
from tests.factories.decisions import available, make_funded, screened

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _race(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Outcome], list[bool], Any]:
    """Two batches of three 25.000 kr. grants against band 1's 100.000 kr., at once.

    Each thread waits after its overspending check until the other has passed its own too, or
    waits for a lock: without the pool lock both pass it on the same balance; with it the
    second thread is waiting for the lock, and the first goes on alone.
    """
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: None)
    funded = make_funded()
    batches = [
        [screened(funded.applicant, 25_000, f"Batch {b} nr. {n}") for n in range(3)]
        for b in range(2)
    ]
    passed_check = [False, False]
    check = common._refuse_overspending
    first_of_batch = [batch[0].pk for batch in batches]

    def check_then_wait(plans: Any, *, holding_back: bool) -> None:
        check(plans, holding_back=holding_back)
        passed_check[first_of_batch.index(plans[0].application.pk)] = True
        wait_until(
            lambda: all(passed_check) or another_connection_waits_for_a_lock(),
            what="the other batch to pass its check or wait for a lock",
        )

    monkeypatch.setattr(decide, "_refuse_overspending", check_then_wait)
    outcomes = run_at_once(
        *(
            partial(
                decide_applications, actor=funded.caseworker, applications=batch, outcome="grant"
            )
            for batch in batches
        )
    )
    return outcomes, passed_check, funded


def test_two_simultaneous_bulk_grants_never_overspend_a_band(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcomes, passed_check, funded = _race(monkeypatch)
    granted = [outcome for outcome in outcomes if isinstance(outcome, list)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, DecisionRefused)]
    assert (len(granted), len(refused)) == (1, 1), outcomes
    # The loser checked only after the winner had committed, so it was refused by the check.
    assert passed_check.count(True) == 1
    assert refused[0].message == (
        "“Bånd 1” cannot pay for these grants: they come to 75.000 kr. and it has "
        "25.000 kr. available, 50.000 kr. too little."
    )
    assert available(funded.bands[0]) == kr(25_000)
    assert Decision.objects.count() == 3
    assert Application.objects.filter(status=ApplicationStatus.GRANTED).count() == 3
    assert find_ledger_discrepancies() == []


def test_control_without_the_pool_lock_both_batches_pass_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: with the pool lock switched off both threads read the same balance and
    pass the check, so the test above proves the lock. The ledger's own lock per posting
    still stops the second batch (halfway through, rolled back whole); it never overspends."""
    monkeypatch.setattr(decide, "lock_for", lambda **locks: lock_for(**{**locks, "pools": []}))
    outcomes, passed_check, funded = _race(monkeypatch)
    assert passed_check == [True, True]
    granted = [outcome for outcome in outcomes if isinstance(outcome, list)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, DecisionRefused)]
    assert (len(granted), len(refused)) == (1, 1), outcomes
    # Its first grant took the last 25.000 kr.; its second found none.
    assert refused[0].message == (
        "“Bånd 1” does not have 25.000 kr. available: it has 0 kr., 25.000 kr. too little."
    )
    assert available(funded.bands[0]) == kr(25_000)
    assert find_ledger_discrepancies() == []
