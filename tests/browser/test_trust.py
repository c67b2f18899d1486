"""Who may act for an organisation, walked in Chromium from the front page (issue 11).

A new applicant claims a housing organisation by its CVR number and proves the claim by the
code mailed to the organisation's address in the register; an administrator invites a
colleague, who accepts the link from the mail after logging in; a caseworker approves the
request of an organisation that has a draft in the caseworker's call. Every page is checked
with axe-core at desktop and phone width, and on the phone nothing may stick out sideways.

The pages are Danish, as users see them; the assertions read names, addresses and URLs.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import Membership, MembershipRole, Proof
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import save_draft, start_application
from pulje.registry.models import Organisation
from pulje.registry.services.memberships import request_membership
from pulje.registry.services.organisations import update_organisation
from tests.browser.helpers import (
    WIDTHS,
    NewContext,
    assert_accessible,
    at,
    emailed_code,
    fits,
    follow_menu,
    log_in,
)
from tests.factories import HousingDepartmentFactory, OrganisationFactory, UserFactory
from tests.factories.applications import Applicant, complete_draft
from tests.factories.casework import Desk, make_desk

pytestmark = [pytest.mark.browser]

APPLICANT = "frivillig@boligstjernen.dk"
REGISTER_ADDRESS = "bestyrelsen@boligstjernen.dk"
PHONE, DESKTOP = min(WIDTHS), max(WIDTHS)
ACCOUNT_FIELDS = "main [name=iban], main [name=reg_no], main [name=account_no]"


@pytest.fixture
def desk() -> Desk:
    return make_desk()


def looks_right(page: Page) -> None:
    """axe-core finds nothing at either width, and the phone need not scroll sideways; the
    walk goes on at the width it had."""
    walking = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
        if width == PHONE:
            fits(page, width)
    assert walking is not None
    page.set_viewport_size(walking)


def window(context: BrowserContext, width: int) -> Page:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def log_in_by_code(page: Page, email: str) -> None:
    """On the login page: the address, then the code from the mail."""
    looks_right(page)
    page.fill("input[name=email]", email)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(at("/konto/log-ind/kode/"))
    looks_right(page)
    page.fill("input[name=code]", emailed_code())
    page.locator("main form button[value=verify]").click()


def unclaimed_housing() -> Organisation:
    """A housing organisation in the register, with its address there, that nobody acts for;
    its payment account and contacts are known (from an earlier import), so the only thing
    between a claimant and submitting is the proof."""
    organisation = OrganisationFactory(
        name="Boligstjernen",
        address="Stjernevej 1",
        postal_code="8000",
        city="Aarhus C",
        registry_email=REGISTER_ADDRESS,
    )
    update_organisation(
        actor=None,
        organisation=organisation,
        payment_iban="DK5000400440116243",
        contact_name="Mette Hansen",
        contact_email="mette@boligstjernen.dk",
        contact_phone="12345678",
        finance_name="Ole Jensen",
        finance_email="ole@boligstjernen.dk",
    )
    return organisation


def open_the_draft(page: Page, application: Application) -> None:
    """From anywhere: the menu's "My applications", the draft, and on to the check page."""
    follow_menu(page, "/ansoegninger/")
    looks_right(page)
    page.locator(f"main a[href='/ansoegninger/{application.uuid}/']").click()
    page.wait_for_url(at(f"/ansoegninger/{application.uuid}/"))
    page.locator("button[value=check]").click()
    page.wait_for_url(at(f"/ansoegninger/{application.uuid}/tjek/"))
    expect(page.locator("main h1")).to_have_text("Tjek dine svar")
    looks_right(page)


def test_a_new_applicant_proves_by_the_register_s_address_and_may_then_submit(
    context: BrowserContext, live_server: LiveServer, desk: Desk
) -> None:
    organisation = unclaimed_housing()
    department = HousingDepartmentFactory(organisation=organisation, name="Stjerneparken")
    page = window(context, PHONE)

    # From the front page to the login by code; a first login asks for the organisation.
    page.goto("/")
    looks_right(page)
    page.locator("main a[href='/konto/log-ind/']").click()
    page.wait_for_url(at("/konto/log-ind/"))
    log_in_by_code(page, APPLICANT)
    page.wait_for_url(at("/organisation/registrer/"))
    looks_right(page)

    # The CVR number shows what the register knows; the claim is a request.
    page.fill("input[name=cvr]", organisation.cvr)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Stjernevej 1, 8000 Aarhus C")
    looks_right(page)
    page.get_by_role("button", name="Ja, jeg søger på vegne af denne organisation").click()
    page.wait_for_url(at(f"/organisation/{organisation.pk}/"))
    proof = page.locator("#bevis")
    expect(proof.get_by_role("heading")).to_have_text("Bevis, at du handler for organisationen")
    # The address is shown masked, and only an administrator who has proven it sees the
    # account's fields.
    expect(proof).to_contain_text("b…@boligstjernen.dk")
    expect(page.locator(ACCOUNT_FIELDS)).to_have_count(0)
    looks_right(page)
    membership = Membership.objects.get(user__email=APPLICANT, organisation=organisation)
    assert (membership.role, membership.proven_at) == (MembershipRole.ADMINISTRATOR, None)

    # An application to the open call: a draft may be written before the proof.
    follow_menu(page, "/opslag/")
    page.get_by_role("link", name=desk.call.title).click()
    page.wait_for_url(at(f"/opslag/{desk.call.code}/"))
    looks_right(page)
    page.get_by_role("button", name="Ansøg").click()
    page.wait_for_url(re.compile(r"/ansoegninger/[0-9a-f-]{36}/$"))
    application = Application.objects.get(organisation=organisation)
    applicant = Applicant(
        call=desk.call, organisation=organisation, department=department, user=membership.user
    )
    save_draft(actor=membership.user, application=application, values=complete_draft(applicant))

    # Everything is answered, but without the proof there is nothing to submit with.
    open_the_draft(page, application)
    warning = page.locator("main .alert-warning")
    expect(warning.get_by_role("heading")).to_have_text("Bevis, at du handler for organisationen")
    expect(page.locator("main .alert-error")).to_have_count(0)
    expect(page.get_by_role("button", name="Indsend ansøgningen")).to_have_count(0)

    # The warning leads to the proof: a code to the register's address, never one typed here.
    warning.get_by_role("link").click()
    page.wait_for_url(f"**/organisation/{organisation.pk}/#bevis")
    sent_before = len(mail.outbox)
    page.get_by_role("button", name="Send koden").click()
    page.wait_for_url(f"**/organisation/{organisation.pk}/#bevis")
    expect(page.locator(".alert-success")).to_contain_text("b…@boligstjernen.dk")
    assert len(mail.outbox) == sent_before + 1
    assert mail.outbox[-1].to == [REGISTER_ADDRESS]
    looks_right(page)
    page.fill("#bevis input[name=code]", emailed_code())
    page.get_by_role("button", name="Bekræft koden").click()
    page.wait_for_url(at(f"/organisation/{organisation.pk}/"))
    expect(page.locator(".alert-success")).to_have_text(
        re.compile(r"Du handler nu på vegne af Boligstjernen\.")
    )
    expect(page.locator("#bevis")).to_have_count(0)
    expect(page.locator(ACCOUNT_FIELDS)).to_have_count(3)
    looks_right(page)
    membership.refresh_from_db()
    assert membership.proof == Proof.REGISTRY_EMAIL

    # Now the check page has no warning, and the application goes in.
    open_the_draft(page, application)
    expect(page.locator("main .alert-warning")).to_have_count(0)
    page.get_by_role("button", name="Indsend ansøgningen").click()
    page.wait_for_url(re.compile(r"/kvittering/\?version=1$"))
    looks_right(page)
    application.refresh_from_db()
    assert application.status in {ApplicationStatus.SUBMITTED, ApplicationStatus.SCREENED}


def test_an_invited_colleague_logs_in_from_the_link_and_accepts(
    new_context: NewContext, live_server: LiveServer
) -> None:
    organisation = unclaimed_housing()
    administrator = UserFactory(email="formand@boligstjernen.dk", organisation=organisation)
    colleague = "kasserer@boligstjernen.dk"

    # The administrator invites from the organisation's page, reached from the header.
    context = new_context()
    log_in(context, live_server, administrator)
    page = window(context, DESKTOP)
    page.goto("/")
    page.locator("header a.function-link[href='/organisation/']").first.click()
    page.wait_for_url(at(f"/organisation/{organisation.pk}/"))
    looks_right(page)
    invite = page.locator(f"main form[action='/organisation/{organisation.pk}/inviter/']")
    invite.locator("input[name=email]").fill(colleague)
    invite.locator("input[name=role][value=member]").check()
    invite.get_by_role("button", name="Send invitationen").click()
    page.wait_for_url(f"**/organisation/{organisation.pk}/#medlemmer")
    expect(page.locator(".alert-success")).to_contain_text(colleague)
    expect(page.locator("main")).to_contain_text(f"{colleague} som medlem")
    looks_right(page)

    # The colleague clicks the link in the mail: the invitation says to log in with the invited
    # address, and the login comes back to it.
    invitation_mail = mail.outbox[-1]
    assert invitation_mail.to == [colleague]
    found = re.search(r"https?://\S+(/organisation/invitation/[^/\s]+/)", str(invitation_mail.body))
    assert found is not None
    invitation_path = found.group(1)
    administrators_page = page
    page = window(new_context(), PHONE)
    page.goto(invitation_path)
    expect(page.locator("main h1")).to_contain_text("Boligstjernen")
    looks_right(page)
    page.get_by_role("link", name=f"Log ind som {colleague}").click()
    page.wait_for_url(at("/konto/log-ind/"))
    assert parse_qs(urlsplit(page.url).query)["next"] == [invitation_path]
    log_in_by_code(page, colleague)
    page.wait_for_url(at(invitation_path))
    expect(page.locator("main h1")).to_contain_text("Boligstjernen")
    looks_right(page)

    # Accepted: a member sees the organisation, but not the payment account's fields.
    page.get_by_role("button", name="Tag imod invitationen").click()
    page.wait_for_url(at(f"/organisation/{organisation.pk}/"))
    expect(page.locator(".alert-success")).to_have_text(
        re.compile(r"Du handler nu på vegne af Boligstjernen\.")
    )
    expect(page.locator(ACCOUNT_FIELDS)).to_have_count(0)
    expect(page.locator("#bevis")).to_have_count(0)
    members = page.locator("main table tbody tr")
    expect(members).to_have_count(2)
    expect(members.filter(has_text=colleague)).to_contain_text("Medlem")
    looks_right(page)
    membership = Membership.objects.get(user__email=colleague, organisation=organisation)
    assert (membership.role, membership.proof) == (MembershipRole.MEMBER, Proof.INVITATION)

    # The administrator sees the colleague among the people, and what may be done with them.
    administrators_page.reload()
    colleague_row = administrators_page.locator("main table tbody tr").filter(has_text=colleague)
    expect(colleague_row).to_contain_text("Bevist")
    for action in (f"Gør {colleague} til administrator", f"Fjern {colleague}"):
        expect(colleague_row.get_by_role("button", name=action)).to_be_visible()
    expect(administrators_page.locator("main")).not_to_contain_text(f"{colleague} som medlem, til")
    looks_right(administrators_page)


def test_a_caseworker_approves_the_request_of_an_applicant_in_their_call(
    context: BrowserContext, live_server: LiveServer, desk: Desk
) -> None:
    organisation = unclaimed_housing()
    claimant = UserFactory(email=APPLICANT, name="Mette Hansen")
    membership = request_membership(actor=claimant, organisation=organisation)
    start_application(actor=claimant, call=desk.call, organisation=organisation)
    # A claim of an organisation that has not applied to the caseworker's call is not theirs.
    elsewhere = OrganisationFactory(name="Boligselskabet Andetsteds")
    request_membership(actor=UserFactory(email="andetsteds@example.dk"), organisation=elsewhere)

    log_in(context, live_server, desk.caseworker)
    page = window(context, DESKTOP)
    page.goto("/")
    follow_menu(page, "/sekretariat/")
    looks_right(page)
    page.get_by_role(
        "link", name="1 anmodning om at handle for en organisation venter på dig"
    ).click()
    page.wait_for_url(at("/organisation/anmodninger/"))
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(APPLICANT)
    expect(rows).to_contain_text(organisation.cvr)
    looks_right(page)

    sent_before = len(mail.outbox)
    page.get_by_role("button", name="Godkend Mette Hansen for Boligstjernen").click()
    page.wait_for_url(at("/organisation/anmodninger/"))
    expect(page.locator(".alert-success")).to_contain_text("Boligstjernen")
    expect(page.locator("main table")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Der er ingen anmodninger, som du skal afgøre.")
    looks_right(page)
    membership.refresh_from_db()
    assert membership.proof == Proof.SECRETARIAT
    assert [m.to for m in mail.outbox[sent_before:]] == [[APPLICANT]]
