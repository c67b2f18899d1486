"""The secretariat sets calls up in the app: create, edit and questions, through the services."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.accounts.models import User
from pulje.applications.models import Answer, Application
from pulje.calls.models import Call, CallQuestion, QuestionKind
from pulje.calls.services import add_question
from pulje.core.models import AuditEvent
from tests.factories import CallFactory, OrganisationFactory, UserFactory
from tests.factories.calls import DEADLINE, OPENS
from tests.factories.funds import Tree
from tests.pages import page_text

pytestmark = [
    pytest.mark.django_db,
]


@pytest.fixture(autouse=True)
def _before_the_round(clock: Callable[[dt.datetime], None]) -> None:
    """The calls here are the 2021 round, set up in December 2020."""
    clock(dt.datetime(2020, 12, 1, 9, 0, tzinfo=dt.UTC))


def _counts() -> tuple[int, int, int]:
    return Call.objects.count(), CallQuestion.objects.count(), AuditEvent.objects.count()


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Puljen til lokale fællesskaber mod ensomhed",
        "code": "bl-faellesskaber-2020",
        "reference_prefix": "bl20",
        "purpose": "Nye fællesskaber mod ensomhed.",
        "eligibility": "Almene boligorganisationer.",
        "applicant_kinds": ["housing"],
        "partner_kinds": ["association", "library"],
        "criteria": "",
        "guidance": "Pengene skal bruges i 2021.",
        "opens_at": "2021-01-04T10:00",
        "closes_at": "2021-02-05T12:00",
        "project_start_earliest": "2021-03-15",
        "project_end_latest": "2021-12-31",
        "edit_after_submit": "on",
    }
    return data | overrides


def _create_url(tree: Tree) -> str:
    return reverse("calls:create", kwargs={"pool_pk": tree.bl_pool.pk})


def _errors(response: Any) -> dict[str, list[str]]:
    # Django's own messages are lazy: read them in the language the page was in.
    with translation.override("en"):
        return {name: list(errors) for name, errors in response.context["form"].errors.items()}


# Creating a call


def test_create_call_from_the_pool_page(english: Client, tree: Tree, bl_user: User) -> None:
    english.force_login(bl_user)
    pool_page = english.get(reverse("funds:pool_detail", args=[tree.bl_pool.pk]))
    assert f'href="{_create_url(tree)}"' in pool_page.content.decode()

    form_page = english.get(_create_url(tree))
    response = english.post(_create_url(tree), _form())

    assert form_page.status_code == 200
    assert form_page.context["form"]["project_start_earliest"].value() == tree.bl_pool.period_start
    call = Call.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("calls:questions", kwargs={"code": call.code})
    # Typed as Danish time: noon in winter is 11:00 UTC.
    assert (call.opens_at, call.closes_at) == (OPENS, DEADLINE)
    assert call.closes_at.astimezone(dt.UTC) == dt.datetime(2021, 2, 5, 11, 0, tzinfo=dt.UTC)
    assert (call.pool, call.reference_prefix, call.applicant_kinds, call.partner_kinds) == (
        tree.bl_pool,
        "BL20",
        ["housing"],
        ["association", "library"],
    )
    assert (call.edit_after_submit, call.criteria, call.guidance) == (
        True,
        "",
        "Pengene skal bruges i 2021.",
    )
    assert list(
        AuditEvent.objects.filter(object_type="calls.call").values_list("action", "actor")
    ) == [("calls.call.created", bl_user.pk)]
    pool_page = english.get(reverse("funds:pool_detail", args=[tree.bl_pool.pk]))
    assert f'href="{reverse("calls:detail", kwargs={"code": call.code})}"' in (
        pool_page.content.decode()
    )


def test_create_call_shows_the_services_refusals_next_to_the_fields(
    english: Client, tree: Tree, bl_user: User
) -> None:
    english.force_login(bl_user)
    before = _counts()

    response = english.post(
        _create_url(tree),
        _form(closes_at="2021-01-04T09:00", project_end_latest="2022-01-31"),
    )

    assert response.status_code == 200
    assert _errors(response) == {
        "closes_at": ["The deadline must be after the opening."],
        "project_end_latest": [
            "Projects must lie within the pool's period, Nov. 6, 2020 to Dec. 31, 2021."
        ],
    }
    assert _counts() == before
    content = response.content.decode()
    assert '<span class="form-error-message" id="id_closes_at_error">' in content
    assert 'value="2021-01-04T09:00"' in content


def test_create_call_checks_the_form_first(english: Client, tree: Tree, bl_user: User) -> None:
    english.force_login(bl_user)
    before = _counts()

    response = english.post(
        _create_url(tree),
        _form(code="ikke en kode", reference_prefix="BL-20", title="", partner_kinds=["company"]),
    )

    assert _errors(response) == {
        "title": ["This field is required."],
        "code": ["Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."],
        "reference_prefix": ["Use only letters and digits, e.g. BL20."],
        "partner_kinds": ["Select a valid choice. company is not one of the available choices."],
    }
    assert _counts() == before


def test_create_call_on_a_pool_without_bands_says_so_at_the_top(
    english: Client, tree: Tree
) -> None:
    english.force_login(UserFactory(organisation=tree.slks))
    before = _counts()

    response = english.post(reverse("calls:create", kwargs={"pool_pk": tree.slks_pool.pk}), _form())

    assert response.context["form"].non_field_errors() == [
        "The pool has no grant bands: give it a smallest and largest grant, or sub-pools that "
        "have them."
    ]
    assert _counts() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_create_call_is_404_for_a_user_who_does_not_manage_the_pool(
    client: Client, tree: Tree, ministry_user: User, applicant: User, method: str
) -> None:
    before = _counts()
    for user in [ministry_user, applicant]:
        client.force_login(user)
        response = getattr(client, method)(_create_url(tree), _form())
        assert response.status_code == 404
    assert _counts() == before


def test_pool_page_lists_calls_but_offers_no_new_call_to_a_viewer(
    client: Client, tree: Tree, bl_call: Call, ministry_user: User
) -> None:
    client.force_login(ministry_user)

    content = client.get(reverse("funds:pool_detail", args=[tree.bl_pool.pk])).content.decode()

    assert reverse("calls:detail", kwargs={"code": bl_call.code}) in content
    assert _create_url(tree) not in content


# Editing a call


def test_edit_call_shows_danish_times_and_saves_changes(
    english: Client, tree: Tree, bl_call: Call, bl_user: User
) -> None:
    url = reverse("calls:edit", kwargs={"code": bl_call.code})
    english.force_login(bl_user)

    page = english.get(url)
    response = english.post(
        url, _form(title="Ny titel", closes_at="2021-02-12T12:00", partner_kinds=["association"])
    )

    content = page.content.decode()
    assert 'value="2021-02-05T12:00"' in content
    assert "reference_prefix" not in page.context["form"].fields
    assert response.status_code == 302
    assert response["Location"] == reverse("calls:detail", kwargs={"code": bl_call.code})
    call = Call.objects.get(pk=bl_call.pk)
    assert (call.title, call.closes_at, call.reference_prefix) == (
        "Ny titel",
        DEADLINE + dt.timedelta(days=7),
        "BL20",
    )
    event = AuditEvent.objects.get(action="calls.call.updated")
    assert event.before is not None
    assert event.after is not None
    changed = {name for name in event.after if event.after[name] != event.before[name]}
    assert changed == {
        "title",
        "closes_at",
        "applicant_kinds",
        "guidance",
    }


def test_edit_call_saving_the_form_unchanged_writes_nothing(
    client: Client, bl_call: Call, bl_user: User
) -> None:
    url = reverse("calls:edit", kwargs={"code": bl_call.code})
    client.force_login(bl_user)
    form = client.get(url).context["form"]
    data = {
        name: ("on" if value else "")
        if name == "edit_after_submit"
        else ("" if value is None else value)
        for name, value in ((name, form[name].value()) for name in form.fields)
    }
    data["opens_at"], data["closes_at"] = "2021-01-04T10:00", "2021-02-05T12:00"
    before = _counts()

    response = client.post(url, data)

    assert response.status_code == 302
    assert _counts() == before


def test_edit_call_is_404_for_another_organisation(
    client: Client, bl_call: Call, ministry_user: User
) -> None:
    url = reverse("calls:edit", kwargs={"code": bl_call.code})
    client.force_login(ministry_user)

    assert client.get(url).status_code == 404
    assert client.post(url, _form(title="Kapret")).status_code == 404
    assert Call.objects.get(pk=bl_call.pk).title == bl_call.title


# Questions


def test_questions_page_adds_a_choice_question(
    english: Client, bl_call: Call, bl_user: User
) -> None:
    url = reverse("calls:questions", kwargs={"code": bl_call.code})
    english.force_login(bl_user)

    response = english.post(
        url,
        {
            "label": "Hvilken aldersgruppe?",
            "help_text": "",
            "kind": QuestionKind.CHOICE,
            "choices": "Børn og unge\r\n\r\n Voksne \r\nÆldre",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url
    assert list(
        CallQuestion.objects.values_list("call", "label", "kind", "choices", "required")
    ) == [
        (bl_call.pk, "Hvilken aldersgruppe?", "choice", ["Børn og unge", "Voksne", "Ældre"], False)
    ]
    assert AuditEvent.objects.filter(action="calls.question.added", actor=bl_user).count() == 1
    assert "Hvilken aldersgruppe? (choice from a list, optional) Børn og unge Voksne Ældre" in (
        page_text(english.get(url))
    )


def test_questions_page_shows_the_services_refusal(
    english: Client, bl_call: Call, bl_user: User
) -> None:
    url = reverse("calls:questions", kwargs={"code": bl_call.code})
    english.force_login(bl_user)
    before = _counts()

    response = english.post(
        url,
        {"label": "Hvilken?", "kind": QuestionKind.CHOICE, "choices": "Kun én", "required": "on"},
    )

    assert response.status_code == 200
    assert _errors(response) == {"choices": ["Give at least two options, one per line."]}
    assert _counts() == before


def test_questions_page_removes_a_question(client: Client, bl_call: Call, bl_user: User) -> None:
    kept = add_question(actor=None, call=bl_call, label="Bliver", kind=QuestionKind.TEXT)
    question = add_question(actor=None, call=bl_call, label="Fjernes", kind=QuestionKind.FILE)
    client.force_login(bl_user)
    url = reverse("calls:question_remove", kwargs={"code": bl_call.code, "pk": question.pk})

    assert client.get(url).status_code == 405
    response = client.post(url)

    assert response.status_code == 302
    assert list(CallQuestion.objects.all()) == [kept]
    assert AuditEvent.objects.filter(action="calls.question.deleted", actor=bl_user).count() == 1


def test_questions_page_keeps_an_answered_question(
    english: Client, bl_call: Call, bl_user: User
) -> None:
    question = add_question(actor=None, call=bl_call, label="Samarbejde?", kind=QuestionKind.YES_NO)
    application = Application.objects.create(
        call=bl_call, organisation=OrganisationFactory(), created_by=bl_user
    )
    Answer.objects.create(application=application, question=question, value=False)
    english.force_login(bl_user)
    before = _counts()

    response = english.post(
        reverse("calls:question_remove", kwargs={"code": bl_call.code, "pk": question.pk}),
        follow=True,
    )

    assert _counts() == before
    assert [str(m) for m in response.context["messages"]] == [
        "Applicants have answered this question, so it cannot be removed."
    ]


def test_questions_pages_are_404_for_another_organisation(
    client: Client, tree: Tree, bl_call: Call, bl_user: User, ministry_user: User
) -> None:
    question = add_question(actor=None, call=bl_call, label="Samarbejde?", kind=QuestionKind.YES_NO)
    other_call_question = add_question(
        actor=None,
        call=CallFactory(pool=tree.band1),
        label="Andet",
        kind=QuestionKind.TEXT,
    )
    questions = reverse("calls:questions", kwargs={"code": bl_call.code})
    remove = reverse("calls:question_remove", kwargs={"code": bl_call.code, "pk": question.pk})
    before = _counts()

    client.force_login(ministry_user)
    assert client.get(questions).status_code == 404
    assert client.post(questions, {"label": "X", "kind": "text"}).status_code == 404
    assert client.post(remove).status_code == 404
    # Nor can BL remove another call's question through its own call's address.
    client.force_login(bl_user)
    mismatched = reverse(
        "calls:question_remove", kwargs={"code": bl_call.code, "pk": other_call_question.pk}
    )
    assert client.post(mismatched).status_code == 404
    assert _counts() == before


@pytest.mark.parametrize("name", ["calls:edit", "calls:questions"])
def test_staff_pages_send_anonymous_users_to_log_in(
    client: Client, bl_call: Call, name: str
) -> None:
    url = reverse(name, kwargs={"code": bl_call.code})

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


# Dates a letter would contradict (walkthrough bug 4)


def test_create_call_refuses_a_passed_deadline_and_projects_before_it(
    english: Client, tree: Tree, bl_user: User, clock: Callable[[dt.datetime], None]
) -> None:
    english.force_login(bl_user)
    clock(dt.datetime(2021, 3, 1, 9, 0, tzinfo=dt.UTC))
    before = _counts()

    response = english.post(
        _create_url(tree), _form(closes_at="2021-02-05T12:00", project_start_earliest="2021-02-04")
    )

    assert response.status_code == 200
    assert _errors(response) == {
        "closes_at": ["The deadline has passed. Choose a later deadline."],
        "project_start_earliest": [
            "Projects cannot start before the application deadline, Feb. 5, 2021. "
            "Choose that day or later."
        ],
    }
    assert _counts() == before


def test_create_call_refuses_a_report_due_before_the_projects_end(
    english: Client, tree: Tree, bl_user: User
) -> None:
    english.force_login(bl_user)
    before = _counts()

    response = english.post(_create_url(tree), _form(report_by="2021-12-30"))

    assert _errors(response) == {
        "report_by": ["The report cannot be due before the projects end, Dec. 31, 2021."]
    }
    assert _counts() == before


def test_edit_call_refuses_projects_before_the_deadline_in_danish(
    client: Client, bl_call: Call, bl_user: User
) -> None:
    client.force_login(bl_user)

    response = client.post(
        reverse("calls:edit", kwargs={"code": bl_call.code}),
        _form(closes_at="2021-04-01T12:00", partner_kinds=["association"]),
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "project_start_earliest": [
            "Projekterne kan ikke starte før ansøgningsfristen, 1. april 2021. "
            "Vælg den dag eller senere."
        ]
    }
    assert Call.objects.get(pk=bl_call.pk).closes_at == DEADLINE


def test_edit_call_saves_the_letter_facts(english: Client, bl_call: Call, bl_user: User) -> None:
    english.force_login(bl_user)
    facts = {
        "letter_email": "puljer@bl.dk",
        "letter_phone": "33 76 20 00",
        "legal_basis": "Aktstykke nr. 41 af 12/11/2020",
        "funding_source": "Kulturministeriets tilskud til BL",
        "payment_terms": "Udbetales i én rate.",
        "report_by": "2022-02-28",
        "complaints_guide": "Skriv til BL inden 4 uger.",
    }

    page = english.get(reverse("calls:edit", kwargs={"code": bl_call.code}))
    response = english.post(
        reverse("calls:edit", kwargs={"code": bl_call.code}),
        _form(partner_kinds=["association"], **facts),
    )

    assert "What the letters say" in page_text(page)
    assert response.status_code == 302
    call = Call.objects.get(pk=bl_call.pk)
    assert {name: str(getattr(call, name)) for name in facts} == facts
