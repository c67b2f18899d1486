"""The applicant's path in Chromium by links from the front page, with axe-core on every page:
the call found, the application written with a file, the salary cap warned of on "check your
answers" and put right before sending, the application changed after submission before the
deadline and sent again, and the applicant's own file opened from the receipt. And an
assessor who opens that file from the assessment page.
"""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import (
    add_attachment,
    fingerprint,
    start_application,
    submit_application,
)
from pulje.assessment.services import add_assessor, assign_assessor
from pulje.calls.models import Call
from pulje.casework.models import Screening
from pulje.casework.services import set_screening_rules
from pulje.core.money import kr
from pulje.registry.models import Organisation
from pulje.registry.services.organisations import update_organisation
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

pytestmark = [pytest.mark.browser]

PARTNER_CVR = "29189706"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SALARY_CAP = "Lønudgifter på 40.000 kr. overstiger loftet på 34.000 kr."


@pytest.fixture
def applicant(call: Call, housing: Organisation) -> User:
    """A volunteer of the housing organisation, whose profile pulje already has; the call caps
    salaries at 34.000 kr. a month."""
    update_organisation(
        actor=None,
        organisation=housing,
        payment_iban="DK5000400440116243",
        contact_name="Mette Hansen",
        contact_email="mette@boligstjernen.dk",
        contact_phone="12345678",
        finance_name="Ole Jensen",
        finance_email="ole@boligstjernen.dk",
    )
    set_screening_rules(actor=None, call=call, salary_cap_monthly_ore=kr(34_000))
    result: User = UserFactory(email="frivillig@boligstjernen.dk", organisation=housing)
    return result


def page_at(context: BrowserContext, width: int) -> Page:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def wait_until_saved(page: Page) -> None:
    expect(page.locator("#application-form")).to_have_attribute("data-unsaved", "0")
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"\d\d:\d\d"))


def check_answers(page: Page) -> None:
    page.locator("button[value=check]").click()
    # The fragment of the page before (#bilag after an upload) stays with the redirect.
    page.wait_for_url(re.compile(r"/tjek/(#\w+)?$"))


@pytest.mark.parametrize("width", WIDTHS)
def test_an_applicant_puts_the_salary_cap_right_and_changes_the_application_after_submitting(
    *,
    context: BrowserContext,
    live_server: LiveServer,
    call: Call,
    housing: Organisation,
    applicant: User,
    tmp_path: Path,
    width: int,
) -> None:
    log_in(context, live_server, applicant)
    page = page_at(context, width)

    # From the front page to the call, by links.
    page.goto("/")
    assert_accessible(page)
    page.locator("main a[href='/opslag/']").first.click()
    page.wait_for_url(at("/opslag/"))
    assert_accessible(page)
    page.locator(f"main a[href='/opslag/{call.code}/']").click()
    page.wait_for_url(at(f"/opslag/{call.code}/"))
    assert_accessible(page)
    fits(page, width)
    page.locator(f"main form[action$='/ny/{call.code}/'] button").click()
    page.wait_for_url(re.compile(r"/ansoegninger/[0-9a-f-]{36}/$"))
    assert_accessible(page)
    fits(page, width)

    # Write it: 40.000 kr. of salaries in a project of one month.
    page.locator("input[name=departments]").first.check()
    page.fill("input[name=title]", "Fællesspisning i Stjerneparken")
    page.fill("textarea[name=summary]", "Fælles spisning hver torsdag for beboere, der er alene.")
    page.locator("input[name=target_groups][value=elderly]").check()
    page.fill("textarea[name=activities]", "Madlavning og spisning i beboerhuset hver torsdag.")
    page.fill("textarea[name=loneliness]", "Vi inviterer personligt, dør til dør.")
    page.fill("input[name=expected_participants]", "40")
    page.fill("input[name=period_start]", "2021-05-01")
    page.fill("input[name=period_end]", "2021-05-31")
    page.fill("input[name=partner_1_name]", "Stjernens Kulturforening")
    page.fill("input[name=partner_1_cvr]", PARTNER_CVR)
    page.select_option("select[name=partner_1_kind]", "association")
    page.fill("input[name=amount]", "60.000")
    page.fill("input[name=budget_salaries]", "40.000")
    page.fill("input[name=budget_activities]", "20.000")
    wait_until_saved(page)
    # The save status stays in view wherever the person is in the long form.
    page.locator("input[name=title]").scroll_into_view_if_needed()
    expect(page.locator("#autosave-status")).to_be_in_viewport()

    # A file: the collaboration agreement.
    agreement = tmp_path / "samarbejdsaftale.pdf"
    agreement.write_bytes(PDF)
    page.locator("input[name=file]").set_input_files(str(agreement))
    page.get_by_role("button", name="Upload fil").click()
    page.wait_for_url(re.compile(r"/ansoegninger/[0-9a-f-]{36}/#bilag$"))
    expect(page.locator("#bilag + ul")).to_contain_text("samarbejdsaftale.pdf")
    assert_accessible(page)

    # "Check your answers" warns of the salary cap before anything is sent.
    check_answers(page)
    warnings = page.locator("[data-rule-warnings]")
    expect(warnings).to_contain_text(SALARY_CAP)
    expect(page.locator("form[data-submit-once] button")).to_be_visible()
    assert_accessible(page)
    fits(page, width)
    warnings.get_by_role("link", name=re.compile("^Ret det")).click()
    page.wait_for_url(re.compile(r"/ansoegninger/[0-9a-f-]{36}/#id_budget_salaries$"))
    page.fill("input[name=budget_salaries]", "30.000")
    page.fill("input[name=budget_activities]", "30.000")
    wait_until_saved(page)
    check_answers(page)
    expect(page.locator("[data-rule-warnings]")).to_have_count(0)
    page.locator("form[data-submit-once] button").click()
    page.wait_for_url(re.compile(r"/kvittering/\?version=1$"))
    application = Application.objects.get(organisation=housing)
    assert application.status == ApplicationStatus.SCREENED
    # Nothing fails it; pulje does not know the partner, which is the caseworker's to look at.
    screening = Screening.objects.get(application=application)
    assert [reason.code for reason in screening.reason_list] == ["partner_unknown"]
    assert_accessible(page)
    fits(page, width)

    # The applicant's own file, from the receipt.
    with page.expect_download() as download:
        page.locator("main a", has_text="samarbejdsaftale.pdf").click()
    assert download.value.suggested_filename == "samarbejdsaftale.pdf"
    assert Path(download.value.path()).read_bytes() == PDF

    # Later, from the front page: change the submitted application before the deadline.
    page.goto("/")
    follow_menu(page, "/ansoegninger/")
    assert_accessible(page)
    fits(page, width)
    page.locator("main table").get_by_role("link", name="Ret ansøgningen").click()
    page.wait_for_url(at(f"/ansoegninger/{application.uuid}/"))
    page.fill("input[name=expected_participants]", "55")
    wait_until_saved(page)
    page.locator("main a.back-link, .back-link").first.click()
    page.wait_for_url(at("/ansoegninger/"))
    expect(page.locator("main table")).to_contain_text("Du har ændringer, der ikke er sendt")
    assert_accessible(page)
    page.locator("main table").get_by_role("link", name="Tjek og send ændringerne").click()
    page.wait_for_url(at(f"/ansoegninger/{application.uuid}/tjek/"))
    expect(page.locator("main")).to_contain_text("55")
    assert_accessible(page)
    page.locator("form[data-submit-once] button").click()
    page.wait_for_url(re.compile(r"/kvittering/\?version=2$"))
    expect(page.locator("[data-unsent-changes]")).to_have_count(0)
    assert_accessible(page)
    fits(page, width)
    application.refresh_from_db()
    assert (application.status, application.expected_participants) == (
        ApplicationStatus.SCREENED,
        55,
    )
    assert list(
        Screening.objects.filter(application=application).values_list("version_number", flat=True)
    ) == [2, 1]


@pytest.mark.parametrize("width", WIDTHS)
def test_an_assessor_opens_the_applicants_file_from_the_assessment_page(
    *,
    new_context: NewContext,
    live_server: LiveServer,
    call: Call,
    housing: Organisation,
    applicant: User,
    width: int,
) -> None:
    application = start_application(actor=applicant, call=call, organisation=housing)
    application.draft = {
        "departments": [str(housing.departments.get().pk)],
        "title": ["Fællesspisning i Stjerneparken"],
        "summary": ["Fælles spisning hver torsdag."],
        "target_groups": ["elderly"],
        "activities": ["Madlavning og spisning."],
        "loneliness": ["Vi inviterer personligt."],
        "period_start": ["2021-02-01"],
        "period_end": ["2021-11-30"],
        "expected_participants": ["40"],
        "amount": ["20.000"],
        "budget_activities": ["20.000"],
        "partner_1_name": ["Stjernens Kulturforening"],
        "partner_1_cvr": [PARTNER_CVR],
        "partner_1_kind": ["association"],
    }
    application.save(update_fields=["draft"])
    add_attachment(
        actor=applicant,
        application=application,
        upload=SimpleUploadedFile("samarbejdsaftale.pdf", PDF),
    )
    submit_application(actor=applicant, application=application, confirmed=fingerprint(application))
    caseworker = UserFactory(email="sagsbehandler@bl.dk", organisation=call.pool.administrator)
    assessor = add_assessor(
        actor=caseworker, call=call, email="bente@example.dk", name="Bente"
    ).user
    assign_assessor(actor=caseworker, applications=[application], assessor=assessor)

    context = new_context()
    log_in(context, live_server, assessor)
    page = page_at(context, width)
    page.goto("/")
    follow_menu(page, "/bedoemmelse/")
    assert_accessible(page)
    page.locator(f"main a[href='/bedoemmelse/{application.uuid}/erklaering/']").click()
    page.wait_for_url(at(f"/bedoemmelse/{application.uuid}/erklaering/"))
    assert_accessible(page)
    page.locator("input[name=conflict][value=no]").check()
    page.locator("main form button[type=submit]").click()
    # No conflict: on to the application and its scores.
    page.wait_for_url(at(f"/bedoemmelse/{application.uuid}/"))
    assert_accessible(page)
    fits(page, width)
    with page.expect_download() as download:
        page.locator("main a", has_text="samarbejdsaftale.pdf").click()
    assert download.value.suggested_filename == "samarbejdsaftale.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
