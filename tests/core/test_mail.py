"""pulje.core.mail: every header single-line, Danish, sent after the commit, failures logged."""

import logging
import smtplib

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy
from pytest_django import Settings

from pulje.core.mail import mail_error_reason, queue_mail, send_mail_now, single_line

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "header"),
    [
        ("Fest\nfor alle", "Fest for alle"),
        ("Fest\r\nfor\r alle ", "Fest for alle"),
        ("Boligselskabet\u2028Nord\x0bSyd\x85Øst\tVest", "Boligselskabet Nord Syd Øst Vest"),
        ("  ", ""),
    ],
)
def test_single_line_makes_every_line_break_a_space(typed: str, header: str) -> None:
    assert single_line(typed) == header


def test_a_line_break_in_the_subject_and_names_cannot_stop_a_mail(
    settings: Settings, django_capture_on_commit_callbacks: object
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Puljen\nBL <noreply@example.dk>"

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        queue_mail(
            subject="Kvittering: BL-0001 Fest\r\nfor alle",
            body="Linje 1\nLinje 2\n",
            to=["Mette\nHansen <mette@example.dk>"],
            attachments=[("kvittering\n.pdf", b"%PDF-", "application/pdf")],
        )

    (message,) = mail.outbox
    assert message.subject == "Kvittering: BL-0001 Fest for alle"
    assert message.from_email == "Puljen BL <noreply@example.dk>"
    assert message.to == ["Mette Hansen <mette@example.dk>"]
    assert message.body == "Linje 1\nLinje 2\n"
    assert message.attachments[0][0] == "kvittering .pdf"
    # Django's own check for header injection passes: the message can be written out.
    assert b"Subject: Kvittering: BL-0001 Fest for alle" in message.message().as_bytes()


def test_mail_is_danish_whatever_language_the_actor_uses(
    django_capture_on_commit_callbacks: object,
) -> None:
    with (
        translation.override("en"),
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[operator]
    ):
        queue_mail(
            subject=gettext_lazy("Receipt"), body=gettext_lazy("Danish"), to=["a@example.dk"]
        )

    (message,) = mail.outbox
    assert (message.subject, message.body) == ("Kvittering", "Dansk")
    assert message.extra_headers["Content-Language"] == "da"


def queue_in_a_transaction_that_fails() -> None:
    with transaction.atomic():
        queue_mail(subject="Rullet tilbage", body="x", to=["a@example.dk"])
        raise RuntimeError


def test_mail_is_sent_only_once_the_transaction_commits(
    django_capture_on_commit_callbacks: object,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        with transaction.atomic():
            queue_mail(subject="Sendt", body="x", to=["a@example.dk"])
            assert mail.outbox == []
        with pytest.raises(RuntimeError):
            queue_in_a_transaction_that_fails()

    assert len(callbacks) == 1
    assert [m.subject for m in mail.outbox] == ["Sendt"]


def test_a_mail_server_that_fails_is_logged_and_the_caller_goes_on(
    settings: Settings,
    django_capture_on_commit_callbacks: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.EMAIL_BACKEND = "tests.letters.broken_mail.BrokenBackend"

    with (
        caplog.at_level(logging.ERROR),
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[operator]
    ):
        queue_mail(subject="Tabt", body="x", to=["a@example.dk"])

    assert "the mail server is down" in caplog.text


def test_send_mail_now_sends_at_once_and_raises_what_fails(settings: Settings) -> None:
    send_mail_now(subject="Nu\n", body="x", to=["a@example.dk"])
    assert [m.subject for m in mail.outbox] == ["Nu"]

    settings.EMAIL_BACKEND = "tests.letters.broken_mail.BrokenBackend"
    with pytest.raises(ConnectionRefusedError):
        send_mail_now(subject="Nu", body="x", to=["a@example.dk"])


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            smtplib.SMTPRecipientsRefused(
                {"a@example.dk": (550, b"5.1.1 No such mailbox"), "b@example.dk": (452, b"Full")}
            ),
            "a@example.dk: 550 5.1.1 No such mailbox; b@example.dk: 452 Full",
        ),
        (smtplib.SMTPDataError(554, b"5.7.1 Message refused"), "554 5.7.1 Message refused"),
        (ConnectionRefusedError("the mail server is down"), "the mail server is down"),
        (TimeoutError(), "TimeoutError"),
    ],
)
def test_mail_error_reason_gives_the_servers_answer(error: Exception, reason: str) -> None:
    assert mail_error_reason(error) == reason
