"""Many caseworkers commit grants against one pool at the same moment.

Each thread has its own database connection, as each web worker would. Only PostgreSQL has
the row locks this is about, so these tests run in the PostgreSQL leg of `make test`.
"""

import threading
from functools import partial
from typing import Any

import pytest

from pulje.core.locks import Locked
from pulje.core.money import kr
from pulje.ledger import services
from pulje.ledger.models import Entry, EntryKind, GrantAccount, PoolAccount
from pulje.ledger.selectors import find_ledger_discrepancies
from pulje.ledger.services import LedgerError, appropriate, commit
from tests.concurrency import Outcome, run_at_once
from tests.factories import GrantAccountFactory, PoolFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 10
GRANT = kr(100)
BUDGET = kr(550)  # room for five of the ten grants


def _race(grants: list[GrantAccount]) -> list[Outcome]:
    """Commit one grant per thread, all at once; each thread's entry or error."""
    return run_at_once(
        *(partial(commit, actor=None, grant=grant, amount_ore=GRANT) for grant in grants)
    )


def _pool_with_grants() -> tuple[Any, list[GrantAccount]]:
    pool = PoolFactory()
    appropriate(actor=None, pool=pool, amount_ore=BUDGET)
    return pool, [GrantAccountFactory(pool=pool) for _ in range(THREADS)]


def test_concurrent_commitments_never_exceed_the_budget() -> None:
    pool, grants = _pool_with_grants()
    outcomes = _race(grants)

    posted = [o for o in outcomes if isinstance(o, Entry)]
    refused = [o for o in outcomes if isinstance(o, LedgerError)]
    assert (len(posted), len(refused)) == (5, 5), outcomes
    assert {error.code for error in refused} == {"insufficient_funds"}
    assert {error.message for error in refused} == {
        f"“{pool.name}” does not have 100 kr. available: it has 50 kr., 50 kr. too little."
    }
    account = PoolAccount.objects.get(pool=pool)
    assert account.committed_ore == kr(500)
    assert account.balance.available == kr(50)
    total = sum(e.amount_ore for e in Entry.objects.filter(pool=pool, kind=EntryKind.COMMITMENT))
    assert total == kr(500)
    assert find_ledger_discrepancies() == []


def test_control_without_the_lock_the_same_race_overspends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: with the row lock bypassed, every thread reads the same balance before
    any writes, all ten pass the check, and the pool commits 1.000 kr. of its 550 kr."""
    pool, grants = _pool_with_grants()
    all_have_read = threading.Barrier(THREADS)

    def read_without_lock(*, pools: list[int], grants: list[int]) -> Locked:
        read = Locked(
            pool_accounts={a.pool_id: a for a in PoolAccount.objects.filter(pool_id__in=pools)},
            applications={},
            grant_accounts={g.pk: g for g in GrantAccount.objects.filter(pk__in=grants)},
        )
        all_have_read.wait(timeout=30)
        return read

    monkeypatch.setattr(services, "lock_for", read_without_lock)
    outcomes = _race(grants)

    assert all(isinstance(o, Entry) for o in outcomes), outcomes
    total = sum(e.amount_ore for e in Entry.objects.filter(pool=pool, kind=EntryKind.COMMITMENT))
    assert total == kr(1_000) > BUDGET
    problems = {(p.figure, p.message) for p in find_ledger_discrepancies()}
    assert ("committed", "stored balance differs from the entries") in problems
