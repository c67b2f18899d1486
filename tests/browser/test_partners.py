"""Partner associations in Chromium, with axe-core on every page at desktop and phone width
(issue 15, point 4).

Two applications name the same association, which pulje's registry does not have (the CVR
register, as recorded in tests/registry/cvr/, knows it). From the front page the caseworker
goes by links to the first application, sees screening's remark, verifies the association
with the confirmation, and then finds the second application passing screening too. And an
applicant who types a partner's CVR number gets its name and kind filled in from the register.
"""

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.calls.models import Call
from pulje.registry.models import Organisation
from tests.browser.helpers import (
    WIDTHS,
    NewContext,
    assert_accessible,
    at,
    fits,
    follow_menu,
    log_in,
)
from tests.factories import UserFactory
from tests.factories.casework import make_applicant_in, make_desk, submit

pytestmark = [pytest.mark.browser]

# Recorded in tests/registry/cvr/: "Gellerup Kulturforening", a "Frivillig forening".
ASSOCIATION = "12700032"


@pytest.fixture(autouse=True)
def _fast_hashes(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page_for(new_context: NewContext, live_server: LiveServer, user: User, width: int) -> Page:
    context = new_context()
    log_in(context, live_server, user)
    # English only where a sentence is read; the pages themselves are checked as they are.
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def checked(page: Page, width: int) -> None:
    assert_accessible(page)
    fits(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_caseworker_verifies_a_partner_once_and_the_other_application_passes(
    new_context: NewContext, live_server: LiveServer, width: int
) -> None:
    desk = make_desk()
    first = submit(
        make_applicant_in(desk.call, name="Boligselskabet Nord"),
        title="Spiseklub",
        partner_1_cvr=ASSOCIATION,
    )
    second = submit(
        make_applicant_in(desk.call, name="Boligselskabet Syd"),
        title="Gåklub",
        partner_1_cvr=ASSOCIATION,
    )
    caseworker = page_for(new_context, live_server, desk.caseworker, width)

    # Front page → Casework → the call's queue → the first application.
    caseworker.goto("/")
    follow_menu(caseworker, "/sekretariat/")
    checked(caseworker, width)
    caseworker.locator(f"main tr[data-call='{desk.call.code}'] th a").click()
    queue = f"/sekretariat/{desk.call.code}/"
    caseworker.wait_for_url(at(queue))
    checked(caseworker, width)
    caseworker.locator(f"main tr[data-reference='{first.reference}'] a").first.click()
    caseworker.wait_for_url(at(f"/sekretariat/ansoegning/{first.uuid}/"))
    expect(caseworker.locator("[data-screening]")).to_have_attribute("data-screening", "remarks")
    expect(caseworker.locator("ul.screening-reasons li")).to_contain_text(
        f"(CVR {ASSOCIATION}) is not in the registry"
    )
    checked(caseworker, width)

    # Beside the remark: verify the association. Its page shows the CVR register's record.
    caseworker.locator(f"[data-verify-partner='{ASSOCIATION}'] a").click()
    caseworker.wait_for_url(
        at(f"/sekretariat/ansoegning/{first.uuid}/partner/{ASSOCIATION}/godkend/")
    )
    expect(caseworker.locator("[data-cvr-record]")).to_contain_text(
        "Gudrunsvej 12, 8220 Brabrand (Frivillig forening)"
    )
    expect(caseworker.locator("main")).to_contain_text(
        "2 applications that name it are screened again now."
    )
    checked(caseworker, width)

    # Without confirming that it was checked: refused, and said so; nothing is written.
    caseworker.locator("main button[type=submit]").click()
    expect(caseworker.locator("[data-module=error-summary] a[href='#id_checked']")).to_be_visible()
    assert not Organisation.objects.filter(cvr=ASSOCIATION).exists()
    checked(caseworker, width)

    caseworker.locator("input[name=checked]").check()
    caseworker.locator("main button[type=submit]").click()
    caseworker.wait_for_url(at(f"/sekretariat/ansoegning/{first.uuid}/"))
    expect(caseworker.locator("main .alert-success")).to_contain_text(
        f"Gellerup Kulturforening (CVR {ASSOCIATION}) is verified."
    )
    expect(caseworker.locator("[data-screening]")).to_have_attribute("data-screening", "pass")
    expect(caseworker.locator("[data-verify-partner]")).to_have_count(0)
    checked(caseworker, width)
    assert Organisation.objects.get(cvr=ASSOCIATION).verified_by == desk.caseworker

    # Back to the queue: the second application, naming the same association, passes too.
    caseworker.locator("a.back-link").click()
    caseworker.wait_for_url(at(queue))
    caseworker.locator(f"main tr[data-reference='{second.reference}'] a").first.click()
    caseworker.wait_for_url(at(f"/sekretariat/ansoegning/{second.uuid}/"))
    expect(caseworker.locator("[data-screening]")).to_have_attribute("data-screening", "pass")
    expect(caseworker.locator("ul.screening-reasons")).to_have_count(0)
    checked(caseworker, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_partners_name_and_kind_are_filled_in_from_the_cvr_register(
    new_context: NewContext,
    live_server: LiveServer,
    call: Call,
    housing: Organisation,
    width: int,
) -> None:
    applicant = page_for(new_context, live_server, UserFactory(organisation=housing), width)
    applicant.goto(f"/opslag/{call.code}/")
    applicant.locator(f"main form[action$='/ny/{call.code}/'] button").click()
    applicant.wait_for_url(lambda url: "/ansoegninger/" in url)
    checked(applicant, width)

    # The first partner: typed with a space, as people do; the name and kind follow.
    applicant.fill("input[name=partner_1_cvr]", "1270 0032")
    applicant.locator("input[name=partner_1_cvr]").press("Tab")
    expect(applicant.locator("input[name=partner_1_name]")).to_have_value("Gellerup Kulturforening")
    expect(applicant.locator("select[name=partner_1_kind]")).to_have_value("association")
    checked(applicant, width)

    # A name the applicant typed first stays as typed; a number the register lacks fills nothing.
    applicant.fill("input[name=partner_2_name]", "Vores egen forening")
    applicant.fill("input[name=partner_2_cvr]", ASSOCIATION)
    applicant.locator("input[name=partner_2_cvr]").press("Tab")
    expect(applicant.locator("select[name=partner_2_kind]")).to_have_value("association")
    expect(applicant.locator("input[name=partner_2_name]")).to_have_value("Vores egen forening")
    applicant.fill("input[name=partner_3_cvr]", "29189706")
    applicant.locator("input[name=partner_3_cvr]").press("Tab")
    expect(applicant.locator("select[name=partner_3_kind]")).to_have_value("")
    expect(applicant.locator("input[name=partner_3_name]")).to_have_value("")
