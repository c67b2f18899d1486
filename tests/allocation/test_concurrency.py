"""Two caseworkers confirm the same run at the same moment.

Each thread has its own connection, as each web worker would; only PostgreSQL has the row
locks this is about, so this runs in the PostgreSQL leg of `make test`.
"""

import contextlib
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from pulje.accounts.models import User
from pulje.allocation import services
from pulje.allocation.models import AllocationRun
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import AllocationRefused, confirm_allocation, run_allocation
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.ledger.selectors import find_ledger_discrepancies
from tests.allocation.conftest import make_scarce
from tests.decisions.conftest import available
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_a_run_confirmed_twice_at_once_makes_its_decisions_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scarce = make_scarce()
    colleague = UserFactory(name="Kollega", organisation=scarce.call.pool.administrator)
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    # Each thread waits, after its checks have found the run unconfirmed and current, for the
    # other to get as far (at most a second): both then try to claim the confirmation.
    checked = threading.Barrier(2)
    passed_checks = [False, False]
    changed_since = services.changed_since
    actors: list[User] = [scarce.caseworker, colleague]
    index_of: dict[int, int] = {}

    def check_then_wait(found: AllocationRun, facts: Any) -> list[str]:
        changed = changed_since(found, facts)
        passed_checks[index_of[threading.get_ident()]] = True
        with contextlib.suppress(threading.BrokenBarrierError):
            checked.wait(timeout=1)
        return changed

    monkeypatch.setattr(services, "changed_since", check_then_wait)
    monkeypatch.setattr("pulje.decisions.services.queue_decision_letters", lambda **kwargs: None)
    outcomes: list[Any] = [None, None]
    start = threading.Barrier(2)

    def work(index: int) -> None:
        index_of[threading.get_ident()] = index
        try:
            with translation.override("en"):
                start.wait(timeout=30)
                outcomes[index] = confirm_allocation(actor=actors[index], run=run)
        except Exception as error:  # every outcome is asserted below
            outcomes[index] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a thread hung"

    # Both read the run as unconfirmed: the compare-and-swap, not the read, decided.
    assert passed_checks == [True, True]
    confirmed = [outcome for outcome in outcomes if isinstance(outcome, list)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, AllocationRefused)]
    assert (len(confirmed), len(refused)) == (1, 1), outcomes
    assert refused[0].message == "This proposal has been confirmed already."
    assert Decision.objects.count() == 4
    assert (available(scarce.bands[0]), available(scarce.bands[1])) == (kr(20_000), kr(40_000))
    assert find_ledger_discrepancies() == []
