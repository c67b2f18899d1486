"""Payment plans: made when a grant is accepted, changed by a caseworker with a reason, and
instalments held and released."""

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.calls.models import Call
from pulje.core.audit import record_event
from pulje.core.audit_actions import AuditAction
from pulje.core.money import format_dkk
from pulje.funds.models import Pool
from pulje.funds.permissions import can_manage_pool
from pulje.ledger.models import GrantAccount
from pulje.payments.errors import PaymentRefused
from pulje.payments.models import (
    Instalment,
    InstalmentState,
    PaymentPlan,
    PaymentRule,
    RunItem,
)
from pulje.payments.plans import Part, Trigger, parts_problem, rule_for, split
from pulje.payments.selectors import payment_rules

# The reason a caseworker gives may be at most this long (it is kept on the audit event).
REASON_LIMIT = 300


def new_key() -> str:
    """An instalment's key: its EndToEndId towards the bank (at most 35 characters) and the
    ledger's idempotency key of its payment. Random, so no two instalments ever share one."""
    return "PU" + secrets.token_hex(8).upper()


def _require_payer(actor: User | None, pool: Pool) -> None:
    if actor is not None and not can_manage_pool(actor, pool):
        raise PaymentRefused(
            _("Only the secretariat of “%(pool)s” manages the payments of its grants.")
            % {"pool": pool.name},
            code="not_payer",
        )


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise PaymentRefused(_("Say why."), code="reason_required", field="reason")
    if len(reason) > REASON_LIMIT:
        raise PaymentRefused(
            _("The reason may be at most %(limit)d characters.") % {"limit": REASON_LIMIT},
            code="reason_too_long",
            field="reason",
        )
    return reason


def _snapshot(plan: PaymentPlan) -> list[dict[str, Any]]:
    return [
        {
            "key": i.key,
            "amount_ore": i.amount_ore,
            "waits_for": i.waits_for,
            "due_date": i.due_date.isoformat() if i.due_date else None,
        }
        for i in plan.instalments.filter(state=InstalmentState.OPEN).order_by("pk")
    ]


@transaction.atomic
def set_payment_rules(
    *, actor: User | None, pool: Pool, rules: Sequence[tuple[int, Sequence[Part]]]
) -> list[PaymentRule]:
    """Replace the pool's payment rules: (from amount in øre, parts) pairs; the first must
    start at 0 so every grant has a rule.

    Side effects: one audit event ``payments.rules.set`` with before and after.
    Raises PaymentRefused (``not_payer``, ``invalid_rule``) having written nothing.
    """
    _require_payer(actor, pool)
    amounts = [amount for amount, _parts in rules]
    if not rules or min(amounts) != 0 or len(set(amounts)) != len(amounts):
        raise PaymentRefused(
            _("The rules must start at 0 kr. and each amount may appear only once."),
            code="invalid_rule",
        )
    for _amount, parts in rules:
        if parts_problem(parts) is not None:
            raise PaymentRefused(
                _("Each rule's instalments must be whole, positive percentages summing to 100."),
                code="invalid_rule",
            )
    before = [[r.from_amount_ore, r.parts] for r in pool.payment_rules.all()]
    pool.payment_rules.all().delete()
    created = PaymentRule.objects.bulk_create(
        PaymentRule(
            pool=pool, from_amount_ore=amount, parts=[[p.percent, str(p.on)] for p in parts]
        )
        for amount, parts in sorted(rules, key=lambda rule: rule[0])
    )
    record_event(
        actor=actor,
        action=AuditAction.PAYMENTS_RULES_SET,
        obj=pool,
        before={"rules": before},
        after={"rules": [[r.from_amount_ore, r.parts] for r in created]},
    )
    return created


def create_payment_plan(
    *,
    actor: User | None,
    grant: GrantAccount,
    call: Call | None,
    confirmed_iban: str,
    accepted_on: dt.date,
) -> PaymentPlan:
    """The accepted grant's plan, by its pool's rules (``payment_rules``): instalments summing
    exactly to the commitment; those paid on acceptance are due on ``accepted_on``, the rest
    wait for their condition. Runs in the acceptance's transaction (``accept_grant``).

    Side effects: the plan, its instalments, one audit event ``payments.plan.created``.
    """
    rule = rule_for(payment_rules(grant.pool), grant.committed_ore)
    plan = PaymentPlan.objects.create(
        grant=grant, call=call, confirmed_iban=confirmed_iban, confirmed_at=timezone.now()
    )
    amounts = split(grant.committed_ore, [part.percent for part in rule.parts])
    Instalment.objects.bulk_create(
        Instalment(
            plan=plan,
            key=new_key(),
            amount_ore=amount,
            waits_for=part.on,
            due_date=accepted_on if part.on == Trigger.ACCEPTANCE else None,
        )
        for part, amount in zip(rule.parts, amounts, strict=True)
        if amount > 0
    )
    record_event(
        actor=actor,
        action=AuditAction.PAYMENTS_PLAN_CREATED,
        obj=plan,
        after={"instalments": _snapshot(plan), "confirmed_iban": confirmed_iban},
    )
    return plan


@dataclass(frozen=True)
class Planned:
    """One instalment of a changed plan."""

    amount_ore: int
    waits_for: Trigger
    due_date: dt.date | None


@transaction.atomic
def change_plan(
    *, actor: User, plan: PaymentPlan, instalments: Sequence[Planned], reason: str
) -> PaymentPlan:
    """Replace the plan's unpaid instalments that are in no live run by ``instalments``,
    which must sum exactly to what is left to plan: the commitment less what is paid or in a
    run. An instalment that waits for acceptance needs a due date; one that waits for the
    final report gets its date when the report is approved.

    Side effects: the old instalments marked replaced, the new ones, one audit event
    ``payments.plan.changed`` with before, after and the reason.
    Raises PaymentRefused (``not_payer``, ``reason_required``, ``invalid_amount``,
    ``due_date_required``, ``sum_mismatch``) having written nothing.
    """
    grant = plan.grant
    _require_payer(actor, grant.pool)
    reason = _reason(reason)
    # The grant's row: a payment run approved at the same time waits, or is waited for.
    locked = GrantAccount.objects.select_for_update().get(pk=grant.pk)
    open_rows = plan.instalments.filter(state=InstalmentState.OPEN)
    in_run = set(
        RunItem.objects.filter(instalment__plan=plan, live=True).values_list(
            "instalment_id", flat=True
        )
    )
    replaceable = [i for i in open_rows if i.pk not in in_run]
    fixed = sum(i.amount_ore for i in open_rows if i.pk in in_run)
    left = locked.committed_ore - locked.paid_ore - fixed
    for planned in instalments:
        if type(planned.amount_ore) is not int or planned.amount_ore <= 0:
            raise PaymentRefused(
                _("Each instalment must be a positive amount."), code="invalid_amount"
            )
        if planned.waits_for == Trigger.ACCEPTANCE and planned.due_date is None:
            raise PaymentRefused(
                _("An instalment paid without waiting for a report needs a due date."),
                code="due_date_required",
            )
    total = sum(p.amount_ore for p in instalments)
    if total != left:
        raise PaymentRefused(
            _(
                "The instalments must add up to %(left)s, what is left to pay; "
                "they add up to %(total)s"
            )
            % {"left": format_dkk(left), "total": format_dkk(total)},
            code="sum_mismatch",
        )
    before = _snapshot(plan)
    Instalment.objects.filter(pk__in=[i.pk for i in replaceable]).update(
        state=InstalmentState.CANCELLED
    )
    Instalment.objects.bulk_create(
        Instalment(
            plan=plan,
            key=new_key(),
            amount_ore=p.amount_ore,
            waits_for=p.waits_for,
            due_date=p.due_date if p.waits_for == Trigger.ACCEPTANCE else None,
        )
        for p in instalments
    )
    record_event(
        actor=actor,
        action=AuditAction.PAYMENTS_PLAN_CHANGED,
        obj=plan,
        before={"instalments": before},
        after={"instalments": _snapshot(plan), "reason": reason},
    )
    return plan


@transaction.atomic
def confirm_account(*, actor: User, plan: PaymentPlan) -> PaymentPlan:
    """The caseworker confirms the grantee's current payment account for this grant (having
    checked the change with the organisation), which lifts the hold a recent change puts on it.

    Side effects: the plan's confirmed account; one audit event ``payments.plan.account_confirmed``.
    Raises PaymentRefused (``not_payer``, ``no_account``).
    """
    _require_payer(actor, plan.grant.pool)
    current = plan.grant.recipient.payment_iban
    if not current:
        raise PaymentRefused(_("The organisation has no payment account."), code="no_account")
    before = plan.confirmed_iban
    plan.confirmed_iban = current
    plan.confirmed_at = timezone.now()
    plan.save(update_fields=["confirmed_iban", "confirmed_at"])
    record_event(
        actor=actor,
        action=AuditAction.PAYMENTS_ACCOUNT_CONFIRMED,
        obj=plan,
        before={"confirmed_iban": before},
        after={"confirmed_iban": current},
    )
    return plan


@transaction.atomic
def hold_instalment(*, actor: User, instalment: Instalment, reason: str) -> Instalment:
    """Hold an unpaid instalment by hand: no run takes it until the hold is lifted.

    Side effects: the hold; one audit event ``payments.instalment.held``.
    Raises PaymentRefused (``not_payer``, ``reason_required``, ``not_open``).
    """
    _require_payer(actor, instalment.plan.grant.pool)
    reason = _reason(reason)
    changed = Instalment.objects.filter(pk=instalment.pk, state=InstalmentState.OPEN).update(
        held_reason=reason, held_by=actor
    )
    if changed != 1:
        raise PaymentRefused(_("Only an unpaid instalment can be held."), code="not_open")
    instalment.held_reason, instalment.held_by = reason, actor
    record_event(
        actor=actor,
        action=AuditAction.PAYMENTS_INSTALMENT_HELD,
        obj=instalment,
        after={"held_reason": reason},
    )
    return instalment


@transaction.atomic
def release_hold(*, actor: User, instalment: Instalment, reason: str) -> Instalment:
    """Lift a hold put on by hand.

    Side effects: the hold cleared; one audit event ``payments.instalment.released``.
    Raises PaymentRefused (``not_payer``, ``reason_required``, ``not_held``).
    """
    _require_payer(actor, instalment.plan.grant.pool)
    reason = _reason(reason)
    before = instalment.held_reason
    changed = (
        Instalment.objects.filter(pk=instalment.pk)
        .exclude(held_reason="")
        .update(held_reason="", held_by=None)
    )
    if changed != 1:
        raise PaymentRefused(_("The instalment is not held."), code="not_held")
    instalment.held_reason, instalment.held_by = "", None
    record_event(
        actor=actor,
        action=AuditAction.PAYMENTS_INSTALMENT_RELEASED,
        obj=instalment,
        before={"held_reason": before},
        after={"reason": reason},
    )
    return instalment


@transaction.atomic
def mark_report_approved(*, actor: User | None, grant: GrantAccount, on: dt.date) -> int:
    """The grant's final report is approved: its instalments that wait for it fall due on
    ``on``. The hook for follow-up (afrapportering); returns how many fell due.

    Side effects: their due date; one audit event ``payments.instalment.due`` per instalment.
    """
    waiting = list(
        Instalment.objects.filter(
            plan__grant=grant,
            state=InstalmentState.OPEN,
            waits_for=Trigger.FINAL_REPORT,
            due_date__isnull=True,
        )
    )
    for instalment in waiting:
        instalment.due_date = on
        instalment.save(update_fields=["due_date"])
        record_event(
            actor=actor,
            action=AuditAction.PAYMENTS_INSTALMENTS_DUE,
            obj=instalment,
            after={"due_date": on.isoformat()},
        )
    return len(waiting)
