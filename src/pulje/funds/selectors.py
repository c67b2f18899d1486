"""Reads of the pool tree and its rules."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from pulje.accounts.models import User
from pulje.funds.models import Pool, ReportingRequirement, ReportingRule


def ancestors(pool: Pool) -> list[Pool]:
    """The pool's parents up to the top, nearest first (one query)."""
    if pool.root_id is None:
        return []
    tree = {p.pk: p for p in Pool.objects.filter(Q(pk=pool.root_id) | Q(root_id=pool.root_id))}
    chain = []
    current = tree[pool.pk].parent_id if pool.pk in tree else pool.parent_id
    while current is not None:
        chain.append(tree[current])
        current = tree[current].parent_id
    return chain


def effective_spend_by(pool: Pool) -> dt.date | None:
    """The spend-by date of the pool, or of the nearest pool above it that sets one."""
    for candidate in [pool, *ancestors(pool)]:
        if candidate.spend_by is not None:
            return candidate.spend_by
    return None


@dataclass(frozen=True)
class PoolLetterFacts:
    """What a pool's letters say of it: each the pool's own, or the nearest pool's above it
    that sets it. ``no_appeal`` counts only where no pool nearer sets a complaints guide."""

    legal_basis: str = ""
    funding_source: str = ""
    complaints_guide: str = ""
    no_appeal: bool = False


def pool_letter_facts(pool: Pool) -> PoolLetterFacts:
    """The letter facts of ``pool`` with the tree's inheritance applied (one query)."""
    chain = [pool, *ancestors(pool)]

    def nearest(name: str) -> str:
        return next((str(getattr(p, name)) for p in chain if getattr(p, name)), "")

    complaints = next((p for p in chain if p.complaints_guide or p.no_appeal), None)
    return PoolLetterFacts(
        legal_basis=nearest("legal_basis"),
        funding_source=nearest("funding_source"),
        complaints_guide=complaints.complaints_guide if complaints else "",
        no_appeal=bool(complaints and not complaints.complaints_guide and complaints.no_appeal),
    )


def second_approval_threshold(pool: Pool) -> int | None:
    """The amount above which a grant from ``pool`` needs a second caseworker's approval:
    the lowest that the pool or any pool above it sets (a pool cannot loosen the rule of
    the pools it is delegated from); None when none sets one. One query for a pool below
    the top."""
    amounts = [
        candidate.second_approval_above_ore
        for candidate in [pool, *ancestors(pool)]
        if candidate.second_approval_above_ore is not None
    ]
    return min(amounts) if amounts else None


def reporting_requirement(pool: Pool, amount_ore: int) -> ReportingRequirement | None:
    """How a grant of ``amount_ore`` from ``pool`` must be reported, from the nearest pool up
    the tree that has reporting rules; None if no pool in the chain has any."""
    chain = [pool, *ancestors(pool)]
    rules = ReportingRule.objects.filter(pool__in=chain).order_by("-from_amount_ore")
    by_pool: dict[int, list[ReportingRule]] = {}
    for rule in rules:
        by_pool.setdefault(rule.pool_id, []).append(rule)
    for candidate in chain:
        for rule in by_pool.get(candidate.pk, []):
            if rule.from_amount_ore <= amount_ore:
                return ReportingRequirement(rule.requirement)
        if candidate.pk in by_pool:
            return None
    return None


def pools_of(user: User) -> tuple[set[int], set[int]]:
    """The pks of the pools ``user``'s organisations administer (proven memberships only),
    and of those they oversee: those and every pool below them (all pools, both, for a
    superuser). Two queries."""
    if user.is_superuser:
        everything = set(Pool.objects.values_list("pk", flat=True))
        return everything, everything
    organisations = list(user.memberships.proven().values_list("organisation_id", flat=True))
    tops = Pool.objects.filter(administrator_id__in=organisations)
    pools = list(
        Pool.objects.filter(
            Q(pk__in=tops.values("root_id"))
            | Q(root_id__in=tops.values("root_id"))
            | Q(pk__in=tops.values("pk"))
            | Q(root_id__in=tops.values("pk"))
        ).values_list("pk", "parent_id", "administrator_id")
    )
    administered = {pk for pk, _parent, admin in pools if admin in organisations}
    children: dict[int | None, list[int]] = {}
    for pk, parent, _admin in pools:
        children.setdefault(parent, []).append(pk)
    overseen: set[int] = set()
    stack = list(administered)
    while stack:
        pk = stack.pop()
        if pk not in overseen:
            overseen.add(pk)
            stack.extend(children.get(pk, []))
    return administered, overseen


def highest_visible_pools(user: User) -> list[Pool]:
    """The pools at the top of what ``user`` may see: those its organisations administer that
    have no visible pool above them (all top pools for a superuser). Two queries."""
    if user.is_superuser:
        return list(Pool.objects.filter(parent__isnull=True).order_by("code"))
    organisations = user.memberships.proven().values("organisation_id")
    administered = Pool.objects.filter(administrator__in=organisations)
    tree_ids = {pool.root_id or pool.pk for pool in administered}
    trees = {p.pk: p for p in Pool.objects.filter(Q(pk__in=tree_ids) | Q(root_id__in=tree_ids))}
    administered_ids = {pool.pk for pool in administered}

    def covered(pool: Pool) -> bool:
        parent_id = pool.parent_id
        while parent_id is not None:
            if parent_id in administered_ids:
                return True
            parent_id = trees[parent_id].parent_id
        return False

    return sorted(
        (trees[pk] for pk in administered_ids if not covered(trees[pk])), key=lambda p: p.code
    )
