import datetime as dt
import math
from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a row of an append-only table."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: rows cannot be updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: rows cannot be deleted.")


class AppendOnlyModel(models.Model):
    """A row is written once and never changed: corrections are new rows.

    The ORM refuses updates and deletes here; on PostgreSQL a trigger refuses them in the
    database as well (see ``pulje.core.db.append_only``).
    """

    objects: ClassVar[AppendOnlyQuerySet] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} is append-only: rows cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self._meta.label} is append-only: rows cannot be deleted.")


class AuditEvent(AppendOnlyModel):
    """One recorded change: who did what to which object, with the state before and after.

    Events form a hash chain: ``hash`` covers the event's content and the previous event's
    hash, so editing or deleting any event breaks every hash after it (``verify_audit``).
    """

    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    occurred_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=64)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The single row that holds the end of the chain; locking it serialises appends."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="audithead_singleton")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash}"


class SentEmail(models.Model):
    """A message kept by the outbox mail backend (``core.mail.OutboxBackend``) instead of being
    sent: the demo and development run without a mail server and show mail on a page."""

    to = models.TextField(_("to"))
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("sent e-mail")
        verbose_name_plural = _("sent e-mails")

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


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
    # Cancelled before it ran: the decisions it would have sent letters for were undone.
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def retryable(cls) -> set[str]:
        """A job run again for what it did not do: its failure or its items left undone."""
        return {cls.FAILED, cls.DONE_WITH_FAILURES}

    @classmethod
    def finished(cls) -> set[str]:
        return {cls.DONE, cls.DONE_WITH_FAILURES, cls.FAILED, cls.CANCELLED}


class Job(models.Model):
    """A bulk piece of background work as people follow it: what it is, how far it got, and
    why it failed. The work itself runs as a django-tasks task (``task_result_id``); this row
    outlives the task's result and is what the job page shows and a retry starts again. Its
    status moves only through ``pulje.core.jobs`` (claim, finish, retry)."""

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
    # The worker runs the job no earlier than this (the undo window of decision letters);
    # None: at once.
    run_after = models.DateTimeField(_("runs after"), null=True, blank=True)
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
    def is_waiting(self) -> bool:
        """Queued to run later, and its time has not come: it can still be cancelled."""
        return (
            self.status == JobStatus.QUEUED
            and self.run_after is not None
            and self.run_after > timezone.now()
        )

    @property
    def seconds_left(self) -> int:
        """Whole seconds, rounded up, until ``run_after`` (0 when it has come or is not set)."""
        if self.run_after is None:
            return 0
        return max(0, math.ceil((self.run_after - timezone.now()).total_seconds()))

    @property
    def minutes_left(self) -> int:
        """Whole minutes, rounded up, until ``run_after``."""
        return math.ceil(self.seconds_left / 60)

    @property
    def is_stalled(self) -> bool:
        return (
            self.status == JobStatus.RUNNING
            and self.started_at is not None
            and self.started_at < timezone.now() - STALLED_AFTER
        )
