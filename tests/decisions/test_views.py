import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.core.money import kr
from pulje.decisions.models import Decision, Outcome, RevisedBudgetLine
from pulje.decisions.services import decide_applications, queue_decision_letters, write
from pulje.ledger.models import Entry
from pulje.letters.models import Letter
from pulje.letters.services import run_decision_letters
from tests.factories import UserFactory
from tests.factories.applications import make_applicant
from tests.factories.decisions import Funded, available, close_call, make_funded, screened

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def _no_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: None)


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def decide_url(application: Application) -> str:
    return reverse("decisions:decide", kwargs={"uuid": application.uuid})


def decide_on_page(client: Client, application: Application, data: dict[str, str]) -> Any:
    """Post the decision, then confirm what the confirmation page shows, warnings seen."""
    page = client.post(decide_url(application), data)
    assert page.status_code == 200
    assert Decision.objects.filter(application=application).count() == 0
    token = page.context["preview"].token
    return client.post(
        decide_url(application), {**data, "confirm": "1", "token": token, "seen": "on"}
    )


def accept_url(application: Application) -> str:
    return reverse("decisions:accept", kwargs={"uuid": application.uuid})


def grant(funded: Funded, application: Application, reduced_kr: int | None = None) -> Decision:
    [decision] = decide_applications(
        actor=funded.caseworker,
        applications=[application],
        outcome="grant",
        amounts={application.pk: kr(reduced_kr)} if reduced_kr else None,
        reason_text="Skåret til." if reduced_kr else "",
    )
    return decision


def test_the_caseworker_sees_the_three_choices_and_the_funder_only_reads(
    funded: Funded, english: Client
) -> None:
    application = screened(funded.applicant, 60_000)
    page = as_user(english, funded.caseworker).get(decide_url(application))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'value="grant"' in text
    assert 'value="reduce"' in text
    assert 'value="reject"' in text
    assert "Bånd 2: 200.000 kr. available" in text

    reader = as_user(Client(), funded.funder)
    reader.cookies["django_language"] = "en"
    page = reader.get(decide_url(application))
    assert page.status_code == 200
    assert 'value="grant"' not in page.content.decode()
    response = reader.post(decide_url(application), {"outcome": "grant"})
    assert response.status_code == 404
    assert Decision.objects.count() == 0


def test_the_decide_page_is_404_for_anyone_but_the_calls_secretariat_and_funder(
    funded: Funded, client: Client
) -> None:
    application = screened(funded.applicant)
    other = make_funded()
    outsiders: list[User] = [funded.applicant.user, other.caseworker, other.funder, UserFactory()]
    for user in outsiders:
        client.force_login(user)
        assert client.get(decide_url(application)).status_code == 404
        assert client.post(decide_url(application), {"outcome": "grant"}).status_code == 404
    client.logout()
    response = client.get(decide_url(application))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Decision.objects.count() == 0


def test_a_draft_has_no_decision_page(funded: Funded, client: Client) -> None:
    from pulje.applications.services import start_application

    draft = start_application(
        actor=funded.applicant.user, call=funded.call, organisation=funded.applicant.organisation
    )
    assert as_user(client, funded.caseworker).get(decide_url(draft)).status_code == 404


def test_granting_in_full_from_the_page(
    funded: Funded, english: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    application = screened(funded.applicant, 60_000)
    close_call(funded.call)
    client = as_user(english, funded.caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        response = decide_on_page(client, application, {"outcome": "grant"})
    assert response.status_code == 302
    assert response["Location"] == decide_url(application)
    decision = Decision.objects.get()
    assert (decision.outcome, decision.amount_ore) == (Outcome.GRANT, kr(60_000))
    page = client.get(decide_url(application))
    text = page.content.decode()
    assert "The decision is made. The letter is being made." in text
    assert "Granted in full" in text
    assert 'value="grant"' not in text
    # A second post (another tab) decides nothing more.
    response = client.post(decide_url(application), {"outcome": "reject"})
    assert response.status_code == 302
    assert Decision.objects.count() == 1


def test_a_reduced_grant_needs_a_smaller_amount_and_a_reason(
    funded: Funded, english: Client
) -> None:
    application = screened(funded.applicant, 60_000)
    close_call(funded.call)
    client = as_user(english, funded.caseworker)
    page = client.post(
        decide_url(application),
        {"outcome": "reduce", "reduce-amount_ore": "60.000", "reduce-reason_text": ""},
    )
    assert page.status_code == 200
    with translation.override("en"):
        assert page.context["failed"].errors == {
            "amount_ore": ["A reduced grant must be less than the 60.000 kr. requested."],
            "reason_text": ["This field is required."],
        }
    assert Decision.objects.count() == 0
    response = decide_on_page(
        client,
        application,
        {"outcome": "reduce", "reduce-amount_ore": "45.000", "reduce-reason_text": "For dyrt."},
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.outcome, decision.amount_ore, decision.reason_text) == (
        Outcome.REDUCED,
        kr(45_000),
        "For dyrt.",
    )


def test_rejecting_from_the_page(funded: Funded, english: Client) -> None:
    application = screened(funded.applicant, 60_000)
    close_call(funded.call)
    client = as_user(english, funded.caseworker)
    page = client.post(
        decide_url(application), {"outcome": "reject", "reject-reason_code": "other"}
    )
    assert page.context["failed"].errors == {
        "reason_text": ["Describe the reason for the rejection."]
    }
    response = decide_on_page(
        client,
        application,
        {"outcome": "reject", "reject-reason_code": "outside_purpose", "reject-reason_text": ""},
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.outcome, decision.reason_code) == (Outcome.REJECT, "outside_purpose")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED


def test_the_confirmation_shows_the_ledgers_refusal_as_blocking_and_writes_nothing(
    english: Client,
) -> None:
    funded = make_funded(band_money=(kr(100_000), kr(50_000), kr(400_000)))
    application = screened(funded.applicant, 60_000)
    close_call(funded.call)
    entries = Entry.objects.count()
    client = as_user(english, funded.caseworker)
    page = client.post(decide_url(application), {"outcome": "grant"})
    assert page.status_code == 200
    preview = page.context["preview"]
    assert (preview.warnings[0].code, preview.warnings[0].blocking) == ("over_budget", True)
    assert preview.warnings[0].message == (
        "“Bånd 2” cannot pay for these grants: they come to 60.000 kr. and it has "
        "50.000 kr. available, 10.000 kr. too little."
    )
    assert preview.blocked
    assert 'name="confirm"' not in page.content.decode()
    # Posted anyway, the service refuses it with the same reason.
    refused = client.post(
        decide_url(application),
        {"outcome": "grant", "confirm": "1", "token": preview.token, "seen": "on"},
    )
    assert refused.status_code == 400
    assert "cannot pay for these grants" in refused.context["form"].non_field_errors()[0]
    assert (Decision.objects.count(), Entry.objects.count()) == (0, entries)
    assert available(funded.bands[1]) == kr(50_000)


def test_the_grantee_accepts_on_the_page(funded: Funded, english: Client) -> None:
    application = screened(funded.applicant, 60_000)
    grant(funded, application)
    client = as_user(english, funded.applicant.user)
    page = client.get(accept_url(application))
    text = page.content.decode()
    assert page.status_code == 200
    assert "DK50 0040 0440 1162 43" in text
    assert page.context["form"]["public_summary"].value() == application.summary
    assert "budget_activities" not in text

    page = client.post(accept_url(application), {"public_summary": "Fælles spisning."})
    with translation.override("en"):
        assert page.context["form"].errors == {"confirm_account": ["This field is required."]}
    response = client.post(
        accept_url(application), {"confirm_account": "on", "public_summary": "Fælles spisning."}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    page = client.get(accept_url(application))
    assert "Thank you. You have accepted the grant." in page.content.decode()
    assert "confirm_account" not in page.content.decode()


def test_a_reduced_grant_is_accepted_with_a_revised_budget(funded: Funded, english: Client) -> None:
    application = screened(funded.applicant, 60_000)
    decision = grant(funded, application, reduced_kr=40_000)
    client = as_user(english, funded.applicant.user)
    data = {"confirm_account": "on", "public_summary": "Tekst.", "budget_activities": "35.000"}
    page = client.post(accept_url(application), data)
    assert page.context["form"].non_field_errors() == [
        "The revised budget must add up to the 40.000 kr. granted; it adds up to 35.000 kr."
    ]
    response = client.post(accept_url(application), {**data, "budget_materials": "5.000"})
    assert response.status_code == 302
    assert list(
        RevisedBudgetLine.objects.filter(decision=decision).values_list("kind", "amount_ore")
    ) == [("activities", kr(35_000)), ("materials", kr(5_000))]


def test_a_late_grantee_is_told_the_date_and_cannot_accept(funded: Funded, english: Client) -> None:
    application = screened(funded.applicant, 60_000)
    decision = grant(funded, application)
    Decision.objects.filter(pk=decision.pk).update(
        accept_by=timezone.localdate() - dt.timedelta(days=1)
    )
    client = as_user(english, funded.applicant.user)
    page = client.get(accept_url(application))
    assert "it can no longer be accepted." in page.content.decode()
    assert "confirm_account" not in page.content.decode()
    page = client.post(accept_url(application), {"confirm_account": "on", "public_summary": "T."})
    assert page.status_code == 200
    [error] = page.context["form"].non_field_errors()
    assert error.startswith("The grant had to be accepted by ")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.GRANTED


def test_the_decision_page_is_404_for_anyone_but_the_organisations_members(
    funded: Funded, client: Client
) -> None:
    application = screened(funded.applicant, 60_000)
    grant(funded, application)
    undecided = screened(funded.applicant, 20_000, "Ikke afgjort")
    outsiders: list[User] = [
        make_applicant(funded.call).user,
        funded.caseworker,
        funded.funder,
        UserFactory(),
    ]
    for user in outsiders:
        client.force_login(user)
        assert client.get(accept_url(application)).status_code == 404
        data = {"confirm_account": "on", "public_summary": "T."}
        assert client.post(accept_url(application), data).status_code == 404
    client.force_login(funded.applicant.user)
    assert client.get(accept_url(undecided)).status_code == 404
    client.logout()
    assert client.get(accept_url(application)).status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.GRANTED


def test_the_dashboard_shows_only_the_organisations_decisions(
    funded: Funded, english: Client
) -> None:
    mine = screened(funded.applicant, 60_000, "Min ansøgning")
    other = make_applicant(funded.call)
    theirs = screened(other, 20_000, "Deres ansøgning")
    grant(funded, mine)
    grant(funded, theirs)
    client = as_user(english, funded.applicant.user)
    text = client.get(reverse("applications:dashboard")).content.decode()
    assert accept_url(mine) in text
    assert accept_url(theirs) not in text
    assert theirs.reference not in text
    receipt = client.get(reverse("applications:receipt", kwargs={"uuid": mine.uuid}))
    assert accept_url(mine) in receipt.content.decode()


def test_the_dashboards_decisions_take_constant_queries(funded: Funded, client: Client) -> None:
    client.force_login(funded.applicant.user)
    dashboard = reverse("applications:dashboard")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(dashboard).status_code == 200
        return len(captured)

    grant(funded, screened(funded.applicant, 20_000, "Første"))
    queries()  # the first request of a session writes it
    one = queries()
    for n in range(3):
        grant(funded, screened(funded.applicant, 20_000, f"Flere {n}"))
    assert queries() == one


def test_a_submitted_application_may_be_rejected_but_not_yet_granted(
    funded: Funded, english: Client
) -> None:
    application = screened(funded.applicant, 60_000)
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.SUBMITTED)
    client = as_user(english, funded.caseworker)
    text = client.get(decide_url(application)).content.decode()
    assert 'value="grant"' not in text
    assert 'value="reject"' in text
    assert "The application must be screened before it can be granted." in text
    page = client.post(decide_url(application), {"outcome": "grant"})
    refusal = page.context["preview"].warnings[0]
    assert refusal.blocking
    assert refusal.message == f"{application.reference} cannot be decided: it is “submitted”."
    assert Decision.objects.count() == 0


def test_the_dashboard_links_to_the_decision_letter(funded: Funded, english: Client) -> None:
    application = screened(funded.applicant, 60_000, "Med brev")
    decision = grant(funded, application)
    job = queue_decision_letters(actor=funded.caseworker, decision_ids=[decision.pk])
    run_decision_letters(job_id=job.pk)
    letter = Letter.objects.get(application=application)
    text = as_user(english, funded.applicant.user).get(reverse("applications:dashboard"))
    assert reverse("letters:download", args=[letter.pk]) in text.content.decode()


def test_deciding_shows_the_confirmation_first_and_decides_only_when_confirmed(
    funded: Funded, english: Client
) -> None:
    application = screened(funded.applicant, 60_000)
    close_call(funded.call)
    client = as_user(english, funded.caseworker)
    page = client.post(decide_url(application), {"outcome": "grant"})
    assert page.status_code == 200
    assert Decision.objects.count() == 0
    preview = page.context["preview"]
    assert [(i.reference, i.outcome, i.amount_ore) for i in preview.items] == [
        (application.reference, "grant", kr(60_000))
    ]
    assert [w.code for w in preview.warnings] == [
        "no_assessment",
        "spend_by_past",
        "project_period_past",
    ]
    assert application.reference in preview.letter
    assert "60.000 kr." in preview.letter
    text = page.content.decode()
    assert 'name="seen"' in text
    data = {"outcome": "grant", "confirm": "1", "token": preview.token}
    refused = client.post(decide_url(application), data)
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == [
        "Tick that you have seen the warnings before you confirm."
    ]
    assert Decision.objects.count() == 0
    response = client.post(decide_url(application), {**data, "seen": "on"})
    assert response.status_code == 302
    assert Decision.objects.get().amount_ore == kr(60_000)
