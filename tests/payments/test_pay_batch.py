"""``ledger.services.pay_batch``: every payment of a run or none, one entry and audit event per
payment, replays return the first entry."""

import pytest

from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.models import Entry, EntryKind, GrantAccount, PoolAccount
from pulje.ledger.selectors import find_ledger_discrepancies
from pulje.ledger.services import LedgerError, Payment, appropriate, commit, pay_batch
from tests.factories import GrantAccountFactory, PoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def committed(amount: int, pool: Pool | None = None) -> GrantAccount:
    pool = pool or PoolFactory()
    appropriate(actor=None, pool=pool, amount_ore=amount)
    grant = GrantAccountFactory(pool=pool)
    commit(actor=None, grant=grant, amount_ore=amount)
    return grant


def test_a_batch_pays_every_grant_with_one_entry_and_event_each() -> None:
    amounts = [kr(100), kr(200), kr(300)]
    grants = [committed(amount) for amount in amounts]
    entries = pay_batch(
        actor=None,
        payments=[
            Payment(g, amount, key=f"k{n}")
            for n, (g, amount) in enumerate(zip(grants, amounts, strict=True))
        ],
    )
    assert [(e.kind, e.grant_id, e.amount_ore, e.key) for e in entries] == [
        (EntryKind.PAYMENT, g.pk, amount, f"k{n}")
        for n, (g, amount) in enumerate(zip(grants, amounts, strict=True))
    ]
    assert AuditEvent.objects.filter(action="ledger.payment").count() == 3
    assert [GrantAccount.objects.get(pk=g.pk).paid_ore for g in grants] == [
        kr(100),
        kr(200),
        kr(300),
    ]
    assert find_ledger_discrepancies() == []
    again = pay_batch(actor=None, payments=[Payment(grants[0], kr(100), key="k0")])
    assert again == [entries[0]]
    assert Entry.objects.filter(kind=EntryKind.PAYMENT).count() == 3


def test_two_payments_on_one_pool_both_count_against_it() -> None:
    pool = PoolFactory()
    first, second = committed(kr(100), pool), committed(kr(50), pool)
    pay_batch(
        actor=None,
        payments=[Payment(first, kr(100), key="a"), Payment(second, kr(50), key="b")],
    )
    assert PoolAccount.objects.get(pool=pool).paid_ore == kr(150)
    assert find_ledger_discrepancies() == []


def test_one_refused_payment_posts_none_of_the_batch() -> None:
    good, bad = committed(kr(100)), committed(kr(100))
    events = AuditEvent.objects.count()
    with pytest.raises(LedgerError) as refused:
        pay_batch(
            actor=None,
            payments=[Payment(good, kr(100), key="good"), Payment(bad, kr(101), key="bad")],
        )
    assert refused.value.code == "exceeds_commitment"
    assert Entry.objects.filter(kind=EntryKind.PAYMENT).count() == 0
    assert AuditEvent.objects.count() == events
    assert GrantAccount.objects.get(pk=good.pk).paid_ore == 0


def test_only_the_pools_managers_pay_from_it() -> None:
    grant = committed(kr(100))
    with pytest.raises(LedgerError) as refused:
        pay_batch(actor=UserFactory(), payments=[Payment(grant, kr(100), key="x")])
    assert refused.value.code == "not_manager"
    assert Entry.objects.filter(kind=EntryKind.PAYMENT).count() == 0
