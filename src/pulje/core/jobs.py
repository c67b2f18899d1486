"""Background jobs: a bulk piece of work as people follow it, and its claim (docs/letters.md).

A job is a row with a kind, a payload (what it works through), a status and its progress.
The app that owns a kind queues it and runs it (letters: ``queue_decision_letters`` and
``run_decision_letters``); what is shared is the row and the moves of its status, which are
compare-and-swaps on ``status`` so two workers never run one job (healthchecks' sendalerts
pattern): ``claim_job`` (queued → running), ``requeue_job`` (failed, done with failures, or
stalled → queued) and ``finish_job`` (running → done, done with failures or failed).
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A job running this long has lost its worker (a thousand letters take well under a minute).
STALLED_AFTER = dt.timedelta(minutes=30)


class JobKind(models.TextChoices):
    DECISION_LETTERS = "decision_letters", _("Decision letters")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    # Done, but some items failed: the job's error (and each item, e.g. Letter.send_error) says why.
    DONE_WITH_FAILURES = "partial", _("Done, some letters not e-mailed")
    FAILED = "failed", _("Failed")

    @classmethod
    def retryable(cls) -> set[str]:
        """A job run again for what it did not do: its failure or its items left undone."""
        return {cls.FAILED, cls.DONE_WITH_FAILURES}

    @classmethod
    def finished(cls) -> set[str]:
        return {cls.DONE, cls.DONE_WITH_FAILURES, cls.FAILED}


class Job(models.Model):
    """A bulk piece of background work as people follow it: what it is, how far it got, and
    why it failed. The work itself runs as a django-tasks task (``task_result_id``); this row
    outlives the task's result and is what the job page shows and a retry starts again."""

    kind = models.CharField(_("kind"), max_length=30, choices=JobKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    # Whose caseworkers may follow and retry the job. A string reference: core imports no app.
    call = models.ForeignKey(
        "calls.Call", verbose_name=_("call"), on_delete=models.PROTECT, related_name="+", null=True
    )
    # What the job works through, e.g. {"decision_ids": [1, 2, 3]}.
    payload = models.JSONField(_("payload"), default=dict)
    total = models.PositiveIntegerField(_("total"), default=0)
    done_count = models.PositiveIntegerField(_("done"), default=0)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    task_result_id = models.CharField(_("task result"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        # The table it was created in, when jobs were the letters app's: moved without a copy.
        db_table = "letters_job"
        ordering = ["-created_at"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done_count__lte=models.F("total")), name="job_done_lte_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.done_count * 100 // self.total

    @property
    def is_finished(self) -> bool:
        return self.status in JobStatus.finished()

    @property
    def is_stalled(self) -> bool:
        return (
            self.status == JobStatus.RUNNING
            and self.started_at is not None
            and self.started_at < timezone.now() - STALLED_AFTER
        )


def claim_job(*, job_id: int) -> Job | None:
    """The job, claimed for this worker (queued → running, compare-and-swap), with its
    attempts counted and its progress reset; None when it is not queued (another worker got
    there first, or it is finished)."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        done_count=0,
    )
    if claimed != 1:
        return None
    return Job.objects.select_related("created_by").get(pk=job_id)


def requeue_job(*, job: Job) -> bool:
    """Put a failed job, one done with failures, or one running past ``STALLED_AFTER`` back
    in the queue with its error cleared (compare-and-swap on the status ``job`` was read
    with). False when it is in none of those states, or has moved since it was read; ``job``
    is refreshed when it moved."""
    stalled = Q(status=JobStatus.RUNNING, started_at__lt=timezone.now() - STALLED_AFTER)
    moved = (
        Job.objects.filter(pk=job.pk, status=job.status)
        .filter(Q(status__in=JobStatus.retryable()) | stalled)
        .update(status=JobStatus.QUEUED, error="", finished_at=None)
    )
    if moved != 1:
        return False
    job.refresh_from_db()
    return True


def count_progress(*, job: Job, done: int) -> None:
    """Record that ``done`` of the job's ``total`` items are through."""
    Job.objects.filter(pk=job.pk).update(done_count=done)


def finish_job(*, job: Job, status: str, error: str = "") -> None:
    """End a running job as done, done with failures or failed, with the reason in
    ``error``. Only the worker that claimed the job finishes it."""
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(status=status, error=error, finished_at=now)
    job.status, job.error, job.finished_at = status, error, now
