"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against live_server.

Playwright's sync API runs an asyncio event loop in the test thread, and Django refuses ORM
calls from a thread with a running loop; the tests build their data with the ORM while a
page is open, so the guard is switched off for them.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.browser.helpers import AXE_PATH

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_SOURCE = settings.PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}, which is missing. "
            "Install it with `apt-get install chromium` (.ci/run does); pulje never "
            "downloads a browser of its own with `playwright install`.",
            pytrace=False,
        )
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
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
    yield context
    context.close()
