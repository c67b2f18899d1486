import datetime as dt

import pytest
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.core.money import kr
from pulje.funds.models import Pool, ReportingRequirement
from pulje.funds.selectors import (
    ancestors,
    effective_spend_by,
    highest_visible_pools,
    pools_of,
    reporting_requirement,
)
from pulje.funds.services import set_reporting_rules, update_pool
from pulje.registry.services.memberships import add_membership
from tests.factories import OrganisationFactory, PoolFactory, UserFactory
from tests.factories.funds import Tree

pytestmark = pytest.mark.django_db


def test_ancestors_nearest_first(tree: Tree) -> None:
    assert ancestors(tree.band2) == [tree.bl_pool, tree.root]
    assert ancestors(tree.bl_pool) == [tree.root]
    assert ancestors(tree.root) == []


def test_ancestors_in_one_query(
    tree: Tree, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    deep = PoolFactory(code="deep", parent=tree.band1, administrator=tree.bl)

    with django_assert_num_queries(1):
        chain = ancestors(deep)

    assert chain == [tree.band1, tree.bl_pool, tree.root]


def test_effective_spend_by_inherited_from_nearest_pool_that_sets_it(tree: Tree) -> None:
    update_pool(actor=None, pool=tree.root, spend_by=dt.date(2021, 12, 31))
    update_pool(actor=None, pool=tree.bl_pool, spend_by=dt.date(2021, 6, 30))

    assert effective_spend_by(tree.band1) == dt.date(2021, 6, 30)
    assert effective_spend_by(tree.bl_pool) == dt.date(2021, 6, 30)
    assert effective_spend_by(tree.slks_pool) == dt.date(2021, 12, 31)
    assert effective_spend_by(tree.root) == dt.date(2021, 12, 31)


def test_effective_spend_by_own_date_wins_over_ancestors(tree: Tree) -> None:
    update_pool(actor=None, pool=tree.bl_pool, spend_by=dt.date(2021, 6, 30))
    update_pool(actor=None, pool=tree.band3, spend_by=dt.date(2021, 3, 31))

    assert effective_spend_by(tree.band3) == dt.date(2021, 3, 31)
    assert effective_spend_by(tree.band2) == dt.date(2021, 6, 30)


def test_effective_spend_by_none_when_no_pool_sets_one(tree: Tree) -> None:
    assert effective_spend_by(tree.band1) is None


@pytest.mark.parametrize(
    ("amount_ore", "expected"),
    [
        (kr(10_000), ReportingRequirement.DECLARATION),
        (kr(100_000), ReportingRequirement.DECLARATION),
        (kr(100_000) + 1, ReportingRequirement.ACCOUNTS),
        (kr(500_000), ReportingRequirement.ACCOUNTS),
        (kr(500_000) + 1, ReportingRequirement.AUDITED),
        (kr(1_000_000), ReportingRequirement.AUDITED),
    ],
)
def test_reporting_requirement_by_amount(
    tree: Tree, amount_ore: int, expected: ReportingRequirement
) -> None:
    # SLKS: up to 100.000 kr. a declaration, up to 500.000 kr. accounts, above that audited.
    set_reporting_rules(
        actor=None,
        pool=tree.root,
        rules=[
            (0, ReportingRequirement.DECLARATION),
            (kr(100_000) + 1, ReportingRequirement.ACCOUNTS),
            (kr(500_000) + 1, ReportingRequirement.AUDITED),
        ],
    )

    assert reporting_requirement(tree.band3, amount_ore) == expected


def test_reporting_requirement_from_nearest_pool_that_has_rules(tree: Tree) -> None:
    set_reporting_rules(
        actor=None,
        pool=tree.root,
        rules=[(0, ReportingRequirement.DECLARATION), (kr(100_001), ReportingRequirement.ACCOUNTS)],
    )
    set_reporting_rules(
        actor=None,
        pool=tree.bl_pool,
        rules=[(0, ReportingRequirement.DECLARATION), (kr(50_000), ReportingRequirement.AUDITED)],
    )

    # The bands have no rules of their own: BL's apply, not the ministry's.
    assert reporting_requirement(tree.band1, kr(49_999)) == ReportingRequirement.DECLARATION
    assert reporting_requirement(tree.band2, kr(50_000)) == ReportingRequirement.AUDITED
    assert reporting_requirement(tree.band3, kr(200_000)) == ReportingRequirement.AUDITED
    # SLKS's part has none either: the ministry's apply.
    assert reporting_requirement(tree.slks_pool, kr(50_000)) == ReportingRequirement.DECLARATION
    assert reporting_requirement(tree.slks_pool, kr(200_000)) == ReportingRequirement.ACCOUNTS


def test_reporting_requirement_nearest_rules_are_not_mixed_with_ancestors(tree: Tree) -> None:
    set_reporting_rules(actor=None, pool=tree.root, rules=[(0, ReportingRequirement.AUDITED)])
    set_reporting_rules(
        actor=None, pool=tree.bl_pool, rules=[(kr(10_000), ReportingRequirement.DECLARATION)]
    )

    # BL's rules start at 10.000 kr.; below that nothing applies, not the ministry's rule.
    assert reporting_requirement(tree.band1, kr(9_999)) is None
    assert reporting_requirement(tree.band1, kr(10_000)) == ReportingRequirement.DECLARATION


def test_reporting_requirement_none_when_no_pool_has_rules(tree: Tree) -> None:
    assert reporting_requirement(tree.band2, kr(75_000)) is None


@pytest.mark.parametrize(
    ("amount_ore", "band"),
    [
        (kr(9_999), None),
        (kr(10_000), "bl-ramme-1"),
        (kr(49_999), "bl-ramme-1"),
        (kr(50_000), "bl-ramme-2"),
        (kr(99_999), "bl-ramme-2"),
        (kr(100_000), "bl-ramme-3"),
        (kr(1_000_000), "bl-ramme-3"),
        (kr(1_000_000) + 1, None),
    ],
)
def test_the_band_holding_an_amount_at_the_edges(
    tree: Tree, amount_ore: int, band: str | None
) -> None:
    found = [pool.code for pool in tree.bl_pool.children.all() if pool.holds(amount_ore)]

    assert found == ([band] if band else [])


def _codes(pools: list[Pool]) -> list[str]:
    return [pool.code for pool in pools]


def test_pools_of_the_funder_oversee_the_whole_tree_and_administer_its_top(
    tree: Tree, ministry_user: User, bl_user: User
) -> None:
    bl_part = {tree.bl_pool.pk, tree.band1.pk, tree.band2.pk, tree.band3.pk}
    assert pools_of(ministry_user) == ({tree.root.pk}, {p.pk for p in tree.pools})
    assert pools_of(bl_user) == (bl_part, bl_part)
    assert pools_of(UserFactory()) == (set(), set())


def test_highest_visible_pools_ministry_sees_the_top(tree: Tree, ministry_user: User) -> None:
    assert _codes(highest_visible_pools(ministry_user)) == ["ensomhed"]


def test_highest_visible_pools_bl_sees_only_its_part(tree: Tree, bl_user: User) -> None:
    # BL administers its part and its three bands; the bands are under BL's part.
    assert _codes(highest_visible_pools(bl_user)) == ["bl"]


def test_highest_visible_pools_member_of_two_organisations_in_one_tree(tree: Tree) -> None:
    siblings = UserFactory(organisation=tree.bl)
    add_membership(actor=None, user=siblings, organisation=tree.slks)
    above_and_below = UserFactory(organisation=tree.bl)
    add_membership(actor=None, user=above_and_below, organisation=tree.ministry)

    assert _codes(highest_visible_pools(siblings)) == ["bl", "slks"]
    assert _codes(highest_visible_pools(above_and_below)) == ["ensomhed"]


def test_highest_visible_pools_superuser_sees_every_top_pool(tree: Tree) -> None:
    other_top = PoolFactory(code="andet-trae")
    superuser = UserFactory(is_superuser=True, is_staff=True)

    assert highest_visible_pools(superuser) == [other_top, tree.root]


def test_highest_visible_pools_none_without_memberships(tree: Tree, applicant: User) -> None:
    assert highest_visible_pools(UserFactory()) == []
    assert highest_visible_pools(applicant) == []


def test_highest_visible_pools_across_trees(tree: Tree) -> None:
    other = OrganisationFactory()
    other_top = PoolFactory(code="andet-trae", administrator=other)
    PoolFactory(code="andet-barn", administrator=other, parent=other_top)
    user = UserFactory(organisation=other)
    add_membership(actor=None, user=user, organisation=tree.bl)

    assert _codes(highest_visible_pools(user)) == ["andet-trae", "bl"]


def test_highest_visible_pools_in_constant_queries(
    tree: Tree, bl_user: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(2):
        highest_visible_pools(bl_user)
