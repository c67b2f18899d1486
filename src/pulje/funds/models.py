from django.db import models
from django.utils.translation import gettext_lazy as _

from pulje.funds.bands import holds
from pulje.registry.models import Organisation


class Pool(models.Model):
    """A pool of money (pulje) in a tree of any depth: 50 mio. → BL's 15 mio. → grant bands.

    The pool's money lives in the ledger (``pulje.ledger``); this model holds what the pool is
    and the rules that later steps read. A pool with ``grant_min_ore``/``grant_max_ore`` is a
    grant band: every grant from it must fall inside those limits.
    """

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent pool"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    root = models.ForeignKey(
        "self",
        verbose_name=_("top pool"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text=_("The top of this pool's tree; empty for a top pool."),
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    administrator = models.ForeignKey(
        Organisation,
        verbose_name=_("administering organisation"),
        on_delete=models.PROTECT,
        related_name="administered_pools",
    )
    purpose = models.TextField(_("purpose"), blank=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    spend_by = models.DateField(
        _("spend by"),
        null=True,
        blank=True,
        help_text=_("Grants must be spent by this date. Empty: the parent pool's date applies."),
    )
    grant_min_ore = models.BigIntegerField(_("smallest grant (øre)"), null=True, blank=True)
    grant_max_ore = models.BigIntegerField(_("largest grant (øre)"), null=True, blank=True)
    second_approval_above_ore = models.BigIntegerField(
        _("second approval above (øre)"),
        null=True,
        blank=True,
        help_text=_(
            "A grant above this amount is final only when a second caseworker approves it. "
            "Empty: no second approval (unless a pool above sets one)."
        ),
    )
    # What the pool's decision letters say about it; a call may say it its own way, and an
    # empty field here means the pool above's applies (``selectors.pool_letter_facts``).
    legal_basis = models.TextField(
        _("legal basis"),
        blank=True,
        help_text=_(
            "The act or agreement the grants are given under, as the letters state it. "
            "Empty: the parent pool's applies."
        ),
    )
    funding_source = models.TextField(
        _("source of the money"),
        blank=True,
        help_text=_("Where the money comes from, as the letters state it. Empty: the parent's."),
    )
    complaints_guide = models.TextField(
        _("complaints guide"),
        blank=True,
        help_text=_(
            "How and where to complain about a decision (klagevejledning), printed in the "
            "letters. Empty: the parent pool's applies."
        ),
    )
    no_appeal = models.BooleanField(
        _("decisions cannot be appealed to another authority"),
        default=False,
        help_text=_("Without a complaints guide, the letters then say so."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["depth", "code"]
        verbose_name = _("pool")
        verbose_name_plural = _("pools")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="pool_period_ordered",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(grant_min_ore__isnull=True, grant_max_ore__isnull=True)
                    | models.Q(grant_min_ore__gt=0, grant_max_ore__gte=models.F("grant_min_ore"))
                ),
                name="pool_band_limits_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(second_approval_above_ore__isnull=True)
                | models.Q(second_approval_above_ore__gte=0),
                name="pool_second_approval_gte_0",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(parent__isnull=True, root__isnull=True, depth=0)
                    | models.Q(parent__isnull=False, root__isnull=False, depth__gt=0)
                ),
                name="pool_tree_fields_agree",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_band(self) -> bool:
        return self.grant_min_ore is not None

    def holds(self, amount_ore: int) -> bool:
        """Whether a grant band's limits hold ``amount_ore`` (both limits included), by the
        one test of which band an amount belongs to (``bands.holds``)."""
        return holds((self.grant_min_ore, self.grant_max_ore), amount_ore)


class ReportingRequirement(models.TextChoices):
    DECLARATION = "declaration", _("Electronic declaration of the amount used")
    ACCOUNTS = "accounts", _("Accounts and narrative report")
    AUDITED = "audited", _("Audited accounts and narrative report")


class ReportingRule(models.Model):
    """From this grant amount upward, the grantee reports this way (until the next rule's amount).

    Rules are read from the nearest pool up the tree that has any.
    """

    pool = models.ForeignKey(
        Pool, verbose_name=_("pool"), on_delete=models.CASCADE, related_name="reporting_rules"
    )
    from_amount_ore = models.BigIntegerField(_("from amount (øre)"))
    requirement = models.CharField(
        _("requirement"), max_length=20, choices=ReportingRequirement.choices
    )

    class Meta:
        ordering = ["pool", "from_amount_ore"]
        verbose_name = _("reporting rule")
        verbose_name_plural = _("reporting rules")
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "from_amount_ore"], name="reportingrule_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(from_amount_ore__gte=0), name="reportingrule_amount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pool}: {self.get_requirement_display()}"
