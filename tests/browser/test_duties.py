"""Separation of duties and four eyes in Chromium (issue 11), at desktop and phone width with
axe-core on every page, walking from the front page by links: BL's caseworker sets a second
approval above 100.000 kr. on the pool's page and proposes a grant of 120.000 kr.; the page
says a second caseworker must approve it and names her; she finds it in the queue under
"awaiting your approval" and approves it. A caseworker who is a member of the applicant is
told why she cannot act and who can."""

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.registry.services.memberships import add_membership
from tests.browser.helpers import WIDTHS, assert_accessible, at, follow_menu, log_in
from tests.factories import UserFactory
from tests.factories.casework import make_applicant_in, make_desk
from tests.factories.decisions import close_call, screened

pytestmark = [pytest.mark.browser]

NewContext = Callable[[], BrowserContext]


def window(new_context: NewContext, live_server: LiveServer, user: User, width: int) -> Page:
    context = new_context()
    log_in(context, live_server, user)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    assert_accessible(page)
    return page


def to_application(page: Page, call_code: str, application: Application) -> None:
    """Casework → the call's queue → the application's page."""
    follow_menu(page, "/sekretariat/")
    assert_accessible(page)
    page.locator(f"main tr[data-call='{call_code}'] th a").click()
    page.wait_for_url(at(f"/sekretariat/{call_code}/"))
    assert_accessible(page)
    page.locator(f"main tr[data-reference='{application.reference}'] a").first.click()
    page.wait_for_url(at(f"/sekretariat/ansoegning/{application.uuid}/"))
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_large_grant_needs_a_second_caseworker_and_a_member_cannot_act(
    new_context: NewContext, live_server: LiveServer, width: int
) -> None:
    desk = make_desk()
    applicant = make_applicant_in(desk.call, name="Boligselskabet Store")
    application = screened(applicant, 120_000, title="Stort fællesskab")
    bl = desk.pool.administrator
    second = UserFactory(organisation=bl, name="Birgitte Anden")
    member = UserFactory(organisation=application.organisation, name="Mette Medlem")
    add_membership(actor=None, user=member, organisation=bl)

    # The pool's manager sets the amount on the pool's page: Pools → BL's pool.
    first = window(new_context, live_server, desk.caseworker, width)
    follow_menu(first, "/puljer/")
    assert_accessible(first)
    first.locator(f"main a[href='/puljer/{desk.pool.pk}/']").first.click()
    first.wait_for_url(at(f"/puljer/{desk.pool.pk}/"))
    assert_accessible(first)
    form = first.locator(f"form[action='/puljer/{desk.pool.pk}/anden-godkendelse/']")
    form.locator("input[name=second_approval_above_ore]").fill("100.000")
    form.locator("button[type=submit]").click()
    first.wait_for_url(at(f"/puljer/{desk.pool.pk}/"))
    expect(first.locator("[data-second-approval]")).to_have_attribute(
        "data-second-approval", str(kr(100_000))
    )
    assert_accessible(first)

    # The deadline passes; the first caseworker grants in full, confirms past the warnings
    # (the project period of the test call is over): proposed, not decided.
    close_call(desk.call)
    first.goto("/")
    to_application(first, desk.call.code, application)
    first.locator(f"main a[href='/afgoerelser/{application.uuid}/']").click()
    first.wait_for_url(at(f"/afgoerelser/{application.uuid}/"))
    assert_accessible(first)
    first.locator("button[name=outcome][value=grant]").click()
    expect(first.locator("[data-warning=project_period_past]")).to_be_visible()
    assert_accessible(first)
    first.locator("input[name=seen]").check()
    first.locator("main button[name=confirm]").click()
    expect(first.locator("[data-proposal]")).to_be_visible()
    expect(first.locator("[data-approvers]")).to_contain_text("Birgitte Anden")
    expect(first.locator("[data-approvers]")).not_to_contain_text("Mette Medlem")
    assert first.locator("input[name=action][value=approve]").count() == 0
    assert_accessible(first)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.AWAITING_APPROVAL
    assert not Decision.objects.filter(application=application).exists()

    # The member of the applicant: told why, and who can.
    conflicted = window(new_context, live_server, member, width)
    to_application(conflicted, desk.call.code, application)
    notice = conflicted.locator("main [data-conflict=member]")
    expect(notice).to_be_visible()
    expect(notice.locator("[data-free-caseworkers]")).to_contain_text("Birgitte Anden")
    expect(notice.locator("[data-free-caseworkers]")).to_contain_text("Sagsbehandler")
    assert conflicted.locator("form[action$='/screening/']").count() == 0
    assert_accessible(conflicted)

    # The second caseworker: the queue's link to what awaits her approval.
    approver = window(new_context, live_server, second, width)
    follow_menu(approver, "/sekretariat/")
    approver.locator(f"main tr[data-call='{desk.call.code}'] th a").click()
    approver.wait_for_url(at(f"/sekretariat/{desk.call.code}/"))
    approver.locator("main [data-awaiting-me] a").click()
    approver.wait_for_url(lambda url: "awaiting_me=on" in url)
    expect(approver.locator("main tr[data-reference]")).to_have_count(1)
    assert_accessible(approver)
    approver.locator(f"main tr[data-reference='{application.reference}'] a").first.click()
    approver.wait_for_url(at(f"/sekretariat/ansoegning/{application.uuid}/"))
    approver.locator(f"main a[href='/afgoerelser/{application.uuid}/']").click()
    approver.wait_for_url(at(f"/afgoerelser/{application.uuid}/"))
    assert_accessible(approver)
    approver.locator("form:has(input[name=action][value=approve]) button[type=submit]").click()
    expect(approver.locator("main .alert-success")).to_be_visible()
    assert_accessible(approver)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.GRANTED
    decision = Decision.objects.get(application=application)
    assert decision.decided_by == desk.caseworker
    assert decision.proposal is not None
    assert decision.proposal.resolved_by == second
