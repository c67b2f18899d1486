import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pulje.calls.models import Call, CallQuestion
from pulje.core.models import AppendOnlyModel
from pulje.registry.models import HousingDepartment, Organisation


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SCREENED = "screened", _("Screened")
    IN_ASSESSMENT = "in_assessment", _("In assessment")
    RECOMMENDED = "recommended", _("Recommended")
    NOT_RECOMMENDED = "not_recommended", _("Not recommended")
    AWAITING_APPROVAL = "awaiting_approval", _("Grant awaiting second approval")
    GRANTED = "granted", _("Granted")
    REJECTED = "rejected", _("Rejected")
    ACCEPTED = "accepted", _("Accepted")
    LAPSED = "lapsed", _("Lapsed")
    DECLINED = "declined", _("Grant declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")

    # The groups every app asks about (pretalx keeps its states' groups on the enum, too).
    # The workflow's table (applications/workflow.py) is built from ``undecided``; the other
    # groups are the table's own sets of states, which tests/applications/test_workflow.py
    # holds them to.

    @classmethod
    def undecided(cls) -> list[str]:
        """Submitted, and not yet granted, proposed for a grant or rejected: may still be
        rejected (and withdrawn)."""
        return [
            cls.SUBMITTED.value,
            cls.SCREENED.value,
            cls.IN_ASSESSMENT.value,
            cls.RECOMMENDED.value,
            cls.NOT_RECOMMENDED.value,
        ]

    @classmethod
    def applicant_editable(cls) -> list[str]:
        """The applicant may change (and submit) the application in these, until the
        deadline: a submission is screened at once, and assessment starts after it."""
        return [cls.DRAFT.value, cls.SUBMITTED.value, cls.SCREENED.value]

    @classmethod
    def assessed(cls) -> list[str]:
        """In assessment or awaiting its decision with a recommendation: scores may be given
        and count."""
        return [cls.IN_ASSESSMENT.value, cls.RECOMMENDED.value, cls.NOT_RECOMMENDED.value]

    @classmethod
    def decided(cls) -> list[str]:
        """Granted or rejected, and what a grant becomes (accepted, lapsed, declined): final."""
        return [
            cls.GRANTED.value,
            cls.REJECTED.value,
            cls.ACCEPTED.value,
            cls.LAPSED.value,
            cls.DECLINED.value,
        ]

    @classmethod
    def counted(cls) -> list[str]:
        """Statuses whose amount counts as requested from the call: submitted and not
        withdrawn, whatever has happened since."""
        return [status.value for status in cls if status not in {cls.DRAFT, cls.WITHDRAWN}]


class TargetGroup(models.TextChoices):
    CHILDREN = "children", _("Children and young people")
    ADULTS = "adults", _("Adults")
    ELDERLY = "elderly", _("Elderly people")


class BudgetKind(models.TextChoices):
    SALARIES = "salaries", _("Salaries")
    ACTIVITIES = "activities", _("Activities")
    MATERIALS = "materials", _("Materials")
    AUDIT = "audit", _("Audit")
    OTHER = "other", _("Other")


class Application(models.Model):
    """A housing organisation's application to a call.

    While it is being written, ``draft`` holds the form exactly as typed (text as text, even
    when it does not parse yet), so nothing the applicant types is lost. Submitting validates
    the draft and writes it into the typed fields, budget lines, partners and answers below,
    and appends an ``ApplicationVersion``: the history of what was submitted.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="applications"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    reference = models.CharField(_("reference number"), max_length=20, blank=True)
    draft = models.JSONField(_("draft"), default=dict, blank=True)
    draft_saved_at = models.DateTimeField(_("draft saved"), null=True, blank=True)
    # What was last submitted, typed; the source for assessment, decisions and publication.
    title = models.CharField(_("title"), max_length=150, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    target_groups = models.JSONField(_("target groups"), default=list, blank=True)
    activities = models.TextField(_("activities"), blank=True)
    loneliness = models.TextField(_("how it brings lonely residents into communities"), blank=True)
    period_start = models.DateField(_("project start"), null=True, blank=True)
    period_end = models.DateField(_("project end"), null=True, blank=True)
    expected_participants = models.PositiveIntegerField(
        _("expected participants"), null=True, blank=True
    )
    amount_ore = models.BigIntegerField(_("amount requested (øre)"), null=True, blank=True)
    cofunding_ore = models.BigIntegerField(_("co-funding (øre)"), default=0)
    departments = models.ManyToManyField(
        HousingDepartment, verbose_name=_("housing departments"), related_name="applications"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["call", "reference"],
                condition=~models.Q(reference=""),
                name="application_reference_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "withdrawn"]) | ~models.Q(reference=""),
                name="application_submitted_has_reference",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_ore__isnull=True) | models.Q(amount_ore__gt=0),
                name="application_amount_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(cofunding_ore__gte=0), name="application_cofunding_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.reference or self.draft_title or str(_("Untitled application"))

    @property
    def draft_title(self) -> str:
        """The title as typed so far; a draft keeps each field as the list of values the
        form sent (``{"title": ["…"]}``)."""
        value: Any = self.draft.get("title") or [""]
        return str(value[0] if isinstance(value, list) else value).strip()

    @property
    def is_draft(self) -> bool:
        return self.status == ApplicationStatus.DRAFT

    @property
    def is_resubmittable(self) -> bool:
        """Submitted, and still in a status the applicant may change and submit again in
        (until the deadline, where the call allows changes after submission)."""
        return self.status in ApplicationStatus.applicant_editable() and not self.is_draft


class BudgetLine(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=BudgetKind.choices)
    amount_ore = models.BigIntegerField(_("amount (øre)"))

    class Meta:
        ordering = ["application", "kind"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="budgetline_unique"),
            models.CheckConstraint(
                condition=models.Q(amount_ore__gt=0), name="budgetline_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount_ore} øre"


class Partner(models.Model):
    """A local association or other partner the project is run with."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="partners")
    position = models.PositiveSmallIntegerField(default=0)
    cvr = models.CharField(_("CVR number"), max_length=8)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="partnerships"
    )

    class Meta:
        ordering = ["application", "position"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return f"{self.name} (CVR {self.cvr})"


class Answer(models.Model):
    """The answer to one of the call's own questions (files are ``Attachment`` rows)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(CallQuestion, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(_("answer"))

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["application", "question"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.value}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is ours; the applicant's name for the file is kept in original_name.
    return f"applications/{instance.application.uuid}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="attachments"
    )
    question = models.ForeignKey(
        CallQuestion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        ordering = ["application", "uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class ApplicationVersion(AppendOnlyModel):
    """What was submitted, each time it was: the receipt and the history of changes."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    submitted_at = models.DateTimeField(_("submitted"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    content = models.JSONField(_("content"))
    fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["application", "number"]
        verbose_name = _("submitted version")
        verbose_name_plural = _("submitted versions")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="applicationversion_unique"
            )
        ]
