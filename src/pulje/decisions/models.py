"""Decisions on applications (tilsagn / afslag) and the grantee's acceptance.

A decision is written once by ``services.decide_applications``, together with the
application's move to granted or rejected and, for a grant, its ledger account and
commitment; acceptance and lapse only fill in the fields below for that. The conditions the
letter states (accept by, spend by, reporting) are copied onto the decision when it is made,
so a later change of the pool's rules does not change a grant already given.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pulje.applications.models import Application, BudgetKind
from pulje.calls.models import Call
from pulje.funds.models import Pool, ReportingRequirement
from pulje.ledger.models import Entry, GrantAccount

# Days a grantee has to accept a grant, unless the call's terms say otherwise.
DEFAULT_ACCEPT_DAYS = 30


class Outcome(models.TextChoices):
    GRANT = "grant", _("Granted in full")
    REDUCED = "reduced", _("Granted, reduced")
    REJECT = "reject", _("Rejected")


class RejectionReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("The applicant or the project is not eligible")
    OUTSIDE_PURPOSE = "outside_purpose", _("The project is outside the purpose of the call")
    BUDGET = "budget", _("The budget is not realistic or not eligible")
    WEAKER_THAN_OTHERS = "weaker_than_others", _("Other applications met the criteria better")
    NO_MONEY = "no_money", _("The pool has no money left for the project")
    OTHER = "other", _("Other reason (see the text)")


class DecisionTerms(models.Model):
    """A call's own terms for its decisions; a call without a row uses the defaults."""

    call = models.OneToOneField(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="decision_terms"
    )
    accept_days = models.PositiveSmallIntegerField(
        _("days to accept a grant"),
        default=DEFAULT_ACCEPT_DAYS,
        help_text=_("Counted from the day of the decision."),
    )

    class Meta:
        verbose_name = _("decision terms")
        verbose_name_plural = _("decision terms")
        constraints = [
            models.CheckConstraint(
                condition=Q(accept_days__gte=1), name="decisionterms_accept_days_gte_1"
            )
        ]

    def __str__(self) -> str:
        return str(self.call)


class ProposalOutcome(models.TextChoices):
    OPEN = "", _("Awaiting second approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class GrantProposal(models.Model):
    """A grant above its pool's second-approval amount (four eyes), as one caseworker
    decided it: final only when a second caseworker, not the first and without a conflict
    of interest, approves it (then a ``Decision`` is written, linked here); or returned with
    a reason, and the application goes back to ``from_status``. No money moves until the
    approval; until then the amount is held back from other grants from the same band.
    """

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="grant_proposals",
    )
    requested_ore = models.BigIntegerField(_("amount requested (øre)"))
    amount_ore = models.BigIntegerField(_("amount proposed (øre)"))
    reason_text = models.TextField(_("reason"), blank=True)
    band = models.ForeignKey(
        Pool, verbose_name=_("granted from"), on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(_("status before the proposal"), max_length=20)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=ProposalOutcome.choices, blank=True
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or returned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("approved or returned"), null=True, blank=True)
    return_reason = models.TextField(_("why it was returned"), blank=True)

    class Meta:
        ordering = ["-proposed_at", "pk"]
        verbose_name = _("grant proposal")
        verbose_name_plural = _("grant proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(outcome=""),
                name="grantproposal_one_open",
            ),
            models.CheckConstraint(
                condition=Q(amount_ore__gt=0, amount_ore__lte=models.F("requested_ore")),
                name="grantproposal_amount_within_request",
            ),
            models.CheckConstraint(
                condition=Q(outcome="", resolved_by__isnull=True, resolved_at__isnull=True)
                | Q(outcome="approved", resolved_by__isnull=False, resolved_at__isnull=False)
                & ~Q(resolved_by=models.F("proposed_by"))
                | Q(outcome="returned", resolved_by__isnull=False, resolved_at__isnull=False)
                & ~Q(return_reason=""),
                name="grantproposal_resolution_fields_agree",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.amount_ore} øre"


class Decision(models.Model):
    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="decision",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    requested_ore = models.BigIntegerField(_("amount requested (øre)"))
    amount_ore = models.BigIntegerField(_("amount granted (øre)"), null=True, blank=True)
    reason_code = models.CharField(
        _("reason for rejection"), max_length=30, choices=RejectionReason.choices, blank=True
    )
    reason_text = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"))
    # Where an undo (within the letters' undo window) returns the application to: the status
    # it was decided from, or, approved by a second caseworker, the one it was proposed from.
    from_status = models.CharField(_("status before the decision"), max_length=20, blank=True)
    # Four eyes: the proposal a second caseworker approved (its resolved_by), if it needed one.
    proposal = models.OneToOneField(
        GrantProposal,
        verbose_name=_("grant proposal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decision",
    )
    # The grant's conditions as the letter states them (empty for a rejection).
    band = models.ForeignKey(
        Pool,
        verbose_name=_("granted from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accept_by = models.DateField(_("accept by"), null=True, blank=True)
    spend_by = models.DateField(_("spend by"), null=True, blank=True)
    reporting = models.CharField(
        _("reporting"), max_length=20, choices=ReportingRequirement.choices, blank=True
    )
    grant = models.OneToOneField(
        GrantAccount,
        verbose_name=_("grant account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decision",
    )
    commitment = models.OneToOneField(
        Entry,
        verbose_name=_("commitment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Acceptance by the grantee.
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment_iban = models.CharField(_("confirmed payment account"), max_length=34, blank=True)
    public_summary = models.TextField(_("publishable summary"), blank=True)
    # Lapse: the grant was not accepted in time and its commitment went back to the pool.
    lapsed_at = models.DateTimeField(_("lapsed"), null=True, blank=True)
    release = models.OneToOneField(
        Entry,
        verbose_name=_("release"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-decided_at", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        outcome__in=[Outcome.GRANT, Outcome.REDUCED],
                        amount_ore__gt=0,
                        amount_ore__lte=models.F("requested_ore"),
                        reason_code="",
                        accept_by__isnull=False,
                    )
                    | Q(outcome=Outcome.REJECT, amount_ore__isnull=True, grant__isnull=True)
                    & ~Q(reason_code="")
                ),
                name="decision_outcome_fields_agree",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.REDUCED)
                | Q(amount_ore__lt=models.F("requested_ore")) & ~Q(reason_text=""),
                name="decision_reduced_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(lapsed_at__isnull=True),
                name="decision_accepted_or_lapsed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_outcome_display()}"

    @property
    def is_grant(self) -> bool:
        return self.outcome in (Outcome.GRANT, Outcome.REDUCED)


class RevisedBudgetLine(models.Model):
    """The grantee's budget for a reduced grant, given on acceptance; sums to the amount."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="revised_budget_lines"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=BudgetKind.choices)
    amount_ore = models.BigIntegerField(_("amount (øre)"))

    class Meta:
        ordering = ["decision", "kind"]
        verbose_name = _("revised budget line")
        verbose_name_plural = _("revised budget lines")
        constraints = [
            models.UniqueConstraint(fields=["decision", "kind"], name="revisedbudgetline_unique"),
            models.CheckConstraint(
                condition=Q(amount_ore__gt=0), name="revisedbudgetline_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount_ore} øre"
