"""pulje's pages in a real browser: logging in, what the page loads, and accessibility.

Debian's Chromium runs the pages from live_server with the production CSP, so a script,
style or font that is inline or from another server shows up here as a failed request or a
CSP report, and axe-core checks each page against WCAG 2.1 A and AA at desktop and phone width.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, Response
from pytest_django.live_server_helper import LiveServer

from pulje.core.money import format_dkk, kr
from tests.browser.helpers import (
    WIDTHS,
    Tree,
    assert_accessible,
    emailed_code,
    log_in,
    prove_by_the_registers_code,
    totp_code,
)
from tests.factories import OrganisationFactory, UserFactory
from tests.logins import give_authenticator_app

pytestmark = [
    pytest.mark.browser,
]
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def cell_texts(page: Page, row: int) -> list[str]:
    return [
        text.strip()
        for text in page.locator("table.pool-tree tbody tr")
        .nth(row)
        .locator("td")
        .all_inner_texts()
    ]


def test_login_by_code_leads_to_the_pool_tree_with_danish_amounts(
    context: BrowserContext, live_server: LiveServer, tree: Tree
) -> None:
    give_authenticator_app(tree.minister, SECRET)
    page = context.new_page()
    page.goto("/puljer/")
    assert urlsplit(page.url).path == "/konto/log-ind/"

    page.fill("input[name=email]", tree.minister.email)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/konto/log-ind/kode/")
    page.fill("input[name=code]", emailed_code())
    page.locator("main form button[value=verify]").click()
    # A funder's login asks for the second factor too.
    page.wait_for_url(lambda url: urlsplit(url).path == reverse("mfa_authenticate"))
    page.fill("input[name=code]", totp_code(SECRET))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/puljer/")

    names = [name.strip() for name in page.locator("table.pool-tree tbody th a").all_inner_texts()]
    assert names == ["Pulje mod ensomhed 2020", "BL – Vær Med-puljen"]
    # The sub-pool is indented one level under its parent.
    assert page.locator("table.pool-tree tbody th .pool-depth-0 a").inner_text() == tree.top.name
    assert page.locator("table.pool-tree tbody th .pool-depth-1 a").inner_text() == tree.sub.name
    # Available in all, received, given in grants, paid, passed on, available in the pool itself.
    zero = format_dkk(0)
    assert cell_texts(page, 0) == [
        "50.000.000 kr.",
        "50.000.000 kr.",
        zero,
        zero,
        "15.000.000 kr.",
        "35.000.000 kr.",
    ]
    assert cell_texts(page, 1) == [
        format_dkk(kr(15_000_000)),
        format_dkk(kr(15_000_000)),
        zero,
        zero,
        zero,
        format_dkk(kr(15_000_000)),
    ]


def test_pages_load_only_their_own_files_and_use_dkfds(
    context: BrowserContext, live_server: LiveServer, tree: Tree
) -> None:
    requests: list[Request] = []
    failures: list[str] = []
    csp_reports: list[str] = []

    # Playwright wraps each handler with an attribute, which a builtin like list.append lacks.
    def on_request(request: Request) -> None:
        requests.append(request)

    def on_response(response: Response) -> None:
        if response.status >= 400:
            failures.append(f"{response.status} {response.url}")

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            csp_reports.append(message.text)

    page = context.new_page()
    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", lambda request: failures.append(f"failed {request.url}"))
    page.on("console", on_console)
    log_in(context, live_server, tree.minister)
    for path in ["/", f"/puljer/{tree.top.pk}/", "/puljer/"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        page.evaluate("document.fonts.ready")

    own_host = urlsplit(live_server.url).netloc
    assert [r.url for r in requests if urlsplit(r.url).netloc != own_host] == []
    assert failures == []
    assert csp_reports == []
    static = {urlsplit(r.url).path for r in requests if "/static/" in r.url}
    assert {
        "/static/build/pulje.css",
        "/static/build/pulje.js",
        "/static/build/icons.svg",
    } <= static
    assert any(path.endswith(".woff2") and "IBMPlexSans" in path for path in static), static

    font_family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "IBM Plex Sans" in font_family
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert any("IBM Plex Sans" in family for family in loaded), loaded
    # DKFDS's script ran: its navigation adds a "more" item to the main menu.
    assert page.locator(".navigation-menu .mainmenu > li.more-option").count() == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_front_page_is_accessible(context: BrowserContext, width: int) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_login_page_is_accessible_also_with_errors(
    context: BrowserContext, tree: Tree, width: int
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/konto/log-ind/")
    assert_accessible(page)

    page.fill("input[name=email]", "not an address")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("[data-module=error-summary]").count() == 1
    assert_accessible(page)

    page.fill("input[name=email]", tree.minister.email)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/konto/log-ind/kode/")
    assert_accessible(page)

    page.fill("input[name=code]", "WRONG1")
    page.locator("main form button[value=verify]").click()
    page.wait_for_load_state()
    assert page.locator("[data-module=error-summary]").count() == 1
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_password_login_is_accessible_also_with_errors(
    context: BrowserContext, tree: Tree, width: int
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/konto/log-ind/adgangskode/")
    assert_accessible(page)

    page.fill("input[name=login]", tree.minister.email)
    page.fill("input[name=password]", "not the password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-module=error-summary]").count() == 1
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_onboarding_and_profile_are_accessible(
    context: BrowserContext, live_server: LiveServer, width: int
) -> None:
    organisation = OrganisationFactory(
        name="Boligselskabet Nord", address="Nørregade 1", registry_email="post@nord.dk"
    )
    applicant = UserFactory(email="ansoeger@example.dk")
    log_in(context, live_server, applicant)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/organisation/")
    assert urlsplit(page.url).path == "/organisation/registrer/"
    assert_accessible(page)
    page.fill("input[name=cvr]", "12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-module=error-summary]").count() == 1
    assert_accessible(page)

    page.fill("input[name=cvr]", organisation.cvr)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("main h1").inner_text() != ""
    assert_accessible(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/organisation/{organisation.pk}/")
    assert_accessible(page)
    prove_by_the_registers_code(page)
    assert_accessible(page)

    page.fill("input[name=reg_no]", "04")
    page.fill("input[name=account_no]", "4011 6243")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("[data-module=error-summary]").count() == 1
    assert_accessible(page)
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_pool_pages_are_accessible(
    context: BrowserContext, live_server: LiveServer, tree: Tree, width: int
) -> None:
    log_in(context, live_server, tree.minister)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/puljer/")
    assert page.locator("table.pool-tree tbody tr").count() == 2
    assert_accessible(page)

    page.goto(f"/puljer/{tree.top.pk}/")
    # The ministry manages its own pool: the page has the forms to appropriate, to delegate
    # and to set the amount above which a grant needs a second caseworker.
    assert page.locator("main form").count() == 3
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_sub_pool_form_with_errors_is_accessible(
    context: BrowserContext, live_server: LiveServer, tree: Tree, width: int
) -> None:
    log_in(context, live_server, tree.minister)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/puljer/{tree.top.pk}/underpulje/")
    page.fill("input[name=code]", "not a code!")
    page.fill("input[name=delegate_ore]", "12.5")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-module=error-summary] li").count() == 3
    assert_accessible(page)
