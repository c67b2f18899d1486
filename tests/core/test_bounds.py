"""No number breaks a form: every amount and number field of every form refuses what the
database cannot hold, or the writer would not recognise, with a Danish message on the field,
and the page answers as it does for any refused form (never a 500). The same tests run on
SQLite and on PostgreSQL (`make test`), whose integer columns overflow differently."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.accounts.models import User
from pulje.allocation.forms import RunForm
from pulje.allocation.problems import AllocationOptions
from pulje.applications.models import ApplicationStatus
from pulje.applications.services import fingerprint, start_application
from pulje.calls.models import QuestionKind
from pulje.calls.services import add_question
from pulje.core.forms import (
    MAX_SCORE,
    MAX_WHOLE_NUMBER,
    LimitedTextField,
    MoneyField,
    ScoreField,
    WholeNumberField,
)
from pulje.core.models import AuditEvent
from pulje.core.money import MAX_AMOUNT_ORE, kr
from pulje.decisions.services import decide_applications
from pulje.ledger.models import Entry
from tests.factories.applications import complete_draft
from tests.factories.decisions import Funded, make_funded, screened

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
# Longer than Python turns into an int (4,300 digits) without a ValueError.
ENDLESS = "9" * 5000
TYPED = [HUGE, ENDLESS, "1e400", "-0", "NaN", "٣"]


@pytest.fixture(autouse=True)
def _danish() -> Any:
    with translation.override("da"):
        yield


def _not_an_amount(typed: str) -> str:
    return (
        f"“{typed}” er ikke et beløb. Skriv det på dansk med punktum mellem tusinder og komma "
        "før øre, for eksempel 12.500,50 kr."
    )


def _grouped(number: int) -> str:
    return f"{number:,}".replace(",", ".")


@dataclass(frozen=True)
class Money:
    def message(self, typed: str) -> str | None:
        return {
            HUGE: "Beløbet kan højst være 10.000.000.000 kr.",
            ENDLESS: "Skriv beløbet med højst 40 tegn.",
            "-0": "Beløbet kan ikke være negativt.",
        }.get(typed) or _not_an_amount(typed)


@dataclass(frozen=True)
class Whole:
    low: int
    high: int

    def message(self, typed: str) -> str | None:
        if typed in (HUGE, ENDLESS):
            return f"Tallet kan højst være {_grouped(self.high)}."
        if typed == "-0":
            # Zero, written oddly: refused only below the field's least.
            return f"Tallet skal være mindst {self.low}." if self.low > 0 else None
        return "Skriv et helt tal med cifrene 0-9, for eksempel 1.200."


@dataclass(frozen=True)
class Score:
    def message(self, typed: str) -> str | None:
        if typed in (HUGE, ENDLESS):
            return f"Tallet kan højst være {_grouped(MAX_SCORE)}."
        if typed == "-0":
            return None
        return "Skriv et tal med cifrene 0-9, for eksempel 3,5."


Kind = Money | Whole | Score


@dataclass(frozen=True)
class Page:
    """A page with a form: what to post to it (valid but for the field tried), as whom, and
    where its form is in the context."""

    url: str
    user: User
    data: dict[str, Any]
    form: Callable[[Any], forms.Form]
    # What the page answers a refused form with.
    status: int = 200


def _form(response: Any) -> forms.Form:
    form: forms.Form = response.context["form"]
    return form


def application_page(world: Funded) -> Page:
    applicant = world.applicant
    add_question(actor=None, call=world.call, label="Antal frivillige", kind=QuestionKind.NUMBER)
    application = start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )
    return Page(
        reverse("applications:edit", kwargs={"uuid": application.uuid}),
        applicant.user,
        {**complete_draft(applicant), "action": "check"},
        _form,
    )


def sub_pool_page(world: Funded) -> Page:
    return Page(
        reverse("funds:sub_pool_create", args=[world.pool.pk]),
        world.caseworker,
        {
            "name": "Ekstra",
            "code": "ekstra",
            "administrator": world.pool.administrator_id,
            "period_start": "2020-11-06",
            "period_end": "2021-12-31",
            "grant_min_ore": "10.000",
            "grant_max_ore": "20.000",
            "delegate_ore": "1.000",
        },
        _form,
    )


def appropriation_page(world: Funded) -> Page:
    assert world.pool.parent_id is not None
    return Page(
        reverse("funds:pool_appropriate", args=[world.pool.parent_id]),
        world.funder,
        {"amount_ore": "1.000", "text": "Finansloven"},
        _form,
    )


def delegation_page(world: Funded) -> Page:
    return Page(
        reverse("funds:pool_delegate", args=[world.pool.pk]),
        world.caseworker,
        {"to": world.bands[0].pk, "amount_ore": "1.000"},
        _form,
    )


def question_page(world: Funded) -> Page:
    return Page(
        reverse("calls:questions", kwargs={"code": world.call.code}),
        world.caseworker,
        {"label": "Hvor længe?", "kind": "text", "max_length": "100", "required": "on"},
        _form,
    )


def department_page(world: Funded) -> Page:
    return Page(
        reverse("registry:add_department", kwargs={"pk": world.applicant.organisation.pk}),
        world.applicant.user,
        {"number": "77", "name": "Engen", "municipality": "101", "homes": "120"},
        lambda response: response.context["department_form"],
    )


def reduce_page(world: Funded) -> Page:
    application = screened(world.applicant)
    return Page(
        reverse("decisions:decide", kwargs={"uuid": application.uuid}),
        world.caseworker,
        {"outcome": "reduce", "reduce-amount_ore": "40.000", "reduce-reason_text": "Skåret."},
        lambda response: response.context["forms"]["reduce"],
    )


def accept_page(world: Funded) -> Page:
    application = screened(world.applicant)
    decide_applications(
        actor=world.caseworker,
        applications=[application],
        outcome="grant",
        amounts={application.pk: kr(40_000)},
        reason_text="Skåret til.",
    )
    return Page(
        reverse("decisions:accept", kwargs={"uuid": application.uuid}),
        world.applicant.user,
        {"confirm_account": "on", "public_summary": "Tekst.", "budget_activities": "40.000"},
        _form,
    )


def allocation_page(world: Funded) -> Page:
    initial = {
        name: "" if value is None else str(value)
        for name, value in RunForm.initial_from(AllocationOptions()).items()
    }
    return Page(
        reverse("allocation:new", kwargs={"code": world.call.code}),
        world.caseworker,
        initial,
        _form,
        status=400,
    )


FIELDS: list[tuple[Callable[[Funded], Page], str, Kind]] = [
    (application_page, "amount", Money()),
    (application_page, "cofunding", Money()),
    (application_page, "budget_activities", Money()),
    (application_page, "expected_participants", Whole(1, 100_000)),
    (application_page, "question", Whole(-MAX_WHOLE_NUMBER, MAX_WHOLE_NUMBER)),
    (sub_pool_page, "grant_min_ore", Money()),
    (sub_pool_page, "grant_max_ore", Money()),
    (sub_pool_page, "delegate_ore", Money()),
    (appropriation_page, "amount_ore", Money()),
    (delegation_page, "amount_ore", Money()),
    (question_page, "max_length", Whole(1, 20_000)),
    (department_page, "homes", Whole(1, 100_000)),
    (reduce_page, "reduce-amount_ore", Money()),
    (accept_page, "budget_activities", Money()),
    (allocation_page, "budget", Money()),
    (allocation_page, "min_score", Score()),
    (allocation_page, "lottery_threshold", Score()),
    (allocation_page, "reduce_to_percent", Whole(1, 100)),
    (allocation_page, "region_floor_percent", Whole(1, 100)),
    (allocation_page, "region_cap_percent", Whole(100, 1000)),
    (allocation_page, "max_grants_per_organisation", Whole(1, 1000)),
    (allocation_page, "group_children", Whole(0, 1000)),
]


def _tried(field: str, world: Funded) -> str:
    """The form's name for ``field`` (a call's question is named by its id)."""
    if field == "question":
        return world.call.questions.get(kind=QuestionKind.NUMBER).field_name
    return field


# Every field with every typed value it must refuse ("-0" is zero, refused only below a least).
REFUSED = [
    pytest.param(page, field, typed, message, id=f"{page.__name__[:-5]}-{field}-{label}")
    for page, field, kind in FIELDS
    for typed, label in zip(TYPED, ["huge", "endless", "1e400", "-0", "NaN", "arabic"], strict=True)
    if (message := kind.message(typed)) is not None
]


@pytest.mark.parametrize(("page", "field", "typed", "message"), REFUSED)
def test_a_number_no_database_holds_is_refused_on_the_form_in_danish(
    client: Client, page: Callable[[Funded], Page], field: str, typed: str, message: str
) -> None:
    world = make_funded()
    found = page(world)
    name = _tried(field, world)
    client.force_login(found.user)
    written = (AuditEvent.objects.count(), Entry.objects.count())

    response = client.post(found.url, {**found.data, name: typed})

    assert response.status_code == found.status
    # A prefixed form ("reduce-") names its errors without the prefix.
    assert found.form(response).errors[name.removeprefix("reduce-")] == [message]
    assert (AuditEvent.objects.count(), Entry.objects.count()) == written


def test_the_largest_amount_is_accepted(client: Client) -> None:
    world = make_funded()
    client.force_login(world.funder)
    assert world.pool.parent_id is not None

    response = client.post(
        reverse("funds:pool_appropriate", args=[world.pool.parent_id]),
        {"amount_ore": "10.000.000.000", "text": "Den største bevilling"},
    )

    assert response.status_code == 302
    assert Entry.objects.filter(kind="appropriation").order_by("-pk")[0].amount_ore == (
        MAX_AMOUNT_ORE
    )


def test_the_queue_ignores_a_score_it_cannot_read(client: Client) -> None:
    world = make_funded()
    screened(world.applicant)
    client.force_login(world.caseworker)

    for typed in (HUGE, ENDLESS, "1e400", "NaN", "٣"):
        response = client.get(
            reverse("desk:queue", kwargs={"code": world.call.code}),
            {"score_min": typed, "score_max": typed},
        )
        assert response.status_code == 200
        assert len(response.context["page"].object_list) == 1


class Numbers(forms.Form):
    count = WholeNumberField(label="Antal", min_value=1, max_value=100_000)
    score = ScoreField(label="Point", required=False)
    amount = MoneyField(label="Beløb", required=False)


@pytest.mark.parametrize(
    ("typed", "count"),
    [("1.200", 1_200), ("1.000", 1_000), ("100.000", 100_000), (" 12 ", 12), ("1 200", 1_200)],
)
def test_a_whole_number_is_read_the_danish_way(typed: str, count: int) -> None:
    form = Numbers(data={"count": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["count"] == count


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,5", "Skriv et helt tal med cifrene 0-9, for eksempel 1.200."),
        ("1.20", "Skriv et helt tal med cifrene 0-9, for eksempel 1.200."),
        ("1_000", "Skriv et helt tal med cifrene 0-9, for eksempel 1.200."),
        ("0", "Tallet skal være mindst 1."),
        ("100.001", "Tallet kan højst være 100.000."),
        ("-" + HUGE, "Tallet skal være mindst 1."),
    ],
)
def test_a_whole_number_field_says_what_is_wrong(typed: str, message: str) -> None:
    assert Numbers(data={"count": typed}).errors["count"] == [message]


@pytest.mark.parametrize(("typed", "score"), [("3,5", 3.5), ("3.5", 3.5), ("0", 0.0), ("4", 4.0)])
def test_a_score_takes_a_decimal_comma_or_point(typed: str, score: float) -> None:
    form = Numbers(data={"count": "1", "score": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["score"] == score


def test_an_amount_above_the_bound_is_refused_and_the_bound_itself_is_not() -> None:
    at = Numbers(data={"count": "1", "amount": "10.000.000.000"})
    above = Numbers(data={"count": "1", "amount": "10.000.000.000,01"})

    assert at.is_valid(), at.errors
    assert at.cleaned_data["amount"] == MAX_AMOUNT_ORE
    assert above.errors["amount"] == ["Beløbet kan højst være 10.000.000.000 kr."]


def test_the_bounds_fit_the_database_with_room_for_sums() -> None:
    big_integer = 2**63 - 1
    assert big_integer > MAX_AMOUNT_ORE * 1_000_000
    # HiGHS computes in doubles: a thousand of the largest amounts still add up exactly.
    assert float(MAX_AMOUNT_ORE * 1000) == MAX_AMOUNT_ORE * 1000 < 2**53
    assert MAX_WHOLE_NUMBER == 2**31 - 1


class Answer(forms.Form):
    text = LimitedTextField(label="Svar", max_length=10, widget=forms.Textarea)


def test_a_text_over_its_limit_is_refused_with_its_length_and_never_cut() -> None:
    form = Answer(data={"text": "x" * 12})

    assert form.errors["text"] == ["Skriv højst 10 tegn. Teksten har 12, 2 for mange."]


def test_a_line_break_counts_as_one_character_as_the_browser_counts_it() -> None:
    form = Answer(data={"text": "12345\r\n7890"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == "12345\n7890"


def test_a_text_field_shows_its_limit_and_has_no_maxlength_to_cut_a_paste() -> None:
    html = Answer(data={"text": "x" * 12}).as_div()

    assert " maxlength=" not in html
    assert 'class="form-group form-error form-limit" data-maxlength="10"' in html
    assert 'aria-describedby="id_text_error id_text_limit"' in html
    assert '<span id="id_text_limit" class="sr-only">Du kan skrive op til 10 tegn</span>' in html
    assert (
        '<span class="form-hint character-limit limit-exceeded" aria-hidden="true">'
        "Du har 2 tegn for meget</span>"
    ) in html


def test_a_text_field_counts_what_is_left() -> None:
    html = Answer(initial={"text": "abc"}).as_div()

    assert '<span class="form-hint character-limit" aria-hidden="true">' in html
    assert "Du har 7 tegn tilbage" in html


def test_a_submission_with_an_amount_no_column_holds_is_refused_and_nothing_written(
    client: Client,
) -> None:
    world = make_funded()
    page = application_page(world)
    client.force_login(page.user)
    client.post(page.url, {**page.data, "cofunding": HUGE, "action": "save"})
    application = world.applicant.organisation.applications.get()

    response = client.post(
        reverse("applications:submit", kwargs={"uuid": application.uuid}),
        {"fingerprint": fingerprint(application)},
        follow=True,
    )

    application.refresh_from_db()
    assert "Beløbet kan højst være 10.000.000.000 kr." in [
        str(m) for m in response.context["messages"]
    ]
    assert (application.status, application.cofunding_ore) == (ApplicationStatus.DRAFT, 0)


# Answers are never cut


def _element(html: str, name: str) -> str:
    found = re.search(rf'<(?:textarea|input)[^>]*name="{name}"[^>]*>', html)
    assert found is not None, name
    return found.group(0)


def test_every_text_answer_of_the_application_shows_its_limit_and_nothing_cuts_it(
    client: Client,
) -> None:
    world = make_funded()
    question = add_question(
        actor=None, call=world.call, label="Hvorfor?", kind=QuestionKind.TEXT, max_length=20_000
    )
    page = application_page(world)
    client.force_login(page.user)

    html = client.get(page.url).content.decode()

    limits = {
        "title": 150,
        "summary": 500,
        "activities": 3000,
        "loneliness": 3000,
        "partner_1_name": 200,
        question.field_name: 20_000,
    }
    for name, limit in limits.items():
        assert f'form-limit" data-maxlength="{limit}"' in html, name
        assert f'<span id="id_{name}_limit" class="sr-only">Du kan skrive op til ' in html
        assert "maxlength" not in _element(html, name), name
        assert f"id_{name}_limit" in _element(html, name), name


def test_a_long_answer_is_kept_whole_and_refused_with_its_length(client: Client) -> None:
    world = make_funded()
    question = add_question(
        actor=None, call=world.call, label="Hvorfor?", kind=QuestionKind.TEXT, max_length=20_000
    )
    page = application_page(world)
    client.force_login(page.user)
    application = world.applicant.organisation.applications.get()

    client.post(page.url, {**page.data, question.field_name: "x" * 15_000, "action": "save"})
    application.refresh_from_db()
    kept = len(application.draft[question.field_name][0])
    response = client.post(page.url, {**page.data, question.field_name: "y" * 20_001})
    application.refresh_from_db()

    assert kept == 15_000
    assert len(application.draft[question.field_name][0]) == 20_001
    assert response.context["form"].errors[question.field_name] == [
        "Skriv højst 20.000 tegn. Teksten har 20.001, 1 for mange."
    ]
