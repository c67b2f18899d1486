"""The applicant's whole path in Chromium, as a new user walks it, with axe-core on every page.

A housing organisation that is in the registry but has nobody in pulje yet: its volunteer
opens the call, logs in by code, registers the organisation, fills in the application, leaves
and comes back to the draft, submits and sees the receipt; then a second application asks
for nothing pulje already knows.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from pulje.applications.models import Application, ApplicationStatus, ApplicationVersion
from pulje.applications.services import start_application
from pulje.calls.models import Call
from pulje.registry.models import Organisation
from tests.browser.helpers import (
    WIDTHS,
    assert_accessible,
    emailed_code,
    fits,
    log_in,
    prove_by_the_registers_code,
)
from tests.factories import (
    UserFactory,
)

pytestmark = [pytest.mark.browser]

PARTNER_CVR = "29189706"
EMAIL = "frivillig@boligstjernen.dk"


def phone_page(context: BrowserContext, width: int) -> Page:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def fill_application(page: Page, title: str) -> None:
    page.locator("input[name=departments]").first.check()
    page.fill("input[name=title]", title)
    page.fill("textarea[name=summary]", "Fælles spisning hver torsdag for beboere, der er alene.")
    page.locator("input[name=target_groups][value=elderly]").check()
    page.fill("textarea[name=activities]", "Madlavning og spisning i beboerhuset hver torsdag.")
    page.fill("textarea[name=loneliness]", "Vi inviterer personligt, dør til dør.")
    page.fill("input[name=expected_participants]", "40")
    page.fill("input[name=period_start]", "2021-02-01")
    page.fill("input[name=period_end]", "2021-11-30")


def wait_until_saved(page: Page) -> None:
    expect(page.locator("#application-form")).to_have_attribute("data-unsaved", "0")
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"\d\d:\d\d"))


@pytest.mark.parametrize("width", WIDTHS)
def test_a_new_user_applies_from_the_call_page_to_the_receipt(
    context: BrowserContext, live_server: LiveServer, call: Call, housing: Organisation, width: int
) -> None:
    page = phone_page(context, width)

    # The call, as anyone sees it.
    page.goto(f"/opslag/{call.code}/")
    assert_accessible(page)
    fits(page, width)
    page.locator("main a[href^='/konto/log-ind/']").click()

    # Log in by code: a first login creates the user.
    page.wait_for_url(lambda url: urlsplit(url).path == "/konto/log-ind/")
    assert_accessible(page)
    page.fill("input[name=email]", EMAIL)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/konto/log-ind/kode/")
    assert_accessible(page)
    page.fill("input[name=code]", emailed_code())
    page.locator("main form button[value=verify]").click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"/opslag/{call.code}/")

    # Apply: pulje first asks which organisation, by CVR, and fills in the registry's data.
    page.locator("main form[action$='/ny/bl-faellesskaber-2020/'] button").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/organisation/registrer/")
    assert_accessible(page)
    page.fill("input[name=cvr]", housing.cvr)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Stjernevej 1")
    assert_accessible(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/organisation/{housing.pk}/")
    assert_accessible(page)
    # The claim is a request until proven: here by a code sent to the register's address.
    prove_by_the_registers_code(page)
    assert_accessible(page)

    # Tell us once: the payment account and the contacts.
    page.fill("input[name=reg_no]", "0040")
    page.fill("input[name=account_no]", "0440116243")
    page.fill("input[name=contact_name]", "Mette Hansen")
    page.fill("input[name=contact_email]", EMAIL)
    page.fill("input[name=contact_phone]", "12 34 56 78")
    page.fill("input[name=finance_name]", "Ole Jensen")
    page.fill("input[name=finance_email]", "ole@boligstjernen.dk")
    page.locator("main form button[type=submit]").first.click()
    # With the profile complete, back to the call.
    page.wait_for_url(lambda url: urlsplit(url).path == f"/opslag/{call.code}/")
    page.locator("main form[action$='/ny/bl-faellesskaber-2020/'] button").click()
    page.wait_for_url(re.compile(r"/ansoegninger/[0-9a-f-]{36}/$"))
    edit_url = page.url
    assert_accessible(page)
    fits(page, width)
    # The form asks nothing the profile already says.
    for asked_before in ("cvr", "iban", "reg_no", "account_no", "contact_email", "finance_name"):
        assert page.locator(f"#application-form [name={asked_before}]").count() == 0

    # Type, leave, come back: the draft is exactly as left.
    fill_application(page, "Spisefællesskab i Stjerneparken")
    page.fill("input[name=amount]", "60.000,5x")
    wait_until_saved(page)
    page.goto("/ansoegninger/")
    assert_accessible(page)
    page.goto(edit_url)
    assert page.input_value("input[name=title]") == "Spisefællesskab i Stjerneparken"
    assert page.input_value("input[name=amount]") == "60.000,5x"
    assert page.locator("input[name=target_groups][value=elderly]").is_checked()

    # Ask for the check: each wrong answer is named next to its field and in the summary.
    page.locator("button[value=check]").click()
    expect(page.locator("[data-module=error-summary]")).to_be_visible()
    # The amount does not parse, and no budget line is given: both are said at the amount.
    assert page.locator("[data-module=error-summary] a[href='#id_amount']").count() == 2
    assert_accessible(page)
    page.fill("input[name=amount]", "60.000")
    page.fill("input[name=budget_activities]", "60.000")
    page.fill("input[name=partner_1_name]", "Stjernens Kulturforening")
    page.fill("input[name=partner_1_cvr]", PARTNER_CVR)
    page.select_option("select[name=partner_1_kind]", "association")
    page.locator("button[value=check]").click()
    page.wait_for_url(re.compile(r"/tjek/$"))
    expect(page.locator("main")).to_contain_text("DK50 0040 0440 1162 43")
    expect(page.locator("main")).to_contain_text("60.000 kr.")
    assert_accessible(page)
    fits(page, width)

    # Submit (twice, as an impatient double click would) and see the receipt.
    page.locator("form[data-submit-once] button").dblclick()
    page.wait_for_url(re.compile(r"/kvittering/\?version=1$"))
    application = Application.objects.get(organisation=housing)
    assert application.status == ApplicationStatus.SCREENED
    assert ApplicationVersion.objects.filter(application=application).count() == 1
    expect(page.locator("main h1")).to_contain_text(application.reference)
    assert_accessible(page)
    fits(page, width)
    receipts = [m for m in mail.outbox if application.reference in str(m.subject)]
    assert len(receipts) == 1

    # A second application: nothing already known is asked again.
    page.goto(f"/opslag/{call.code}/")
    page.locator("main form[action$='/ny/bl-faellesskaber-2020/'] button").click()
    page.wait_for_url(re.compile(r"/ansoegninger/[0-9a-f-]{36}/$"))
    fill_application(page, "Bevægelse for alle")
    page.fill("input[name=amount]", "20.000")
    page.fill("input[name=budget_activities]", "20.000")
    page.fill("input[name=partner_1_name]", "Stjernens Kulturforening")
    page.fill("input[name=partner_1_cvr]", PARTNER_CVR)
    page.select_option("select[name=partner_1_kind]", "association")
    page.locator("button[value=check]").click()
    page.wait_for_url(re.compile(r"/tjek/$"))
    page.locator("form[data-submit-once] button").click()
    page.wait_for_url(re.compile(r"/kvittering/\?version=1$"))
    assert (
        Application.objects.filter(organisation=housing, status=ApplicationStatus.SCREENED).count()
        == 2
    )

    # The dashboard lists both with what comes next.
    page.goto("/ansoegninger/")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    assert_accessible(page)
    fits(page, width)
    page.locator("main a[href$='/traek-tilbage/']").first.click()
    page.wait_for_url(re.compile(r"/traek-tilbage/$"))
    assert_accessible(page)


def test_input_typed_after_the_session_ran_out_is_saved_once_logged_in_again(
    context: BrowserContext, live_server: LiveServer, call: Call, housing: Organisation
) -> None:
    user = UserFactory(email=EMAIL, organisation=housing)
    application = start_application(actor=user, call=call, organisation=housing)
    log_in(context, live_server, user)
    page = context.new_page()
    page.goto(f"/ansoegninger/{application.uuid}/")
    page.fill("input[name=title]", "Før")
    wait_until_saved(page)

    # The session runs out (and with it the CSRF cookie): the next save fails, visibly.
    context.clear_cookies()
    page.fill("input[name=title]", "Skrevet efter udløb")
    expect(page.locator("#autosave-offline")).to_be_visible()
    assert page.locator("#application-form").get_attribute("data-unsaved") == "1"

    # Logged in again in another window: the page saves what it kept, with the new token.
    log_in(context, live_server, user)
    other = context.new_page()
    other.goto("/ansoegninger/")
    page.fill("textarea[name=summary]", "Og mere tekst")
    wait_until_saved(page)
    expect(page.locator("#autosave-offline")).to_be_hidden()
    application.refresh_from_db()
    assert application.draft["title"] == ["Skrevet efter udløb"]
    assert application.draft["summary"] == ["Og mere tekst"]
