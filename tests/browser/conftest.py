"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against live_server.

Playwright's sync API runs an asyncio event loop in the test thread, and Django refuses ORM
calls from a thread with a running loop; the tests build their data with the ORM while a
page is open, so the guard is switched off for them.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.services import appropriate, delegate
from pulje.registry.models import OrganisationKind
from tests.browser.helpers import AXE_PATH
from tests.factories import OrganisationFactory, PoolFactory, UserFactory

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


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = open_context(browser, live_server)
    yield context
    context.close()


@pytest.fixture
def new_context(
    browser: Browser, live_server: LiveServer
) -> Iterator[Callable[[], BrowserContext]]:
    """Opens another fresh profile (as ``context``), one per user when a test has several
    people at work at once; all are closed at the end."""
    opened: list[BrowserContext] = []

    def make() -> BrowserContext:
        opened.append(open_context(browser, live_server))
        return opened[-1]

    yield make
    for context in opened:
        context.close()


@dataclass
class Tree:
    minister: User
    top: Pool
    sub: Pool
    other: Pool


@pytest.fixture
def tree() -> Tree:
    """The ministry's 50 mio. kr. pool with 15 mio. delegated to BL's sub-pool, and another
    funder's pool that the ministry's user must not see."""
    ministry = OrganisationFactory(name="Kulturministeriet", kind=OrganisationKind.FUNDER)
    bl = OrganisationFactory(name="BL", kind=OrganisationKind.INTERMEDIARY)
    top = PoolFactory(code="ensomhed-2020", name="Pulje mod ensomhed 2020", administrator=ministry)
    sub = PoolFactory(code="bl-vaer-med", name="BL – Vær Med-puljen", administrator=bl, parent=top)
    appropriate(actor=None, pool=top, amount_ore=kr(50_000_000), text="Aktstykke nr. 41")
    delegate(actor=None, pool=top, to=sub, amount_ore=kr(15_000_000))
    other = PoolFactory(code="anden-pulje", name="En anden styrelses pulje")
    appropriate(actor=None, pool=other, amount_ore=kr(1_000_000))
    minister = UserFactory(email="minister@example.dk", organisation=ministry)
    return Tree(minister=minister, top=top, sub=sub, other=other)
