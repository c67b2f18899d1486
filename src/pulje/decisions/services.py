"""Writes of decisions: grant (in full or reduced) or reject, the second approval of a grant
above its pool's amount for that (four eyes), acceptance by the grantee, lapse.

Each application's status moves only through ``applications.workflow.transition``; money moves
only through ``pulje.ledger.services``. Locks are taken in the order of ``core.locks``.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus, BudgetKind
from pulje.applications.workflow import (
    APPLICATION,
    ApplicationRefused,
    next_status,
    return_action,
    transition,
)
from pulje.calls.models import Call
from pulje.calls.permissions import can_work_call
from pulje.calls.selectors import call_bands
from pulje.casework.permissions import conflict_refusal, who_else_can
from pulje.casework.selectors import failed_screening
from pulje.core.errors import Refused
from pulje.core.locks import lock_for
from pulje.core.mail import queue_mail
from pulje.core.money import format_dkk
from pulje.decisions.models import (
    DEFAULT_ACCEPT_DAYS,
    Decision,
    DecisionTerms,
    GrantProposal,
    Outcome,
    ProposalOutcome,
    RejectionReason,
    RevisedBudgetLine,
)
from pulje.decisions.selectors import grant_pool, overdue_decision_ids
from pulje.funds.models import Pool
from pulje.funds.selectors import (
    effective_spend_by,
    reporting_requirement,
    second_approval_threshold,
)
from pulje.ledger.models import PoolAccount, ReleaseReason
from pulje.ledger.services import (
    LedgerError,
    commit,
    open_grant_account,
    release,
)
from pulje.letters.services import queue_decision_letters
from pulje.registry.permissions import is_proven_member


class DecisionRefused(Refused):
    """A decision, acceptance or lapse was refused; ``message`` is for the person, in the
    active language. Nothing was written."""


def _refuse_unless_caseworker(actor: User, calls: list[Call]) -> None:
    for call in calls:
        if not can_work_call(actor, call):
            raise DecisionRefused(
                _("You cannot decide applications to “%(call)s”.") % {"call": call.title},
                code="not_caseworker",
            )


def _refuse_conflicts(
    actor: User, applications: Sequence[Application], lead: str, besides: Sequence[User] = ()
) -> None:
    refusal = conflict_refusal(actor, applications, lead=lead, besides=besides)
    if refusal:
        raise DecisionRefused(refusal, code="conflict_of_interest")


class Decided(list[Decision]):
    """What ``decide_applications`` did: the decisions made (the list itself), and the
    grants above their pool's second-approval amount that were proposed instead
    (``proposals``), to be final when a second caseworker approves them."""

    def __init__(self, decisions: list[Decision], proposals: list[GrantProposal]) -> None:
        super().__init__(decisions)
        self.proposals = proposals


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
) -> Decided:
    """Grant (``outcome="grant"``) or reject (``"reject"``) every one of ``applications`` in
    one transaction: all of them, or none.

    A grant is of the amount requested, or of a smaller one from ``amounts`` (by application
    pk; then ``reason_text`` is required): it opens the grant's ledger account in the band
    the requested amount falls in and commits the amount there. A rejection needs a
    ``reason_code`` from ``RejectionReason`` (and ``reason_text`` for "other").

    Four eyes: a grant above the amount its band (or a pool above it) sets for a second
    approval is not decided but proposed (``GrantProposal``, the move to awaiting approval,
    event ``applications.application.grant_proposed``): no money moves, no mail and no
    letter until another caseworker approves it (``approve_grant_proposals``). What open
    proposals ask of a band is held back from every other grant and proposal from it.

    Side effects per application: a ``Decision``; for a grant a ``GrantAccount`` and a
    commitment (``ledger.grant_account.opened``, ``ledger.commitment`` events); the move to
    granted/rejected (event ``applications.application.granted``/``rejected`` recording the
    decision). After commit: a short e-mail to each applicant, and the decision letters queued
    (``letters.services.queue_decision_letters``), unless ``queue_letters`` is False: then the
    caller queues them, in the same transaction, with other batches' (one job for one act).

    Raises DecisionRefused, having written nothing: for a user who is not the calls'
    caseworker or has a conflict of interest with any of the applications (naming them and
    the caseworkers who can decide them instead: the whole batch is refused, none skipped),
    an application whose state does not allow the decision, an invalid amount or reason,
    and for a batch of grants that would overspend a pool, naming the pool, the total asked,
    what it has available and the shortfall.
    """
    if outcome not in ("grant", "reject"):
        raise DecisionRefused(_("Choose to grant or to reject."), code="outcome_missing")
    reason_text = reason_text.strip()
    amounts = dict(amounts or {})
    if outcome == "reject":
        if reason_code not in RejectionReason.values:
            raise DecisionRefused(_("Choose the reason for the rejection."), code="reason_missing")
        if reason_code == RejectionReason.OTHER and not reason_text:
            raise DecisionRefused(
                _("Describe the reason for the rejection."), code="reason_text_missing"
            )
        if amounts:
            raise DecisionRefused(_("A rejection has no amount."), code="rejection_amount")
    elif reason_code:
        raise DecisionRefused(_("A grant has no reason for rejection."), code="grant_reason")
    ids = sorted({application.pk for application in applications})
    if not ids:
        return Decided([], [])

    with transaction.atomic():
        calls = list(
            Call.objects.filter(applications__pk__in=ids).distinct().select_related("pool")
        )
        _refuse_unless_caseworker(actor, calls)
        bands_by_call = {call.pk: call_bands(call) for call in calls}
        lock_for(
            pools=[pool.pk for call in calls for pool in (bands_by_call[call.pk] or [call.pool])]
            if outcome == "grant"
            else [],
            applications=ids,
        )
        locked = list(
            Application.objects.filter(pk__in=ids)
            .select_related("call__pool", "organisation")
            .order_by("pk")
        )
        _refuse_conflicts(
            actor,
            locked,
            _("You have a conflict of interest and cannot decide these applications:"),
        )
        plans = _plan(locked, outcome, amounts, reason_text, bands_by_call)
        proposed: list[_Plan] = []
        if outcome == "grant":
            _refuse_overspending(plans, holding_back=True)
            thresholds = {
                band.pk: second_approval_threshold(band)
                for band in {plan.band for plan in plans if plan.band is not None}
            }
            direct: list[_Plan] = []
            for plan in plans:
                (proposed if _needs_second_approval(plan, thresholds) else direct).append(plan)
            plans = direct
        proposals = [_propose(actor, plan, reason_text) for plan in proposed]
        decisions = _decide(
            actor,
            plans,
            outcome,
            reason_code=reason_code,
            reason_text=reason_text,
            queue_letters=queue_letters,
        )
    return Decided(decisions, proposals)


def _needs_second_approval(plan: "_Plan", thresholds: dict[int, int | None]) -> bool:
    assert plan.band is not None
    assert plan.amount_ore is not None
    threshold = thresholds[plan.band.pk]
    return threshold is not None and plan.amount_ore > threshold


def _decide(
    actor: User,
    plans: list["_Plan"],
    outcome: str,
    *,
    reason_code: str,
    reason_text: str,
    queue_letters: bool,
) -> list[Decision]:
    """Write the decisions of ``plans``, with their mail after commit and, if
    ``queue_letters``, their letters job in this transaction."""
    if not plans:
        return []
    try:
        decisions = _write(actor, plans, outcome, reason_code, reason_text)
    except LedgerError as error:
        # Not expected with the pools locked and checked above; the ledger's own check is
        # the last line of defence, and its refusal rolls the whole batch back too.
        raise DecisionRefused(error.message, code=error.code) from error
    decision_ids = [decision.pk for decision in decisions]
    transaction.on_commit(lambda: send_decision_notices(decision_ids), robust=True)
    # In the decisions' transaction: the job and its task commit with them or not at all,
    # so no decision is ever left without a letters job to follow or retry.
    if queue_letters:
        queue_decision_letters(actor=actor, decision_ids=decision_ids)
    return decisions


def _propose(actor: User, plan: "_Plan", reason_text: str) -> GrantProposal:
    application = plan.application
    assert plan.band is not None
    assert plan.amount_ore is not None
    proposal = GrantProposal.objects.create(
        application=application,
        requested_ore=application.amount_ore or 0,
        amount_ore=plan.amount_ore,
        reason_text=reason_text,
        band=plan.band,
        from_status=application.status,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    transition(
        actor=actor,
        application=application,
        action="propose_grant",
        recorded={
            "proposal": proposal.pk,
            "amount_ore": proposal.amount_ore,
            "reason_text": reason_text,
            "band": plan.band.pk,
        },
    )
    return proposal


@dataclass(frozen=True)
class _Plan:
    application: Application
    amount_ore: int | None
    band: Pool | None
    # The approved proposal this grant comes from (four eyes), if any.
    proposal: GrantProposal | None = None


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
        raise DecisionRefused(" ".join(problems), code="cannot_decide")
    return plans


def _held_back(pool_ids: Sequence[int]) -> dict[int, int]:
    """What open grant proposals ask of each pool (those still awaiting approval)."""
    rows = (
        GrantProposal.objects.filter(
            band_id__in=pool_ids,
            outcome=ProposalOutcome.OPEN,
            application__status=ApplicationStatus.AWAITING_APPROVAL,
        )
        .values("band_id")
        .annotate(total=Sum("amount_ore"))
        .order_by()
    )
    return {row["band_id"]: row["total"] for row in rows}


def _refuse_overspending(plans: list[_Plan], *, holding_back: bool) -> None:
    """Refuse the whole batch if its grants ask more of any pool than it has available; the
    pools are locked, so what is read here is what the commitments will find.

    ``holding_back``: less what open grant proposals ask of the pool, so that two proposals
    cannot between them promise more than it has. An approval does not hold back (the
    proposal approved is among them): the ledger's balance is the last word."""
    asked: dict[int, int] = defaultdict(int)
    for plan in plans:
        assert plan.band is not None
        assert plan.amount_ore is not None
        asked[plan.band.pk] += plan.amount_ore
    held = _held_back(list(asked)) if holding_back else {}
    accounts = PoolAccount.objects.filter(pool_id__in=asked).select_related("pool")
    shortfalls = []
    for account in sorted(accounts, key=lambda account: account.pool_id):
        held_back = held.get(account.pool_id, 0)
        available = account.balance.available - held_back
        if asked[account.pool_id] <= available:
            continue
        names = {
            "pool": account.pool.name,
            "asked": format_dkk(asked[account.pool_id]),
            "available": format_dkk(available),
            "held": format_dkk(held_back),
            "shortfall": format_dkk(asked[account.pool_id] - available),
        }
        if held_back:
            shortfalls.append(
                _(
                    "“%(pool)s” cannot pay for these grants: they come to %(asked)s and it has "
                    "%(available)s available once %(held)s for grants awaiting a second "
                    "approval is held back, %(shortfall)s too little."
                )
                % names
            )
        else:
            shortfalls.append(
                _(
                    "“%(pool)s” cannot pay for these grants: they come to %(asked)s and it has "
                    "%(available)s available, %(shortfall)s too little."
                )
                % names
            )
    if shortfalls:
        raise DecisionRefused(" ".join(shortfalls), code="over_budget")


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
        proposal = plan.proposal
        # Approved: the first caseworker's decision (they sign it), final from now.
        decision = Decision(
            application=application,
            requested_ore=application.amount_ore or 0,
            reason_text=proposal.reason_text if proposal else reason_text,
            decided_by=proposal.proposed_by if proposal else actor,
            decided_at=now,
            proposal=proposal,
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
        recorded: dict[str, object] = {
            "decision": decision.pk,
            "outcome": decision.outcome,
            "amount_ore": decision.amount_ore,
            "reason_code": decision.reason_code,
            "reason_text": decision.reason_text,
            "accept_by": decision.accept_by,
        }
        if proposal is not None:
            recorded.update(proposal=proposal.pk, proposed_by=proposal.proposed_by_id)
        transition(
            actor=actor,
            application=application,
            action="approve_grant" if proposal else outcome,
            recorded=recorded,
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
    if not is_proven_member(actor, organisation):
        raise DecisionRefused(
            _(
                "Only the organisation's members can accept the grant, once it is proven that "
                "they act for it (on the organisation's page)."
            ),
            code="not_member",
        )
    if not APPLICATION.allowed(application, "accept"):
        raise DecisionRefused(
            _("The grant is not awaiting acceptance."), code="not_awaiting_acceptance"
        )
    assert locked.accept_by is not None
    assert locked.amount_ore is not None
    if timezone.localdate() > locked.accept_by:
        raise DecisionRefused(
            _("The grant had to be accepted by %(date)s; it can no longer be accepted.")
            % {"date": date_format(locked.accept_by, "DATE_FORMAT")},
            code="acceptance_expired",
        )
    if not organisation.payment_iban:
        raise DecisionRefused(
            _("Add the payment account to the organisation's profile before accepting."),
            code="no_payment_account",
        )
    public_summary = public_summary.strip()
    if not public_summary:
        raise DecisionRefused(_("Write the summary that may be published."), code="summary_missing")
    lines = {kind: amount for kind, amount in (budget or {}).items() if amount}
    if locked.outcome == Outcome.REDUCED:
        if set(lines) - set(BudgetKind.values) or any(a < 0 for a in lines.values()):
            raise DecisionRefused(
                _("The revised budget has an unknown kind or a negative amount."),
                code="invalid_budget",
            )
        total = sum(lines.values())
        if total != locked.amount_ore:
            raise DecisionRefused(
                _(
                    "The revised budget must add up to the %(granted)s granted; "
                    "it adds up to %(total)s"
                )
                % {"granted": format_dkk(locked.amount_ore), "total": format_dkk(total)},
                code="budget_mismatch",
            )
    elif lines:
        raise DecisionRefused(
            _("A grant in full keeps the budget applied for."), code="budget_changed"
        )
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
    application = lock_for(
        pools=[decision.band.pk], applications=[decision.application_id]
    ).applications[decision.application_id]
    if not APPLICATION.allowed(application, "lapse"):
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


def _open_proposals(proposals: Sequence[GrantProposal]) -> list[GrantProposal]:
    """``proposals`` again, locked, each with its application (locked too, in pk order)
    and call; the caller has locked the pools first."""
    locked = list(
        GrantProposal.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted({proposal.pk for proposal in proposals}))
        .select_related("band", "proposed_by")
        .order_by("pk")
    )
    applications = {
        application.pk: application
        for application in Application.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted({proposal.application_id for proposal in locked}))
        .select_related("call__pool", "organisation")
        .order_by("pk")
    }
    for proposal in locked:
        proposal.application = applications[proposal.application_id]
    return locked


def _refuse_unless_open(proposals: list[GrantProposal], action: str) -> None:
    for proposal in proposals:
        application = proposal.application
        try:
            next_status(application, action)
        except ApplicationRefused:
            status = ApplicationStatus(application.status).label
            raise DecisionRefused(
                _("%(application)s is not awaiting a second approval: it is “%(status)s”.")
                % {"application": application.reference, "status": str(status).lower()},
                code="not_awaiting_approval",
            ) from None
        if proposal.outcome != ProposalOutcome.OPEN:
            raise DecisionRefused(
                _("The proposal for %(application)s has been approved or returned already.")
                % {"application": application.reference},
                code="proposal_settled",
            )


def _resolve(
    actor: User, proposal: GrantProposal, outcome: ProposalOutcome, return_reason: str = ""
) -> None:
    """Compare-and-swap the proposal from open to ``outcome``: it is resolved once."""
    now = timezone.now()
    written = GrantProposal.objects.filter(pk=proposal.pk, outcome=ProposalOutcome.OPEN).update(
        outcome=outcome, resolved_by=actor, resolved_at=now, return_reason=return_reason
    )
    if written != 1:
        raise DecisionRefused(
            _("The proposal was changed at the same time elsewhere. Reload the page."),
            code="conflict",
        )
    proposal.outcome = outcome
    proposal.resolved_by = actor
    proposal.resolved_at = now
    proposal.return_reason = return_reason


def approve_grant_proposals(
    *, actor: User, proposals: Sequence[GrantProposal], queue_letters: bool = True
) -> list[Decision]:
    """The second caseworker approves grant proposals (four eyes): each becomes the grant
    its proposer decided, final from now, all in one transaction or none.

    Side effects per proposal: those of a grant by ``decide_applications`` (the
    ``Decision``, signed by the proposer and linked to the proposal; the grant account and
    the commitment, which the ledger refuses if the band no longer has the money; the move
    from awaiting approval to granted, event ``applications.application.granted`` with the
    proposal and its proposer); the proposal marked approved by ``actor``. After commit the
    e-mails; the letters job in this transaction unless ``queue_letters`` is False.

    Raises DecisionRefused, having written nothing: for a user who is not the calls'
    caseworker, who proposed any of them (a second person must approve), or who has a
    conflict of interest with any of the applications (both naming who else can); for a
    proposal no longer awaiting approval; and when a band cannot pay for them.
    """
    if not proposals:
        return []
    with transaction.atomic():
        calls = list(
            Call.objects.filter(
                applications__grant_proposals__pk__in=[proposal.pk for proposal in proposals]
            )
            .distinct()
            .select_related("pool")
        )
        _refuse_unless_caseworker(actor, calls)
        lock_for(pools=[proposal.band_id for proposal in proposals])
        locked = _open_proposals(proposals)
        own = [proposal for proposal in locked if proposal.proposed_by_id == actor.pk]
        if own:
            applications = [proposal.application for proposal in own]
            raise DecisionRefused(
                _("You proposed %(applications)s yourself: a second caseworker must approve it.")
                % {"applications": ", ".join(a.reference for a in applications)}
                + " "
                + who_else_can(applications[0].call, applications, besides=[actor]),
                code="self_approval",
            )
        _refuse_conflicts(
            actor,
            [proposal.application for proposal in locked],
            _("You have a conflict of interest and cannot approve these grants:"),
            # Nor can the proposers.
            besides=[proposal.proposed_by for proposal in locked],
        )
        _refuse_unless_open(locked, "approve_grant")
        plans = [
            _Plan(proposal.application, proposal.amount_ore, proposal.band, proposal)
            for proposal in locked
        ]
        _refuse_overspending(plans, holding_back=False)
        for proposal in locked:
            _resolve(actor, proposal, ProposalOutcome.APPROVED)
        return _decide(
            actor, plans, "grant", reason_code="", reason_text="", queue_letters=queue_letters
        )


@transaction.atomic
def return_grant_proposal(*, actor: User, proposal: GrantProposal, reason: str) -> GrantProposal:
    """A caseworker (the second, or the proposer taking it back) returns a grant proposal
    with a reason: it is not granted, and the application goes back to the status it was
    proposed from, to be decided again.

    Side effects: the proposal marked returned; the application's move back (event
    ``applications.application.grant_returned`` with the reason).

    Raises DecisionRefused, having written nothing: without a reason, for a user who is not
    the call's caseworker or has a conflict of interest with the application, and for a
    proposal no longer awaiting approval.
    """
    reason = reason.strip()
    if not reason:
        raise DecisionRefused(_("Write why the grant is returned."), code="return_reason_missing")
    application = Application.objects.select_related("call__pool").get(pk=proposal.application_id)
    _refuse_unless_caseworker(actor, [application.call])
    [locked] = _open_proposals([proposal])
    _refuse_conflicts(
        actor,
        [locked.application],
        _("You have a conflict of interest and cannot return this grant:"),
    )
    _refuse_unless_open([locked], return_action(locked.from_status))
    _resolve(actor, locked, ProposalOutcome.RETURNED, reason)
    transition(
        actor=actor,
        application=locked.application,
        action=return_action(locked.from_status),
        recorded={"proposal": locked.pk, "reason": reason},
    )
    return locked
