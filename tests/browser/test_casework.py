"""The secretariat's and the assessors' paths in Chromium, as they click, with axe-core on
every page at desktop and phone width (issue 4).

One call on BL's pool, whose middle band (50.000–149.999 kr.) has 200.000 kr.: four
applications of 60.000 kr. each, so granting all four overspends it and three do not. The
caseworker finds the one that failed screening and overrides it, assigns all four to an
assessor in bulk; the assessor declares a conflict for one and scores another; the caseworker
grants in bulk (refused once, for too much), the letters are made, the caseworker rejects the
fourth, and a grantee downloads the letter and accepts. Then a grant that is not accepted in
time lapses.

The pages are Danish, as users see them; the assertions use names, values, URLs and data
attributes, and English (the language cookie) only where a sentence is read.
"""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.assessment.models import Assignment, AssignmentState
from pulje.assessment.services import add_assessor, ensure_rubric
from pulje.casework.services import set_screening_rules
from pulje.core.jobs import Job, JobStatus
from pulje.core.money import kr
from pulje.decisions.models import Decision, Outcome, RejectionReason
from pulje.decisions.services import decide_applications
from pulje.letters.models import Letter
from tests.browser.helpers import WIDTHS, NewContext, assert_accessible, at, follow_menu, log_in
from tests.factories.casework import Desk, make_applicant_in, make_desk, submit
from tests.factories.decisions import available, close_call, make_funded, screened

pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def _letters_at_once(settings: Settings, tmp_path: Path) -> None:
    """The letters job runs as soon as it is queued (in the live server's thread), and its
    PDFs go to a temporary directory."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page_for(
    new_context: NewContext,
    live_server: LiveServer,
    user: User,
    width: int,
    *,
    english: bool = False,
) -> Page:
    """A logged-in browser window of its own for ``user``."""
    context = new_context()
    log_in(context, live_server, user)
    if english:
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
        )
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def errors_shown(page: Page, count: int) -> None:
    """The error summary lists ``count`` problems, each a link to a field on the page."""
    links = page.locator("[data-module=error-summary] li a")
    expect(links).to_have_count(count)
    for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))"):
        assert page.locator(href).count() == 1, href


def choose(page: Page, *applications: Application) -> None:
    for application in applications:
        page.locator(f"#bulk input[name=applications][value='{application.pk}']").check()


def carry_out(page: Page) -> None:
    page.locator("#bulk button.button-primary[type=submit]").click()


def status(application: Application) -> str:
    application.refresh_from_db()
    return application.status


# The secretariat and the assessor, from screening to acceptance


def make_call_with_four(desk: Desk) -> list[Application]:
    """Four applications of 60.000 kr. in the middle band; the last fails screening on
    salaries (55.000 kr. over ten months against a cap of 5.000 kr. a month)."""
    set_screening_rules(actor=desk.caseworker, call=desk.call, salary_cap_monthly_ore=kr(5_000))
    applications = [
        submit(make_applicant_in(desk.call, name=f"Boligselskab {n}"), title=title)
        for n, title in enumerate(("Spiseklub", "Gåklub", "Lektiecafé"), start=1)
    ]
    applications.append(
        submit(
            make_applicant_in(desk.call, name="Boligselskab 4"),
            title="Fællesskabskoordinator",
            budget_salaries="55.000",
            budget_activities="5.000",
            budget_materials=None,
        )
    )
    return applications


@pytest.mark.parametrize("width", WIDTHS)
def test_from_screening_through_assessment_and_decision_to_acceptance(
    new_context: NewContext, live_server: LiveServer, width: int
) -> None:
    desk = make_desk()
    dining, walking, homework, coordinator = make_call_with_four(desk)
    alice = add_assessor(
        actor=desk.caseworker, call=desk.call, email="alice@example.dk", name="Alice"
    ).user
    rubric = ensure_rubric(actor=desk.caseworker, call=desk.call)
    criteria = list(rubric.criteria.all())
    middle_band = desk.bands[1]
    available_before = available(middle_band)
    assert available_before == kr(200_000)

    # The caseworker: Casework → the call's queue.
    caseworker = page_for(new_context, live_server, desk.caseworker, width)
    caseworker.goto("/")
    follow_menu(caseworker, "/sekretariat/")
    assert_accessible(caseworker)
    caseworker.locator(f"main tr[data-call='{desk.call.code}'] th a").click()
    queue = f"/sekretariat/{desk.call.code}/"
    caseworker.wait_for_url(at(queue))
    expect(caseworker.locator("main tr[data-reference]")).to_have_count(4)
    assert_accessible(caseworker)

    # Filtered by the screening's result: the one that failed.
    caseworker.locator("main details summary").click()
    caseworker.select_option("select[name=screening]", "fail")
    caseworker.locator("form.queue-filters button[type=submit]").click()
    caseworker.wait_for_url(re.compile(r"[?&]screening=fail"))
    rows = caseworker.locator("main tr[data-reference]")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-reference", coordinator.reference)
    assert_accessible(caseworker)

    # Its page gives the reasons; the caseworker overrides the outcome, with a reason.
    rows.locator("a").click()
    caseworker.wait_for_url(at(f"/sekretariat/ansoegning/{coordinator.uuid}/"))
    expect(caseworker.locator("[data-screening]")).to_have_attribute("data-screening", "fail")
    reasons = caseworker.locator("ul.screening-reasons li")
    expect(reasons).to_have_count(1)
    expect(reasons).to_contain_text("55.000")
    assert_accessible(caseworker)
    override = caseworker.locator("form[action$='/screening/']")
    override.locator("input[name=outcome][value=pass]").check()
    override.locator("button[type=submit]").click()
    # Without the reason: refused, and said so.
    errors_shown(caseworker, 1)
    expect(caseworker.locator("[data-module=error-summary] a[href='#id_reason']")).to_be_visible()
    assert_accessible(caseworker)
    override = caseworker.locator("form[action$='/screening/']")
    override.locator("input[name=outcome][value=pass]").check()
    override.locator("textarea[name=reason]").fill("Lønnen dækker en koordinator; aftalt.")
    override.locator("button[type=submit]").click()
    expect(caseworker.locator("[data-screening]")).to_have_attribute("data-screening", "pass")
    assert_accessible(caseworker)

    # Back to the queue: all four to Alice, in one go.
    caseworker.locator("a.back-link").click()
    caseworker.wait_for_url(at(queue))
    choose(caseworker, dining, walking, homework, coordinator)
    caseworker.locator("#bulk input[name=action][value=assign]").check()
    caseworker.select_option("#bulk select[name=assessor]", str(alice.pk))
    carry_out(caseworker)
    expect(caseworker.locator("main .alert-success")).to_be_visible()
    assert_accessible(caseworker)
    assert Assignment.objects.filter(assessor=alice, state=AssignmentState.TO_DECLARE).count() == 4
    assert {status(a) for a in (dining, walking, homework, coordinator)} == {
        ApplicationStatus.IN_ASSESSMENT
    }

    # The assessor: her list.
    assessor = page_for(new_context, live_server, alice, width)
    assessor.goto("/")
    follow_menu(assessor, "/bedoemmelse/")
    expect(assessor.locator("main a[href$='/erklaering/']")).to_have_count(4)
    assert_accessible(assessor)

    # A conflict for the walking club: declared, it is off her list and out of her reach.
    assessor.locator(f"main a[href='/bedoemmelse/{walking.uuid}/erklaering/']").click()
    assessor.wait_for_url(at(f"/bedoemmelse/{walking.uuid}/erklaering/"))
    assert_accessible(assessor)
    assessor.locator("main form button[type=submit]").click()
    errors_shown(assessor, 1)
    assert_accessible(assessor)
    assessor.locator("input[name=conflict][value=yes]").check()
    assessor.fill("textarea[name=note]", "Min søster bor i afdelingen.")
    assessor.locator("main form button[type=submit]").click()
    assessor.wait_for_url(at("/bedoemmelse/"))
    expect(assessor.locator("main .alert-success")).to_be_visible()
    expect(assessor.locator("main a[href$='/erklaering/']")).to_have_count(3)
    assert assessor.locator(f"main a[href*='{walking.uuid}']").count() == 0
    assert_accessible(assessor)
    for path in (f"/bedoemmelse/{walking.uuid}/", f"/bedoemmelse/{walking.uuid}/erklaering/"):
        response = assessor.goto(path)
        assert response is not None
        assert response.status == 404, path

    # No conflict for the dining club: she reads and scores it.
    assessor.goto("/bedoemmelse/")
    assessor.locator(f"main a[href='/bedoemmelse/{dining.uuid}/erklaering/']").click()
    assessor.locator("input[name=conflict][value=no]").check()
    assessor.locator("main form button[type=submit]").click()
    assessor.wait_for_url(at(f"/bedoemmelse/{dining.uuid}/"))
    expect(assessor.locator("main")).to_contain_text(dining.title)
    assert_accessible(assessor)
    # Submitted with nothing filled in: every criterion's score and justification is missing.
    assessor.locator("button[name=action][value=submit]").click()
    errors_shown(assessor, 2 * len(criteria))
    assert_accessible(assessor)
    for n, criterion in enumerate(criteria):
        assessor.locator(f"input[name=c{criterion.pk}_value][value='{3 + n % 3}']").check()
        assessor.fill(f"textarea[name=c{criterion.pk}_text]", f"Begrundelse {n + 1}.")
    assessor.locator("button[name=action][value=submit]").click()
    expect(assessor.locator("main .alert-success")).to_be_visible()
    assert_accessible(assessor)
    assert Assignment.objects.get(assessor=alice, application=dining).state == (
        AssignmentState.SUBMITTED
    )
    assessor.goto("/bedoemmelse/")
    expect(assessor.locator(f"main a[href='/bedoemmelse/{dining.uuid}/']")).to_have_count(1)
    assert_accessible(assessor)

    # The caseworker sees the conflict on the walking club's assessment page.
    caseworker.goto(f"/bedoemmelse/ansoegning/{walking.uuid}/")
    expect(caseworker.locator("main")).to_contain_text("Min søster bor i afdelingen.")
    assert_accessible(caseworker)

    # The deadline passes: until then the call's applicants may change what they sent, and
    # nothing can be decided.
    close_call(desk.call)

    # Granting all four in full would take 240.000 kr. of the band's 200.000 kr.: the
    # confirmation says so, as a blocking warning with the sums, and offers no way to confirm.
    caseworker.goto(queue)
    choose(caseworker, dining, walking, homework, coordinator)
    caseworker.locator("#bulk input[name=action][value=grant]").check()
    carry_out(caseworker)
    warnings = caseworker.locator("[data-confirm=warnings]")
    expect(warnings).to_be_visible()
    blocking = warnings.locator("li[data-blocking]")
    for amount in (middle_band.name, "240.000", "200.000", "40.000"):
        expect(blocking).to_contain_text(amount)
    expect(caseworker.locator("main button[name=confirm]")).to_have_count(0)
    expect(caseworker.locator("[data-confirm=decisions] tbody tr")).to_have_count(4)
    assert_accessible(caseworker)
    assert not Decision.objects.exists()
    assert available(middle_band) == available_before

    # Back, and without the walking club: the confirmation lists the three, warns that two
    # have no score, and shows the first letter as it will be sent.
    caseworker.locator("a.back-link").click()
    caseworker.wait_for_url(at(queue))
    choose(caseworker, dining, homework, coordinator)
    caseworker.locator("#bulk input[name=action][value=grant]").check()
    carry_out(caseworker)
    rows = caseworker.locator("[data-confirm=decisions] tbody tr")
    expect(rows).to_have_count(3)
    expect(caseworker.locator("[data-confirm=total]")).to_have_text("180.000 kr.")
    expect(caseworker.locator("[data-warning=no_score]")).to_contain_text(homework.reference)
    expect(caseworker.locator("[data-warning=no_score]")).to_contain_text(coordinator.reference)
    preview = caseworker.locator("[data-confirm=letter]")
    references = (dining.reference, homework.reference, coordinator.reference)
    expect(preview).to_contain_text(re.compile("|".join(references)))
    expect(preview).to_contain_text("60.000 kr.")
    assert_accessible(caseworker)
    # Confirmed without the tick: refused, and said so; nothing decided.
    caseworker.locator("main button[name=confirm]").click()
    expect(caseworker.locator("[data-module=error-summary]")).to_contain_text(
        "Sæt kryds ved, at du har set advarslerne"
    )
    assert_accessible(caseworker)
    assert not Decision.objects.exists()
    caseworker.locator("input[name=seen]").check()
    caseworker.locator("main button[name=confirm]").click()
    caseworker.wait_for_url(at(queue))
    expect(caseworker.locator("main .alert-success")).to_be_visible()
    assert {status(a) for a in (dining, homework, coordinator)} == {ApplicationStatus.GRANTED}
    assert available(middle_band) == available_before - kr(180_000)
    assert_accessible(caseworker)
    job = Job.objects.get()
    caseworker.locator(f"main a[href='/breve/job/{job.pk}/']").click()
    caseworker.wait_for_url(at(f"/breve/job/{job.pk}/"))
    job.refresh_from_db()
    assert (job.status, job.done_count) == (JobStatus.DONE, 3)
    letters = caseworker.locator("#job-progress a[href^='/breve/']")
    expect(letters).to_have_count(3)
    assert_accessible(caseworker)

    # The walking club is rejected, with the reason, on its decision page: the confirmation
    # warns that its only assessor declared a conflict.
    caseworker.goto(f"/sekretariat/ansoegning/{walking.uuid}/")
    assert_accessible(caseworker)
    caseworker.locator(f"main a[href='/afgoerelser/{walking.uuid}/']").click()
    caseworker.wait_for_url(at(f"/afgoerelser/{walking.uuid}/"))
    assert_accessible(caseworker)
    reason = RejectionReason.WEAKER_THAN_OTHERS
    caseworker.locator(f"input[name='reject-reason_code'][value='{reason}']").check()
    caseworker.fill("textarea[name='reject-reason_text']", "Andre ansøgninger var stærkere.")
    caseworker.locator("button[name=outcome][value=reject]").click()
    expect(caseworker.locator("[data-warning=only_conflicted]")).to_contain_text(walking.reference)
    expect(caseworker.locator("[data-confirm=letter]")).to_contain_text(
        "Andre ansøgninger var stærkere."
    )
    assert_accessible(caseworker)
    assert status(walking) != ApplicationStatus.REJECTED
    caseworker.locator("input[name=seen]").check()
    caseworker.locator("main button[name=confirm]").click()
    caseworker.wait_for_url(at(f"/afgoerelser/{walking.uuid}/"))
    expect(caseworker.locator("main .alert-success")).to_be_visible()
    assert_accessible(caseworker)
    assert status(walking) == ApplicationStatus.REJECTED
    rejection = Decision.objects.get(application=walking)
    assert (rejection.outcome, rejection.reason_code) == (Outcome.REJECT, reason)
    assert rejection.reason_text == "Andre ansøgninger var stærkere."
    # The letter, made by then, opens from the decision page.
    caseworker.reload()
    rejection_letter = Letter.objects.get(application=walking)
    with caseworker.expect_download() as download:
        caseworker.locator(f"main a[href='/breve/{rejection_letter.pk}/']").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    # The dining club's organisation: the decision and its letter on the dashboard.
    grantee = page_for(new_context, live_server, dining.created_by, width)
    grantee.goto("/ansoegninger/")
    letter = Letter.objects.get(application=dining)
    link = grantee.locator(f"main a[href='/breve/{letter.pk}/']")
    expect(link).to_have_count(1)
    assert_accessible(grantee)
    with grantee.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    # It accepts the grant.
    grantee.locator(f"main a[href='/afgoerelser/tilsagn/{dining.uuid}/']").click()
    grantee.wait_for_url(at(f"/afgoerelser/tilsagn/{dining.uuid}/"))
    expect(grantee.locator(f"main a[href='/breve/{letter.pk}/']")).to_have_count(1)
    assert_accessible(grantee)
    grantee.locator("input[name=confirm_account]").check()
    grantee.locator("main form button[type=submit]").click()
    expect(grantee.locator("main .alert-success")).to_be_visible()
    assert grantee.locator("input[name=confirm_account]").count() == 0
    assert_accessible(grantee)
    assert status(dining) == ApplicationStatus.ACCEPTED
    assert Decision.objects.get(application=dining).accepted_at is not None


# A grant not accepted in time


@pytest.mark.parametrize("width", WIDTHS)
def test_a_grant_not_accepted_in_time_lapses_and_can_no_longer_be_accepted(
    new_context: NewContext, live_server: LiveServer, width: int
) -> None:
    funded = make_funded()
    application = screened(funded.applicant, 60_000, title="Spiseklub")
    (decision,) = decide_applications(
        actor=funded.caseworker, applications=[application], outcome="grant"
    )
    band = funded.bands[1]
    committed = available(band)

    # The grantee opens the decision while there is still time, and leaves the page open.
    grantee = page_for(new_context, live_server, funded.applicant.user, width, english=True)
    grantee.goto(f"/afgoerelser/tilsagn/{application.uuid}/")
    expect(grantee.locator("input[name=confirm_account]")).to_be_visible()
    assert_accessible(grantee)

    # The accept-by date passes, and the night's run lapses the grant.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Decision.objects.filter(pk=decision.pk).update(accept_by=yesterday)
    output = io.StringIO()
    call_command("lapse_grants", stdout=output)
    assert output.getvalue().startswith("1 grant(s) lapsed")
    assert status(application) == ApplicationStatus.LAPSED
    assert available(band) == committed + kr(60_000)

    # Accepting from the page left open is refused, and the page says the grant lapsed.
    grantee.locator("input[name=confirm_account]").check()
    grantee.locator("main form button[type=submit]").click()
    expect(grantee.locator("main .alert-error")).to_contain_text(
        "The grant is not awaiting acceptance."
    )
    expect(grantee.locator("main .summary-list")).to_contain_text("Lapsed")
    assert grantee.locator("input[name=confirm_account]").count() == 0
    assert_accessible(grantee)
    assert status(application) == ApplicationStatus.LAPSED
    assert Decision.objects.get(pk=decision.pk).accepted_at is None


# Choosing every row of the queue at once (issue 15.5)


def test_the_header_box_ticks_every_row_of_the_page(
    new_context: NewContext, live_server: LiveServer
) -> None:
    """At desktop width: on a phone the table's rows are cards without the header, and the
    link "Vælg alle på siden" (tested in tests/desk) does the same."""
    desk = make_desk()
    for n in range(3):
        submit(make_applicant_in(desk.call, name=f"Boligselskab {n}"), title=f"Projekt {n}")
    page = page_for(new_context, live_server, desk.caseworker, 1280)
    page.goto(f"{live_server.url}/sekretariat/{desk.call.code}/")

    everything = page.locator("#choose-all")
    rows = page.locator("#bulk input[name=applications]")
    expect(everything).to_be_visible()
    expect(page.locator("[data-select-all-link]")).to_be_visible()
    everything.check()
    assert rows.evaluate_all("boxes => boxes.map(box => box.checked)") == [True] * 3
    rows.first.uncheck()
    assert everything.evaluate("box => box.indeterminate") is True
    # A mixed box ticks every row when clicked, and clears them the next time.
    everything.check()
    assert rows.evaluate_all("boxes => boxes.map(box => box.checked)") == [True] * 3
    everything.uncheck()
    assert rows.evaluate_all("boxes => boxes.map(box => box.checked)") == [False] * 3
    assert_accessible(page)
