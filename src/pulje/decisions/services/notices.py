"""The short e-mail telling applicants their application has been decided. Run after commit
(``transaction.on_commit``), outside any transaction; the letter itself comes from
``pulje.letters``."""

from collections.abc import Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.core.mail import queue_mail
from pulje.decisions.models import Decision


def send_decision_notices(decision_ids: Sequence[int]) -> None:
    """Tell each applicant, in a short e-mail, that their application has been decided and
    where to read the decision; the letter itself comes from ``pulje.letters``."""
    decisions = Decision.objects.filter(pk__in=decision_ids).select_related(
        "application__call", "application__organisation", "application__created_by"
    )
    with override("da"):
        for decision in decisions:
            application = decision.application
            recipients = sorted(
                {application.created_by.email, application.organisation.contact_email} - {""}
            )
            path = reverse("applications:dashboard")
            body = render_to_string(
                "decisions/email/decided.txt",
                {"application": application, "url": f"{settings.SITE_URL}{path}"},
            )
            subject = _("Your application %(reference)s has been decided") % {
                "reference": application.reference
            }
            # Each on its own: one refused address does not stop the others' notices.
            queue_mail(subject=subject, body=body, to=recipients)
