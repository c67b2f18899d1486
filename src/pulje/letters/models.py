"""Background jobs with their progress, decision letters and the calls' letter templates."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pulje.applications.models import Application
from pulje.calls.models import Call

# A job running this long has lost its worker (a thousand letters take well under a minute).
STALLED_AFTER = dt.timedelta(minutes=30)


class JobKind(models.TextChoices):
    DECISION_LETTERS = "decision_letters", _("Decision letters")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    # Done, but some letters' mail was refused: each such letter says why (Letter.send_error).
    DONE_WITH_FAILURES = "partial", _("Done, some letters not e-mailed")
    FAILED = "failed", _("Failed")

    @classmethod
    def retryable(cls) -> set[str]:
        """A job run again for what it did not do: its failure or its letters not e-mailed."""
        return {cls.FAILED, cls.DONE_WITH_FAILURES}


class Job(models.Model):
    """A bulk piece of background work as people follow it: what it is, how far it got, and
    why it failed. The work itself runs as a django-tasks task (``task_result_id``); this row
    outlives the task's result and is what the job page shows and a retry starts again."""

    kind = models.CharField(_("kind"), max_length=30, choices=JobKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    # Whose caseworkers may follow and retry the job.
    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="+", null=True
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
        return self.status in {JobStatus.DONE, JobStatus.DONE_WITH_FAILURES, JobStatus.FAILED}

    @property
    def is_stalled(self) -> bool:
        return (
            self.status == JobStatus.RUNNING
            and self.started_at is not None
            and self.started_at < timezone.now() - STALLED_AFTER
        )


class LetterKind(models.TextChoices):
    GRANT = "grant", _("Grant letter")
    REJECTION = "rejection", _("Rejection letter")


class LetterTemplate(models.Model):
    """A call's wording of one kind of letter, in Danish: typst markup with placeholders
    such as ``{{ title }}`` (``pulje.letters.rendering.PLACEHOLDERS``), which are filled with
    the values as typst strings, so nothing typed by an applicant is read as markup. Made
    from the default wording the first time a call needs it."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="letter_templates"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LetterKind.choices)
    body = models.TextField(_("body (typst markup)"))
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["call", "kind"]
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        constraints = [
            models.UniqueConstraint(fields=["call", "kind"], name="lettertemplate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.call} – {self.get_kind_display()}"


class Letter(models.Model):
    """A decision letter as sent: the PDF, kept with the application. One per decision and
    kind, which a database constraint holds, so a job run again makes no second letter."""

    # The decision's id (pulje.decisions); a plain column, since a letter is the record of
    # what was sent and must outlive any later change to the decision's own rows.
    decision_id = models.BigIntegerField(_("decision"), db_index=True)
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="letters",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LetterKind.choices)
    file = models.FileField(_("file"), upload_to="letters/%Y/%m/")
    recipient_email = models.EmailField(_("sent to"), blank=True)
    job = models.ForeignKey(
        Job, verbose_name=_("job"), on_delete=models.SET_NULL, null=True, related_name="letters"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    # Why the last try to e-mail it failed (the mail server's answer); empty once it is sent.
    send_error = models.TextField(_("not e-mailed because"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        constraints = [
            models.UniqueConstraint(fields=["decision_id", "kind"], name="letter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.application}"

    @property
    def filename(self) -> str:
        name = "tilsagn" if self.kind == LetterKind.GRANT else "afslag"
        return f"{name}-{self.application.reference or self.application.pk}.pdf"
