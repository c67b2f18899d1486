from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pulje.funds.models import Pool
from pulje.registry.models import OrganisationKind


class Call(models.Model):
    """A call for applications (ansøgningsrunde) on a pool: who may apply, when, for what.

    The amounts a call grants are its pool's grant bands: the pool itself when it is a band,
    else its child pools that are bands (``selectors.call_bands``). The money is the pool's.
    """

    pool = models.ForeignKey(
        Pool, verbose_name=_("pool"), on_delete=models.PROTECT, related_name="calls"
    )
    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("Short name used in the call's web address, e.g. bl-faellesskaber-2020."),
    )
    reference_prefix = models.CharField(
        _("reference prefix"),
        max_length=10,
        unique=True,
        help_text=_("Letters that start the reference numbers of the applications, e.g. BL20."),
    )
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"))
    eligibility = models.TextField(_("who may apply"))
    criteria = models.TextField(_("criteria"), blank=True)
    guidance = models.TextField(_("guidance for applicants"), blank=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("deadline"))
    project_start_earliest = models.DateField(_("projects start at the earliest"))
    project_end_latest = models.DateField(_("projects end at the latest"))
    applicant_kinds = models.JSONField(
        _("who may apply (kinds of organisation)"),
        default=list,
        blank=True,
        help_text=_("Kinds of organisation that may apply; empty: housing organisations."),
    )
    partner_kinds = models.JSONField(
        _("required partner kinds"),
        default=list,
        blank=True,
        help_text=_("An application needs at least one partner of one of these kinds."),
    )
    edit_after_submit = models.BooleanField(
        _("applicants may change a submitted application until the deadline"), default=True
    )
    # What the call's decision letters say besides the decision: the secretariat's contact,
    # and facts that, left empty, are the pool's (``selectors.call_letter_facts``).
    letter_email = models.EmailField(_("the secretariat's e-mail"), blank=True)
    letter_phone = models.CharField(_("the secretariat's phone"), max_length=30, blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    funding_source = models.TextField(_("source of the money"), blank=True)
    payment_terms = models.TextField(_("payment terms"), blank=True)
    report_by = models.DateField(_("follow-up report due"), null=True, blank=True)
    complaints_guide = models.TextField(_("complaints guide"), blank=True)
    last_reference_number = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-closes_at", "code"]
        verbose_name = _("call for applications")
        verbose_name_plural = _("calls for applications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens_at__lt=models.F("closes_at")),
                name="call_opens_before_it_closes",
            ),
            models.CheckConstraint(
                condition=models.Q(project_start_earliest__lte=models.F("project_end_latest")),
                name="call_project_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, at: Any = None) -> bool:
        moment = at or timezone.now()
        return bool(self.opens_at <= moment < self.closes_at)

    @property
    def partner_required(self) -> bool:
        return bool(self.partner_kinds)

    def applicant_kind_values(self) -> list[str]:
        return list(self.applicant_kinds) or [OrganisationKind.HOUSING.value]


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Whole number")
    CHOICE = "choice", _("Choice from a list")
    YES_NO = "yes_no", _("Yes or no")
    FILE = "file", _("File")


class CallQuestion(models.Model):
    """A question a call asks beyond the core application form."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=QuestionKind.choices)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("For a choice: the options.")
    )
    required = models.BooleanField(_("required"), default=True)
    max_length = models.PositiveIntegerField(
        _("longest answer (characters)"), null=True, blank=True
    )

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.label

    @property
    def field_name(self) -> str:
        return f"q{self.pk}"
