"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against live_server.

Playwright's sync API runs an asyncio event loop in the test thread, and Django refuses ORM
calls from a thread with a running loop; the tests build their data with the ORM while a
page is open, so the guard is switched off for them.
"""

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from pytest_django.live_server_helper import LiveServer

from pulje.calls.models import Call
from pulje.core.money import kr
from pulje.ledger.services import appropriate, delegate
from pulje.registry.models import Organisation, OrganisationKind
from tests.browser.helpers import Tree, open_context
from tests.factories import (
    CallFactory,
    HousingDepartmentFactory,
    OrganisationFactory,
    PoolFactory,
    UserFactory,
)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


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


@pytest.fixture
def call() -> Call:
    bl = OrganisationFactory(
        name="BL – Danmarks Almene Boliger", kind=OrganisationKind.INTERMEDIARY
    )
    pool = PoolFactory(
        code="bl-vaer-med",
        name="BL – Vær Med-puljen",
        administrator=bl,
        period_start=dt.date(2020, 11, 1),
        period_end=dt.date(2030, 12, 31),
    )
    for n, (low, high) in enumerate([(10_000, 49_999), (50_000, 149_999)]):
        PoolFactory(
            code=f"bl-ramme-{n}",
            administrator=bl,
            parent=pool,
            grant_min_ore=kr(low),
            grant_max_ore=kr(high),
        )
    now = timezone.now()
    result: Call = CallFactory(
        pool=pool,
        code="bl-faellesskaber-2020",
        title="Puljen til lokale fællesskaber mod ensomhed",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
        project_start_earliest=dt.date(2021, 1, 1),
        project_end_latest=dt.date(2021, 12, 31),
        partner_kinds=["association"],
    )
    return result


@pytest.fixture
def housing() -> Organisation:
    organisation = OrganisationFactory(
        name="Boligstjernen",
        address="Stjernevej 1",
        postal_code="8000",
        city="Aarhus C",
        registry_email="post@boligstjernen.dk",
    )
    HousingDepartmentFactory(organisation=organisation, number="12", name="Stjerneparken")
    return organisation
