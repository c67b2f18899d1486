"""Helpers for the browser tests."""

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.funds.models import Pool
from tests.logins import force_login_with_second_factor

# Served by the browser context itself (page.route), from the page's own origin, so the
# page's Content-Security-Policy (default-src 'self') lets it run unchanged.
AXE_PATH = "/__browser-tests__/axe.min.js"
AXE_SOURCE = settings.PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"


def log_in(context: BrowserContext, live_server: LiveServer, user: User) -> None:
    """Give the browser a session for ``user`` without going through the login form, as after
    the whole login: second factor included for those who need one (tests/logins.py)."""
    client = Client()
    force_login_with_second_factor(client, user)
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


WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = [1280, 360]


def totp_code(secret: str, step: int = 0) -> str:
    """The code an authenticator app set up with ``secret`` shows now (``step`` periods of 30
    seconds on: pulje takes the next one too, for a clock a little ahead)."""
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step)))


def emailed_code() -> str:
    """The code in the last e-mail (live_server runs in this process, so its mail is here)."""
    match = re.search(r"^\s*([A-Z0-9-]{4,})\s*$", str(mail.outbox[-1].body), re.MULTILINE)
    assert match is not None
    return match.group(1)


def prove_by_the_registers_code(page: Page) -> None:
    """On the organisation's page of a claim not yet proven: have the code sent to the
    organisation's address in the register, and type it back."""
    page.get_by_role("button", name="Send koden").click()
    page.wait_for_load_state()
    page.fill("#bevis input[name=code]", emailed_code())
    page.get_by_role("button", name="Bekræft koden").click()
    page.wait_for_load_state()
    assert page.locator("#bevis").count() == 0


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(url=AXE_PATH)
    results: dict[str, Any] = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags}})""", WCAG_21_AA
    )
    # axe ran its WCAG rules on this page, rather than on nothing.
    assert len(results["passes"]) > 10, results["passes"]
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  - {json.dumps(node['target'])}: {node['html'][:200]}")
            lines.extend(f"      {line}" for line in node["failureSummary"].splitlines())
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core found WCAG 2.1 AA problems on {page.url}:\n" + describe(
        violations
    )


def open_context(browser: Browser, live_server: LiveServer) -> BrowserContext:
    """A fresh browser profile at desktop width, Danish first, that can load axe-core."""
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci` (make install does).", pytrace=False)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="da-DK", base_url=live_server.url
    )
    axe = AXE_SOURCE.read_text(encoding="utf-8")
    context.route(
        f"{live_server.url}{AXE_PATH}",
        lambda route: route.fulfill(body=axe, content_type="text/javascript"),
    )
    return context


@dataclass
class Tree:
    minister: User
    top: Pool
    sub: Pool
    other: Pool


def fits(page: Page, width: int) -> None:
    """Nothing sticks out sideways (a phone would have to scroll)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


NewContext = Callable[[], BrowserContext]


def at(path: str) -> Callable[[str], bool]:
    return lambda url: urlsplit(url).path == path


def follow_menu(page: Page, path: str) -> None:
    """Use the main menu's item, as the width shows it: on a phone, behind the Menu button."""
    item = page.locator(f".navigation-menu a.nav-link[href='{path}']")
    if not item.is_visible():
        page.locator("button.js-menu-open").click()
        item = page.locator(f".mobile-drawer a.nav-link[href='{path}']")
    item.click()
    page.wait_for_url(at(path))
