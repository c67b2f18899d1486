"""Background jobs: the moves of a job's status, on the workflow kit (docs/workflows.md).

A job (``core.models.Job``) is a row with a kind, a payload (what it works through), a status
and its progress. The app that owns a kind queues it and runs it (letters:
``queue_decision_letters`` and ``run_decision_letters``) and names the audit events of its
moves; what is shared is the row and ``JOB``, the table of its moves, each a compare-and-swap
on the status, so two workers never run one job (healthchecks' sendalerts pattern):
``claim_job`` (queued → running), ``finish_job`` (running → done, done with failures or
failed), ``retry_job_status`` (failed, done with failures, or stalled → queued) and
``cancel_job_status`` (queued, its ``run_after`` not reached → cancelled: a worker that then
takes its task finds nothing to claim).
"""

from typing import TYPE_CHECKING

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pulje.core.errors import Refused
from pulje.core.models import STALLED_AFTER, Job, JobKind, JobStatus
from pulje.core.workflow import Guard, Machine

if TYPE_CHECKING:
    from pulje.accounts.models import User

__all__ = [
    "JOB",
    "STALLED_AFTER",
    "Job",
    "JobKind",
    "JobRefused",
    "JobStatus",
    "cancel_job_status",
    "claim_job",
    "count_progress",
    "finish_job",
    "retry_job_status",
]


class JobRefused(Refused):
    """A change to a job its state does not allow; ``message`` is for the person."""


def _stalled() -> Q:
    return Q(started_at__lt=timezone.now() - STALLED_AFTER)


S = JobStatus
JOB = Machine(
    model=Job,
    field="status",
    table={
        (S.QUEUED, "claim"): S.RUNNING,
        (S.RUNNING, "finish"): S.DONE,
        (S.RUNNING, "finish_with_failures"): S.DONE_WITH_FAILURES,
        (S.RUNNING, "fail"): S.FAILED,
        (S.FAILED, "retry"): S.QUEUED,
        (S.DONE_WITH_FAILURES, "retry"): S.QUEUED,
        # A job running past STALLED_AFTER lost its worker; running it again is safe, since
        # what a job makes it makes once.
        (S.RUNNING, "retry"): S.QUEUED,
        # Only while it waits for its time (``run_after``): a claim and a cancel are both a
        # compare-and-swap on "queued", so exactly one of them wins.
        (S.QUEUED, "cancel"): S.CANCELLED,
    },
    guards={
        "retry": Guard(
            holds=lambda job: job.status != S.RUNNING or job.is_stalled,
            where=lambda: ~Q(status=S.RUNNING) | _stalled(),
        ),
        "cancel": Guard(
            holds=lambda job: job.is_waiting,
            where=lambda: Q(run_after__gt=timezone.now()),
        ),
    },
    refuse=lambda message, code: JobRefused(message, code=code),
    wrong_state=_("A job that is “%(status)s” cannot be changed that way."),
    conflict=_("The job was changed at the same time elsewhere. Reload the page."),
    initial=(S.QUEUED, "queue"),
)
# The outcome of a run → its move.
_FINISH: dict[str, str] = {
    S.DONE: "finish",
    S.DONE_WITH_FAILURES: "finish_with_failures",
    S.FAILED: "fail",
}


def claim_job(*, job_id: int) -> Job | None:
    """The job, claimed for this worker (queued → running, compare-and-swap), with its
    attempts counted and its progress reset; None when it is not queued (another worker got
    there first, or it is finished). No audit event: the job's own events say what it did."""
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or not JOB.allowed(job, "claim"):
        return None
    try:
        JOB.move(
            actor=None,
            obj=job,
            action="claim",
            changes={"started_at": timezone.now(), "attempts": F("attempts") + 1, "done_count": 0},
        )
    except JobRefused:
        return None
    job.refresh_from_db(fields=["attempts"])
    return job


def count_progress(*, job: Job, done: int) -> None:
    """Record that ``done`` of the job's ``total`` items are through."""
    Job.objects.filter(pk=job.pk).update(done_count=done)
    job.done_count = done


def finish_job(
    *,
    job: Job,
    status: str,
    error: str = "",
    event: str | None = None,
    recorded: dict[str, object] | None = None,
) -> None:
    """End the running job as done, done with failures or failed, with the reason in
    ``error`` and the owner's audit ``event`` (with ``recorded``), if it names one; with an
    event it must run in a transaction. Raises JobRefused when the job is no longer running
    (a retry took it back meanwhile)."""
    JOB.move(
        actor=job.created_by,
        obj=job,
        action=_FINISH[status],
        changes={"error": error, "finished_at": timezone.now()},
        recorded=recorded,
        event=event,
    )


def retry_job_status(*, actor: "User", job: Job, event: str) -> None:
    """Put a failed job, one done with failures, or one running past ``STALLED_AFTER`` back
    in the queue with its error cleared (compare-and-swap on the status ``job`` was read
    with), with the owner's audit ``event``. Must run in a transaction. Raises JobRefused
    when it is in none of those states, or has moved since it was read."""
    JOB.move(
        actor=actor,
        obj=job,
        action="retry",
        changes={"error": "", "finished_at": None},
        event=event,
    )


def cancel_job_status(*, actor: "User", job: Job, event: str) -> None:
    """Cancel a job that waits for its ``run_after`` (compare-and-swap on "queued" and the time
    not reached), with the owner's audit ``event``; its task, when a worker takes it, claims
    nothing. Must run in a transaction. Raises JobRefused when the job is no longer queued
    (a worker claimed it) or its time has come."""
    JOB.move(
        actor=actor,
        obj=job,
        action="cancel",
        changes={"finished_at": timezone.now()},
        event=event,
    )
