"""The outbox: a mail backend that keeps every message in the database instead of sending it.

Used by default while DEBUG is on (``settings.OUTBOX_EMAIL_BACKEND``), so the demo can be
walked through, login codes and invitations included, without a mail server; the outbox page
(``core:outbox``) shows what was "sent".
"""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from pulje.core.models import SentEmail


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        kept = [
            SentEmail(
                to=", ".join(message.recipients()),
                subject=str(message.subject),
                body=str(message.body),
                html=_html_of(message),
            )
            for message in email_messages
            if message.recipients()
        ]
        SentEmail.objects.bulk_create(kept)
        return len(kept)


def _html_of(message: EmailMessage) -> str:
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                return str(content)
    return ""


def outbox_is_the_mail_backend() -> bool:
    """Whether this is the demo: mail goes to the outbox rather than out, and DEBUG is on.
    Only then is the outbox page for anyone (it shows login codes); otherwise staff only."""
    return bool(settings.DEBUG and settings.EMAIL_BACKEND == settings.OUTBOX_EMAIL_BACKEND)
