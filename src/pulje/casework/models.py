from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pulje.applications.models import Application, BudgetKind
from pulje.calls.models import Call
from pulje.casework.screening import Reason
from pulje.core.models import AppendOnlyModel
from pulje.registry.models import Organisation, OrganisationKind


class ScreeningRules(models.Model):
    """A call's formal screening rules, as data (``screening.py`` applies them).

    The partner kinds, grant bands and project window are the call's own; these are what the
    secretariat sets on top. Created with the defaults when a call is first screened.
    """

    call = models.OneToOneField(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="screening_rules"
    )
    require_eligible_applicant = models.BooleanField(
        _("the applicant must be of a kind the call is open to, with a valid CVR number"),
        default=True,
    )
    require_partner = models.BooleanField(
        _("a partner of the call's required kinds with a valid CVR number"), default=True
    )
    check_amount_band = models.BooleanField(
        _("the amount must be within one of the call's grant sizes"), default=True
    )
    check_budget_sum = models.BooleanField(
        _("the budget lines must add up to the amount"), default=True
    )
    salary_cap_monthly_ore = models.BigIntegerField(
        _("salary cap a month (øre)"),
        null=True,
        blank=True,
        help_text=_("Salaries may be at most this a month of the project period. Empty: no cap."),
    )
    excluded_cost_kinds = models.JSONField(
        _("kinds of cost the call does not cover"), default=list, blank=True
    )
    check_period = models.BooleanField(
        _("the project period must lie within the call's window and the spend-by date"),
        default=True,
    )
    duplicate_similarity_percent = models.PositiveSmallIntegerField(
        _("duplicate title similarity (%)"),
        null=True,
        blank=True,
        default=90,
        help_text=_(
            "An application on the same housing department with a title at least this similar "
            "to an earlier one is a duplicate. Empty: no duplicate check."
        ),
    )

    class Meta:
        verbose_name = _("screening rules")
        verbose_name_plural = _("screening rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(salary_cap_monthly_ore__isnull=True)
                | models.Q(salary_cap_monthly_ore__gt=0),
                name="screeningrules_salary_cap_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(duplicate_similarity_percent__isnull=True)
                | models.Q(
                    duplicate_similarity_percent__gte=1, duplicate_similarity_percent__lte=100
                ),
                name="screeningrules_similarity_percent",
            ),
        ]

    def __str__(self) -> str:
        return str(self.call)


class ScreeningOutcome(models.TextChoices):
    PASS = "pass", _("Passed")
    REMARKS = "remarks", _("Passed with remarks")
    FAIL = "fail", _("Failed")


class Screening(models.Model):
    """One run of the screening rules on an application; the latest run is the one that counts.

    A caseworker may override the outcome with a written reason; the rules' own outcome and
    reasons stay as they were.
    """

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="screenings",
    )
    version_number = models.PositiveIntegerField(_("version screened"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=ScreeningOutcome.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    screened_at = models.DateTimeField(_("screened"))
    # Empty: screened by pulje on submission.
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("screened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    override_outcome = models.CharField(
        _("outcome set by the caseworker"),
        max_length=10,
        choices=ScreeningOutcome.choices,
        blank=True,
    )
    override_reason = models.TextField(_("reason for the override"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    overridden_at = models.DateTimeField(_("overridden"), null=True, blank=True)

    class Meta:
        ordering = ["application", "-screened_at", "-pk"]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        indexes = [models.Index(fields=["application", "-screened_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(override_outcome="")
                | (~models.Q(override_reason="") & models.Q(overridden_by__isnull=False)),
                name="screening_override_has_reason_and_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_outcome_display()}"

    @property
    def effective_outcome(self) -> str:
        return self.override_outcome or self.outcome

    def get_effective_outcome_display(self) -> str:
        return str(ScreeningOutcome(self.effective_outcome).label)

    @property
    def reason_list(self) -> list[Reason]:
        return [Reason.from_json(data) for data in self.reasons]

    def messages(self) -> list[tuple[str, str]]:
        """(severity, message) of each reason, in the active language."""
        return [(reason.severity, reason.message(kind_labels())) for reason in self.reason_list]


def kind_labels() -> dict[str, str]:
    """Labels of the kinds a screening reason may name: kinds of cost and of organisation."""
    return {
        **{value: str(label) for value, label in OrganisationKind.choices},
        **{value: str(label) for value, label in BudgetKind.choices},
    }


class ConflictScope(models.TextChoices):
    ORGANISATION = "organisation", _("The organisation: all its applications")
    APPLICATION = "application", _("This application only")


class CaseworkerConflict(AppendOnlyModel):
    """A caseworker's declared conflict of interest: with an organisation (all its
    applications, e.g. "I sit on the board of Boligselskabet X"), or with one application
    only (``application`` set). Written once and never withdrawn, as an assessor's declared
    conflict is final: whoever decides the organisation's applications is someone else.

    A member of the applicant organisation has a conflict without declaring one
    (``casework.permissions.caseworker_conflicts``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caseworker"),
        on_delete=models.PROTECT,
        related_name="casework_conflicts",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every application of the organisation."),
    )
    note = models.TextField(_("about the conflict of interest"), blank=True)
    declared_at = models.DateTimeField(_("declared"), auto_now_add=True)

    class Meta:
        ordering = ["user", "declared_at", "pk"]
        verbose_name = _("caseworker's conflict of interest")
        verbose_name_plural = _("caseworkers' conflicts of interest")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=models.Q(application__isnull=True),
                name="caseworkerconflict_organisation_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "application"],
                condition=models.Q(application__isnull=False),
                name="caseworkerconflict_application_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ≠ {self.application or self.organisation}"
