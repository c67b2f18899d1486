import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from pulje.core.middleware import SlidingSessionMiddleware
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def stored_expiry(client: Client) -> dt.datetime:
    return Session.objects.get(session_key=client.cookies["sessionid"].value).expire_date


def test_a_working_user_is_kept_logged_in_with_one_write_a_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = Client()
    client.force_login(UserFactory())
    clock = [1_000_000.0]
    monkeypatch.setattr("pulje.core.middleware.time.time", lambda: clock[0])

    client.get(reverse("core:home"))
    first = stored_expiry(client)
    assert client.session[SlidingSessionMiddleware.KEY] == 1_000_000

    clock[0] += SlidingSessionMiddleware.REFRESH_SECONDS - 1
    client.get(reverse("core:home"))
    assert client.session[SlidingSessionMiddleware.KEY] == 1_000_000
    assert stored_expiry(client) == first

    clock[0] += 1
    client.get(reverse("core:home"))
    assert client.session[SlidingSessionMiddleware.KEY] == 1_000_000 + 60
    assert stored_expiry(client) > first


def test_anonymous_visitors_get_no_session() -> None:
    client = Client()
    client.get(reverse("core:home"))
    assert "sessionid" not in client.cookies
