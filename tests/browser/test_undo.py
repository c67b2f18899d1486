"""The caseworker's undo, in Chromium at 1280 and 360 px with axe-core on each page: a grant
decided on its page, the letters waiting for the undo window, the offer on the decision page,
the undo page listing what is undone, and the letters page saying no letter was sent."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from pulje.applications.models import Application, ApplicationStatus
from pulje.core.jobs import Job, JobStatus
from pulje.decisions.models import Decision
from pulje.letters.models import Letter
from tests.browser.helpers import WIDTHS, NewContext, assert_accessible, at, fits, log_in
from tests.factories.decisions import available, close_call, make_funded, screened

pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def _window(settings: Settings, tmp_path: Path) -> None:
    settings.LETTERS_UNDO_MINUTES = 10
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_caseworker_undoes_a_grant_before_its_letter_is_sent(
    new_context: NewContext, live_server: LiveServer, width: int
) -> None:
    funded = make_funded()
    application = screened(funded.applicant, 60_000, title="Spiseklub")
    close_call(funded.call)
    band = funded.bands[1]
    before = available(band)
    context = new_context()
    log_in(context, live_server, funded.caseworker)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"/afgoerelser/{application.uuid}/")
    page.locator("button[name=outcome][value=grant]").click()
    seen = page.locator("input[name=seen]")
    if seen.count():
        seen.check()
    page.locator("main button[name=confirm]").click()
    page.wait_for_url(at(f"/afgoerelser/{application.uuid}/"))
    offer = page.locator("[data-undo=open]")
    expect(offer).to_contain_text("indtil da kan afgørelserne fortrydes")
    expect(offer).to_contain_text("10 minutter tilbage.")
    assert_accessible(page)
    fits(page, width)
    job = Job.objects.get()
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.GRANTED

    offer.locator(f"a[href='/afgoerelser/fortryd/{job.pk}/']").click()
    page.wait_for_url(at(f"/afgoerelser/fortryd/{job.pk}/"))
    expect(page.locator(f"[data-undo-item='{application.reference}']")).to_contain_text(
        "60.000 kr."
    )
    assert_accessible(page)
    fits(page, width)
    page.locator("input[name=confirm]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(at(f"/breve/job/{job.pk}/"))
    expect(page.locator("main .alert-success")).to_contain_text("1 afgørelse er fortrudt.")
    expect(page.locator("[data-undo=undone]")).to_be_visible()
    assert_accessible(page)
    fits(page, width)

    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SCREENED
    assert not Decision.objects.exists()
    assert available(band) == before
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert not Letter.objects.exists()
