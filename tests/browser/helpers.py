"""Helpers for the browser tests."""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from playwright.sync_api import BrowserContext
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User

# Served by the browser context itself (page.route), from the page's own origin, so the
# page's Content-Security-Policy (default-src 'self') lets it run unchanged.
AXE_PATH = "/__browser-tests__/axe.min.js"


def log_in(context: BrowserContext, live_server: LiveServer, user: User) -> None:
    """Give the browser a session for ``user`` without going through the login form."""
    client = Client()
    client.force_login(user)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert client.session[SESSION_KEY] == str(user.pk)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session_cookie.value,
                "url": live_server.url,
            }
        ]
    )
