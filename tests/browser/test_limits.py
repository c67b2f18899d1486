"""An answer's limit in Chromium: DKFDS's character limit counts as the applicant types, a
paste longer than the limit is kept whole (no maxlength cuts it), and the page stays
accessible with the count over the limit."""

import pytest
from playwright.sync_api import BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from pulje.applications.services import start_application
from pulje.calls.models import Call
from pulje.registry.models import Organisation
from tests.browser.helpers import assert_accessible, log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser]


def test_the_count_follows_the_typing_and_a_long_paste_is_kept_whole(
    context: BrowserContext,
    live_server: LiveServer,
    call: Call,
    housing: Organisation,
) -> None:
    user = UserFactory(organisation=housing)
    application = start_application(actor=user, call=call, organisation=housing)
    log_in(context, live_server, user)
    page = context.new_page()
    page.goto(f"/ansoegninger/{application.uuid}/")
    summary = page.locator("textarea[name=summary]")
    count = page.locator(".form-limit:has(textarea[name=summary]) .character-limit")
    expect(count).to_have_text("Du har 500 tegn tilbage")

    summary.fill("Fælles spisning")
    summary.press("End")
    expect(count).to_have_text("Du har 485 tegn tilbage")
    summary.fill("x" * 520)
    summary.press("End")

    expect(count).to_have_text("Du har 20 tegn for meget")
    expect(count).to_have_class("form-hint character-limit limit-exceeded")
    assert len(summary.input_value()) == 520
    assert_accessible(page)
