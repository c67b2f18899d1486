"""Payments: each grant's plan of instalments, the paying organisation's bank profile, and the
payment runs that pay instalments through the ledger and a bank file (docs/payments.md).

An instalment is in at most one live run: ``RunItem.live`` is true while its run is, and a
partial unique index on it refuses a second live item for the same instalment, whatever the
code above it does.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pulje.calls.models import Call
from pulje.funds.models import Pool
from pulje.ledger.models import Entry, GrantAccount
from pulje.payments.pain001 import AccountForm, Version
from pulje.payments.plans import Trigger
from pulje.registry.models import Organisation


class TriggerChoice(models.TextChoices):
    ACCEPTANCE = Trigger.ACCEPTANCE, _("On acceptance")
    FINAL_REPORT = Trigger.FINAL_REPORT, _("When the final report is approved")


class PaymentRule(models.Model):
    """From this grant amount upward (until the next rule), a grant from the pool is paid in
    ``parts``: a list of ``[percent, trigger]`` summing to 100. Rules are read from the
    nearest pool up the tree that has any; without any, ``plans.DEFAULT_RULES`` apply."""

    pool = models.ForeignKey(
        Pool, verbose_name=_("pool"), on_delete=models.CASCADE, related_name="payment_rules"
    )
    from_amount_ore = models.BigIntegerField(_("from amount (øre)"))
    parts = models.JSONField(_("instalments"))

    class Meta:
        ordering = ["pool", "from_amount_ore"]
        verbose_name = _("payment rule")
        verbose_name_plural = _("payment rules")
        constraints = [
            models.UniqueConstraint(fields=["pool", "from_amount_ore"], name="paymentrule_unique"),
            models.CheckConstraint(
                condition=Q(from_amount_ore__gte=0), name="paymentrule_amount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pool}: {self.from_amount_ore}"


class PaymentPlan(models.Model):
    """How one grant is paid: its instalments, and the account the grantee confirmed."""

    grant = models.OneToOneField(
        GrantAccount, verbose_name=_("grant"), on_delete=models.PROTECT, related_name="plan"
    )
    call = models.ForeignKey(
        Call,
        verbose_name=_("call"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_iban = models.CharField(_("confirmed payment account"), max_length=34)
    confirmed_at = models.DateTimeField(_("account confirmed"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")

    def __str__(self) -> str:
        return str(self.grant)


class InstalmentState(models.TextChoices):
    OPEN = "open", _("Not paid")
    PAID = "paid", _("Paid")
    # Replaced when the plan was changed.
    CANCELLED = "cancelled", _("Replaced")


class Instalment(models.Model):
    plan = models.ForeignKey(
        PaymentPlan,
        verbose_name=_("payment plan"),
        on_delete=models.PROTECT,
        related_name="instalments",
    )
    # The payment's identity towards the bank (EndToEndId) and the ledger (its idempotency key).
    key = models.CharField(_("key"), max_length=35, unique=True)
    amount_ore = models.BigIntegerField(_("amount (øre)"))
    waits_for = models.CharField(_("waits for"), max_length=20, choices=TriggerChoice.choices)
    # Empty while the condition it waits for has not happened.
    due_date = models.DateField(_("due"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=InstalmentState.choices, default=InstalmentState.OPEN
    )
    held_reason = models.CharField(_("held because"), max_length=300, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("held by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment = models.OneToOneField(
        Entry,
        verbose_name=_("ledger payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["plan", "due_date", "pk"]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        constraints = [
            models.CheckConstraint(condition=Q(amount_ore__gt=0), name="instalment_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(state=InstalmentState.PAID, payment__isnull=False)
                | ~Q(state=InstalmentState.PAID) & Q(payment__isnull=True),
                name="instalment_paid_has_payment",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_held(self) -> bool:
        return bool(self.held_reason)


class ServiceLevel(models.TextChoices):
    NURG = "NURG", _("Normal (NURG)")
    URGP = "URGP", _("Express (URGP)")


class ChargeBearer(models.TextChoices):
    SHAR = "SHAR", _("Shared (SHAR)")
    SLEV = "SLEV", _("By service level (SLEV)")


class BankProfile(models.Model):
    """What the paying organisation's bank takes: one row per organisation that pays grants."""

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="bank_profile",
    )
    debtor_iban = models.CharField(_("account paid from (IBAN)"), max_length=34)
    debtor_bic = models.CharField(_("the bank's BIC"), max_length=11, blank=True)
    pain_version = models.CharField(
        _("pain.001 version"),
        max_length=20,
        choices=[(v.value, v.value) for v in Version],
        default=Version.V03.value,
    )
    service_level = models.CharField(
        _("service level"), max_length=4, choices=ServiceLevel.choices, default=ServiceLevel.NURG
    )
    charge_bearer = models.CharField(
        _("charges"), max_length=4, choices=ChargeBearer.choices, default=ChargeBearer.SHAR
    )
    creditor_account_form = models.CharField(
        _("grantees' accounts as"),
        max_length=4,
        choices=[
            (AccountForm.IBAN.value, "IBAN"),
            (AccountForm.BBAN.value, _("reg.nr. + account")),
        ],
        default=AccountForm.IBAN.value,
    )
    include_bic = models.BooleanField(_("give the bank's BIC"), default=False)
    local_instrument = models.CharField(_("local instrument"), max_length=35, blank=True)

    class Meta:
        verbose_name = _("bank profile")
        verbose_name_plural = _("bank profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(include_bic=False) | ~Q(debtor_bic=""),
                name="bankprofile_bic_given_when_included",
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class RunState(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    APPROVED = "approved", _("Approved")
    EXPORTED = "exported", _("Bank file downloaded")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentRun(models.Model):
    """A betalingskørsel: instalments due up to a date from chosen pools, paid from one
    organisation's account once a second person approves."""

    # The bank file's MsgId (at most 35 characters).
    key = models.CharField(_("key"), max_length=35, unique=True)
    payer = models.ForeignKey(
        Organisation, verbose_name=_("paid by"), on_delete=models.PROTECT, related_name="+"
    )
    pools = models.ManyToManyField(Pool, verbose_name=_("pools"), related_name="+")
    due_up_to = models.DateField(_("due up to"))
    execution_date = models.DateField(_("pay on"))
    state = models.CharField(
        _("state"), max_length=10, choices=RunState.choices, default=RunState.PREPARED
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    prepared_at = models.DateTimeField(_("prepared"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    # The bank file as approved: a download gives these bytes, never a new rendering.
    file_name = models.CharField(_("file name"), max_length=100, blank=True)
    file_content = models.BinaryField(_("bank file"), blank=True, default=b"")

    class Meta:
        ordering = ["-prepared_at", "-pk"]
        verbose_name = _("payment run")
        verbose_name_plural = _("payment runs")
        constraints = [
            # Four eyes, as the database's last word.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("prepared_by")),
                name="paymentrun_approver_is_not_preparer",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class RunItem(models.Model):
    """One instalment in a run, with the account and amount as prepared."""

    run = models.ForeignKey(
        PaymentRun, verbose_name=_("payment run"), on_delete=models.CASCADE, related_name="items"
    )
    instalment = models.ForeignKey(
        Instalment, verbose_name=_("instalment"), on_delete=models.PROTECT, related_name="run_items"
    )
    amount_ore = models.BigIntegerField(_("amount (øre)"))
    creditor_iban = models.CharField(_("paid to (IBAN)"), max_length=34)
    creditor_name = models.CharField(_("paid to"), max_length=200)
    # True while the run is prepared, approved or exported; false once it is cancelled.
    live = models.BooleanField(_("live"), default=True)

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = _("payment run item")
        verbose_name_plural = _("payment run items")
        constraints = [
            models.UniqueConstraint(
                fields=["instalment"], condition=Q(live=True), name="runitem_one_live_run"
            ),
            models.CheckConstraint(condition=Q(amount_ore__gt=0), name="runitem_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.run}: {self.instalment}"
