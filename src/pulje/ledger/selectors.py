"""Reads of the ledger: balances of a pool tree, entries, and the full consistency check."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, F, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce

from pulje.funds.models import Pool
from pulje.ledger.balances import EFFECTS, GrantBalance, Kind, PoolBalance
from pulje.ledger.models import Entry, GrantAccount, PoolAccount


@dataclass
class PoolNode:
    """A pool with its own balance and the totals of its whole subtree (itself included).

    ``level`` counts from the top of what was asked for (0), not from the top of the tree.
    """

    pool: Pool
    balance: PoolBalance
    level: int = 0
    subtree: PoolBalance = field(default_factory=PoolBalance)
    children: list["PoolNode"] = field(default_factory=list)

    @property
    def available_below(self) -> int:
        """What the sub-pools have available, all levels down."""
        return self.subtree.available - self.balance.available


def subtrees(tops: list[Pool]) -> list[PoolNode]:
    """The subtrees under each of ``tops``, in display order (depth-first), with their totals.

    One query, however many pools: the trees are loaded whole and cut in Python.
    """
    tree_ids = {top.root_id or top.pk for top in tops}
    pools = Pool.objects.filter(Q(pk__in=tree_ids) | Q(root_id__in=tree_ids)).select_related(
        "account", "administrator"
    )
    nodes = build_tree(pools)
    wanted = {top.pk for top in tops}
    selected: list[PoolNode] = []
    for node in nodes:
        if node.pool.pk in wanted:
            selected.extend(_flatten(node, level=0))
    return selected


def _flatten(node: PoolNode, *, level: int) -> list[PoolNode]:
    node.level = level
    return [node, *(n for child in node.children for n in _flatten(child, level=level + 1))]


def build_tree(pools: Iterable[Pool]) -> list[PoolNode]:
    """Nodes for ``pools`` (each with its ``account`` loaded), depth-first from the top pools.

    A subtree's ``budget`` is its top pool's, and nothing is delegated out of it: money moved
    inside the subtree is not counted twice. Its committed, paid and recovered are sums, so
    its ``available`` is what is available at all its levels together.
    """
    nodes = {pool.pk: PoolNode(pool=pool, balance=pool.account.balance) for pool in pools}
    tops: list[PoolNode] = []
    for node in nodes.values():
        parent = nodes.get(node.pool.parent_id) if node.pool.parent_id else None
        (parent.children if parent else tops).append(node)
    ordered: list[PoolNode] = []

    def visit(node: PoolNode) -> PoolBalance:
        ordered.append(node)
        node.children.sort(key=lambda child: child.pool.code)
        total = PoolBalance(
            committed=node.balance.committed,
            paid=node.balance.paid,
            recovered=node.balance.recovered,
        )
        for child in node.children:
            total = total + visit(child)
        node.subtree = PoolBalance(
            budget=node.balance.budget,
            committed=total.committed,
            paid=total.paid,
            recovered=total.recovered,
        )
        return total

    for top in sorted(tops, key=lambda node: node.pool.code):
        visit(top)
    return ordered


def entries_for_pool(pool: Pool) -> QuerySet[Entry]:
    """Entries that moved money in or out of ``pool``, newest first."""
    return (
        (Entry.objects.filter(pool=pool) | Entry.objects.filter(target=pool))
        .select_related("pool", "target", "grant", "created_by", "reverses")
        .order_by("-id")
    )


def _signed_sums(group_by: str) -> dict[tuple[int, str], int]:
    rows = (
        Entry.objects.filter(**{f"{group_by}__isnull": False})
        .values(group_by, "kind")
        .annotate(
            total=Coalesce(
                Sum(
                    Case(
                        When(reverses__isnull=True, then=F("amount_ore")), default=-F("amount_ore")
                    )
                ),
                0,
            )
        )
    )
    return {(row[group_by], row["kind"]): row["total"] for row in rows}


def recompute_balances() -> tuple[dict[int, PoolBalance], dict[int, GrantBalance]]:
    """Every pool's and grant's balance as the entries say it should be (three queries)."""
    pools: dict[int, PoolBalance] = defaultdict(PoolBalance)
    grants: dict[int, GrantBalance] = defaultdict(GrantBalance)
    sums = {
        "pool": _signed_sums("pool"),
        "target": _signed_sums("target"),
        "grant": _signed_sums("grant"),
    }
    for side, by_key in sums.items():
        for (account_id, kind), total in by_key.items():
            for effect_side, figure, direction in EFFECTS[Kind(kind)]:
                if effect_side != side:
                    continue
                if side == "grant":
                    grants[account_id] = grants[account_id].moved(figure, direction * total)
                else:
                    pools[account_id] = pools[account_id].moved(figure, direction * total)
    return dict(pools), dict(grants)


@dataclass(frozen=True)
class Discrepancy:
    subject: str
    figure: str
    stored: int | None
    expected: int | None
    message: str


def find_ledger_discrepancies() -> list[Discrepancy]:
    """Everything that is wrong with the ledger: stored balances that differ from the entries,
    broken invariants, tree sums that disagree and entries of an impossible shape."""
    found: list[Discrepancy] = []
    expected_pools, expected_grants = recompute_balances()
    accounts = PoolAccount.objects.select_related("pool").order_by("pool_id")
    by_pool = {account.pool_id: account for account in accounts}
    for account in by_pool.values():
        subject = f"pool “{account.pool.name}” (id {account.pool_id})"
        found += _compare(
            subject, account.balance, expected_pools.pop(account.pool_id, PoolBalance())
        )
        found += [
            Discrepancy(subject, str(v), None, None, f"invariant broken: {v}")
            for v in account.balance.violations()
        ]
    for pool_id in expected_pools:
        found.append(
            Discrepancy(f"pool id {pool_id}", "account", None, None, "has entries but no account")
        )

    grant_committed: dict[int, int] = defaultdict(int)
    grant_paid: dict[int, int] = defaultdict(int)
    grant_recovered: dict[int, int] = defaultdict(int)
    for grant in GrantAccount.objects.order_by("pk"):
        subject = f"grant “{grant.reference}” (id {grant.pk})"
        found += _compare(subject, grant.balance, expected_grants.get(grant.pk, GrantBalance()))
        found += [
            Discrepancy(subject, str(v), None, None, f"invariant broken: {v}")
            for v in grant.balance.violations()
        ]
        grant_committed[grant.pool_id] += grant.committed_ore
        grant_paid[grant.pool_id] += grant.paid_ore
        grant_recovered[grant.pool_id] += grant.recovered_ore

    children_budget: dict[int, int] = defaultdict(int)
    for account in by_pool.values():
        if account.pool.parent_id is not None:
            children_budget[account.pool.parent_id] += account.budget_ore
    for pool_id, account in by_pool.items():
        subject = f"pool “{account.pool.name}” (id {pool_id})"
        pairs = [
            (
                "delegated",
                account.delegated_ore,
                children_budget[pool_id],
                "differs from the sum of its sub-pools' budgets",
            ),
            (
                "committed",
                account.committed_ore,
                grant_committed[pool_id],
                "differs from the sum committed to its grants",
            ),
            (
                "paid",
                account.paid_ore,
                grant_paid[pool_id],
                "differs from the sum paid on its grants",
            ),
            (
                "recovered",
                account.recovered_ore,
                grant_recovered[pool_id],
                "differs from the sum recovered on its grants",
            ),
        ]
        found += [
            Discrepancy(subject, figure, stored, expected, message)
            for figure, stored, expected, message in pairs
            if stored != expected
        ]
    found += _misshapen_entries()
    return found


def _compare(subject: str, stored: GrantBalance, expected: GrantBalance) -> list[Discrepancy]:
    return [
        Discrepancy(
            subject,
            name,
            getattr(stored, name),
            getattr(expected, name),
            "stored balance differs from the entries",
        )
        for name in vars(stored)
        if getattr(stored, name) != getattr(expected, name)
    ]


def _same_or_both_empty(field: str) -> Q:
    return Q(**{field: F(f"reverses__{field}")}) | Q(
        **{f"{field}__isnull": True, f"reverses__{field}__isnull": True}
    )


def _misshapen_entries() -> list[Discrepancy]:
    """Entries whose shape the services would never write; each question asked in SQL, so only
    the bad rows come back."""
    mirrors = (
        Q(reverses__reverses__isnull=True, kind=F("reverses__kind"))
        & Q(amount_ore=F("reverses__amount_ore"), pool_id=F("reverses__pool_id"))
        & Q(release_reason=F("reverses__release_reason"))
        & _same_or_both_empty("target_id")
        & _same_or_both_empty("grant_id")
    )
    checks = [
        (
            Entry.objects.filter(kind=Kind.APPROPRIATION, pool__parent__isnull=False),
            "pool",
            "appropriation to a pool that is not a top pool",
        ),
        (
            Entry.objects.filter(kind=Kind.DELEGATION).exclude(target__parent_id=F("pool_id")),
            "target",
            "delegation to a pool that is not a sub-pool",
        ),
        (
            Entry.objects.filter(kind=Kind.TRANSFER).exclude(
                pool__parent__isnull=False, target__parent_id=F("pool__parent_id")
            ),
            "target",
            "transfer to a pool that is not a sibling",
        ),
        (
            Entry.objects.filter(kind=Kind.RETURN).exclude(target_id=F("pool__parent_id")),
            "target",
            "return to a pool that is not the parent",
        ),
        (
            Entry.objects.filter(grant__isnull=False).exclude(grant__pool_id=F("pool_id")),
            "grant",
            "posted to another pool than its grant's",
        ),
        (
            Entry.objects.filter(reverses__isnull=False).exclude(mirrors),
            "reverses",
            "does not mirror the entry it reverses ({reverses})",
        ),
    ]
    return [
        Discrepancy(
            f"entry {entry.pk}", figure, None, None, message.format(reverses=entry.reverses_id)
        )
        for entries, figure, message in checks
        for entry in entries.only("pk", "reverses_id").order_by("pk")
    ]
