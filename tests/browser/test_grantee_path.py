"""The grantee's path in Chromium, with axe-core on every page: from the front page, log in
by code, go by links to the decision, open the letter, and decline the grant after the
confirmation (the money back in its band), at desktop and phone width."""

from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from pulje.applications.models import Application, ApplicationStatus
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.decisions.services import decide_applications, queue_decision_letters
from pulje.letters.models import Letter
from pulje.letters.services import run_decision_letters
from tests.browser.helpers import WIDTHS, assert_accessible, at, emailed_code, fits, follow_menu
from tests.factories.decisions import Funded, available, make_funded, screened

pytestmark = [pytest.mark.browser]


def _granted(funded: Funded) -> Decision:
    """A grant of 60.000 kr. with its letter made and e-mailed, as the worker does it."""
    application = screened(funded.applicant, 60_000, title="Fællesspisning i Nordlys")
    [decision] = decide_applications(
        actor=funded.caseworker, applications=[application], outcome="grant", queue_letters=False
    )
    job = queue_decision_letters(actor=funded.caseworker, decision_ids=[decision.pk])
    run_decision_letters(job_id=job.pk)
    assert Letter.objects.filter(decision_id=decision.pk).exists()
    return decision


def _log_in_from_the_front_page(page: Page, email: str) -> None:
    page.goto("/")
    assert_accessible(page)
    link = page.locator("header a.log-on").first
    if not link.is_visible():
        page.locator("button.js-menu-open").click()
        link = page.locator(".mobile-drawer a.log-on")
    link.click()
    page.wait_for_url(at("/konto/log-ind/"))
    assert_accessible(page)
    page.fill("input[name=email]", email)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(at("/konto/log-ind/kode/"))
    assert_accessible(page)
    page.fill("input[name=code]", emailed_code())
    page.locator("main form button[value=verify]").click()
    page.wait_for_url(lambda url: not urlsplit(url).path.startswith("/konto/log-ind/"))


@pytest.mark.parametrize("width", WIDTHS)
def test_a_grantee_reads_the_letter_and_declines_the_grant(
    context: BrowserContext, live_server: LiveServer, width: int
) -> None:
    funded = make_funded()
    decision = _granted(funded)
    application = decision.application
    band = funded.bands[1]
    before = available(band)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})

    _log_in_from_the_front_page(page, funded.applicant.user.email)

    # My applications → the decision (its link says by when to accept).
    follow_menu(page, "/ansoegninger/")
    assert_accessible(page)
    fits(page, width)
    accept_path = f"/afgoerelser/tilsagn/{application.uuid}/"
    page.locator(f"main a[href='{accept_path}']").first.click()
    page.wait_for_url(at(accept_path))
    assert_accessible(page)
    fits(page, width)
    expect(page.locator("main")).to_contain_text("60.000 kr.")

    # The letter, linked from the decision: a PDF.
    letter = Letter.objects.get(decision_id=decision.pk)
    link = page.locator(f"main a[href='/breve/{letter.pk}/']")
    expect(link).to_be_visible()
    response = page.request.get(link.get_attribute("href") or "")
    assert response.ok
    assert response.body().startswith(b"%PDF-")

    # No thanks: the confirmation says what will happen and needs the box ticked.
    page.get_by_role("link", name="Sig nej tak til tilskuddet").click()
    page.wait_for_url(at(f"{accept_path}sig-nej-tak/"))
    assert_accessible(page)
    fits(page, width)
    expect(page.locator("main")).to_contain_text("Tilsagnet om 60.000 kr. bliver annulleret")
    expect(page.locator("main .alert-warning")).to_contain_text("Du kan ikke fortryde det.")
    page.get_by_role("button", name="Sig nej tak til tilskuddet").click()
    expect(page.locator("[data-module=error-summary]")).to_be_visible()
    assert_accessible(page)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.GRANTED

    mail.outbox.clear()
    page.locator("input[name=confirm]").check(force=True)
    page.get_by_role("button", name="Sig nej tak til tilskuddet").click()
    page.wait_for_url(at(accept_path))
    expect(page.locator("main .alert-success")).to_contain_text("Du har sagt nej tak")
    expect(page.get_by_role("link", name="Sig nej tak til tilskuddet")).to_have_count(0)
    assert_accessible(page)
    fits(page, width)

    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.DECLINED
    assert available(band) == before + kr(60_000)
    assert [message.subject for message in mail.outbox] == [
        f"Tilsagn afvist: {application.reference} Fællesspisning i Nordlys"
    ]
