import pytest
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict

from pulje.applications.checks import field_names
from pulje.applications.forms import ApplicationForm
from pulje.calls.models import Call, QuestionKind
from pulje.calls.services import add_question
from tests.factories import HousingDepartmentFactory
from tests.factories.applications import Applicant, add_yes_no, complete_draft, make_call

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NO_PARTNER = {"partner_1_name": [""], "partner_1_cvr": [""], "partner_1_kind": [""]}


def form_for(
    applicant: Applicant, changes: dict[str, list[str]] | None = None, call: Call | None = None
) -> ApplicationForm:
    data = complete_draft(applicant) | (changes or {})
    return ApplicationForm(
        data=MultiValueDict(data), call=call or applicant.call, organisation=applicant.organisation
    )


def test_the_complete_draft_is_valid(applicant: Applicant) -> None:
    form = form_for(applicant)
    assert form.is_valid(), form.errors
    assert form.read.input.budget == {
        "activities": 4_500_000,
        "materials": 1_500_000,
    }


def test_the_core_form_asks_at_most_15_required_inputs(applicant: Applicant) -> None:
    add_yes_no(applicant.call)
    form = ApplicationForm(call=applicant.call, organisation=applicant.organisation)
    core = [name for name in form.core_required_fields if not name.startswith("q")]
    assert core == [
        "departments",
        "title",
        "summary",
        "target_groups",
        "activities",
        "loneliness",
        "period_start",
        "period_end",
        "expected_participants",
        "amount",
        "partner_1_name",
        "partner_1_cvr",
        "partner_1_kind",
    ]
    # Plus at least one budget line: 14 at most.
    assert len(core) + 1 <= 15


def test_only_the_organisations_own_departments_can_be_chosen(applicant: Applicant) -> None:
    other = HousingDepartmentFactory()
    form = form_for(applicant, {"departments": [str(other.pk)]})
    assert form.errors["departments"] == [
        f"Select a valid choice. {other.pk} is not one of the available choices."
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"amount": ["5.000"], "budget_activities": ["5.000"], "budget_materials": [""]},
            "amount",
            "not within a grant size",
        ),
        ({"amount": ["tres tusind"]}, "amount", None),
        (
            {"period_start": ["2020-12-31"]},
            "period_start",
            "The project can start Jan. 1, 2021 at the earliest.",
        ),
        (
            {"period_end": ["2022-01-01"]},
            "period_end",
            "The project must end Dec. 31, 2021 at the latest.",
        ),
        (
            {"period_end": ["2021-01-15"]},
            "period_end",
            "The end date must be after the start date.",
        ),
        (
            {"summary": ["x" * 501]},
            "summary",
            "Write at most 500 characters. The text has 501, 1 too many.",
        ),
        ({"title": [""]}, "title", "Give the project a title."),
        ({"target_groups": []}, "target_groups", "Choose at least one target group."),
        (
            {"expected_participants": ["0"]},
            "expected_participants",
            "The number must be at least 1.",
        ),
        (
            {"partner_1_cvr": ["1234"]},
            "partner_1_cvr",
            "A CVR number has 8 digits; “1234” does not.",
        ),
        ({"partner_1_kind": [""]}, "partner_1_kind", "Choose what kind of partner it is."),
        (
            {"budget_activities": ["40.000"]},
            "amount",
            "The budget lines add up to 55.000 kr., but you apply for 60.000 kr.",
        ),
        (
            {"budget_activities": [""], "budget_materials": [""]},
            "amount",
            "Give the budget: the amount for at least one kind of cost.",
        ),
    ],
)
def test_each_bad_input_gets_its_own_message_on_its_field(
    applicant: Applicant, changes: dict[str, list[str]], field: str, message: str | None
) -> None:
    form = form_for(applicant, changes)
    assert not form.is_valid()
    assert list(form.errors) == [field]
    if message is not None and message.endswith("."):
        assert form.errors[field] == [message]
    elif message is not None:
        assert message in form.errors[field][0]


def test_a_partner_is_required_when_the_call_says_so(applicant: Applicant) -> None:
    form = form_for(applicant, NO_PARTNER)
    assert form.errors == {
        "partner_1_name": ["Give the partner's name."],
        "partner_1_cvr": ["Give the partner's CVR number."],
        "partner_1_kind": ["Choose what kind of partner it is."],
    }
    form = form_for(applicant, {"partner_1_kind": ["library"]})
    assert form.errors == {
        "partner_1_kind": ["This call requires a partner of this kind: association."]
    }
    without = make_call(partner_kinds=[])
    form = form_for(applicant, NO_PARTNER, call=without)
    assert form.is_valid(), form.errors
    assert (
        not ApplicationForm(call=without, organisation=applicant.organisation)
        .fields["partner_1_name"]
        .required
    )


def test_the_calls_own_questions_are_asked_and_checked(applicant: Applicant) -> None:
    add_yes_no(applicant.call)
    question = applicant.call.questions.get()
    form = form_for(applicant)
    assert form.errors == {question.field_name: ["This field is required."]}
    form = form_for(applicant, {question.field_name: ["yes"]})
    assert form.is_valid()
    assert form.cleaned_data[question.field_name] is True


def test_the_field_names_a_draft_may_hold_are_the_forms(applicant: Applicant) -> None:
    add_yes_no(applicant.call)
    form = ApplicationForm(call=applicant.call, organisation=applicant.organisation)
    assert field_names(applicant.call) == set(form.fields)


def test_a_text_question_keeps_to_the_length_the_call_sets(applicant: Applicant) -> None:
    question = add_question(
        actor=None, call=applicant.call, label="Kort svar", kind=QuestionKind.TEXT, max_length=20
    )
    form = form_for(applicant, {question.field_name: ["x" * 21]})
    assert form.errors == {
        question.field_name: ["Write at most 20 characters. The text has 21, 1 too many."]
    }
    with pytest.raises(ValidationError) as refused:
        add_question(
            actor=None, call=applicant.call, label="Tal", kind=QuestionKind.NUMBER, max_length=5
        )
    assert refused.value.message_dict == {
        "max_length": ["Only a text answer has a longest length."]
    }
