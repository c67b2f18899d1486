"""The call pages in a real browser: accessibility of the public list and call page and of
the secretariat's form, and the live countdown (static/src/countdown.js)."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from playwright.sync_api import BrowserContext
from pytest_django.live_server_helper import LiveServer

from pulje.calls.countdown import countdown_texts
from pulje.calls.models import Call, QuestionKind
from pulje.calls.services import add_question
from pulje.core.money import kr
from tests.browser.helpers import WIDTHS, Tree, assert_accessible, log_in
from tests.factories import CallFactory, PoolFactory

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def open_call(tree: Tree) -> Call:
    """A call on BL's pool with one grant band, open until 4 days, 3½ hours from now."""
    PoolFactory(
        code="bl-ramme-1",
        name="Ramme 1",
        administrator=tree.sub.administrator,
        parent=tree.sub,
        grant_min_ore=kr(10_000),
        grant_max_ore=kr(49_999),
    )
    now = timezone.now()
    call: Call = CallFactory(
        pool=tree.sub,
        code="bl-faellesskaber-2020",
        title="Puljen til lokale fællesskaber mod ensomhed",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=4, hours=3, minutes=30),
        partner_kinds=["association"],
        criteria="Nye fællesskaber.",
        guidance="Pengene skal bruges i 2021.",
    )
    add_question(
        actor=None,
        call=call,
        label="Har I tidligere samarbejdet med foreningen?",
        kind=QuestionKind.YES_NO,
    )
    return call


@pytest.mark.parametrize("width", WIDTHS)
def test_call_pages_are_accessible(context: BrowserContext, open_call: Call, width: int) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/opslag/")
    assert page.locator("main .call-list-item").count() == 1
    assert_accessible(page)

    page.goto(f"/opslag/{open_call.code}/")
    assert page.locator("[data-countdown-deadline]").count() == 1
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_call_form_with_errors_is_accessible(
    context: BrowserContext,
    live_server: LiveServer,
    tree: Tree,
    width: int,
) -> None:
    log_in(context, live_server, tree.minister)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/opslag/ny/{tree.top.pk}/")
    assert_accessible(page)

    page.fill("input[name=code]", "ikke en kode")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    # Code, title, reference prefix, purpose, who may apply, opens, deadline.
    assert page.locator("[data-module=error-summary] li").count() == 7
    assert_accessible(page)


def _unit(texts: dict[str, str], name: str, count: int) -> str:
    return texts[f"{name}_{'one' if count == 1 else 'other'}"].replace("{n}", str(count))


def test_countdown_script_keeps_the_time_left_up_to_date(
    context: BrowserContext, open_call: Call
) -> None:
    with translation.override("da"):
        texts = countdown_texts()

    def pair(first: str, second: str) -> str:
        return texts["pair"].replace("{first}", first).replace("{second}", second)

    page = context.new_page()
    # The browser's clock, not the server's: stopped two days and ten minutes before the
    # deadline, and moved on only by run_for.
    page.clock.install(time=open_call.closes_at - dt.timedelta(days=2, minutes=11))
    page.clock.pause_at(open_call.closes_at - dt.timedelta(days=2, minutes=10))
    page.goto(f"/opslag/{open_call.code}/")
    countdown = page.locator("[data-countdown-deadline]")
    # pulje.js has replaced the server's text (4 days and 3 hours, by the server's clock; see
    # tests/calls) with the browser's count.
    first = countdown.inner_text()
    page.clock.run_for(60 * 60 * 1000)
    an_hour_later = countdown.inner_text()
    page.clock.run_for((47 * 60 + 9) * 60 * 1000)
    last_minute = countdown.inner_text()
    page.clock.run_for(60 * 1000)
    passed = countdown.inner_text()

    assert first == pair(_unit(texts, "day", 2), _unit(texts, "hour", 0))
    assert an_hour_later == pair(_unit(texts, "day", 1), _unit(texts, "hour", 23))
    assert last_minute == texts["only"].replace("{only}", _unit(texts, "minute", 1))
    assert passed == texts["passed"]
