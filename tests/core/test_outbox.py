"""The outbox mail backend and its page, which let the demo run without a mail server."""

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client, override_settings
from django.urls import reverse

from pulje.core.models import SentEmail
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db]
OUTBOX = "pulje.core.mail.OutboxBackend"


def test_outbox_url() -> None:
    assert reverse("core:outbox") == "/udbakke/"


@override_settings(EMAIL_BACKEND=OUTBOX)
def test_the_outbox_backend_keeps_every_message_instead_of_sending_it() -> None:
    message = EmailMultiAlternatives(
        "Din kode", "Koden er ABC123", "pulje@example.dk", ["a@example.dk", "b@example.dk"]
    )
    message.attach_alternative("<p>Koden er <b>ABC123</b></p>", "text/html")

    sent = mail.get_connection().send_messages([message, mail.EmailMessage("Ingen", "x")])

    assert sent == 1
    assert list(SentEmail.objects.values_list("to", "subject", "body", "html")) == [
        (
            "a@example.dk, b@example.dk",
            "Din kode",
            "Koden er ABC123",
            "<p>Koden er <b>ABC123</b></p>",
        )
    ]
    assert SentEmail.objects.get().sent_at is not None


def test_debug_uses_the_outbox_unless_email_backend_is_set() -> None:
    assert settings.OUTBOX_EMAIL_BACKEND == OUTBOX


@override_settings(EMAIL_BACKEND=OUTBOX, DEBUG=True)
def test_in_the_demo_anyone_sees_the_outbox_newest_first(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    mail.send_mail("Først", "Første besked", None, ["a@example.dk"])
    mail.send_mail("Så", "Anden besked\nmed to linjer", None, ["b@example.dk"])

    response = client.get("/udbakke/")

    assert response.status_code == 200
    assert [m.subject for m in response.context["messages_sent"]] == ["Så", "Først"]
    assert b"Demo: e-mails are not sent, they are shown here." in response.content
    assert b"<p>Anden besked<br>med to linjer</p>" in response.content


def test_outside_the_demo_only_staff_see_the_outbox(client: Client) -> None:
    assert client.get("/udbakke/")["Location"] == "/konto/log-ind/?next=/udbakke/"

    client.force_login(UserFactory())
    assert client.get("/udbakke/").status_code == 403

    client.force_login(UserFactory(is_staff=True))
    response = client.get("/udbakke/")
    assert response.status_code == 200
    assert b"Demo: e-mails" not in response.content


def test_the_code_page_links_to_the_outbox_only_in_the_demo(client: Client) -> None:
    client.post(reverse("accounts:login"), {"email": "a@example.dk"})
    assert client.get(reverse("accounts:confirm_code")).context["outbox_url"] is None

    with override_settings(EMAIL_BACKEND=OUTBOX, DEBUG=True):
        client.post(reverse("accounts:login"), {"email": "a@example.dk"})
        response = client.get(reverse("accounts:confirm_code"))

    assert response.context["outbox_url"] == "/udbakke/"
    assert b'href="/udbakke/"' in response.content
    assert SentEmail.objects.get().to == "a@example.dk"


@override_settings(EMAIL_BACKEND=OUTBOX, DEBUG=False)
def test_an_outbox_outside_debug_is_for_staff_only(client: Client) -> None:
    """It shows login codes: a production that keeps mail in the outbox must not publish it."""
    assert client.get("/udbakke/")["Location"] == "/konto/log-ind/?next=/udbakke/"
    client.force_login(UserFactory(is_staff=True))
    assert b"Demo: e-mails" not in client.get("/udbakke/").content
