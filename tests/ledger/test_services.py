import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import translation

from pulje.core.models import AppendOnlyError, AuditEvent
from pulje.core.money import kr
from pulje.ledger.balances import GrantBalance, PoolBalance
from pulje.ledger.models import Entry, EntryKind, GrantAccount, PoolAccount, ReleaseReason
from pulje.ledger.services import (
    LedgerError,
    appropriate,
    commit,
    delegate,
    pay,
    recover,
    release,
    reverse,
)
from tests.factories import PoolFactory
from tests.ledger.helpers import balance, funded_tree, grant_balance, grant_on

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _english() -> object:
    """Messages are asserted in English here; tests/core/test_translations covers Danish."""
    with translation.override("en"):
        yield


def test_appropriation_adds_to_the_top_pools_budget() -> None:
    root = PoolFactory()
    entry = appropriate(actor=None, pool=root, amount_ore=kr(50_000_000), text="Akt 41")
    assert (entry.kind, entry.amount_ore, entry.pool, entry.text) == (
        EntryKind.APPROPRIATION,
        kr(50_000_000),
        root,
        "Akt 41",
    )
    assert balance(root) == PoolBalance(budget=kr(50_000_000))
    assert balance(root).available == kr(50_000_000)


def test_appropriation_to_a_sub_pool_is_refused() -> None:
    tree = funded_tree()
    with pytest.raises(LedgerError) as error:
        appropriate(actor=None, pool=tree.part, amount_ore=kr(1))
    assert error.value.code == "not_root"
    assert balance(tree.part) == PoolBalance(budget=kr(600), delegated=kr(400))


def test_delegation_moves_money_from_parent_to_child() -> None:
    tree = funded_tree(root_kr=1_000, part_kr=600, band_kr=0)
    assert balance(tree.root) == PoolBalance(budget=kr(1_000), delegated=kr(600))
    assert balance(tree.root).available == kr(400)
    assert balance(tree.part) == PoolBalance(budget=kr(600))


def test_delegation_to_a_pool_that_is_not_a_child_is_refused() -> None:
    tree = funded_tree()
    with pytest.raises(LedgerError) as error:
        delegate(actor=None, pool=tree.root, to=tree.band, amount_ore=kr(1))
    assert error.value.code == "not_child"
    assert Entry.objects.filter(target=tree.band).count() == 1


def test_delegation_beyond_available_is_refused_naming_the_shortfall() -> None:
    tree = funded_tree(root_kr=1_000, part_kr=600, band_kr=0)
    events = AuditEvent.objects.count()
    with pytest.raises(LedgerError) as error:
        delegate(actor=None, pool=tree.part, to=tree.band, amount_ore=kr(600) + 1)
    assert error.value.code == "insufficient_funds"
    assert error.value.message == (
        f"“{tree.part.name}” does not have 600,01 kr. available: it has 600 kr., "
        "0,01 kr. too little."
    )
    assert balance(tree.part) == PoolBalance(budget=kr(600))
    assert balance(tree.band) == PoolBalance()
    assert AuditEvent.objects.count() == events


def test_commitment_within_available_is_posted_and_audited() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    events = AuditEvent.objects.count()
    entry = commit(actor=None, grant=grant, amount_ore=kr(400))
    assert balance(tree.band) == PoolBalance(budget=kr(400), committed=kr(400))
    assert balance(tree.band).available == 0
    assert grant_balance(grant) == GrantBalance(committed=kr(400))
    event = AuditEvent.objects.get(seq=events + 1)
    assert (event.action, event.object_type, event.object_id) == (
        "ledger.commitment",
        "ledger.entry",
        str(entry.pk),
    )
    assert event.before == {
        "grant": {"committed": 0, "paid": 0, "recovered": 0},
        "pool": {"committed": 0, "paid": 0, "recovered": 0, "budget": kr(400), "delegated": 0},
    }
    assert event.after == {
        "amount_ore": kr(400),
        "grant": {"committed": kr(400), "paid": 0, "recovered": 0},
        "pool": {
            "committed": kr(400),
            "paid": 0,
            "recovered": 0,
            "budget": kr(400),
            "delegated": 0,
        },
    }


def test_commitment_beyond_available_is_refused_and_nothing_is_written() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(300))
    entries = Entry.objects.count()
    with pytest.raises(LedgerError) as error:
        commit(actor=None, grant=grant_on(tree.band), amount_ore=kr(150))
    assert error.value.code == "insufficient_funds"
    assert error.value.message.endswith("it has 100 kr., 50 kr. too little.")
    assert Entry.objects.count() == entries
    assert balance(tree.band) == PoolBalance(budget=kr(400), committed=kr(300))


def test_commitment_does_not_touch_the_parent_pool() -> None:
    tree = funded_tree()
    commit(actor=None, grant=grant_on(tree.band), amount_ore=kr(100))
    assert balance(tree.part) == PoolBalance(budget=kr(600), delegated=kr(400))


def test_release_returns_unpaid_commitment_to_the_pool() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(400))
    entry = release(actor=None, grant=grant, amount_ore=kr(150), reason=ReleaseReason.REDUCED)
    assert entry.release_reason == ReleaseReason.REDUCED
    assert grant_balance(grant) == GrantBalance(committed=kr(250))
    assert balance(tree.band).available == kr(150)


def test_release_of_more_than_is_unpaid_is_refused() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(400))
    pay(actor=None, grant=grant, amount_ore=kr(300))
    with pytest.raises(LedgerError) as error:
        release(actor=None, grant=grant, amount_ore=kr(101), reason=ReleaseReason.CANCELLED)
    assert error.value.code == "exceeds_unpaid"
    assert error.value.message == (
        f"Only 100 kr. of “{grant.reference}” is committed and not yet paid, "
        "so 101 kr. cannot be released."
    )
    assert grant_balance(grant) == GrantBalance(committed=kr(400), paid=kr(300))


def test_payment_beyond_the_commitment_is_refused() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(200))
    pay(actor=None, grant=grant, amount_ore=kr(150))
    with pytest.raises(LedgerError) as error:
        pay(actor=None, grant=grant, amount_ore=kr(50) + 1)
    assert error.value.code == "exceeds_commitment"
    assert error.value.message == (
        f"50,01 kr. would make payments on “{grant.reference}” exceed what is committed to it "
        "(200 kr. committed, 150 kr. paid)."
    )
    assert balance(tree.band).paid == kr(150)


def test_recovery_returns_money_to_the_pool_but_never_exceeds_payments() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(400))
    pay(actor=None, grant=grant, amount_ore=kr(400))
    recover(actor=None, grant=grant, amount_ore=kr(30))
    assert balance(tree.band) == PoolBalance(
        budget=kr(400), committed=kr(400), paid=kr(400), recovered=kr(30)
    )
    assert balance(tree.band).available == kr(30)
    with pytest.raises(LedgerError) as error:
        recover(actor=None, grant=grant, amount_ore=kr(371))
    assert error.value.code == "exceeds_payments"
    # The recovered money can be committed again, to another grant.
    commit(actor=None, grant=grant_on(tree.band), amount_ore=kr(30))
    assert balance(tree.band).available == 0


def test_a_recovered_grant_cannot_be_paid_beyond_its_commitment_again() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(100))
    pay(actor=None, grant=grant, amount_ore=kr(100))
    recover(actor=None, grant=grant, amount_ore=kr(100))
    with pytest.raises(LedgerError):
        pay(actor=None, grant=grant, amount_ore=1)


def test_reversal_undoes_an_entry_exactly() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    wrong = commit(actor=None, grant=grant, amount_ore=kr(250))
    correction = reverse(actor=None, entry=wrong, text="Typed 250 instead of 205")
    assert (correction.kind, correction.amount_ore, correction.reverses) == (
        EntryKind.COMMITMENT,
        kr(250),
        wrong,
    )
    assert grant_balance(grant) == GrantBalance()
    assert balance(tree.band) == PoolBalance(budget=kr(400))
    assert AuditEvent.objects.order_by("-seq").first().action == "ledger.commitment.reversal"  # type: ignore[union-attr]


def test_an_entry_can_be_reversed_only_once_and_a_reversal_not_at_all() -> None:
    tree = funded_tree()
    entry = commit(actor=None, grant=grant_on(tree.band), amount_ore=kr(10))
    correction = reverse(actor=None, entry=entry, text="Wrong grant")
    with pytest.raises(LedgerError) as twice:
        reverse(actor=None, entry=entry, text="Again")
    with pytest.raises(LedgerError) as of_reversal:
        reverse(actor=None, entry=correction, text="Undo the undo")
    assert (twice.value.code, of_reversal.value.code) == ("already_reversed", "reverse_reversal")


def test_a_reversal_needs_a_reason() -> None:
    tree = funded_tree()
    entry = commit(actor=None, grant=grant_on(tree.band), amount_ore=kr(10))
    with pytest.raises(LedgerError) as error:
        reverse(actor=None, entry=entry, text="  ")
    assert error.value.code == "reason_required"


def test_reversing_a_delegation_whose_money_is_committed_is_refused() -> None:
    tree = funded_tree(band_kr=0)
    delegation = delegate(actor=None, pool=tree.part, to=tree.band, amount_ore=kr(100))
    commit(actor=None, grant=grant_on(tree.band), amount_ore=kr(60))
    with pytest.raises(LedgerError) as error:
        reverse(actor=None, entry=delegation, text="Wrong band")
    assert error.value.code == "insufficient_funds"
    assert balance(tree.band) == PoolBalance(budget=kr(100), committed=kr(60))


def test_reversing_a_payment_cannot_leave_recoveries_above_payments() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(100))
    payment = pay(actor=None, grant=grant, amount_ore=kr(100))
    recover(actor=None, grant=grant, amount_ore=kr(40))
    with pytest.raises(LedgerError) as error:
        reverse(actor=None, entry=payment, text="Bank returned it")
    assert error.value.code == "exceeds_payments"


def test_the_same_key_posts_once() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(100))
    first = pay(actor=None, grant=grant, amount_ore=kr(50), key="instalment-1")
    events = AuditEvent.objects.count()
    again = pay(actor=None, grant=grant, amount_ore=kr(50), key="instalment-1")
    assert again == first
    assert grant_balance(grant).paid == kr(50)
    assert AuditEvent.objects.count() == events


def test_a_key_used_for_another_posting_is_refused() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(100))
    pay(actor=None, grant=grant, amount_ore=kr(50), key="instalment-1")
    with pytest.raises(LedgerError) as error:
        pay(actor=None, grant=grant, amount_ore=kr(40), key="instalment-1")
    assert error.value.code == "key_reused"
    assert grant_balance(grant).paid == kr(50)


@pytest.mark.parametrize("amount", [0, -100, 10.5, True, "100"])
def test_amounts_must_be_positive_whole_ore(amount: object) -> None:
    root = PoolFactory()
    with pytest.raises(LedgerError) as error:
        appropriate(actor=None, pool=root, amount_ore=amount)  # type: ignore[arg-type]
    assert error.value.code == "invalid_amount"
    assert Entry.objects.count() == 0


def test_the_database_refuses_an_overspent_balance() -> None:
    """The last line of defence: even code that bypasses the services cannot overspend."""
    tree = funded_tree()
    with pytest.raises(IntegrityError), transaction.atomic():
        PoolAccount.objects.filter(pool=tree.band).update(committed_ore=kr(400) + 1)


@pytest.mark.parametrize(
    "change",
    [
        {"paid_ore": 1},  # paid above committed
        {"delegated_ore": -1},
        {"budget_ore": -1},
    ],
)
def test_the_database_refuses_impossible_pool_balances(change: dict[str, int]) -> None:
    tree = funded_tree(band_kr=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        PoolAccount.objects.filter(pool=tree.band).update(**change)


def test_entries_cannot_be_changed_or_deleted_through_the_orm() -> None:
    root = PoolFactory()
    entry = appropriate(actor=None, pool=root, amount_ore=kr(1))
    entry.amount_ore = kr(2)
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount_ore=kr(3))
    with pytest.raises(AppendOnlyError):
        Entry.objects.all().delete()
    assert Entry.objects.get().amount_ore == kr(1)


@pytest.mark.postgresql
def test_postgresql_refuses_changing_an_entry_even_with_raw_sql() -> None:
    root = PoolFactory()
    entry = appropriate(actor=None, pool=root, amount_ore=kr(1))
    for sql in (
        "UPDATE ledger_entry SET amount_ore = 2 WHERE id = %s",
        "DELETE FROM ledger_entry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert Entry.objects.get().amount_ore == kr(1)


def test_a_replay_with_another_reason_or_text_is_refused() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(100))
    release(actor=None, grant=grant, amount_ore=kr(10), reason=ReleaseReason.CANCELLED, key="r-1")
    with pytest.raises(LedgerError) as other_reason:
        release(actor=None, grant=grant, amount_ore=kr(10), reason=ReleaseReason.REDUCED, key="r-1")
    with pytest.raises(LedgerError) as other_text:
        release(
            actor=None,
            grant=grant,
            amount_ore=kr(10),
            reason=ReleaseReason.CANCELLED,
            text="Something else",
            key="r-1",
        )
    assert (other_reason.value.code, other_text.value.code) == ("key_reused", "key_reused")
    assert grant_balance(grant).committed == kr(90)


def test_an_empty_key_is_no_key() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(100))
    first = pay(actor=None, grant=grant, amount_ore=kr(10), key="")
    second = pay(actor=None, grant=grant, amount_ore=kr(10), key="")
    assert first != second
    assert (first.key, second.key) == (None, None)
    assert grant_balance(grant).paid == kr(20)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("x" * 301, None, "The text may be at most 300 characters."),
        ("", "k" * 121, "The idempotency key may be at most 120 characters."),
    ],
)
def test_over_long_text_or_key_is_refused_on_every_database(
    text: str, key: str | None, message: str
) -> None:
    root = PoolFactory()
    with pytest.raises(LedgerError) as error:
        appropriate(actor=None, pool=root, amount_ore=kr(1), text=text, key=key)
    assert (error.value.code, error.value.message) == ("too_long", message)
    assert Entry.objects.count() == 0


def test_reversing_a_partly_paid_commitment_says_why_in_its_own_words() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commitment = commit(actor=None, grant=grant, amount_ore=kr(100))
    pay(actor=None, grant=grant, amount_ore=kr(30))
    with pytest.raises(LedgerError) as error:
        reverse(actor=None, entry=commitment, text="Wrong grant")
    assert error.value.message == (
        f"Only 70 kr. of “{grant.reference}” is committed and not yet paid, so a commitment "
        "of 100 kr. cannot be reversed."
    )


@pytest.mark.parametrize(
    "change",
    [{"paid_ore": kr(1)}, {"committed_ore": -1}, {"recovered_ore": kr(1)}],
)
def test_the_database_refuses_impossible_grant_balances(change: dict[str, int]) -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantAccount.objects.filter(pk=grant.pk).update(**change)
