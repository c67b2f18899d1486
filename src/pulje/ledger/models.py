from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pulje.core.models import AppendOnlyModel
from pulje.funds.models import Pool
from pulje.ledger.balances import GrantBalance, Kind, PoolBalance
from pulje.registry.models import Organisation


class EntryKind(models.TextChoices):
    APPROPRIATION = Kind.APPROPRIATION, _("Appropriation")
    DELEGATION = Kind.DELEGATION, _("Delegation")
    COMMITMENT = Kind.COMMITMENT, _("Commitment")
    RELEASE = Kind.RELEASE, _("Release")
    PAYMENT = Kind.PAYMENT, _("Payment")
    RECOVERY = Kind.RECOVERY, _("Recovery")
    TRANSFER = Kind.TRANSFER, _("Transfer")
    RETURN = Kind.RETURN, _("Return to the pool above")


class ReleaseReason(models.TextChoices):
    REDUCED = "reduced", _("Grant reduced")
    CANCELLED = "cancelled", _("Grant cancelled")
    LAPSED = "lapsed", _("Grant lapsed")
    UNSPENT = "unspent", _("Not spent")


def _non_negative(prefix: str, *names: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(**{f"{n}__gte": 0}), name=f"{prefix}_{n}_gte_0")
        for n in names
    ]


def _grant_rules(prefix: str) -> list[models.BaseConstraint]:
    return [
        *_non_negative(prefix, "committed_ore", "paid_ore", "recovered_ore"),
        models.CheckConstraint(
            condition=Q(paid_ore__lte=F("committed_ore")), name=f"{prefix}_paid_lte_committed"
        ),
        models.CheckConstraint(
            condition=Q(recovered_ore__lte=F("paid_ore")), name=f"{prefix}_recovered_lte_paid"
        ),
    ]


class PoolAccount(models.Model):
    """A pool's stored balances. Changed only by ``pulje.ledger.services`` under a row lock;
    the constraints below refuse an impossible balance as the last line of defence."""

    BALANCE_FIELDS = ("budget_ore", "delegated_ore", "committed_ore", "paid_ore", "recovered_ore")

    pool = models.OneToOneField(
        Pool,
        verbose_name=_("pool"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="account",
    )
    budget_ore = models.BigIntegerField(_("budget"), default=0)
    delegated_ore = models.BigIntegerField(_("delegated"), default=0)
    committed_ore = models.BigIntegerField(_("committed"), default=0)
    paid_ore = models.BigIntegerField(_("paid"), default=0)
    recovered_ore = models.BigIntegerField(_("recovered"), default=0)

    class Meta:
        verbose_name = _("pool account")
        verbose_name_plural = _("pool accounts")
        constraints = [
            *_non_negative("poolaccount", "budget_ore", "delegated_ore"),
            *_grant_rules("poolaccount"),
            models.CheckConstraint(
                condition=Q(
                    budget_ore__gte=F("delegated_ore") + F("committed_ore") - F("recovered_ore")
                ),
                name="poolaccount_available_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pool)

    @property
    def balance(self) -> PoolBalance:
        return PoolBalance(
            budget=self.budget_ore,
            delegated=self.delegated_ore,
            committed=self.committed_ore,
            paid=self.paid_ore,
            recovered=self.recovered_ore,
        )

    def store(self, balance: PoolBalance) -> None:
        self.budget_ore = balance.budget
        self.delegated_ore = balance.delegated
        self.committed_ore = balance.committed
        self.paid_ore = balance.paid
        self.recovered_ore = balance.recovered


class GrantAccount(models.Model):
    """The money side of one grant (tilsagn): what is committed to it, paid and recovered."""

    BALANCE_FIELDS = ("committed_ore", "paid_ore", "recovered_ore")

    pool = models.ForeignKey(
        Pool, verbose_name=_("pool"), on_delete=models.PROTECT, related_name="grant_accounts"
    )
    recipient = models.ForeignKey(
        Organisation,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="grant_accounts",
    )
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    committed_ore = models.BigIntegerField(_("committed"), default=0)
    paid_ore = models.BigIntegerField(_("paid"), default=0)
    recovered_ore = models.BigIntegerField(_("recovered"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["reference"]
        verbose_name = _("grant account")
        verbose_name_plural = _("grant accounts")
        constraints = _grant_rules("grantaccount")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def balance(self) -> GrantBalance:
        return GrantBalance(
            committed=self.committed_ore, paid=self.paid_ore, recovered=self.recovered_ore
        )

    def store(self, balance: GrantBalance) -> None:
        self.committed_ore = balance.committed
        self.paid_ore = balance.paid
        self.recovered_ore = balance.recovered


class Entry(AppendOnlyModel):
    """One movement of money, never changed once written. A correction is a new entry that
    ``reverses`` this one and undoes its effect exactly."""

    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount_ore = models.BigIntegerField(_("amount (øre)"))
    pool = models.ForeignKey(
        Pool, verbose_name=_("pool"), on_delete=models.PROTECT, related_name="entries"
    )
    target = models.ForeignKey(
        Pool,
        verbose_name=_("to pool"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incoming_entries",
    )
    grant = models.ForeignKey(
        GrantAccount,
        verbose_name=_("grant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    release_reason = models.CharField(
        _("reason for release"), max_length=20, choices=ReleaseReason.choices, blank=True
    )
    text = models.CharField(_("text"), max_length=300, blank=True)
    key = models.CharField(
        _("idempotency key"),
        max_length=120,
        unique=True,
        null=True,
        blank=True,
        help_text=_(
            "Posting again with the same key returns the first entry instead of a new one."
        ),
    )
    created_at = models.DateTimeField(_("posted"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=Q(amount_ore__gt=0), name="entry_amount_gt_0"),
            models.CheckConstraint(
                condition=(
                    Q(kind=Kind.APPROPRIATION, target__isnull=True, grant__isnull=True)
                    | Q(
                        kind__in=[Kind.DELEGATION, Kind.TRANSFER, Kind.RETURN],
                        target__isnull=False,
                        grant__isnull=True,
                    )
                    | Q(
                        kind__in=[Kind.COMMITMENT, Kind.RELEASE, Kind.PAYMENT, Kind.RECOVERY],
                        target__isnull=True,
                        grant__isnull=False,
                    )
                ),
                name="entry_accounts_match_kind",
            ),
            models.CheckConstraint(
                condition=Q(target__isnull=True) | ~Q(target=F("pool")),
                name="entry_target_is_another_pool",
            ),
            models.CheckConstraint(
                condition=Q(release_reason="") | Q(kind=Kind.RELEASE),
                name="entry_release_reason_only_on_release",
            ),
        ]
        indexes = [models.Index(fields=["pool", "kind"]), models.Index(fields=["grant", "kind"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.amount_ore}"

    @property
    def sign(self) -> int:
        return -1 if self.reverses_id else +1
