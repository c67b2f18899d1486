"""The application's table on the workflow kit: its status groups, and the pages that ask it
what the applicant may do (its diagram: tests/core/test_workflow.py)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import APPLICATION, TRANSITIONS, undo_action
from tests.factories.applications import Applicant

S = ApplicationStatus


def reachable(states: set[str], *, undoing: bool = True) -> set[str]:
    """``states`` and every state the table leads to from them (without the undo of a
    decision within its letters' window, unless ``undoing``)."""
    undo = {undo_action(status) for status in S.undecided()}
    found = set(states)
    while True:
        more = {
            new
            for (old, action), new in TRANSITIONS.items()
            if old in found and (undoing or action not in undo)
        } - found
        if not more:
            return found
        found |= more


def test_the_status_groups_are_the_tables_sets_of_states() -> None:
    assert set(S.undecided()) == APPLICATION.sources("reject")
    assert set(S.applicant_editable()) == APPLICATION.sources("submit")
    assert set(S.assessed()) == APPLICATION.sources("recommend", "not_recommend")
    granted_or_rejected = {TRANSITIONS[(S.SCREENED, "grant")], TRANSITIONS[(S.SCREENED, "reject")]}
    # Final, once the letters are sent: an undo is possible only before (decisions.undo).
    assert set(S.decided()) == reachable(granted_or_rejected, undoing=False)
    assert reachable(granted_or_rejected) == reachable({S.SUBMITTED})
    assert APPLICATION.sources("withdraw") == {*S.undecided(), S.DRAFT, S.AWAITING_APPROVAL}
    assert set(S.counted()) == reachable({S.SUBMITTED}) - {S.WITHDRAWN}


# The pages


def logged_in(applicant: Applicant) -> Client:
    client = Client()
    client.force_login(applicant.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def set_status(application: Application, status: str) -> None:
    Application.objects.filter(pk=application.pk).update(status=status, reference="T-0001")


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (S.DRAFT, True),
        (S.SCREENED, True),
        (S.AWAITING_APPROVAL, True),
        (S.GRANTED, False),
        (S.REJECTED, False),
        (S.ACCEPTED, False),
        (S.WITHDRAWN, False),
    ],
)
def test_the_dashboard_offers_withdrawal_only_where_the_table_allows_it(
    draft: Application, applicant: Applicant, status: str, offered: bool
) -> None:
    set_status(draft, status)
    page = logged_in(applicant).get(reverse("applications:dashboard")).content.decode()
    withdraw = reverse("applications:withdraw", kwargs={"uuid": draft.uuid})
    assert (withdraw in page) is offered


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (S.SCREENED, "A withdrawn application will not be assessed."),
        (S.GRANTED, "The application has been decided and can no longer be withdrawn."),
    ],
)
def test_the_withdraw_page_offers_its_button_only_where_the_table_allows_it(
    draft: Application, applicant: Applicant, status: str, says: str
) -> None:
    set_status(draft, status)
    page = logged_in(applicant).get(reverse("applications:withdraw", kwargs={"uuid": draft.uuid}))
    text = page.content.decode()
    assert says in text
    button = '<button type="submit" class="button button-primary">Withdraw the application'
    assert (button in text) is (status == S.SCREENED)


def test_the_withdraw_page_of_a_withdrawn_application_says_so(
    draft: Application, applicant: Applicant
) -> None:
    Application.objects.filter(pk=draft.pk).update(status=S.WITHDRAWN, withdrawn_at=timezone.now())
    page = logged_in(applicant).get(reverse("applications:withdraw", kwargs={"uuid": draft.uuid}))
    assert "The application is already withdrawn." in page.content.decode()


def test_a_screened_application_may_be_changed_from_the_dashboard(
    draft: Application, applicant: Applicant
) -> None:
    # Every submission is screened at once: the dashboard asked for "submitted" and so never
    # offered the change the table and the call allow.
    applicant.call.edit_after_submit = True
    applicant.call.save(update_fields=["edit_after_submit"])
    set_status(draft, S.SCREENED)
    page = logged_in(applicant).get(reverse("applications:dashboard")).content.decode()
    assert "Change the application" in page
