"""Moving uncommitted money between sibling pools and back to the parent (issue 15 point 7)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from pulje.accounts.models import User
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.balances import Kind, PoolBalance
from pulje.ledger.models import Entry, EntryKind
from pulje.ledger.selectors import entries_for_pool, find_ledger_discrepancies
from pulje.ledger.services import (
    LedgerError,
    commit,
    plan_transfer,
    reverse,
    transfer,
)
from tests.factories import GrantAccountFactory, UserFactory
from tests.factories.funds import Tree, make_tree
from tests.ledger.helpers import balance

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _english() -> object:
    """Messages are asserted in English here; tests/core/test_translations covers Danish."""
    with translation.override("en"):
        yield


@pytest.fixture
def tree() -> Tree:
    return make_tree()


@pytest.fixture
def bl_user(tree: Tree) -> User:
    user: User = UserFactory(organisation=tree.bl)
    return user


@pytest.fixture
def ministry_user(tree: Tree) -> User:
    user: User = UserFactory(organisation=tree.ministry)
    return user


def _counts() -> tuple[int, int]:
    return Entry.objects.count(), AuditEvent.objects.count()


def test_a_transfer_moves_budget_between_siblings_and_leaves_the_parent_as_it_was(
    tree: Tree, bl_user: User
) -> None:
    entry = transfer(
        actor=bl_user,
        pool=tree.band1,
        to=tree.band3,
        amount_ore=kr(100_000),
        text="Ramme 3 mangler penge",
    )

    assert (entry.kind, entry.pool, entry.target, entry.amount_ore, entry.created_by) == (
        EntryKind.TRANSFER,
        tree.band1,
        tree.band3,
        kr(100_000),
        bl_user,
    )
    assert balance(tree.band1) == PoolBalance(budget=kr(1_400_000))
    assert balance(tree.band3) == PoolBalance(budget=kr(10_100_000))
    assert balance(tree.bl_pool) == PoolBalance(budget=kr(15_000_000), delegated=kr(15_000_000))
    event = AuditEvent.objects.get(object_type="ledger.entry", object_id=str(entry.pk))
    assert (event.action, event.actor) == ("ledger.transfer", bl_user)
    assert event.before is not None
    assert event.after is not None
    assert event.before["pool"]["budget"] == kr(1_500_000)
    assert event.before["target"]["budget"] == kr(10_000_000)
    assert event.after["pool"]["budget"] == kr(1_400_000)
    assert event.after["target"]["budget"] == kr(10_100_000)
    # The one entry is in both pools' ledgers.
    assert entries_for_pool(tree.band1).first() == entry
    assert entries_for_pool(tree.band3).first() == entry
    assert find_ledger_discrepancies() == []


def test_a_return_gives_the_money_back_to_the_parent(tree: Tree, bl_user: User) -> None:
    entry = transfer(
        actor=bl_user, pool=tree.band2, to=tree.bl_pool, amount_ore=kr(500_000), text="Til overs"
    )

    assert (entry.kind, entry.pool, entry.target) == (EntryKind.RETURN, tree.band2, tree.bl_pool)
    assert balance(tree.band2) == PoolBalance(budget=kr(3_000_000))
    parent = balance(tree.bl_pool)
    assert parent == PoolBalance(budget=kr(15_000_000), delegated=kr(14_500_000))
    assert parent.available == kr(500_000)
    event = AuditEvent.objects.get(object_type="ledger.entry", object_id=str(entry.pk))
    assert event.action == "ledger.return"
    assert find_ledger_discrepancies() == []


def test_committed_money_never_moves(tree: Tree, bl_user: User) -> None:
    grant = GrantAccountFactory(pool=tree.band1)
    commit(actor=None, grant=grant, amount_ore=kr(1_450_000))
    counts = _counts()

    for to in (tree.band2, tree.bl_pool):
        with pytest.raises(LedgerError) as error:
            transfer(actor=bl_user, pool=tree.band1, to=to, amount_ore=kr(50_001))
        assert error.value.code == "insufficient_funds"
        assert error.value.message == (
            "“Ramme 1” does not have 50.001 kr. available: it has 50.000 kr., 1 kr. too little."
        )

    assert _counts() == counts
    assert balance(tree.band1) == PoolBalance(budget=kr(1_500_000), committed=kr(1_450_000))
    # All that is not committed may move: the band is left with exactly its commitments.
    transfer(actor=bl_user, pool=tree.band1, to=tree.band2, amount_ore=kr(50_000))
    assert balance(tree.band1).available == 0
    assert find_ledger_discrepancies() == []


def test_money_passed_on_further_down_does_not_move_either(tree: Tree, ministry_user: User) -> None:
    # BL's pool has passed on all of its 15 mio. to its bands.
    with pytest.raises(LedgerError) as error:
        transfer(actor=ministry_user, pool=tree.bl_pool, to=tree.slks_pool, amount_ore=kr(1))
    assert error.value.code == "insufficient_funds"
    assert balance(tree.bl_pool) == PoolBalance(budget=kr(15_000_000), delegated=kr(15_000_000))


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("band1", "band1"),  # itself
        ("band1", "slks_pool"),  # a cousin
        ("band1", "root"),  # the grandparent
        ("bl_pool", "band1"),  # its own child: that is a delegation
    ],
)
def test_money_moves_only_to_a_sibling_or_the_parent(tree: Tree, source: str, target: str) -> None:
    superuser = UserFactory(is_superuser=True)
    counts = _counts()

    with pytest.raises(LedgerError) as error:
        transfer(
            actor=superuser,
            pool=getattr(tree, source),
            to=getattr(tree, target),
            amount_ore=kr(1),
        )

    assert error.value.code == "not_sibling"
    parent = getattr(tree, source).parent.name
    assert error.value.message == (
        f"Money can move from “{getattr(tree, source).name}” only to another sub-pool of "
        f"“{parent}” or back to “{parent}”, not to “{getattr(tree, target).name}”."
    )
    assert _counts() == counts


def test_a_top_pool_has_nowhere_to_move_money(tree: Tree, ministry_user: User) -> None:
    with pytest.raises(LedgerError) as error:
        transfer(actor=ministry_user, pool=tree.root, to=tree.bl_pool, amount_ore=kr(1))
    assert (error.value.code, error.value.message) == (
        "not_sibling",
        "“Pulje mod ensomhed” is a top pool: there is no pool above it to move money to.",
    )


def test_only_the_parents_secretariat_moves_money(
    tree: Tree, bl_user: User, ministry_user: User
) -> None:
    outsider = UserFactory()
    counts = _counts()
    cases: list[tuple[User, Pool, Pool]] = [
        # The ministry oversees BL's bands but does not manage BL's pool.
        (ministry_user, tree.band1, tree.band2),
        (outsider, tree.band1, tree.band2),
        # BL may not give the ministry's money back up, nor move it to SLKS.
        (bl_user, tree.bl_pool, tree.root),
        (bl_user, tree.bl_pool, tree.slks_pool),
    ]
    for actor, pool, to in cases:
        with pytest.raises(LedgerError) as error:
            transfer(actor=actor, pool=pool, to=to, amount_ore=kr(1))
        assert error.value.code == "not_manager"
        assert pool.parent is not None
        assert error.value.message == (
            f"Only the secretariat of “{pool.parent.name}” may move money between its "
            f"sub-pools or back to it."
        )
    assert _counts() == counts
    # The ministry, which delegated to BL, may take uncommitted money back.
    taken_back = transfer(actor=ministry_user, pool=tree.slks_pool, to=tree.root, amount_ore=1)
    assert taken_back.kind == EntryKind.RETURN


def test_the_same_key_moves_the_money_once(tree: Tree, bl_user: User) -> None:
    first = transfer(
        actor=bl_user, pool=tree.band1, to=tree.band2, amount_ore=kr(10), text="x", key="t:1"
    )
    again = transfer(
        actor=bl_user, pool=tree.band1, to=tree.band2, amount_ore=kr(10), text="x", key="t:1"
    )

    assert again == first
    assert balance(tree.band1).budget == kr(1_499_990)
    with pytest.raises(LedgerError) as error:
        transfer(actor=bl_user, pool=tree.band1, to=tree.band3, amount_ore=kr(10), key="t:1")
    assert error.value.code == "key_reused"


def test_a_move_can_be_reversed_unless_the_money_is_spent_since(tree: Tree, bl_user: User) -> None:
    moved = transfer(actor=bl_user, pool=tree.band1, to=tree.band2, amount_ore=kr(100_000))
    returned = transfer(actor=bl_user, pool=tree.band3, to=tree.bl_pool, amount_ore=kr(200_000))
    commit(actor=None, grant=GrantAccountFactory(pool=tree.bl_pool), amount_ore=kr(150_000))

    reverse(actor=bl_user, entry=moved, text="Fejl")
    with pytest.raises(LedgerError) as error:
        reverse(actor=bl_user, entry=returned, text="Fejl")

    assert error.value.code == "insufficient_funds"
    assert balance(tree.band1).budget == kr(1_500_000)
    assert balance(tree.band2).budget == kr(3_500_000)
    assert balance(tree.band3).budget == kr(9_800_000)
    assert find_ledger_discrepancies() == []


def test_the_plan_shows_both_sides_before_and_after_and_writes_nothing(
    tree: Tree, bl_user: User
) -> None:
    commit(actor=None, grant=GrantAccountFactory(pool=tree.band1), amount_ore=kr(400_000))
    counts = _counts()

    plan = plan_transfer(actor=bl_user, pool=tree.band1, to=tree.band3, amount_ore=kr(100_000))

    assert plan.kind == Kind.TRANSFER
    assert (plan.before.available, plan.after.available) == (kr(1_100_000), kr(1_000_000))
    assert (plan.to_before.available, plan.to_after.available) == (kr(10_000_000), kr(10_100_000))
    assert plan.after.committed == kr(400_000)
    back = plan_transfer(actor=bl_user, pool=tree.band1, to=tree.bl_pool, amount_ore=kr(1))
    assert (back.kind, back.to_before.available, back.to_after.available) == (
        Kind.RETURN,
        0,
        kr(1),
    )
    assert _counts() == counts
    for amount, code in [(kr(1_100_001), "insufficient_funds"), (0, "invalid_amount")]:
        with pytest.raises(LedgerError) as error:
            plan_transfer(actor=bl_user, pool=tree.band1, to=tree.band3, amount_ore=amount)
        assert error.value.code == code


def test_check_ledger_finds_a_transfer_or_return_of_the_wrong_shape(tree: Tree) -> None:
    Entry.objects.bulk_create(
        [
            Entry(kind=EntryKind.TRANSFER, amount_ore=1, pool=tree.band1, target=tree.slks_pool),
            Entry(kind=EntryKind.TRANSFER, amount_ore=1, pool=tree.root, target=tree.bl_pool),
            Entry(kind=EntryKind.RETURN, amount_ore=1, pool=tree.band1, target=tree.root),
        ]
    )
    cousin, top, grandparent = Entry.objects.order_by("-pk")[:3][::-1]
    shapes = {(p.subject, p.figure, p.message) for p in find_ledger_discrepancies()}
    assert {
        (f"entry {cousin.pk}", "target", "transfer to a pool that is not a sibling"),
        (f"entry {top.pk}", "target", "transfer to a pool that is not a sibling"),
        (f"entry {grandparent.pk}", "target", "return to a pool that is not the parent"),
    } <= shapes


def test_only_who_could_make_an_entry_may_reverse_it(
    tree: Tree, bl_user: User, ministry_user: User
) -> None:
    moved = transfer(actor=bl_user, pool=tree.band1, to=tree.band2, amount_ore=kr(100_000))
    strangers = (UserFactory(), ministry_user)
    before = _counts()

    for stranger in strangers:
        with pytest.raises(PermissionDenied):
            reverse(actor=stranger, entry=moved, text="Fejl")

    assert _counts() == before
    assert balance(tree.band2).budget == kr(3_600_000)
    reverse(actor=bl_user, entry=moved, text="Fejl")
    assert balance(tree.band2).budget == kr(3_500_000)
