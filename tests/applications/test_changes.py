"""A submitted application changed from the applicant's pages before the deadline: the way to
change it, the notice of changes not sent, and sending them again (which screens again); the
call's screening rules as warnings on "check your answers"; a failed screening shown where
the applicant can put it right."""

import datetime as dt
import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import save_draft
from pulje.applications.workflow import transition
from pulje.calls.models import Call
from pulje.casework.models import Screening
from pulje.casework.services import set_screening_rules
from pulje.core.money import kr
from tests.factories.applications import Applicant
from tests.factories.casework import submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# 40.000 kr. of salaries in one month, against a cap of 34.000 kr. a month.
OVER_THE_CAP = {
    "period_start": "2021-05-01",
    "period_end": "2021-05-31",
    "budget_salaries": "40.000",
    "budget_activities": "20.000",
    "budget_materials": None,
}
SALARY_CAP = "Salaries of 40.000 kr. exceed the cap of 34.000 kr."


@pytest.fixture
def capped(call: Call) -> Call:
    set_screening_rules(actor=None, call=call, salary_cap_monthly_ore=kr(34_000))
    return call


def page(client: Client, name: str, application: Application) -> str:
    kwargs = {} if name == "dashboard" else {"uuid": application.uuid}
    response = client.get(reverse(f"applications:{name}", kwargs=kwargs))
    assert response.status_code == 200
    return response.content.decode()


def edit_link(application: Application) -> str:
    return f'href="{reverse("applications:edit", kwargs={"uuid": application.uuid})}"'


def check_link(application: Application) -> str:
    return f'href="{reverse("applications:check", kwargs={"uuid": application.uuid})}"'


def test_a_screened_application_offers_its_change_until_the_deadline(
    client: Client, applicant: Applicant
) -> None:
    application = submit(applicant)
    assert application.status == ApplicationStatus.SCREENED
    client.force_login(applicant.user)
    assert edit_link(application) in page(client, "dashboard", application).split("<tbody>")[1]
    receipt = page(client, "receipt", application)
    assert edit_link(application) in receipt
    assert "You can change the application until" in receipt

    Call.objects.filter(pk=applicant.call.pk).update(
        closes_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert edit_link(application) not in page(client, "dashboard", application).split("<tbody>")[1]
    assert edit_link(application) not in page(client, "receipt", application)


def test_a_call_without_changes_after_submission_offers_none(
    client: Client, applicant: Applicant
) -> None:
    Call.objects.filter(pk=applicant.call.pk).update(edit_after_submit=False)
    application = submit(applicant)
    client.force_login(applicant.user)
    assert edit_link(application) not in page(client, "receipt", application)


def test_changes_saved_but_not_sent_are_noticed_until_sent_and_screened_again(
    client: Client, applicant: Applicant
) -> None:
    application = submit(applicant)
    client.force_login(applicant.user)
    notice = "You have changes that are not sent"
    assert notice not in page(client, "dashboard", application)
    assert notice not in page(client, "edit", application)

    save_draft(actor=applicant.user, application=application, values={"amount": ["59.000"]})
    save_draft(
        actor=applicant.user, application=application, values={"budget_materials": ["14.000"]}
    )
    for name in ("dashboard", "receipt", "edit"):
        text = page(client, name, application)
        assert notice in text, name
        assert check_link(application) in text, name

    check = page(client, "check", application)
    assert "Submit the changes" in check
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', check)
    assert fingerprint is not None
    response = client.post(
        reverse("applications:submit", kwargs={"uuid": application.uuid}),
        {"fingerprint": fingerprint[1]},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.amount_ore) == (ApplicationStatus.SCREENED, kr(59_000))
    assert list(application.versions.values_list("number", flat=True)) == [1, 2]
    assert list(
        Screening.objects.filter(application=application).values_list("version_number", flat=True)
    ) == [2, 1]
    for name in ("dashboard", "receipt", "edit"):
        assert notice not in page(client, name, application), name


def test_a_change_undone_is_no_change(client: Client, applicant: Applicant) -> None:
    application = submit(applicant)
    save_draft(actor=applicant.user, application=application, values={"amount": ["59.000"]})
    save_draft(actor=applicant.user, application=application, values={"amount": ["60.000"]})
    client.force_login(applicant.user)
    assert "You have changes that are not sent" not in page(client, "dashboard", application)


def test_check_your_answers_warns_of_the_salary_cap_and_still_lets_the_applicant_submit(
    client: Client, applicant: Applicant, capped: Call
) -> None:
    application = submit(applicant, **OVER_THE_CAP)
    # Put back to a draft's state of mind: a second application, not yet submitted.
    draft = Application.objects.create(
        call=capped,
        organisation=applicant.organisation,
        created_by=applicant.user,
        draft={**application.draft, "title": ["Et andet projekt"]},
    )
    client.force_login(applicant.user)
    check = page(client, "check", draft)
    warnings = check.split("data-rule-warnings")[1].split("</ul>")[0]
    assert SALARY_CAP in warnings
    assert "34.000 kr. a month" in warnings
    assert 'href="' + reverse("applications:edit", kwargs={"uuid": draft.uuid}) in warnings
    assert "#id_budget_salaries" in warnings
    assert 'name="fingerprint"' in check

    save_draft(
        actor=applicant.user,
        application=draft,
        values={"budget_salaries": ["30.000"], "budget_activities": ["30.000"]},
    )
    after = page(client, "check", draft)
    assert "data-rule-warnings" not in after, after.split("data-rule-warnings")[-1][:1500]


def test_excluded_costs_are_warned_of_at_their_budget_line(
    client: Client, applicant: Applicant, call: Call
) -> None:
    set_screening_rules(actor=None, call=call, excluded_cost_kinds=["materials"])
    draft = Application.objects.create(
        call=call, organisation=applicant.organisation, created_by=applicant.user
    )
    draft.draft = submit(applicant).draft
    draft.save(update_fields=["draft"])
    client.force_login(applicant.user)
    warnings = page(client, "check", draft).split("data-rule-warnings")[1].split("</ul>")[0]
    assert "a kind of cost the call does not cover: materials (15.000 kr.)" in warnings
    assert "#id_budget_materials" in warnings


def test_a_failed_screening_is_shown_where_the_applicant_can_put_it_right(
    client: Client, applicant: Applicant, capped: Call
) -> None:
    application = submit(applicant, **OVER_THE_CAP)
    assert Screening.objects.get(application=application).outcome == "fail"
    client.force_login(applicant.user)
    dashboard = page(client, "dashboard", application)
    assert "The secretariat found something to put right" in dashboard
    assert SALARY_CAP in dashboard
    assert "Nothing for now" not in dashboard
    receipt = page(client, "receipt", application)
    assert SALARY_CAP in receipt.split("data-screening-failed")[1]
    assert "#id_budget_salaries" in receipt

    # Once the deadline has passed there is nothing to put right any more.
    Call.objects.filter(pk=capped.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    assert "data-screening-failed" not in page(client, "dashboard", application)
    assert "data-screening-failed" not in page(client, "receipt", application)


def test_a_passed_screening_asks_nothing(client: Client, applicant: Applicant) -> None:
    application = submit(applicant)
    client.force_login(applicant.user)
    assert "data-screening-failed" not in page(client, "dashboard", application)
    assert "data-screening-failed" not in page(client, "receipt", application)


def test_a_draft_title_is_shown_as_typed(client: Client, applicant: Applicant) -> None:
    draft = Application.objects.create(
        call=applicant.call,
        organisation=applicant.organisation,
        created_by=applicant.user,
        draft={"title": ["Fællesspisning og strikkeklub"]},
    )
    assert draft.draft_title == "Fællesspisning og strikkeklub"
    assert str(draft) == "Fællesspisning og strikkeklub"
    assert Application(draft={"title": [""]}).draft_title == ""
    client.force_login(applicant.user)
    dashboard = page(client, "dashboard", draft)
    assert ">Fællesspisning og strikkeklub</a>" in dashboard
    assert "[&#x27;" not in dashboard


@pytest.mark.parametrize("moves", [["grant"], ["grant", "accept"], ["reject"]])
def test_withdraw_is_not_offered_after_a_decision(
    client: Client, applicant: Applicant, moves: list[str]
) -> None:
    application = submit(applicant)
    with transaction.atomic():
        for action in moves:
            transition(actor=None, application=application, action=action)
    client.force_login(applicant.user)
    withdraw = reverse("applications:withdraw", kwargs={"uuid": application.uuid})
    assert withdraw not in page(client, "dashboard", application)
    assert "can no longer be withdrawn" in page(client, "withdraw", application)
