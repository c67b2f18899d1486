"""The second factor in a real browser: set up at the first login, asked for at the next, and
every page of it accessible at desktop and phone width."""

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.calls.models import Call
from pulje.core.money import kr
from pulje.registry.models import OrganisationKind
from tests.browser.helpers import WIDTHS, assert_accessible, emailed_code, totp_code
from tests.factories import CallFactory, OrganisationFactory, PoolFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
]


def at(path: str) -> Callable[[str], bool]:
    return lambda url: urlsplit(url).path == path


@pytest.fixture
def caseworker() -> User:
    """A member of the organisation that administers a call's pool, with no app set up yet."""
    pool = PoolFactory(
        administrator=OrganisationFactory(kind=OrganisationKind.INTERMEDIARY),
        grant_min_ore=kr(10_000),
        grant_max_ore=kr(50_000),
    )
    call: Call = CallFactory(pool=pool)
    return UserFactory(organisation=call.pool.administrator, password=None)


def log_in_by_code(page: Page, user: User) -> None:
    page.goto(reverse("accounts:login"))
    page.fill("input[name=email]", user.email)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(at(reverse("accounts:confirm_code")))
    page.fill("input[name=code]", emailed_code())
    page.locator("main form button[value=verify]").click()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_caseworker_sets_up_the_app_at_the_first_login_and_types_its_code_at_the_next(
    context: BrowserContext, live_server: LiveServer, caseworker: User, width: int
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})

    log_in_by_code(page, caseworker)
    page.wait_for_url(at(reverse("mfa_activate_totp")))
    assert page.locator("main img[src^='data:image/svg+xml']").is_visible()
    assert_accessible(page)
    page.goto(reverse("desk:calls"))
    assert urlsplit(page.url).path == reverse("mfa_activate_totp")

    secret = page.locator("main code").inner_text()
    page.fill("input[name=code]", totp_code(secret))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(at(reverse("mfa_view_recovery_codes")))
    assert page.locator("main li code").count() == 10
    assert_accessible(page)
    page.goto(reverse("mfa_index"))
    assert_accessible(page)
    page.goto(reverse("desk:calls"))
    assert urlsplit(page.url).path == reverse("desk:calls")

    context.clear_cookies()
    log_in_by_code(page, caseworker)
    page.wait_for_url(at(reverse("mfa_authenticate")))
    assert_accessible(page)
    page.fill("input[name=code]", "000000")
    page.locator("main form button[type=submit]").first.click()
    assert page.locator("main .alert-error").is_visible()
    assert_accessible(page)
    # The code typed at the set-up works once: the app's next one.
    page.fill("input[name=code]", totp_code(secret, step=1))
    page.locator("main form button[type=submit]").first.click()
    # The caseworker's start page.
    page.wait_for_url(at(reverse("desk:calls")))
