"""Every mail pulje sends goes through ``queue_mail`` (or, where a bulk job must know at once
whether it went, ``send_mail_now``); and the outbox, a mail backend for the demo.

Header safety: the subject, the sender, the recipients and attachment names are made single
line here (``single_line``), so a line break typed by an applicant, in an application's title
or an organisation's name, can never make Django refuse a mail (``BadHeaderError``).

Language: mail is in Danish whatever language the person who caused it uses the site in.
Build the subject and body under ``translation.override(language)`` (every call site does) or
pass lazy text, which is evaluated in ``language``; the mail says its language in
``Content-Language``.

The outbox (``OutboxBackend``) keeps every message in the database instead of sending it. It is
the default while DEBUG is on (``settings.OUTBOX_EMAIL_BACKEND``), so the demo can be walked
through, login codes and invitations included, without a mail server; the outbox page
(``core:outbox``) shows what was "sent".
"""

import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import override

from pulje.core.models import SentEmail

# (file name, content, MIME type), as EmailMessage.attach takes them.
Attachment = tuple[str, bytes, str]


def single_line(text: str | Promise) -> str:
    """``text`` for a mail header: every run of whitespace, line breaks included, one space."""
    return " ".join(str(text).split())


def _compose(
    *,
    subject: str | Promise,
    body: str | Promise,
    to: Sequence[str],
    attachments: Sequence[Attachment] = (),
    language: str = "da",
) -> EmailMessage:
    """The message, from ``DEFAULT_FROM_EMAIL``, with every header single-line; not sent."""
    with override(language):
        message = EmailMessage(
            subject=single_line(subject),
            body=str(body),
            from_email=single_line(settings.DEFAULT_FROM_EMAIL),
            to=[single_line(address) for address in to],
            headers={"Content-Language": language},
        )
    for filename, content, mimetype in attachments:
        message.attach(single_line(filename), content, mimetype)
    return message


def queue_mail(
    *,
    subject: str | Promise,
    body: str | Promise,
    to: Sequence[str],
    attachments: Sequence[Attachment] = (),
    language: str = "da",
) -> None:
    """Send a mail once the current transaction commits; outside one (in another after-commit
    callback, say), at once. Composed now, so what it says is what was true at the change.

    robust: a mail server that refuses or fails is logged (logger ``django.db.backends``) and
    nothing else happens; the change the mail is about stands. Nothing is sent for a
    transaction that rolls back.
    """
    message = _compose(
        subject=subject, body=body, to=to, attachments=attachments, language=language
    )
    transaction.on_commit(message.send, robust=True)


def send_mail_now(
    *,
    subject: str | Promise,
    body: str | Promise,
    to: Sequence[str],
    attachments: Sequence[Attachment] = (),
    language: str = "da",
) -> None:
    """Send a mail at once, raising what the mail backend raises (smtplib's errors, OSError):
    for a bulk job that records each mail's failure and goes on. Anything else uses
    ``queue_mail``."""
    _compose(subject=subject, body=body, to=to, attachments=attachments, language=language).send()


def mail_error_reason(error: Exception) -> str:
    """Why a mail was not sent, for the person who follows it: the mail server's own answer
    where it gave one (e.g. ``kontakt@example.dk: 550 5.1.1 No such mailbox``)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {_text(answer)}"
            for address, (code, answer) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return str(error) or type(error).__name__


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer


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
