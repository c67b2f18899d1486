"""Assessors, their assignments and conflicts of interest, the rubric and the scores.

The application's own status (screened → in assessment → recommended / not recommended) is
the application's workflow's; nothing here keeps another status of the application.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pulje.applications.models import Application
from pulje.calls.models import Call
from pulje.core.models import AppendOnlyModel


class PanelMember(models.Model):
    """A person on a call's assessor panel: may be assigned the call's applications."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="assessors"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.PROTECT,
        related_name="panels",
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["call", "user__name", "user__email"]
        verbose_name = _("assessor")
        verbose_name_plural = _("assessors")
        constraints = [models.UniqueConstraint(fields=["call", "user"], name="panelmember_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.call}"


class AssignmentState(models.TextChoices):
    TO_DECLARE = "to_declare", _("To declare conflicts of interest")
    TO_SCORE = "to_score", _("To score")
    CONFLICTED = "conflicted", _("Conflict of interest")
    SUBMITTED = "submitted", _("Scores submitted")


class Assignment(models.Model):
    """One assessor asked to assess one application.

    It starts ``to_declare``: the assessor sees only the reference and the organisation until
    they declare that they have no conflict of interest. A declared conflict ends it for
    good (the row stays, so the application is never assigned to them again).
    """

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=AssignmentState.choices,
        default=AssignmentState.TO_DECLARE,
    )
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)
    declared_at = models.DateTimeField(_("declared"), null=True, blank=True)
    conflict_note = models.TextField(_("about the conflict of interest"), blank=True)
    submitted_at = models.DateTimeField(_("scores submitted"), null=True, blank=True)

    class Meta:
        ordering = ["application", "assigned_at", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["application", "assessor"], name="assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.application} → {self.assessor}"


class Rubric(models.Model):
    """How a call's applications are scored: the scale, blind review, and when assessors
    disagree enough to send an application to moderation (docs/assessment.md)."""

    call = models.OneToOneField(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="rubric"
    )
    scale_min = models.PositiveSmallIntegerField(_("lowest score"), default=1)
    scale_max = models.PositiveSmallIntegerField(_("highest score"), default=5)
    blind_review = models.BooleanField(
        _("blind review"),
        default=False,
        help_text=_("Assessors see the others' scores only after submitting their own."),
    )
    normalise = models.BooleanField(
        _("normalise each assessor's scores"),
        default=False,
        help_text=_(
            "Compare applications by z-scores across each assessor's applications, so a "
            "strict and a generous assessor count alike."
        ),
    )
    disagreement_threshold = models.DecimalField(
        _("disagreement threshold (points)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
        help_text=_(
            "An application goes to moderation when its assessors' weighted means lie further "
            "apart than this."
        ),
    )

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scale_min__lt=models.F("scale_max")),
                name="rubric_scale_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(disagreement_threshold__gte=0),
                name="rubric_threshold_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return str(self.call)

    @property
    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)


class Criterion(models.Model):
    rubric = models.ForeignKey(
        Rubric, verbose_name=_("rubric"), on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("criterion"), max_length=200)
    description = models.TextField(_("what to look for"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)

    class Meta:
        ordering = ["rubric", "position", "pk"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="criterion_weight_gt_0")
        ]

    def __str__(self) -> str:
        return self.title


class Score(models.Model):
    """One assessor's score on one criterion, with the reason; a draft until the assignment
    is submitted, fixed after."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="scores"
    )
    value = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    justification = models.TextField(_("justification"), blank=True)

    class Meta:
        ordering = ["assignment", "criterion__position", "criterion__pk"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "criterion"], name="score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"


class Recommendation(AppendOnlyModel):
    """The caseworker's recommendation after assessment; the latest one counts."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    recommended = models.BooleanField(_("recommended"))
    reason = models.TextField(_("reason"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(_("made"), auto_now_add=True)

    class Meta:
        ordering = ["application", "made_at", "pk"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")

    def __str__(self) -> str:
        return f"{self.application}: {self.recommended}"
