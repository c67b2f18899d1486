"""Deciding applications: grant (in full or reduced) or reject, or propose a grant above its
pool's second-approval amount (four eyes; approved in ``approve``).

``decide_applications`` is one transaction: it locks the pools (for grants) and the
applications in the order of ``core.locks`` before reading balances or states, and refuses the
whole batch, having written nothing, or decides all of it. Each application's status moves only
through ``applications.workflow.transition``.
"""

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import ApplicationRefused, next_status, transition
from pulje.calls.models import Call
from pulje.calls.selectors import call_bands
from pulje.casework.selectors import failed_screening
from pulje.core.locks import lock_for
from pulje.core.money import format_dkk
from pulje.decisions.brakes import brake_facts, brake_items
from pulje.decisions.models import Decision, GrantProposal, RejectionReason
from pulje.decisions.selectors import grant_pool
from pulje.decisions.services.common import (
    DecisionRefused,
    _Plan,
    _refuse_conflicts,
    _refuse_overspending,
    _refuse_unless_caseworker,
)
from pulje.decisions.services.write import _decide
from pulje.decisions.warnings import confirmation_token, warnings_for
from pulje.funds.models import Pool
from pulje.funds.selectors import second_approval_threshold


class Decided(list[Decision]):
    """What ``decide_applications`` did: the decisions made (the list itself), and the
    grants above their pool's second-approval amount that were proposed instead
    (``proposals``), to be final when a second caseworker approves them."""

    def __init__(self, decisions: list[Decision], proposals: list[GrantProposal]) -> None:
        super().__init__(decisions)
        self.proposals = proposals


def decide_applications(
    *,
    actor: User,
    applications: Sequence[Application],
    outcome: str,
    reason_code: str = "",
    reason_text: str = "",
    amounts: Mapping[int, int] | None = None,
    queue_letters: bool = True,
    shown: str = "",
    warnings_seen: bool = False,
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
    decision); the decision letters queued (``services.letters.queue_decision_letters``;
    the letter's e-mail is the applicant's one message about the decision), unless
    ``queue_letters`` is False: then the caller queues them, in the same transaction, with
    other batches' (one job for one act).

    Brakes: with ``shown``, the token of the confirmation page the caseworker saw
    (``decisions.warnings.confirmation_token``), the batch is decided only if what that page
    listed and warned of is still so, read again under the locks; never with a blocking
    warning (``decisions.warnings``), such as a deadline not passed for a call whose
    applicants may change what they sent until then; and with other warnings only if
    ``warnings_seen`` (the caseworker's tick).

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
        if shown:
            _refuse_unless_as_shown(
                shown=shown,
                calls=calls,
                locked=locked,
                outcome=outcome,
                amounts=amounts,
                reason_code=reason_code,
                warnings_seen=warnings_seen,
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


def _refuse_unless_as_shown(
    *,
    shown: str,
    calls: list[Call],
    locked: list[Application],
    outcome: str,
    amounts: Mapping[int, int],
    reason_code: str,
    warnings_seen: bool,
) -> None:
    if len(calls) != 1:
        raise DecisionRefused(
            _("One confirmation decides applications to one call only."), code="one_call"
        )
    items = brake_items(locked, outcome, amounts=amounts, reason_code=reason_code)
    found = warnings_for(brake_facts(calls[0]), items)
    blocking = [warning.message for warning in found if warning.blocking]
    if blocking:
        raise DecisionRefused(" ".join(blocking), code="blocked")
    if confirmation_token(items, found) != shown:
        raise DecisionRefused(
            _(
                "The applications or what is known about them changed after the decisions "
                "were shown to you, so nothing was decided. Look at the decisions again "
                "before you confirm."
            ),
            code="changed_since_shown",
        )
    if found and not warnings_seen:
        raise DecisionRefused(
            _("Tick that you have seen the warnings before you confirm."), code="warnings_not_seen"
        )


def _needs_second_approval(plan: "_Plan", thresholds: dict[int, int | None]) -> bool:
    assert plan.band is not None
    assert plan.amount_ore is not None
    threshold = thresholds[plan.band.pk]
    return threshold is not None and plan.amount_ore > threshold


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
