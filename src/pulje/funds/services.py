"""Writes to the pool tree. Money moves only through ``pulje.ledger.services``."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.core.audit import apply_changes, record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.locks import lock_for
from pulje.funds.models import Pool, ReportingRequirement, ReportingRule
from pulje.funds.permissions import can_manage_pool, require_pool_manager
from pulje.ledger.services import delegate, open_pool_account
from pulje.registry.models import Organisation

POOL_FIELDS = (
    "parent",
    "code",
    "name",
    "administrator",
    "purpose",
    "period_start",
    "period_end",
    "spend_by",
    "grant_min_ore",
    "grant_max_ore",
    "second_approval_above_ore",
    "legal_basis",
    "funding_source",
    "complaints_guide",
    "no_appeal",
)
# The tree's shape is fixed at creation: moving a pool would move its money with it.
CHANGEABLE_POOL_FIELDS = tuple(f for f in POOL_FIELDS if f not in {"parent", "code"})


@transaction.atomic
def create_pool(
    *,
    actor: User | None,
    code: str,
    name: str,
    administrator: Organisation,
    period_start: dt.date,
    period_end: dt.date,
    parent: Pool | None = None,
    purpose: str = "",
    spend_by: dt.date | None = None,
    grant_min_ore: int | None = None,
    grant_max_ore: int | None = None,
    second_approval_above_ore: int | None = None,
    legal_basis: str = "",
    funding_source: str = "",
    complaints_guide: str = "",
    no_appeal: bool = False,
) -> Pool:
    """Create a pool, as a top pool or under ``parent``, with an empty account.

    Side effects: the pool's ledger account; one audit event ``funds.pool.created``.
    Raises PermissionDenied unless ``actor`` manages ``parent`` (a top pool: a superuser);
    ValidationError naming the field that is wrong (period out of order or outside the
    parent's, band limits out of order, code taken).
    """
    require_pool_manager(actor, parent)
    pool = Pool(
        parent=parent,
        root=(parent.root or parent) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        code=code,
        name=name,
        administrator=administrator,
        purpose=purpose,
        period_start=period_start,
        period_end=period_end,
        spend_by=spend_by,
        grant_min_ore=grant_min_ore,
        grant_max_ore=grant_max_ore,
        second_approval_above_ore=second_approval_above_ore,
        legal_basis=legal_basis,
        funding_source=funding_source,
        complaints_guide=complaints_guide,
        no_appeal=no_appeal,
    )
    validate_pool(pool)
    pool.save()
    open_pool_account(pool=pool)
    record_event(
        actor=actor,
        action=AuditAction.FUNDS_POOL_CREATED,
        obj=pool,
        after=snapshot(pool, POOL_FIELDS),
    )
    return pool


@transaction.atomic
def update_pool(*, actor: User | None, pool: Pool, **changes: Any) -> Pool:
    """Change what a pool is or its rules; not its place in the tree, nor its money.

    Side effects: one audit event ``funds.pool.updated`` with before and after (none when
    nothing changes). Raises PermissionDenied unless ``actor`` manages the pool (and, to raise
    or clear its second-approval amount, the pool above);
    ValidationError, TypeError for a field that cannot change.
    """
    if "second_approval_above_ore" in changes and _loosens(
        pool.second_approval_above_ore, changes["second_approval_above_ore"]
    ):
        # The people a second approval is meant to check cannot lift it alone: only those
        # who manage the pool above may (for a top pool, its own managers).
        above = pool.parent or pool
        if actor is not None and not (actor.is_superuser or can_manage_pool(actor, above)):
            raise PermissionDenied(
                _(
                    "Only the secretariat of %(pool)s may raise or remove the amount above "
                    "which a grant needs a second approval."
                )
                % {"pool": above.name}
            )
        if set(changes) != {"second_approval_above_ore"}:
            require_pool_manager(actor, pool)
    else:
        require_pool_manager(actor, pool)
    return apply_changes(
        actor=actor,
        instance=pool,
        changes=changes,
        changeable=CHANGEABLE_POOL_FIELDS,
        recorded=POOL_FIELDS,
        action=AuditAction.FUNDS_POOL_UPDATED,
        validate=validate_pool,
    )


def _loosens(before: int | None, after: int | None) -> bool:
    """Whether a second-approval amount lets more grants through with one person."""
    return before is not None and (after is None or after > before)


@transaction.atomic
def set_reporting_rules(
    *, actor: User | None, pool: Pool, rules: list[tuple[int, ReportingRequirement]]
) -> list[ReportingRule]:
    """Replace the pool's reporting rules: (from amount in øre, requirement) pairs.

    Side effects: one audit event ``funds.pool.reporting_rules_set`` with before and after.
    Raises PermissionDenied unless ``actor`` manages the pool.
    """
    require_pool_manager(actor, pool)
    before = reporting_rules_snapshot(pool)
    pool.reporting_rules.all().delete()
    created = ReportingRule.objects.bulk_create(
        ReportingRule(pool=pool, from_amount_ore=amount, requirement=requirement)
        for amount, requirement in sorted(rules)
    )
    record_event(
        actor=actor,
        action=AuditAction.FUNDS_POOL_REPORTING_RULES_SET,
        obj=pool,
        before={"rules": before},
        after={"rules": reporting_rules_snapshot(pool)},
    )
    return created


def reporting_rules_snapshot(pool: Pool) -> list[list[Any]]:
    """The pool's reporting rules as plain data, for audit events."""
    return [
        [rule.from_amount_ore, rule.requirement]
        for rule in pool.reporting_rules.order_by("from_amount_ore")
    ]


def validate_pool(pool: Pool) -> None:
    """Raise ValidationError, naming the field, if ``pool`` breaks a rule of the tree.

    ``create_pool`` and ``update_pool`` call it before they write; the admin's form calls it
    so that a pool they would refuse is a form error there rather than a server error.
    """
    errors: dict[str, list[str]] = {}
    parent = pool.parent
    dated = pool.period_start is not None and pool.period_end is not None
    if dated and pool.period_start > pool.period_end:
        errors["period_end"] = [_("The period cannot end before it starts.")]
    elif (
        dated
        and parent is not None
        and not (parent.period_start <= pool.period_start and pool.period_end <= parent.period_end)
    ):
        errors["period_end"] = [
            _("The period must lie within the parent pool's period (%(start)s–%(end)s).")
            % {"start": date_format(parent.period_start), "end": date_format(parent.period_end)}
        ]
    elif dated and pool.pk is not None:
        outside = pool.children.exclude(
            period_start__gte=pool.period_start, period_end__lte=pool.period_end
        ).first()
        if outside is not None:
            errors["period_end"] = [
                _("The sub-pool “%(child)s” runs %(start)s–%(end)s, outside this period.")
                % {
                    "child": outside.name,
                    "start": date_format(outside.period_start),
                    "end": date_format(outside.period_end),
                }
            ]
    if (pool.grant_min_ore is None) != (pool.grant_max_ore is None):
        errors["grant_max_ore"] = [_("A grant band needs both a smallest and a largest grant.")]
    elif pool.grant_min_ore is not None and pool.grant_max_ore is not None:
        if pool.grant_min_ore <= 0:
            errors["grant_min_ore"] = [_("The smallest grant must be more than 0 kr.")]
        elif pool.grant_min_ore > pool.grant_max_ore:
            errors["grant_max_ore"] = [
                _("The largest grant cannot be smaller than the smallest grant.")
            ]
    if pool.second_approval_above_ore is not None and pool.second_approval_above_ore < 0:
        errors["second_approval_above_ore"] = [_("The amount cannot be negative.")]
    try:
        # The model's check constraints catch the same faults as the rules above, but report
        # them without naming a field; they are only the last line of defence here.
        pool.full_clean(exclude=["root"], validate_constraints=not errors)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_sub_pool(
    *, actor: User | None, parent: Pool, delegate_ore: int | None = None, **pool_fields: Any
) -> Pool:
    """Create a pool under ``parent`` and, if ``delegate_ore`` is given, delegate that much to it.

    Both happen or neither does. Side effects: those of ``create_pool`` and
    ``ledger.services.delegate``. Raises ValidationError or LedgerError.
    """
    if delegate_ore:
        # The delegation locks the parent's account: before create_pool's audit event takes
        # the audit head (core.locks).
        lock_for(pools=[parent.pk])
    pool = create_pool(actor=actor, parent=parent, **pool_fields)
    if delegate_ore:
        delegate(actor=actor, pool=parent, to=pool, amount_ore=delegate_ore)
    return pool
