"""Balances of a pool tree: each pool's own figures and the totals of its subtree."""

from dataclasses import dataclass

import pytest
from pytest_django import DjangoAssertNumQueries

from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.balances import PoolBalance
from pulje.ledger.selectors import PoolNode, build_tree, subtrees
from pulje.ledger.services import appropriate, commit, delegate, pay, recover
from pulje.registry.models import Organisation
from tests.factories import GrantAccountFactory, OrganisationFactory, PoolFactory

pytestmark = pytest.mark.django_db


@dataclass
class Pools:
    root: Pool
    a: Pool
    b: Pool
    a1: Pool
    a2: Pool
    b1: Pool


def _grant(
    pool: Pool, recipient: Organisation, *, committed: int, paid: int = 0, recovered: int = 0
) -> None:
    grant = GrantAccountFactory(pool=pool, recipient=recipient)
    commit(actor=None, grant=grant, amount_ore=kr(committed))
    if paid:
        pay(actor=None, grant=grant, amount_ore=kr(paid))
    if recovered:
        recover(actor=None, grant=grant, amount_ore=kr(recovered))


@pytest.fixture
def pools() -> Pools:
    """root 1 mio. → a 400.000 (→ a1 100.000, a2 150.000), b 300.000 (→ b1 200.000).

    Created b before a, and b1 before the a's, so creation order is not display order.
    """
    funder = OrganisationFactory()
    recipient = OrganisationFactory()
    root = PoolFactory(code="r", name="Top", administrator=funder)
    b = PoolFactory(code="b", parent=root, administrator=funder)
    a = PoolFactory(code="a", parent=root, administrator=funder)
    b1 = PoolFactory(code="b1", parent=b, administrator=funder)
    a2 = PoolFactory(code="a2", parent=a, administrator=funder)
    a1 = PoolFactory(code="a1", parent=a, administrator=funder)
    appropriate(actor=None, pool=root, amount_ore=kr(1_000_000))
    delegate(actor=None, pool=root, to=a, amount_ore=kr(400_000))
    delegate(actor=None, pool=root, to=b, amount_ore=kr(300_000))
    delegate(actor=None, pool=a, to=a1, amount_ore=kr(100_000))
    delegate(actor=None, pool=a, to=a2, amount_ore=kr(150_000))
    delegate(actor=None, pool=b, to=b1, amount_ore=kr(200_000))
    _grant(root, recipient, committed=100_000, paid=60_000, recovered=25_000)
    _grant(b, recipient, committed=30_000)
    _grant(a1, recipient, committed=60_000, paid=40_000, recovered=10_000)
    _grant(a2, recipient, committed=150_000, paid=150_000)
    _grant(b1, recipient, committed=20_000, paid=20_000, recovered=5_000)
    _grant(b1, recipient, committed=30_000)
    return Pools(root=root, a=a, b=b, a1=a1, a2=a2, b1=b1)


def _balance(
    budget: int, delegated: int = 0, committed: int = 0, paid: int = 0, recovered: int = 0
) -> PoolBalance:
    return PoolBalance(
        budget=kr(budget),
        delegated=kr(delegated),
        committed=kr(committed),
        paid=kr(paid),
        recovered=kr(recovered),
    )


def _by_code(nodes: list[PoolNode]) -> dict[str, PoolNode]:
    return {node.pool.code: node for node in nodes}


def test_subtrees_gives_each_pools_own_balance(pools: Pools) -> None:
    nodes = _by_code(subtrees([pools.root]))

    assert {code: node.balance for code, node in nodes.items()} == {
        "r": _balance(1_000_000, 700_000, 100_000, 60_000, 25_000),
        "a": _balance(400_000, 250_000),
        "a1": _balance(100_000, 0, 60_000, 40_000, 10_000),
        "a2": _balance(150_000, 0, 150_000, 150_000),
        "b": _balance(300_000, 200_000, 30_000),
        "b1": _balance(200_000, 0, 50_000, 20_000, 5_000),
    }
    assert {code: node.balance.available for code, node in nodes.items()} == {
        "r": kr(225_000),
        "a": kr(150_000),
        "a1": kr(50_000),
        "a2": 0,
        "b": kr(70_000),
        "b1": kr(155_000),
    }


def test_subtrees_totals_each_subtree(pools: Pools) -> None:
    nodes = _by_code(subtrees([pools.root]))

    # A subtree's budget is its top's; money delegated inside it is not counted again.
    assert {code: node.subtree for code, node in nodes.items()} == {
        "r": _balance(1_000_000, 0, 390_000, 270_000, 40_000),
        "a": _balance(400_000, 0, 210_000, 190_000, 10_000),
        "a1": _balance(100_000, 0, 60_000, 40_000, 10_000),
        "a2": _balance(150_000, 0, 150_000, 150_000),
        "b": _balance(300_000, 0, 80_000, 20_000, 5_000),
        "b1": _balance(200_000, 0, 50_000, 20_000, 5_000),
    }


def test_subtree_available_is_the_sum_of_available_at_every_level(pools: Pools) -> None:
    nodes = subtrees([pools.root])
    by_code = _by_code(nodes)

    assert by_code["r"].subtree.available == sum(node.balance.available for node in nodes)
    assert by_code["r"].subtree.available == kr(650_000)
    assert by_code["r"].subtree.budget == by_code["r"].balance.budget
    assert by_code["a"].subtree.available == sum(
        by_code[code].balance.available for code in ["a", "a1", "a2"]
    )
    assert by_code["b"].subtree.available == kr(225_000)


def test_subtrees_depth_first_by_code(pools: Pools) -> None:
    nodes = subtrees([pools.root])

    assert [node.pool.code for node in nodes] == ["r", "a", "a1", "a2", "b", "b1"]
    assert [child.pool.code for child in nodes[0].children] == ["a", "b"]
    assert [child.pool.code for child in nodes[1].children] == ["a1", "a2"]


def test_subtrees_of_an_inner_pool_leave_out_the_rest_of_the_tree(pools: Pools) -> None:
    nodes = subtrees([pools.b])

    assert [node.pool.code for node in nodes] == ["b", "b1"]
    assert nodes[0].subtree == _balance(300_000, 0, 80_000, 20_000, 5_000)


def test_subtrees_of_several_tops_in_order(pools: Pools) -> None:
    other = PoolFactory(code="x")
    appropriate(actor=None, pool=other, amount_ore=kr(5))

    nodes = subtrees([pools.b, other, pools.a2])

    # In the order the trees' pools are displayed, each top followed by its subtree.
    assert [node.pool.code for node in nodes] == ["a2", "b", "b1", "x"]
    assert _by_code(nodes)["x"].subtree == _balance(5)


def test_build_tree_from_any_set_of_pools(pools: Pools) -> None:
    nodes = build_tree(Pool.objects.filter(code__in=["a", "a1", "b1"]).select_related("account"))

    # b1's parent is not in the set, so b1 is a top of its own.
    assert [(node.pool.code, [c.pool.code for c in node.children]) for node in nodes] == [
        ("a", ["a1"]),
        ("a1", []),
        ("b1", []),
    ]
    assert _by_code(nodes)["a"].subtree == _balance(400_000, 0, 60_000, 40_000, 10_000)


def _tree_of(size: int) -> Pool:
    """A top pool, three pools under it and the rest spread under those, all with money."""
    funder = OrganisationFactory()
    recipient = OrganisationFactory()
    top = PoolFactory(administrator=funder)
    appropriate(actor=None, pool=top, amount_ore=kr(1_000_000))
    middles: list[Pool] = []
    for number in range(size - 1):
        parent = top if number < 3 else middles[number % 3]
        pool = PoolFactory(administrator=funder, parent=parent)
        delegate(actor=None, pool=parent, to=pool, amount_ore=kr(100_000 if number < 3 else 1_000))
        _grant(pool, recipient, committed=10, paid=5, recovered=1)
        if number < 3:
            middles.append(pool)
    return top


@pytest.mark.parametrize("size", [4, 40])
def test_subtrees_in_one_query_whatever_the_size(
    size: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    top = _tree_of(size)

    with django_assert_num_queries(1):
        nodes = subtrees([top])

    assert len(nodes) == size
    assert nodes[0].subtree.available == sum(node.balance.available for node in nodes)


@pytest.mark.parametrize("size", [4, 40])
def test_build_tree_runs_no_queries_of_its_own(
    size: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    _tree_of(size)
    pools = list(Pool.objects.select_related("account"))

    with django_assert_num_queries(0):
        nodes = build_tree(pools)

    assert len(nodes) == size
