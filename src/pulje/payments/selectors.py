"""Reads of payments: a pool's payment rules, why an instalment is held, what a run would pay."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pulje.core.audit_actions import AuditAction
from pulje.core.models import AuditEvent
from pulje.funds.models import Pool
from pulje.funds.selectors import ancestors
from pulje.payments.models import Instalment, InstalmentState, PaymentRun
from pulje.payments.plans import DEFAULT_RULES, Part, Rule, Trigger

# A changed payment account is paid to only when it has stood for this long or the grant's
# account is confirmed again: time for the organisation to notice a change it did not make.
ACCOUNT_CHANGE_DAYS = 14


def payment_rules(pool: Pool) -> tuple[Rule, ...]:
    """The rules of the nearest pool up the tree (``pool`` first) that has any, else the
    defaults."""
    for candidate in [pool, *ancestors(pool)]:
        rows = list(candidate.payment_rules.order_by("from_amount_ore"))
        if rows:
            return tuple(
                Rule(
                    row.from_amount_ore,
                    tuple(Part(int(percent), Trigger(on)) for percent, on in row.parts),
                )
                for row in rows
            )
    return DEFAULT_RULES


def _account_changes(instalments: Sequence[Instalment], today: dt.date) -> dict[int, dt.datetime]:
    """When each grantee organisation (by id) last changed its payment account within
    ``ACCOUNT_CHANGE_DAYS`` of ``today``: one query for them all."""
    organisations = {str(i.plan.grant.recipient_id) for i in instalments}
    since = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=ACCOUNT_CHANGE_DAYS), dt.time())
    )
    changed: dict[int, dt.datetime] = {}
    events = AuditEvent.objects.filter(
        action=AuditAction.REGISTRY_ORGANISATION_UPDATED,
        object_type="registry.organisation",
        object_id__in=organisations,
        occurred_at__gte=since,
    ).order_by("seq")
    for event in events:
        before, after = event.before or {}, event.after or {}
        if before.get("payment_iban") != after.get("payment_iban"):
            changed[int(event.object_id)] = event.occurred_at
    return changed


# A hold check: the instalments and the day of payment → reasons by instalment id. Report
# overdue and open recovery claims will be checks here when follow-up and recovery exist.
HoldCheck = Callable[[Sequence[Instalment], dt.date], dict[int, list[str]]]


def _held_by_hand(instalments: Sequence[Instalment], today: dt.date) -> dict[int, list[str]]:
    return {
        i.pk: [_("Held by hand: %(reason)s") % {"reason": i.held_reason}]
        for i in instalments
        if i.held_reason
    }


def _account_not_confirmed(
    instalments: Sequence[Instalment], today: dt.date
) -> dict[int, list[str]]:
    changes = _account_changes(instalments, today)
    reasons: dict[int, list[str]] = {}
    for instalment in instalments:
        plan = instalment.plan
        organisation = plan.grant.recipient
        changed_at = changes.get(organisation.pk)
        if changed_at is not None and organisation.payment_iban != plan.confirmed_iban:
            reasons[instalment.pk] = [
                _(
                    "The payment account was changed on %(date)s and has not been confirmed "
                    "for this grant since."
                )
                % {"date": date_format(timezone.localtime(changed_at).date())}
            ]
    return reasons


HOLD_CHECKS: tuple[HoldCheck, ...] = (_held_by_hand, _account_not_confirmed)


def holds_for(instalments: Sequence[Instalment], today: dt.date) -> dict[int, list[str]]:
    """Why each held instalment (by id) may not be paid now; one that is missing may be."""
    reasons: dict[int, list[str]] = defaultdict(list)
    for check in HOLD_CHECKS:
        for pk, found in check(instalments, today).items():
            reasons[pk].extend(found)
    return dict(reasons)


def pool_tree_ids(pools: Iterable[Pool]) -> set[int]:
    """The ids of ``pools`` and of every pool below them."""
    chosen = {pool.pk for pool in pools}
    roots = {pool.root_id or pool.pk for pool in pools}
    tree = list(
        Pool.objects.filter(Q(pk__in=roots) | Q(root_id__in=roots)).values("pk", "parent_id")
    )
    parents = {row["pk"]: row["parent_id"] for row in tree}
    found = set()
    for pk in parents:
        current: int | None = pk
        while current is not None:
            if current in chosen:
                found.add(pk)
                break
            current = parents.get(current)
    return found


def due_instalments(
    *, pools: Iterable[Pool], due_up_to: dt.date, call_ids: Iterable[int] = ()
) -> list[Instalment]:
    """The unpaid instalments due by ``due_up_to`` on grants from ``pools`` (and the pools
    below them), of ``call_ids`` if any are given, that are in no live run: held ones too."""
    rows = Instalment.objects.filter(
        state=InstalmentState.OPEN,
        due_date__lte=due_up_to,
        plan__grant__pool_id__in=pool_tree_ids(pools),
    ).exclude(run_items__live=True)
    calls = list(call_ids)
    if calls:
        rows = rows.filter(plan__call_id__in=calls)
    return list(
        rows.select_related("plan__grant__pool", "plan__grant__recipient").order_by(
            "plan__grant__pool_id", "plan__grant__reference", "due_date", "pk"
        )
    )


@dataclass(frozen=True)
class PoolTotal:
    pool: Pool
    count: int
    amount_ore: int


def run_totals(run: PaymentRun) -> list[PoolTotal]:
    """The run's count and amount per pool, in pool order."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    pools: dict[int, Pool] = {}
    for item in run.items.select_related("instalment__plan__grant__pool"):
        pool = item.instalment.plan.grant.pool
        pools[pool.pk] = pool
        totals[pool.pk][0] += 1
        totals[pool.pk][1] += item.amount_ore
    return [PoolTotal(pools[pk], *totals[pk]) for pk in sorted(totals)]
