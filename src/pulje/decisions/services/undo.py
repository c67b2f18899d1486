"""Undoing decisions before their letters are sent (``undo_decisions``).

The letters job of a batch of decisions waits ``LETTERS_UNDO_MINUTES`` before a worker runs
it (``Job.run_after``). Until then the caseworker may undo the whole batch: one transaction
that locks the grants' bands and the applications in the order of ``core.locks`` and then
cancels the job with a compare-and-swap on "queued", so a worker claiming the job at the same
moment either wins (the undo is refused, nothing written) or finds it cancelled (no letter).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.workflow import APPLICATION, transition, undo_action
from pulje.calls.models import Call
from pulje.core.audit_actions import AuditAction
from pulje.core.jobs import Job, JobKind, JobRefused, JobStatus, cancel_job_status
from pulje.core.locks import lock_for
from pulje.decisions.models import Decision
from pulje.decisions.services.common import (
    DecisionRefused,
    _refuse_conflicts,
    _refuse_unless_caseworker,
)
from pulje.ledger.models import ReleaseReason
from pulje.ledger.services import release


def undo_decisions(*, actor: User, job: Job) -> list[Application]:
    """Undo every decision of a letters job that is still waiting for its time: each
    application goes back to the status it was decided from, to be decided again; no letter
    is made or sent. All of them or none. Returns the applications, as they are now.

    Side effects, in one transaction: per grant, its commitment released to its band in full
    (``ledger.services.release``, reason "cancelled", key ``undo-<decision pk>``; the grant's
    account stays, with nothing committed); per decision, the ``Decision`` row deleted (it is
    one per application, so a later decision can be made) and the move back (event
    ``applications.application.decision_undone`` recording the whole decision as it was and
    the amount released); the job cancelled (event ``letters.job.cancelled``), so its task,
    when a worker takes it, does nothing.

    Raises DecisionRefused, having written nothing: ``not_caseworker`` for a user who may not
    decide the calls, ``conflict_of_interest`` for one with a conflict of interest with any
    of the applications, ``already_sent`` when the letters are being or have been sent,
    ``window_closed`` when the job's time has come, ``already_undone`` when the job was
    cancelled already, ``moved_on`` when an application has moved since its decision (a grant
    accepted or declined), ``cannot_undo`` for a job that is not decision letters or a
    decision made before pulje kept the status it was decided from.
    """
    with transaction.atomic():
        job = Job.objects.select_related("call").get(pk=job.pk)
        ids = job.payload.get("decision_ids", []) if job.kind == JobKind.DECISION_LETTERS else []
        decisions = list(Decision.objects.filter(pk__in=ids).select_related("grant").order_by("pk"))
        calls = list(
            Call.objects.filter(applications__decision__pk__in=ids).distinct().order_by("pk")
        )
        # Undone already, the decisions are gone: the job still names its call.
        _refuse_unless_caseworker(actor, calls or ([job.call] if job.call else []))
        _refuse_unless_waiting(job)
        if not ids or len(decisions) != len(set(ids)):
            raise DecisionRefused(_("These decisions cannot be undone."), code="cannot_undo")
        locked = lock_for(
            pools=sorted({d.band_id for d in decisions if d.band_id is not None}),
            applications=[d.application_id for d in decisions],
        ).applications
        applications = [locked[d.application_id] for d in decisions]
        _refuse_conflicts(
            actor,
            applications,
            _("You have a conflict of interest and cannot undo these decisions:"),
        )
        for decision, application in zip(decisions, applications, strict=True):
            if not decision.from_status:
                raise DecisionRefused(_("These decisions cannot be undone."), code="cannot_undo")
            if not APPLICATION.allowed(application, undo_action(decision.from_status)):
                raise DecisionRefused(
                    _(
                        "%(application)s has changed since the decision (the grant was "
                        "accepted or declined), so the decisions cannot be undone."
                    )
                    % {"application": application.reference},
                    code="moved_on",
                )
        try:
            cancel_job_status(actor=actor, job=job, event=AuditAction.LETTERS_JOB_CANCELLED)
        except JobRefused:
            # A worker claimed the job between the check above and now.
            raise DecisionRefused(_sent_message(), code="already_sent") from None
        for decision, application in zip(decisions, applications, strict=True):
            _undo_one(actor, decision, application)
    return applications


def _refuse_unless_waiting(job: Job) -> None:
    if job.status == JobStatus.CANCELLED:
        raise DecisionRefused(_("The decisions have been undone already."), code="already_undone")
    if job.status != JobStatus.QUEUED:
        raise DecisionRefused(_sent_message(), code="already_sent")
    if not job.is_waiting:
        raise DecisionRefused(
            _("The time to undo the decisions has run out: the letters are being sent."),
            code="window_closed",
        )


def _sent_message() -> str:
    return _("The letters are being sent or have been sent, so the decisions cannot be undone.")


def _undo_one(actor: User, decision: Decision, application: Application) -> None:
    released = 0
    if decision.grant is not None and decision.amount_ore:
        release(
            actor=actor,
            grant=decision.grant,
            amount_ore=decision.amount_ore,
            reason=ReleaseReason.CANCELLED,
            text=application.reference,
            key=f"undo-{decision.pk}",
        )
        released = decision.amount_ore
    recorded = {
        "decision": {
            "id": decision.pk,
            "outcome": decision.outcome,
            "requested_ore": decision.requested_ore,
            "amount_ore": decision.amount_ore,
            "reason_code": decision.reason_code,
            "reason_text": decision.reason_text,
            "decided_by": decision.decided_by_id,
            "decided_at": decision.decided_at,
            "proposal": decision.proposal_id,
            "band": decision.band_id,
            "grant": decision.grant_id,
            "commitment": decision.commitment_id,
            "accept_by": decision.accept_by,
            "spend_by": decision.spend_by,
            "reporting": decision.reporting,
        },
        "released_ore": released,
    }
    Decision.objects.filter(pk=decision.pk).delete()
    transition(
        actor=actor,
        application=application,
        action=undo_action(decision.from_status),
        recorded=recorded,
    )
