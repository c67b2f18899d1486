from django.db import models
from django.utils.translation import gettext_lazy as _

from pulje.applications.models import Application
from pulje.decisions.models import Decision
from pulje.funds.models import Pool


class FastTrack(models.Model):
    """A grant band whose small applications are granted automatically: one that passes
    screening with no remark, asks at most ``max_amount_ore`` and finds the money in the band
    is granted by pulje (the system actor "Hurtigsporet") minutes after submission, in
    submission order; any other goes to a caseworker with the reason (``Entry``).

    Set, paused and resumed by the band's secretariat (``services``), every change audited.
    """

    band = models.OneToOneField(
        Pool, verbose_name=_("grant band"), on_delete=models.PROTECT, related_name="fast_track"
    )
    max_amount_ore = models.BigIntegerField(
        _("largest automatic grant (øre)"),
        help_text=_("An application asking for more goes to a caseworker."),
    )
    paused = models.BooleanField(_("paused"), default=False)

    class Meta:
        verbose_name = _("fast track")
        verbose_name_plural = _("fast tracks")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_amount_ore__gt=0), name="fasttrack_max_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.band)


class EntryOutcome(models.TextChoices):
    WAITING = "waiting", _("Waiting for the fast track")
    GRANTED = "granted", _("Granted by the fast track")
    TO_CASEWORKER = "to_caseworker", _("Sent to a caseworker")


class Entry(models.Model):
    """An application on a band's fast track: waiting from its submission until the worker
    has granted it or sent it to a caseworker, with the reason (``reason`` and its facts
    ``params``: rendered by ``reasons.message`` when read, in the reader's language)."""

    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="fast_track_entry",
    )
    fast_track = models.ForeignKey(
        FastTrack, verbose_name=_("fast track"), on_delete=models.PROTECT, related_name="entries"
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=EntryOutcome.choices, default=EntryOutcome.WAITING
    )
    reason = models.CharField(_("reason"), max_length=30, blank=True)
    params = models.JSONField(_("facts of the reason"), default=dict, blank=True)
    entered_at = models.DateTimeField(_("entered"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    # The grant the fast track made.
    decision = models.OneToOneField(
        Decision,
        verbose_name=_("decision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["fast_track", "entered_at", "pk"]
        verbose_name = _("fast track entry")
        verbose_name_plural = _("fast track entries")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(outcome="granted") | models.Q(decision__isnull=False),
                name="fasttrack_entry_granted_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_outcome_display()}"
