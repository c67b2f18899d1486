"""Decision letters and the calls' letter templates."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pulje.applications.models import Application
from pulje.calls.models import Call
from pulje.core.jobs import Job


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
