"""Writes of decisions: grant (in full or reduced) or reject, acceptance by the grantee, lapse.

Each application's status moves only through ``applications.workflow.transition``; money moves
only through ``pulje.ledger.services``. Locks are taken in the ledger's order: the pool
accounts first (ascending pool id), then the applications' rows, then the grant accounts and
the audit head (inside the ledger's and the audit trail's own functions).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus, BudgetKind
from pulje.applications.workflow import ApplicationRefused, next_status, transition
from pulje.calls.models import Call
from pulje.calls.permissions import can_work_call
from pulje.calls.selectors import call_bands
from pulje.casework.selectors import failed_screening
from pulje.core.mail import queue_mail
from pulje.core.money import format_dkk
from pulje.decisions.models import (
    DEFAULT_ACCEPT_DAYS,
    Decision,
    DecisionTerms,
    Outcome,
    RejectionReason,
    RevisedBudgetLine,
)
from pulje.decisions.permissions import is_member
from pulje.decisions.selectors import grant_pool, overdue_decision_ids
from pulje.funds.models import Pool
from pulje.funds.selectors import effective_spend_by, reporting_requirement
from pulje.ledger.models import PoolAccount, ReleaseReason
from pulje.ledger.services import (
    LedgerError,
    commit,
    lock_pools,
    open_grant_account,
    release,
)
from pulje.letters.services import queue_decision_letters


class DecisionRefused(Exception):
    """A decision, acceptance or lapse was refused; ``message`` is for the person, in the
    active language. Nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse_unless_caseworker(actor: User, calls: list[Call]) -> None:
    for call in calls:
        if not can_work_call(actor, call):
            raise DecisionRefused(
                _("You cannot decide applications to “%(call)s”.") % {"call": call.title}
            )


def accept_by_for(call: Call, decided_on: dt.date) -> dt.date:
    terms = DecisionTerms.objects.filter(call=call).first()
    return decided_on + dt.timedelta(days=terms.accept_days if terms else DEFAULT_ACCEPT_DAYS)


def decide_applications(
    *,
    actor: User,
    applications: Sequence[Application],
    outcome: str,
    reason_code: str = "",
    reason_text: str = "",
    amounts: Mapping[int, int] | None = None,
    queue_letters: bool = True,
) -> list[Decision]:
    """Grant (``outcome="grant"``) or reject (``"reject"``) every one of ``applications`` in
    one transaction: all of them, or none.

    A grant is of the amount requested, or of a smaller one from ``amounts`` (by application
    pk; then ``reason_text`` is required): it opens the grant's ledger account in the band
    the requested amount falls in and commits the amount there. A rejection needs a
    ``reason_code`` from ``RejectionReason`` (and ``reason_text`` for "other").

    Side effects per application: a ``Decision``; for a grant a ``GrantAccount`` and a
    commitment (``ledger.grant_account.opened``, ``ledger.commitment`` events); the move to
    granted/rejected (event ``applications.application.granted``/``rejected`` recording the
    decision). After commit: a short e-mail to each applicant, and the decision letters queued
    (``letters.services.queue_decision_letters``), unless ``queue_letters`` is False: then the
    caller queues them, in the same transaction, with other batches' (one job for one act).

    Raises DecisionRefused, having written nothing: for a user who is not the calls'
    caseworker, an application whose state does not allow the decision, an invalid amount or
    reason, and for a batch of grants that would overspend a pool, naming the pool, the total
    asked, what it has available and the shortfall.
    """
    if outcome not in ("grant", "reject"):
        raise DecisionRefused(_("Choose to grant or to reject."))
    reason_text = reason_text.strip()
    amounts = dict(amounts or {})
    if outcome == "reject":
        if reason_code not in RejectionReason.values:
            raise DecisionRefused(_("Choose the reason for the rejection."))
        if reason_code == RejectionReason.OTHER and not reason_text:
            raise DecisionRefused(_("Describe the reason for the rejection."))
        if amounts:
            raise DecisionRefused(_("A rejection has no amount."))
    elif reason_code:
        raise DecisionRefused(_("A grant has no reason for rejection."))
    ids = sorted({application.pk for application in applications})
    if not ids:
        return []

    with transaction.atomic():
        calls = list(
            Call.objects.filter(applications__pk__in=ids).distinct().select_related("pool")
        )
        _refuse_unless_caseworker(actor, calls)
        bands_by_call = {call.pk: call_bands(call) for call in calls}
        if outcome == "grant":
            lock_pools(
                pools=[pool for call in calls for pool in (bands_by_call[call.pk] or [call.pool])]
            )
        # of=self: only the applications' rows, not the call's or organisation's joined in.
        locked = list(
            Application.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("call__pool", "organisation")
            .order_by("pk")
        )
        plans = _plan(locked, outcome, amounts, reason_text, bands_by_call)
        if outcome == "grant":
            _refuse_overspending(plans)
        try:
            decisions = _write(actor, plans, outcome, reason_code, reason_text)
        except LedgerError as error:
            # Not expected with the pools locked and checked above; the ledger's own check is
            # the last line of defence, and its refusal rolls the whole batch back too.
            raise DecisionRefused(error.message) from error

        decision_ids = [decision.pk for decision in decisions]
        transaction.on_commit(lambda: send_decision_notices(decision_ids), robust=True)
        # In the decisions' transaction: the job and its task commit with them or not at all,
        # so no decision is ever left without a letters job to follow or retry.
        if queue_letters:
            queue_decision_letters(actor=actor, decision_ids=decision_ids)
    return decisions


@dataclass(frozen=True)
class _Plan:
    application: Application
    amount_ore: int | None
    band: Pool | None


def _plan(
    applications: list[Application],
    outcome: str,
    amounts: dict[int, int],
    reason_text: str,
    bands_by_call: dict[int, list[Pool]],
) -> list[_Plan]:
    """What to write for each application, or DecisionRefused with every problem found."""
    problems: list[str] = []
    plans: list[_Plan] = []
    failed = failed_screening(applications) if outcome == "grant" else []
    unknown = set(amounts) - {application.pk for application in applications}
    if unknown:
        problems.append(_("An amount was given for an application that is not being decided."))
    for application in applications:
        name = application.reference or str(application.pk)
        try:
            next_status(application, outcome)
        except ApplicationRefused:
            status = ApplicationStatus(application.status).label
            problems.append(
                _("%(application)s cannot be decided: it is “%(status)s”.")
                % {"application": name, "status": str(status).lower()}
            )
            continue
        if outcome == "reject":
            plans.append(_Plan(application, None, None))
            continue
        if application in failed:
            problems.append(
                _(
                    "%(application)s failed screening: override the screening with a reason "
                    "before granting it."
                )
                % {"application": name}
            )
            continue
        requested = application.amount_ore or 0
        amount = amounts.get(application.pk, requested)
        if type(amount) is not int or not 0 < amount <= requested:
            problems.append(
                # No full stop after the amount: it ends in "kr." already.
                _("%(application)s: the amount must be more than 0 kr. and at most %(requested)s")
                % {"application": name, "requested": format_dkk(requested)}
            )
            continue
        if amount < requested and not reason_text:
            problems.append(
                _("%(application)s: say why the grant is reduced.") % {"application": name}
            )
            continue
        band = grant_pool(application, bands_by_call[application.call_id])
        if band is None:
            problems.append(
                _("%(application)s: no grant band of the call holds the %(requested)s requested.")
                % {"application": name, "requested": format_dkk(requested)}
            )
            continue
        plans.append(_Plan(application, amount, band))
    if problems:
        raise DecisionRefused(" ".join(problems))
    return plans


def _refuse_overspending(plans: list[_Plan]) -> None:
    """Refuse the whole batch if its grants ask more of any pool than it has available; the
    pools are locked, so what is read here is what the commitments will find."""
    asked: dict[int, int] = defaultdict(int)
    for plan in plans:
        assert plan.band is not None
        assert plan.amount_ore is not None
        asked[plan.band.pk] += plan.amount_ore
    accounts = PoolAccount.objects.filter(pool_id__in=asked).select_related("pool")
    shortfalls = []
    for account in sorted(accounts, key=lambda account: account.pool_id):
        available = account.balance.available
        if asked[account.pool_id] > available:
            shortfalls.append(
                _(
                    "“%(pool)s” cannot pay for these grants: they come to %(asked)s and it has "
                    "%(available)s available, %(shortfall)s too little."
                )
                % {
                    "pool": account.pool.name,
                    "asked": format_dkk(asked[account.pool_id]),
                    "available": format_dkk(available),
                    "shortfall": format_dkk(asked[account.pool_id] - available),
                }
            )
    if shortfalls:
        raise DecisionRefused(" ".join(shortfalls))


def _write(
    actor: User, plans: list[_Plan], outcome: str, reason_code: str, reason_text: str
) -> list[Decision]:
    now = timezone.now()
    today = timezone.localdate(now)
    accept_by: dict[int, dt.date] = {}
    spend_by: dict[int, dt.date | None] = {}
    decisions = []
    for plan in plans:
        application = plan.application
        decision = Decision(
            application=application,
            requested_ore=application.amount_ore or 0,
            reason_text=reason_text,
            decided_by=actor,
            decided_at=now,
        )
        if outcome == "reject":
            decision.outcome = Outcome.REJECT
            decision.reason_code = reason_code
        else:
            band, amount = plan.band, plan.amount_ore
            assert band is not None
            assert amount is not None
            call = application.call
            if call.pk not in accept_by:
                accept_by[call.pk] = accept_by_for(call, today)
            if band.pk not in spend_by:
                spend_by[band.pk] = effective_spend_by(band)
            requirement = reporting_requirement(band, amount)
            decision.outcome = (
                Outcome.GRANT if amount == decision.requested_ore else Outcome.REDUCED
            )
            decision.amount_ore = amount
            decision.band = band
            decision.accept_by = accept_by[call.pk]
            decision.spend_by = spend_by[band.pk]
            decision.reporting = requirement.value if requirement else ""
            decision.grant = open_grant_account(
                actor=actor,
                pool=band,
                recipient=application.organisation,
                reference=application.reference,
                title=application.title[:200],
            )
            decision.commitment = commit(
                actor=actor,
                grant=decision.grant,
                amount_ore=amount,
                text=application.reference,
                key=f"grant-{application.pk}",
            )
        decision.save()
        transition(
            actor=actor,
            application=application,
            action=outcome,
            recorded={
                "decision": decision.pk,
                "outcome": decision.outcome,
                "amount_ore": decision.amount_ore,
                "reason_code": decision.reason_code,
                "reason_text": decision.reason_text,
                "accept_by": decision.accept_by,
            },
        )
        decisions.append(decision)
    return decisions


def send_decision_notices(decision_ids: Sequence[int]) -> None:
    """Tell each applicant, in a short e-mail, that their application has been decided and
    where to read the decision; the letter itself comes from ``pulje.letters``."""
    decisions = Decision.objects.filter(pk__in=decision_ids).select_related(
        "application__call", "application__organisation", "application__created_by"
    )
    with override("da"):
        for decision in decisions:
            application = decision.application
            recipients = sorted(
                {application.created_by.email, application.organisation.contact_email} - {""}
            )
            path = reverse("applications:dashboard")
            body = render_to_string(
                "decisions/email/decided.txt",
                {"application": application, "url": f"{settings.SITE_URL}{path}"},
            )
            subject = _("Your application %(reference)s has been decided") % {
                "reference": application.reference
            }
            # Each on its own: one refused address does not stop the others' notices.
            queue_mail(subject=subject, body=body, to=recipients)


@transaction.atomic
def accept_grant(
    *,
    actor: User,
    decision: Decision,
    public_summary: str,
    budget: Mapping[str, int] | None = None,
) -> Decision:
    """The grantee accepts the grant: confirms the payment account on the organisation's
    profile (kept on the decision as confirmed), the publishable summary and, for a reduced
    grant, a revised budget (amounts by ``BudgetKind``) that sums to the amount granted.

    Side effects: the decision's acceptance fields and revised budget lines, the move to
    accepted (event ``applications.application.accepted``).

    Raises DecisionRefused, having written nothing: for a user who is not a member of the
    organisation, a decision that is not a grant awaiting acceptance, after the accept-by
    date, without a payment account, an empty summary, or a budget that does not sum.
    """
    # The decision's and the application's rows: a lapse running now waits, or is waited for.
    locked = (
        Decision.objects.select_for_update(of=("self", "application"))
        .select_related("application__organisation")
        .get(pk=decision.pk)
    )
    application = locked.application
    organisation = application.organisation
    if not is_member(actor, organisation):
        raise DecisionRefused(_("Only the organisation's members can accept the grant."))
    if application.status != ApplicationStatus.GRANTED:
        raise DecisionRefused(_("The grant is not awaiting acceptance."))
    assert locked.accept_by is not None
    assert locked.amount_ore is not None
    if timezone.localdate() > locked.accept_by:
        raise DecisionRefused(
            _("The grant had to be accepted by %(date)s; it can no longer be accepted.")
            % {"date": date_format(locked.accept_by, "DATE_FORMAT")}
        )
    if not organisation.payment_iban:
        raise DecisionRefused(
            _("Add the payment account to the organisation's profile before accepting.")
        )
    public_summary = public_summary.strip()
    if not public_summary:
        raise DecisionRefused(_("Write the summary that may be published."))
    lines = {kind: amount for kind, amount in (budget or {}).items() if amount}
    if locked.outcome == Outcome.REDUCED:
        if set(lines) - set(BudgetKind.values) or any(a < 0 for a in lines.values()):
            raise DecisionRefused(_("The revised budget has an unknown kind or a negative amount."))
        total = sum(lines.values())
        if total != locked.amount_ore:
            raise DecisionRefused(
                _(
                    "The revised budget must add up to the %(granted)s granted; "
                    "it adds up to %(total)s"
                )
                % {"granted": format_dkk(locked.amount_ore), "total": format_dkk(total)}
            )
    elif lines:
        raise DecisionRefused(_("A grant in full keeps the budget applied for."))
    now = timezone.now()
    locked.accepted_at = now
    locked.accepted_by = actor
    locked.payment_iban = organisation.payment_iban
    locked.public_summary = public_summary
    locked.save(update_fields=["accepted_at", "accepted_by", "payment_iban", "public_summary"])
    RevisedBudgetLine.objects.bulk_create(
        RevisedBudgetLine(decision=locked, kind=kind, amount_ore=amount)
        for kind, amount in sorted(lines.items())
    )
    transition(
        actor=actor,
        application=application,
        action="accept",
        recorded={
            "decision": locked.pk,
            "payment_iban": locked.payment_iban,
            "public_summary": public_summary,
            "budget": dict(sorted(lines.items())),
        },
    )
    return locked


@dataclass(frozen=True)
class LapseResult:
    lapsed: int
    released_ore: int


def lapse_overdue_grants(*, now: dt.datetime) -> LapseResult:
    """Lapse every grant not accepted by its accept-by date (``now``'s Danish date is after
    it): the application moves to lapsed (event ``applications.application.lapsed``) and the
    commitment still unpaid goes back to its pool (a ledger release, reason "lapsed").

    One transaction per grant, so one that fails does not hold up the others; a grant already
    lapsed or accepted meanwhile is skipped, so running it again does nothing.
    """
    lapsed = released = 0
    for decision_id in overdue_decision_ids(now=now):
        amount = _lapse_one(decision_id, now)
        if amount is not None:
            lapsed += 1
            released += amount
    return LapseResult(lapsed=lapsed, released_ore=released)


@transaction.atomic
def _lapse_one(decision_id: int, now: dt.datetime) -> int | None:
    decision = Decision.objects.select_related("band").get(pk=decision_id)
    assert decision.band is not None
    assert decision.grant_id is not None
    lock_pools(pools=[decision.band])
    application = Application.objects.select_for_update().get(pk=decision.application_id)
    if application.status != ApplicationStatus.GRANTED:
        return None
    grant = decision.grant
    assert grant is not None
    grant.refresh_from_db()
    unpaid = grant.balance.unpaid
    entry = None
    if unpaid > 0:
        entry = release(
            actor=None,
            grant=grant,
            amount_ore=unpaid,
            reason=ReleaseReason.LAPSED,
            text=application.reference,
            key=f"lapse-{decision.pk}",
        )
    Decision.objects.filter(pk=decision.pk).update(lapsed_at=now, release=entry)
    transition(
        actor=None,
        application=application,
        action="lapse",
        recorded={"decision": decision.pk, "released_ore": unpaid},
    )
    return unpaid
