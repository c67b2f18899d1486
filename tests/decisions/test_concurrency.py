"""Two caseworkers grant a batch each from one band at the same moment.

Each thread has its own connection, as each web worker would; only PostgreSQL has the row
locks this is about, so these tests run in the PostgreSQL leg of `make test`.
"""

import contextlib
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from pulje.applications.models import Application, ApplicationStatus
from pulje.core.locks import lock_for
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.decisions.services import DecisionRefused, common, decide, decide_applications, write
from pulje.ledger.selectors import find_ledger_discrepancies
from tests.decisions.conftest import available, make_funded, screened

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _race(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[bool], Any]:
    """Two batches of three 25.000 kr. grants against band 1's 100.000 kr., at once.

    Each thread waits after its overspending check for the other to pass its own (at most a
    second): without the pool lock both pass it on the same balance; with it the second
    thread is still waiting for the lock, and the first goes on alone.
    """
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: None)
    funded = make_funded()
    batches = [
        [screened(funded.applicant, 25_000, f"Batch {b} nr. {n}") for n in range(3)]
        for b in range(2)
    ]
    start = threading.Barrier(2)
    checked = threading.Barrier(2)
    passed_check = [False, False]
    outcomes: list[Any] = [None, None]
    check = common._refuse_overspending
    first_of_batch = [batch[0].pk for batch in batches]

    def check_then_wait(plans: Any, *, holding_back: bool) -> None:
        check(plans, holding_back=holding_back)
        passed_check[first_of_batch.index(plans[0].application.pk)] = True
        with contextlib.suppress(threading.BrokenBarrierError):
            checked.wait(timeout=1)

    monkeypatch.setattr(decide, "_refuse_overspending", check_then_wait)

    def work(index: int) -> None:
        try:
            with translation.override("en"):
                start.wait(timeout=30)
                outcomes[index] = decide_applications(
                    actor=funded.caseworker, applications=batches[index], outcome="grant"
                )
        except Exception as error:  # every outcome is asserted by the tests
            outcomes[index] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a thread hung"
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
