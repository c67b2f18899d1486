"""The small faults a newcomer met on the caseworker's and assessor's pages (issue 14
point 10): each test fails on the code before its fix."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.applications.services import start_application, withdraw_application
from pulje.assessment.forms import AssignForm, RubricForm
from pulje.assessment.selectors import rubric_or_defaults
from pulje.casework.screening import Reason
from pulje.casework.services import set_screening_rules
from pulje.core.money import kr
from pulje.desk.selectors import QueueFilters, queue
from pulje.funds.forms import DelegationForm, SubPoolForm
from tests.factories import UserFactory
from tests.factories.casework import Desk, make_applicant_in, submit

pytestmark = pytest.mark.django_db


def test_a_draft_withdrawn_before_submission_is_no_casework(client: Client, desk: Desk) -> None:
    listed = submit(make_applicant_in(desk.call, name="Indsendt"))
    applicant = make_applicant_in(desk.call, name="Kladde")
    draft = start_application(
        actor=applicant.user, call=desk.call, organisation=applicant.organisation
    )
    withdraw_application(actor=applicant.user, application=draft)
    client.force_login(desk.caseworker)

    assert [row.application for row in queue(desk.call, QueueFilters())] == [listed]
    assert client.get(reverse("desk:application", args=[draft.uuid])).status_code == 404
    assert client.get(reverse("desk:application", args=[listed.uuid])).status_code == 200


def test_a_submitted_application_withdrawn_stays_in_the_queue(desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call))
    withdraw_application(actor=application.created_by, application=application)

    assert [row.application for row in queue(desk.call, QueueFilters())] == [application]


def test_the_salary_cap_counts_months_in_danish() -> None:
    def message(months: int) -> str:
        reason = Reason(
            "salary_cap",
            "fail",
            {
                "salaries_ore": kr(40_000),
                "cap_ore": kr(34_000) * months,
                "monthly_ore": kr(34_000),
                "months": months,
            },
        )
        with translation.override("da"):
            return reason.message()

    assert message(1).endswith("34.000 kr. pr. måned i 1 måned.")
    assert message(2).endswith("34.000 kr. pr. måned i 2 måneder.")


def test_the_screening_on_submission_is_puljes_own(client: Client, desk: Desk) -> None:
    set_screening_rules(actor=desk.caseworker, call=desk.call, salary_cap_monthly_ore=kr(5_000))
    application = submit(
        make_applicant_in(desk.call),
        budget_salaries="55.000",
        budget_activities="5.000",
        budget_materials=None,
    )
    client.force_login(desk.caseworker)

    page = client.get(reverse("desk:application", args=[application.uuid])).content.decode()

    timeline = page[page.index('id="timeline-heading"') :]
    assert re.search(r"Screenet: ikke godkendt – pulje \(automatisk\)</li>", timeline)
    assert application.created_by.email not in timeline.split("Screenet")[1]


def test_the_rubric_draws_its_checkboxes_and_a_danish_threshold(desk: Desk) -> None:
    rubric, criteria = rubric_or_defaults(desk.call)
    with translation.override("da"):
        html = str(RubricForm(rubric=rubric, criteria=criteria, locked=False).as_div())
        threshold = str(
            RubricForm(rubric=rubric, criteria=criteria, locked=False)["disagreement_threshold"]
        )

    # DKFDS draws the box from the label that follows the input.
    for name in ("blind_review", "normalise"):
        assert re.search(
            rf'<input type="checkbox" name="{name}"[^>]*class="form-checkbox"[^>]*>\s*'
            rf'<label class="form-label" for="id_{name}">',
            html,
        ), name
    assert 'value="1,50"' in threshold


def test_selects_ask_to_choose_in_danish(desk: Desk) -> None:
    with translation.override("da"):
        assign = str(AssignForm(assessors=[UserFactory(name="Alice")])["assessor"])
        delegation = str(DelegationForm(pool=desk.pool)["to"])
        pool = str(SubPoolForm(parent=desk.pool)["administrator"])

    def empty_choice(select: str) -> str:
        match = re.search(r'<option value=""[^>]*>([^<]*)</option>', select)
        assert match is not None, select
        return match.group(1)

    assert [empty_choice(select) for select in (assign, delegation, pool)] == [
        "Vælg en bedømmer",
        "Vælg en underpulje",
        "Vælg en organisation",
    ]
