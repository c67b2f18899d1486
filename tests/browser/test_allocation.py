"""The secretariat allocates a call's money in Chromium, with axe-core on every page at
desktop and phone width (issue 5): from the queue to a new run (a typing mistake first),
the run computing (solved here by the worker's function, the page polling until it is done),
the proposal with its charts and the comparison with the simple ranking, a lock-out and a
run again, and the confirmation that makes the decisions.

The round is ``scarce`` from tests/allocation/conftest.py: band 1 has 40.000 kr. for a
20.000 kr. and a 30.000 kr. project, band 2 100.000 kr. for two of 60.000 kr.
"""

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.allocation.models import AllocationRun
from pulje.allocation.services import solve_queued_run
from pulje.core.money import kr
from pulje.decisions.models import Decision
from tests.browser.helpers import WIDTHS, assert_accessible, log_in
from tests.factories.allocation import make_scarce
from tests.factories.decisions import available, close_call

pytestmark = [pytest.mark.browser]

NewContext = Callable[[], BrowserContext]


@pytest.fixture(autouse=True)
def _fast_and_private(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page_for(new_context: NewContext, live_server: LiveServer, user: User, width: int) -> Page:
    context = new_context()
    log_in(context, live_server, user)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def at(path: str) -> Callable[[str], bool]:
    return lambda url: urlsplit(url).path == path


def a_run_page(runs: str, *, other_than: int | None = None) -> Callable[[str], bool]:
    """A run's page under ``runs``, not run ``other_than``: waited for before the test reads
    the run the click made from the database."""
    pattern = re.compile(re.escape(runs) + r"(\d+)/")

    def matches(url: str) -> bool:
        found = pattern.fullmatch(urlsplit(url).path)
        return found is not None and int(found.group(1)) != other_than

    return matches


@pytest.mark.parametrize("width", WIDTHS)
def test_the_secretariat_runs_locks_runs_again_and_confirms(
    new_context: NewContext, live_server: LiveServer, width: int
) -> None:
    scarce = make_scarce()
    call = scarce.call
    dining, walking, homework, knitting = (
        scarce.dining,
        scarce.walking,
        scarce.homework,
        scarce.knitting,
    )
    band_1, band_2, _band_3 = scarce.bands
    page = page_for(new_context, live_server, scarce.caseworker, width)

    # From the call's queue to its allocation runs: none yet.
    page.goto(f"/sekretariat/{call.code}/")
    page.locator("main a[data-link=allocation]").click()
    runs = f"/sekretariat/opslag/{call.code}/fordeling/"
    page.wait_for_url(at(runs))
    assert_accessible(page)

    # A new run: the defaults are filled in; a budget in the wrong notation is refused.
    page.locator(f"main a[href='{runs}ny/']").click()
    page.wait_for_url(at(f"{runs}ny/"))
    expect(page.locator("input[name=method][value=optimal]")).to_be_checked()
    expect(page.locator("input[name=group_children]")).to_have_value("1")
    expect(page.locator("[data-facts=candidates]")).to_have_text("4 bedømte ansøgninger")
    assert_accessible(page)
    page.fill("input[name=budget]", "12.5")
    page.locator("main form.allocation-form button[type=submit]").click()
    summary = page.locator("[data-module=error-summary]")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href='#id_budget']")).to_have_count(1)
    assert_accessible(page)
    assert not AllocationRun.objects.exists()

    # Every project may compete on score alone: no minimum per target group.
    page.fill("input[name=budget]", "")
    for group in ("children", "adults", "elderly"):
        page.fill(f"input[name=group_{group}]", "0")
    page.locator("main form.allocation-form button[type=submit]").click()
    page.wait_for_url(a_run_page(runs))
    first = AllocationRun.objects.get()
    assert urlsplit(page.url).path == f"{runs}{first.pk}/"
    # The worker has yet to solve it: the page says so and asks again every 2 seconds, and
    # reloads itself with the proposal once the run is done.
    expect(page.locator("#run-progress")).to_have_attribute("data-run-state", "queued")
    expect(page.locator("main button[data-action=stop]")).to_be_visible()
    assert_accessible(page)
    solve_queued_run(run_id=first.pk)
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "optimal")
    rows = page.locator("table.allocation-proposal tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("tr[data-selected=yes]")).to_have_count(2)
    for application in (dining, knitting):
        expect(page.locator(f"tr[data-reference='{application.reference}']")).to_have_attribute(
            "data-selected", "yes"
        )
    expect(page.locator("section[data-chart]")).to_have_count(3)
    expect(page.locator("section[data-chart=band] tr[data-bar]")).to_have_count(3)
    expect(page.locator("table[data-table=comparison]")).to_be_visible()
    assert_accessible(page)

    # Spiseklub locked out, and run again: Gåklub takes its place in band 2.
    page.locator(f"input[name=locked_out][value='{dining.reference}']").check()
    page.locator("#locks button[type=submit]").click()
    page.wait_for_url(a_run_page(runs, other_than=first.pk))
    second = AllocationRun.objects.get(parent=first)
    assert urlsplit(page.url).path == f"{runs}{second.pk}/"
    solve_queued_run(run_id=second.pk)
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "optimal")
    expect(page.locator(f"input[name=locked_out][value='{dining.reference}']")).to_be_checked()
    expect(page.locator("tr[data-selected=yes]")).to_have_count(2)
    for application in (walking, knitting):
        expect(page.locator(f"tr[data-reference='{application.reference}']")).to_have_attribute(
            "data-selected", "yes"
        )
    expect(page.locator("table[data-table=runs] tbody tr")).to_have_count(2)
    assert_accessible(page)

    # Confirm, once the deadline has passed: the step says what will be decided, shows a
    # letter and warns (the project period of the test call is over); ticked, it is decided.
    close_call(call)
    page.locator("main a[data-action=confirm]").click()
    page.wait_for_url(at(f"{runs}{second.pk}/bekraeft/"))
    expect(page.locator("[data-plan=grants]")).to_contain_text("90.000 kr.")
    expect(page.locator("[data-plan=rejections]")).to_have_text("2 afslag")
    expect(page.locator("[data-confirm=decisions] tbody tr")).to_have_count(4)
    expect(page.locator("[data-confirm=letter]")).to_be_visible()
    expect(page.locator("[data-warning=project_period_past]")).to_be_visible()
    assert_accessible(page)
    page.locator("input[name=seen]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(at(f"{runs}{second.pk}/"))
    expect(page.locator("main .alert-success").first).to_be_visible()
    expect(page.locator("[data-run-state=confirmed]")).to_be_visible()
    assert_accessible(page)

    assert sorted(
        Decision.objects.values_list("application__reference", "outcome", "amount_ore")
    ) == sorted(
        [
            (walking.reference, "grant", kr(60_000)),
            (knitting.reference, "grant", kr(30_000)),
            (dining.reference, "reject", None),
            (homework.reference, "reject", None),
        ]
    )
    assert (available(band_1), available(band_2)) == (kr(10_000), kr(40_000))
