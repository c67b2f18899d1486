"""Each role logs in from the front page and lands on its own start page, in Chromium at
desktop and phone width with axe-core on every page (issue 14 point 7): the caseworker on
the desk with the call's next tasks counted, each a link to the queue filtered to it, and
from the queue by links to the panel, rubric, results and moderation; the assessor on
"Mine bedømmelser" (never the organisation's registration); the applicant on their
applications; the ministry on the pool tree. And the desktop language switch works by mouse
and by keyboard (walkthrough bug 6).
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.assessment.models import Assignment
from pulje.assessment.services import (
    add_assessor,
    assign_assessor,
    declare_interest,
    ensure_rubric,
    submit_scores,
)
from pulje.casework.services import set_screening_rules
from pulje.core.money import kr
from tests.browser.helpers import WIDTHS, assert_accessible, at, emailed_code, fits, totp_code
from tests.factories.casework import Desk, make_applicant_in, make_desk, submit
from tests.logins import give_authenticator_app

pytestmark = [pytest.mark.browser]

SECRET = "PULJEDEMOTOTRINSPULJEDEMOTOTRINS"
PHONE = 360


def looks_right(page: Page, width: int) -> None:
    assert_accessible(page)
    if width == PHONE:
        fits(page, width)


def window(context: BrowserContext, width: int) -> Page:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def log_in_from_the_front_page(page: Page, user: User, width: int) -> None:
    """Front page → "Log ind" → the address → the code from the mail (→ the app's code, for
    those who need a second factor)."""
    page.goto("/")
    looks_right(page, width)
    page.locator("main a[href='/konto/log-ind/']").click()
    page.wait_for_url(at("/konto/log-ind/"))
    page.fill("input[name=email]", user.email)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(at("/konto/log-ind/kode/"))
    page.fill("input[name=code]", emailed_code())
    page.locator("main form button[value=verify]").click()
    page.wait_for_load_state()
    if urlsplit(page.url).path == "/konto/totrin/log-ind/":
        page.fill("input[name=code]", totp_code(SECRET))
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()


def scored(desk: Desk, application: Application, assessor: User, value: int) -> None:
    assign_assessor(actor=desk.caseworker, applications=[application], assessor=assessor)
    assignment = Assignment.objects.get(application=application, assessor=assessor)
    declare_interest(actor=assessor, assignment=assignment, conflict=False)
    criteria = ensure_rubric(actor=None, call=desk.call).criteria.all()
    submit_scores(
        actor=assessor,
        assignment=assignment,
        values={c.pk: (value, "Begrundelse") for c in criteria},
    )


def a_round(desk: Desk) -> dict[str, list[Application]]:
    """One application for each of the caseworker's next tasks up to the decision."""
    set_screening_rules(actor=desk.caseworker, call=desk.call, salary_cap_monthly_ore=kr(5_000))
    alice = add_assessor(
        actor=desk.caseworker, call=desk.call, email="alice@example.dk", name="Alice"
    ).user
    bob = add_assessor(actor=desk.caseworker, call=desk.call, email="bob@example.dk").user
    over_cap = submit(
        make_applicant_in(desk.call, name="Boligselskabet Løn"),
        budget_salaries="55.000",
        budget_activities="5.000",
        budget_materials=None,
    )
    ready = submit(make_applicant_in(desk.call, name="Boligselskabet Klar"))
    split = submit(make_applicant_in(desk.call, name="Boligselskabet Uenige"))
    scored(desk, split, alice, 1)
    scored(desk, split, bob, 5)
    split.refresh_from_db()
    return {"screen": [over_cap], "assign": [ready], "scoring": [split], "moderate": [split]}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_caseworker_starts_on_the_desk_and_reaches_every_task_by_links(
    context: BrowserContext, live_server: LiveServer, width: int
) -> None:
    desk = make_desk()
    tasks = a_round(desk)
    give_authenticator_app(desk.caseworker, SECRET)
    page = window(context, width)

    log_in_from_the_front_page(page, desk.caseworker, width)

    page.wait_for_url(at("/sekretariat/"))
    looks_right(page, width)
    queue = f"/sekretariat/{desk.call.code}/"
    for task, applications in tasks.items():
        count = page.locator(f"main tr[data-call='{desk.call.code}'] li[data-task='{task}']")
        expect(count).to_have_attribute("data-count", str(len(applications)))
        count.locator("a").click()
        page.wait_for_url(re.compile(rf"\?task={task}$"))
        assert urlsplit(page.url).path == queue
        rows = page.locator("main tr[data-reference]")
        expect(rows).to_have_count(len(applications))
        for application in applications:
            row = page.locator(f"main tr[data-reference='{application.reference}']")
            # On a phone too, the row shows its status without scrolling sideways.
            status = row.locator("td", has_text=application.get_status_display())
            expect(status).to_be_visible()
            box = status.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= width
        looks_right(page, width)
        page.go_back()
        page.wait_for_url(at("/sekretariat/"))

    # From the queue, the call's assessment pages, each linking the others.
    page.locator(f"main tr[data-call='{desk.call.code}'] th a").click()
    page.wait_for_url(at(queue))
    for link, path in [
        ("panel", f"/bedoemmelse/opslag/{desk.call.code}/bedoemmere/"),
        ("rubric", f"/bedoemmelse/opslag/{desk.call.code}/kriterier/"),
        ("results", f"/bedoemmelse/opslag/{desk.call.code}/resultater/"),
        ("moderation", f"/bedoemmelse/opslag/{desk.call.code}/moderation/"),
    ]:
        page.locator(f"main a[data-link='{link}']").click()
        page.wait_for_url(at(path))
        looks_right(page, width)
    expect(page.locator("main")).to_contain_text(tasks["moderate"][0].reference)
    # The rubric's checkboxes are drawn (DKFDS draws them from the label after the input).
    page.locator("main a[data-link='rubric']").click()
    page.wait_for_url(at(f"/bedoemmelse/opslag/{desk.call.code}/kriterier/"))
    blind = page.locator("input[name=blind_review] + label")
    expect(blind).to_be_visible()
    blind.click()
    expect(page.locator("input[name=blind_review]")).to_be_checked()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_assessor_starts_on_their_assessments(
    context: BrowserContext, live_server: LiveServer, width: int
) -> None:
    desk = make_desk()
    tasks = a_round(desk)
    alice = User.objects.get(email="alice@example.dk")
    assign_assessor(actor=desk.caseworker, applications=tasks["assign"], assessor=alice)
    page = window(context, width)

    log_in_from_the_front_page(page, alice, width)

    page.wait_for_url(at("/bedoemmelse/"))
    looks_right(page, width)
    expect(page.locator("main h2")).to_have_text(
        ["Mangler erklæring om inhabilitet (1)", "Mangler bedømmelse (0)", "Færdig (1)"]
    )
    assert page.locator("a[href='/organisation/']").count() == 0
    assert page.locator("a.nav-link[href='/ansoegninger/']").count() == 0
    page.locator(f"main a[href='/bedoemmelse/{tasks['assign'][0].uuid}/erklaering/']").click()
    page.wait_for_url(at(f"/bedoemmelse/{tasks['assign'][0].uuid}/erklaering/"))
    looks_right(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_applicant_starts_on_their_applications(
    context: BrowserContext, live_server: LiveServer, width: int
) -> None:
    desk = make_desk()
    applicant = make_applicant_in(desk.call, name="Boligselskabet Nordlys")
    application = submit(applicant, title="Fællesspisning i Nordlys")
    page = window(context, width)

    log_in_from_the_front_page(page, applicant.user, width)

    page.wait_for_url(at("/ansoegninger/"))
    expect(page.locator("main")).to_contain_text(application.title)
    looks_right(page, width)
    assert page.locator("a.nav-link[href='/sekretariat/']").count() == 0
    assert page.locator("a.nav-link[href='/bedoemmelse/']").count() == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_the_ministry_starts_on_the_pool_tree(
    context: BrowserContext, live_server: LiveServer, width: int
) -> None:
    desk = make_desk()
    give_authenticator_app(desk.funder, SECRET)
    page = window(context, width)

    log_in_from_the_front_page(page, desk.funder, width)

    page.wait_for_url(at("/puljer/"))
    expect(page.locator("main")).to_contain_text(desk.pool.name)
    looks_right(page, width)


def test_the_desktop_language_switch_works_by_mouse_and_by_keyboard(
    context: BrowserContext, live_server: LiveServer
) -> None:
    page = window(context, 1280)
    page.goto("/opslag/")
    switch = page.locator(".language-switcher-header button.js-dropdown")

    # By mouse: open the menu, choose English.
    switch.click()
    english = page.locator("#header-language button[lang=en]")
    expect(english).to_be_visible()
    english.click()
    page.wait_for_url(at("/opslag/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page)

    # By keyboard: to the switch, open it, Tab to Danish (the current language) and on to
    # Dansk's button... here the other language is Danish.
    switch.focus()
    page.keyboard.press("Enter")
    danish = page.locator("#header-language button[lang=da]")
    expect(danish).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(danish).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(at("/opslag/"))
    expect(page.locator("html")).to_have_attribute("lang", "da")
    assert_accessible(page)
