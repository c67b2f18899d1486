import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pulje.core.money import kr
from pulje.ledger.balances import GrantBalance, PoolBalance
from pulje.ledger.models import Entry, EntryKind, GrantAccount, PoolAccount, ReleaseReason
from pulje.ledger.selectors import find_ledger_discrepancies, recompute_balances
from pulje.ledger.services import appropriate, commit, delegate, pay, recover, release, reverse
from tests.ledger.helpers import Tree, balance, funded_tree, grant_on

pytestmark = [pytest.mark.django_db]


def _busy_tree() -> tuple[Tree, GrantAccount]:
    tree = funded_tree()
    grant = grant_on(tree.band)
    commit(actor=None, grant=grant, amount_ore=kr(300))
    pay(actor=None, grant=grant, amount_ore=kr(200))
    recover(actor=None, grant=grant, amount_ore=kr(20))
    release(actor=None, grant=grant, amount_ore=kr(50), reason=ReleaseReason.REDUCED)
    wrong = commit(actor=None, grant=grant_on(tree.band), amount_ore=kr(40))
    reverse(actor=None, entry=wrong, text="Wrong grant")
    return tree, grant


def test_recomputed_balances_equal_the_stored_ones() -> None:
    tree, grant = _busy_tree()
    pools, grants = recompute_balances()
    assert {pool: pools[pool.pk] for pool in (tree.root, tree.part, tree.band)} == {
        tree.root: PoolBalance(budget=kr(1_000), delegated=kr(600)),
        tree.part: PoolBalance(budget=kr(600), delegated=kr(400)),
        tree.band: PoolBalance(budget=kr(400), committed=kr(250), paid=kr(200), recovered=kr(20)),
    }
    assert grants[grant.pk] == GrantBalance(committed=kr(250), paid=kr(200), recovered=kr(20))
    for account in PoolAccount.objects.all():
        assert pools[account.pool_id] == account.balance


def test_check_ledger_passes_on_a_consistent_ledger(capsys: pytest.CaptureFixture[str]) -> None:
    _busy_tree()
    call_command("check_ledger")
    assert capsys.readouterr().out == "The ledger is consistent.\n"


def test_check_ledger_names_the_pool_and_figure_of_a_wrong_stored_balance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tree, _grant = _busy_tree()
    band = tree.band
    PoolAccount.objects.filter(pool=band).update(committed_ore=kr(249))
    with pytest.raises(CommandError, match=r"The ledger has 2 problem\(s\)\."):
        call_command("check_ledger")
    assert capsys.readouterr().err == (
        f"pool “{band.name}” (id {band.pk}), committed stored balance differs from the "
        "entries: stored 249 kr., entries say 250 kr.\n"
        f"pool “{band.name}” (id {band.pk}), committed differs from the sum committed to its "
        "grants: stored 249 kr., entries say 250 kr.\n"
    )


def test_check_ledger_finds_a_tree_whose_sums_disagree() -> None:
    tree = funded_tree()
    PoolAccount.objects.filter(pool=tree.band).update(budget_ore=kr(401))
    problems = {(p.subject, p.figure, p.stored, p.expected) for p in find_ledger_discrepancies()}
    band = f"pool “{tree.band.name}” (id {tree.band.pk})"
    part = f"pool “{tree.part.name}” (id {tree.part.pk})"
    assert problems == {
        (band, "budget", kr(401), kr(400)),
        (part, "delegated", kr(400), kr(401)),
    }


def test_check_ledger_finds_a_grant_whose_stored_balance_is_wrong() -> None:
    _tree, grant = _busy_tree()
    GrantAccount.objects.filter(pk=grant.pk).update(paid_ore=kr(199))
    problems = [(p.subject, p.figure) for p in find_ledger_discrepancies()]
    assert (f"grant “{grant.reference}” (id {grant.pk})", "paid") in problems


def test_check_ledger_finds_entries_written_around_the_services() -> None:
    """An entry inserted without the service (no balance update) is caught both ways."""
    tree = funded_tree()
    Entry.objects.bulk_create(
        [Entry(kind=EntryKind.APPROPRIATION, amount_ore=kr(5), pool=tree.part)]
    )
    problems = {(p.subject, p.figure, p.message) for p in find_ledger_discrepancies()}
    part = f"pool “{tree.part.name}” (id {tree.part.pk})"
    entry = Entry.objects.get(pool=tree.part, kind=EntryKind.APPROPRIATION)
    assert problems == {
        (part, "budget", "stored balance differs from the entries"),
        (f"entry {entry.pk}", "pool", "appropriation to a pool that is not a top pool"),
    }
    assert balance(tree.part).budget == kr(600)


def test_check_ledger_finds_a_reversal_that_does_not_mirror_its_entry() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    original = commit(actor=None, grant=grant, amount_ore=kr(10))
    Entry.objects.bulk_create(
        [
            Entry(
                kind=EntryKind.COMMITMENT,
                amount_ore=kr(9),
                pool=tree.band,
                grant=grant,
                reverses=original,
            )
        ]
    )
    messages = {p.message for p in find_ledger_discrepancies()}
    assert f"does not mirror the entry it reverses ({original.pk})" in messages


def test_check_ledger_finds_a_delegation_to_a_pool_that_is_not_a_child() -> None:
    tree = funded_tree()
    Entry.objects.bulk_create(
        [Entry(kind=EntryKind.DELEGATION, amount_ore=kr(1), pool=tree.root, target=tree.band)]
    )
    entry = Entry.objects.get(pool=tree.root, target=tree.band)
    shapes = {(p.subject, p.figure, p.message) for p in find_ledger_discrepancies()}
    assert (f"entry {entry.pk}", "target", "delegation to a pool that is not a sub-pool") in shapes


def test_check_ledger_finds_a_grant_entry_on_another_pool_than_the_grants() -> None:
    tree = funded_tree()
    grant = grant_on(tree.band)
    Entry.objects.bulk_create(
        [Entry(kind=EntryKind.COMMITMENT, amount_ore=kr(1), pool=tree.part, grant=grant)]
    )
    entry = Entry.objects.get(pool=tree.part, grant=grant)
    shapes = {(p.subject, p.figure, p.message) for p in find_ledger_discrepancies()}
    assert (f"entry {entry.pk}", "grant", "posted to another pool than its grant's") in shapes


def test_check_ledger_finds_a_reversal_of_a_reversal() -> None:
    tree = funded_tree()
    original = commit(actor=None, grant=grant_on(tree.band), amount_ore=kr(10))
    correction = reverse(actor=None, entry=original, text="Wrong")
    Entry.objects.bulk_create(
        [
            Entry(
                kind=EntryKind.COMMITMENT,
                amount_ore=kr(10),
                pool=tree.band,
                grant=original.grant,
                reverses=correction,
            )
        ]
    )
    messages = [p.message for p in find_ledger_discrepancies() if p.figure == "reverses"]
    assert messages == [f"does not mirror the entry it reverses ({correction.pk})"]


def test_correct_reversals_of_every_kind_are_not_reported() -> None:
    """Reversals with empty target or grant (appropriation, delegation) mirror their entries."""
    tree = funded_tree(band_kr=0)
    grant = grant_on(tree.part)
    for entry in (
        appropriate(actor=None, pool=tree.root, amount_ore=kr(5)),
        delegate(actor=None, pool=tree.part, to=tree.band, amount_ore=kr(5)),
        commit(actor=None, grant=grant, amount_ore=kr(5)),
    ):
        reverse(actor=None, entry=entry, text="Correction")
    assert find_ledger_discrepancies() == []
