"""Confirming a run: its proposal becomes the call's decisions, under the locks of the
call's pools and applications (``core.locks``), once (``RUN``'s compare-and-swap)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.allocation.models import AllocationRun
from pulje.allocation.plans import (
    confirmation_refusal,
    default_reduction_reason,
    plan_of,
)
from pulje.allocation.services.common import RUN, AllocationRefused, refuse_unless_caseworker
from pulje.applications.models import Application
from pulje.calls.models import Call
from pulje.calls.selectors import call_bands
from pulje.casework.permissions import conflict_refusal
from pulje.core.audit import record_event
from pulje.core.audit_actions import AuditAction
from pulje.core.locks import lock_for
from pulje.decisions.models import Decision, GrantProposal
from pulje.decisions.services import (
    Decided,
    DecisionRefused,
    decide_applications,
    queue_decision_letters,
)


def confirm_allocation(
    *, actor: User, run: AllocationRun, reduction_reason: str = "", queue_letters: bool = True
) -> Decided:
    """The run's proposal becomes the call's decisions, all in one transaction with the
    run's confirmation: grants in full, reduced grants (with ``reduction_reason``, by
    default ``default_reduction_reason()``), and rejections of the rest with the reason
    ``rejection_reason`` gives, each batch through ``decisions.services.decide_applications``.

    Side effects: the run's ``confirmed_at``/``confirmed_by`` (once: the call's pools and
    applications are locked before the checks);
    everything ``decide_applications`` does for each batch (decisions, ledger commitments,
    status moves and their events; after commit the e-mails); one letters job for all the
    decisions;
    the audit event ``allocation.run.confirmed``. With ``queue_letters`` False no letters job
    is queued: for the confirmation page's dry run (``decisions.confirmation``), which rolls
    everything back and must not start a task that sends mail.

    Grants above their band's second-approval amount are proposed, not decided
    (``decide_applications``): they wait for a second caseworker, as any other.

    Raises AllocationRefused, having written nothing: for a user who does not work the call
    or has a conflict of interest with any application the run decides (naming them and
    who else can confirm); a run that is confirmed already, has no proposal (infeasible, an
    error, out of time), is not the call's newest, or whose applications have changed since
    it was made (naming them); and with ``DecisionRefused``'s message, e.g. the ledger's
    when a band has too little money left.
    """
    call = run.call
    refuse_unless_caseworker(actor, call)
    try:
        with transaction.atomic():
            return _confirm(
                actor,
                run,
                reduction_reason.strip() or default_reduction_reason(),
                queue_letters=queue_letters,
            )
    except DecisionRefused as refusal:
        raise AllocationRefused(refusal.message, code=refusal.code) from refusal


def _confirm(
    actor: User, run: AllocationRun, reduction_reason: str, *, queue_letters: bool
) -> Decided:
    call = Call.objects.select_related("pool").get(pk=run.call_id)
    # The call's pools, then its applications, in the order decide_applications locks them:
    # from here no decision, withdrawal or score (assessment locks the application too) can
    # change what the checks below read, and a second confirmation waits for this one.
    lock_for(
        pools=[pool.pk for pool in call_bands(call) or [call.pool]],
        applications=Application.objects.filter(call=call).values_list("pk", flat=True),
    )
    run = AllocationRun.objects.get(pk=run.pk)
    run.call = call
    refusal = confirmation_refusal(run)
    if refusal is not None:
        raise AllocationRefused(refusal.message, code=refusal.state)
    plan = plan_of(run)
    refusal_text = conflict_refusal(
        actor,
        plan.applications,
        lead=_(
            "You have a conflict of interest with applications this proposal decides, so you "
            "cannot confirm it:"
        ),
    )
    if refusal_text:
        raise AllocationRefused(refusal_text, code="conflict_of_interest")
    RUN.move(
        actor=actor,
        obj=run,
        action="confirm",
        changes={"confirmed_at": timezone.now(), "confirmed_by": actor},
    )
    decisions: list[Decision] = []
    proposals: list[GrantProposal] = []
    batches: list[Decided] = []
    if plan.full:
        batches.append(
            decide_applications(
                actor=actor, applications=plan.full, outcome="grant", queue_letters=False
            )
        )
    if plan.reduced:
        batches.append(
            decide_applications(
                actor=actor,
                applications=[application for application, _amount in plan.reduced],
                outcome="grant",
                amounts={application.pk: amount for application, amount in plan.reduced},
                reason_text=reduction_reason,
                queue_letters=False,
            )
        )
    for reason_code, applications in sorted(plan.rejected.items()):
        batches.append(
            decide_applications(
                actor=actor,
                applications=applications,
                outcome="reject",
                reason_code=reason_code,
                queue_letters=False,
            )
        )
    for batch in batches:
        decisions += batch
        proposals += batch.proposals
    if decisions and queue_letters:
        # One job for the whole confirmation, so the call's queue links to all its letters.
        queue_decision_letters(actor=actor, decision_ids=[decision.pk for decision in decisions])
    run.refresh_from_db(fields=["confirmed_at", "confirmed_by"])
    record_event(
        actor=actor,
        action=AuditAction.ALLOCATION_RUN_CONFIRMED,
        obj=run,
        after={
            "confirmed_at": run.confirmed_at,
            "decisions": sorted(decision.pk for decision in decisions),
            "grant_proposals": sorted(proposal.pk for proposal in proposals),
            "grants": plan.grants,
            "rejections": plan.rejections,
            "total_ore": plan.total_ore,
        },
    )
    return Decided(decisions, proposals)
