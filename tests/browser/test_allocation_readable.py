"""A caseworker reads an allocation run in Chromium, at desktop and phone width, with axe-core
on every page (issue 14 point 6): from the front page by links to the call and its runs, a
run whose summary says in sentences what it gives and what holds it down (the bands'
budgets), a run with reductions where a lock-in is granted less than it asked and is shown
as reduced, and the solver's own figures under "Detaljer". On a phone each application's
result and amount is in view without scrolling sideways.

The round is ``scarce`` from tests/allocation/conftest.py: Bånd 1 has 40.000 kr. for
Lektiecafé (20.000 kr., score 3) and Strikkeklub (30.000 kr., score 4), Bånd 2 100.000 kr. for
Spiseklub (60.000 kr., score 5) and Gåklub (60.000 kr., score 4); the run's budget is all the
call's pool has, 1.000.000 kr.
"""

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.allocation.models import AllocationRun
from pulje.allocation.services import solve_queued_run
from tests.browser.helpers import (
    WIDTHS,
    NewContext,
    assert_accessible,
    at,
    fits,
    follow_menu,
    log_in,
)
from tests.factories.allocation import make_scarce

pytestmark = [pytest.mark.browser]


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


def a_new_run_page(runs: str, *, other_than: int | None = None) -> Callable[[str], bool]:
    pattern = re.compile(re.escape(runs) + r"(\d+)/")

    def matches(url: str) -> bool:
        found = pattern.fullmatch(urlsplit(url).path)
        return found is not None and int(found.group(1)) != other_than

    return matches


def solved(page: Page, run: AllocationRun) -> None:
    """The worker solves the run; the page, asking every 2 seconds, reloads with it."""
    solve_queued_run(run_id=run.pk)
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "optimal")


def result_of(page: Page, reference: str) -> str:
    return page.locator(
        f"table.allocation-proposal tr[data-reference='{reference}'] [data-proposed]"
    ).inner_text()


def results_in_view(page: Page, width: int) -> None:
    """Every application's result and amount lies within the page's width: on a phone no
    one scrolls sideways to find them."""
    cells = page.locator("table.allocation-proposal [data-proposed]")
    expect(cells.first).to_be_visible()
    for box in (cell.bounding_box() for cell in cells.all()):
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_a_caseworker_reads_what_a_run_gives_what_holds_it_down_and_a_reduced_lock_in(
    new_context: NewContext, live_server: LiveServer, width: int
) -> None:
    scarce = make_scarce()
    call = scarce.call
    runs = f"/sekretariat/opslag/{call.code}/fordeling/"
    page = page_for(new_context, live_server, scarce.caseworker, width)

    # From the front page to the call's queue, and on to its allocation.
    page.goto("/")
    follow_menu(page, "/sekretariat/")
    page.locator(f"main tr[data-call='{call.code}'] th a").click()
    page.wait_for_url(at(f"/sekretariat/{call.code}/"))
    page.locator("main a[data-link=allocation]").click()
    page.wait_for_url(at(runs))
    assert_accessible(page)

    # A run without reductions, every project competing on score alone.
    page.locator(f"main a[href='{runs}ny/']").click()
    page.wait_for_url(at(f"{runs}ny/"))
    for group in ("children", "adults", "elderly"):
        page.fill(f"input[name=group_{group}]", "0")
    page.locator("main form.allocation-form button[type=submit]").click()
    page.wait_for_url(a_new_run_page(runs))
    first = AllocationRun.objects.get()
    solved(page, first)

    # Spiseklub (60.000) and Strikkeklub (30.000) are granted: 90.000 kr. of 1.000.000. What
    # holds the rest back is the bands' budgets, each with what is left and what did not fit.
    expect(page.locator("[data-reading=does]")).to_have_text(
        "Forslaget giver 2 tilsagn for 90.000 kr. af kørslens budget på 1.000.000 kr.; "
        "2 ansøgninger får afslag."
    )
    expect(page.locator("[data-reading=quality]")).to_have_text(
        "Det bedste forslag inden for reglerne – bevist."
    )
    expect(page.locator("[data-reading=bounds] li")).to_have_text(
        [
            "Budgettet for Bånd 1 på 40.000 kr. har kun 10.000 kr. tilbage: 1 ansøgning på "
            "20.000 kr. fik ikke plads.",
            "Budgettet for Bånd 2 på 100.000 kr. har kun 40.000 kr. tilbage: 1 ansøgning på "
            "60.000 kr. fik ikke plads.",
        ]
    )
    # 910.000 of 1.000.000 kr. left is 91 %, while two are refused: a warning naming the bands.
    expect(page.locator("[data-reading=warning] .alert-text")).to_have_text(
        "91 % af kørslens budget, 910.000 kr., bliver ikke givet, selv om 2 ansøgninger får "
        "afslag. Det holder forslaget tilbage: budgettet for Bånd 1; budgettet for Bånd 2."
    )
    # Every row states its result and its amounts, on a phone as well as on a desktop.
    assert result_of(page, scarce.dining.reference) == "Tilsagn: 60.000 kr."
    assert result_of(page, scarce.homework.reference) == "Afslag"
    homework = page.locator(
        f"table.allocation-proposal tr[data-reference='{scarce.homework.reference}']"
    )
    expect(homework).to_contain_text(
        "Ansøgningen søger 20.000 kr., og budgettet for Bånd 1 på 40.000 kr. har kun "
        "10.000 kr. tilbage."
    )
    # The solver's figures are there for those who look, in plain words.
    details = page.locator("details[data-details=figures]")
    expect(details.locator("[data-figure=objective]")).not_to_be_visible()
    details.locator("summary").click()
    expect(details.locator("[data-figure=objective]")).to_be_visible()
    expect(details).to_contain_text("Forslagets værdi")
    expect(page.locator("main")).not_to_contain_text("Målværdi")
    results_in_view(page, width)
    fits(page, width)
    assert_accessible(page)

    # A new run that may reduce grants to half: every project gets something.
    page.locator(f"main a[href='{runs}ny/']").click()
    page.wait_for_url(at(f"{runs}ny/"))
    page.fill("input[name=reduce_to_percent]", "50")
    page.locator("main form.allocation-form button[type=submit]").click()
    page.wait_for_url(a_new_run_page(runs, other_than=first.pk))
    second = AllocationRun.objects.exclude(pk=first.pk).get()
    solved(page, second)
    expect(page.locator("[data-reading=does]")).to_have_text(
        "Forslaget giver 4 tilsagn for 140.000 kr. af kørslens budget på 1.000.000 kr.; "
        "3 får et mindre beløb end søgt."
    )

    # Lektiecafé locked in, and run again: it is still cut to 10.000 kr., and says so.
    page.locator(f"input[name=locked_in][value='{scarce.homework.reference}']").check()
    page.locator("#locks button[type=submit]").click()
    page.wait_for_url(a_new_run_page(runs, other_than=second.pk))
    third = AllocationRun.objects.get(parent=second)
    solved(page, third)
    assert result_of(page, scarce.homework.reference) == (
        "Låst ind – nedsat fra 20.000 kr. til 10.000 kr."
    )
    expect(
        page.locator(f"table.allocation-proposal tr[data-reference='{scarce.homework.reference}']")
    ).to_contain_text("Låst ind af sagsbehandleren – nedsat fra 20.000 kr. til 10.000 kr.")
    assert result_of(page, scarce.walking.reference) == (
        "Tilsagn: 50.000 kr. – nedsat fra 60.000 kr."
    )
    results_in_view(page, width)
    fits(page, width)
    assert_accessible(page)
