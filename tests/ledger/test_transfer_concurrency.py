"""A transfer and commitments race for the last money in a grant band.

The secretariat moves money out of a band while caseworkers grant from it: each thread has its
own connection, as each web worker would. Only PostgreSQL has the row locks this is about, so
these tests run in the PostgreSQL leg of `make test`.
"""

import threading
from functools import partial
from typing import Any

import pytest

from pulje.core.locks import Locked
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger import services
from pulje.ledger.models import Entry, EntryKind, GrantAccount, PoolAccount
from pulje.ledger.selectors import find_ledger_discrepancies
from pulje.ledger.services import LedgerError, appropriate, commit, delegate, transfer
from tests.concurrency import Outcome, run_at_once
from tests.factories import GrantAccountFactory, PoolFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

EACH = 5  # commitments, and as many transfers
AMOUNT = kr(100)
BAND = kr(550)  # room for five of the ten


def _bands() -> tuple[Pool, Pool, list[GrantAccount]]:
    parent = PoolFactory()
    band, sibling = (PoolFactory(parent=parent, administrator=parent.administrator) for _ in "ab")
    appropriate(actor=None, pool=parent, amount_ore=BAND + kr(1_000))
    delegate(actor=None, pool=parent, to=band, amount_ore=BAND)
    delegate(actor=None, pool=parent, to=sibling, amount_ore=kr(1_000))
    return band, sibling, [GrantAccountFactory(pool=band) for _ in range(EACH)]


def _race(band: Pool, sibling: Pool, grants: list[GrantAccount]) -> list[Outcome]:
    """Five commitments and five transfers out of the band, all at once, interleaved."""
    jobs: list[Any] = []
    for grant in grants:
        jobs.append(partial(commit, actor=None, grant=grant, amount_ore=AMOUNT))
        jobs.append(partial(transfer, actor=None, pool=band, to=sibling, amount_ore=AMOUNT))
    return run_at_once(*jobs)


def _out_of(band: Pool) -> int:
    """What left the band by commitments and transfers, as its entries say."""
    entries = Entry.objects.filter(pool=band, kind__in=[EntryKind.COMMITMENT, EntryKind.TRANSFER])
    return sum(entry.amount_ore for entry in entries)


def test_a_transfer_racing_commitments_never_overspends_the_band() -> None:
    band, sibling, grants = _bands()

    outcomes = _race(band, sibling, grants)

    posted = [o for o in outcomes if isinstance(o, Entry)]
    refused = [o for o in outcomes if isinstance(o, LedgerError)]
    assert (len(posted), len(refused)) == (5, 5), outcomes
    assert {error.code for error in refused} == {"insufficient_funds"}
    assert {error.message for error in refused} == {
        f"“{band.name}” does not have 100 kr. available: it has 50 kr., 50 kr. too little."
    }
    moved = sum(1 for entry in posted if entry.kind == EntryKind.TRANSFER)
    account = PoolAccount.objects.get(pool=band)
    assert account.balance.available == kr(50)
    assert account.budget_ore == BAND - moved * AMOUNT
    assert account.committed_ore == (5 - moved) * AMOUNT
    assert PoolAccount.objects.get(pool=sibling).budget_ore == kr(1_000) + moved * AMOUNT
    assert _out_of(band) == kr(500)
    assert find_ledger_discrepancies() == []


def test_control_without_the_lock_the_same_race_overspends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: with the row lock bypassed, every thread reads the band's balance before
    any writes, all ten pass the check, and 1.000 kr. leaves a band of 550 kr."""
    band, sibling, grants = _bands()
    all_have_read = threading.Barrier(2 * EACH)

    def read_without_lock(*, pools: list[int], grants: list[int]) -> Locked:
        read = Locked(
            pool_accounts={a.pool_id: a for a in PoolAccount.objects.filter(pool_id__in=pools)},
            applications={},
            grant_accounts={g.pk: g for g in GrantAccount.objects.filter(pk__in=grants)},
        )
        all_have_read.wait(timeout=30)
        return read

    monkeypatch.setattr(services, "lock_for", read_without_lock)
    outcomes = _race(band, sibling, grants)

    assert all(isinstance(o, Entry) for o in outcomes), outcomes
    assert _out_of(band) == kr(1_000) > BAND
    problems = {(p.figure, p.message) for p in find_ledger_discrepancies()}
    assert ("budget", "stored balance differs from the entries") in problems
