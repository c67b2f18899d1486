"""The calls' admin writes through the call services: checked, audited, never deleted."""

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
from tests.factories import OrganisationFactory, UserFactory
from tests.factories.calls import DEADLINE, OPENS
from tests.factories.funds import Tree

pytestmark = [
    pytest.mark.django_db,
]


@pytest.fixture
def superuser(tree: Tree) -> User:
    user: User = UserFactory(name="Stine Stab", is_staff=True, is_superuser=True)
    return user


@pytest.fixture
def staff(english: Client, superuser: User) -> Client:
    english.force_login(superuser)
    return english


def _questions(
    total: int = 0, initial: int = 0, rows: dict[str, str] | None = None
) -> dict[str, str]:
    return {
        "questions-TOTAL_FORMS": str(total),
        "questions-INITIAL_FORMS": str(initial),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        **(rows or {}),
    }


def _call_data(tree: Tree, **overrides: Any) -> dict[str, Any]:
    data = {
        "pool": tree.bl_pool.pk,
        "code": "admin-opslag",
        "reference_prefix": "adm",
        "title": "Opslag fra admin",
        "purpose": "Nye fællesskaber.",
        "eligibility": "Almene boligorganisationer.",
        "criteria": "",
        "guidance": "",
        "opens_at_0": "2021-01-04",
        "opens_at_1": "10:00",
        "closes_at_0": "2021-02-05",
        "closes_at_1": "12:00",
        "project_start_earliest": "2021-03-15",
        "project_end_latest": "2021-12-31",
        "applicant_kinds": "[]",
        "partner_kinds": '["association"]',
        "edit_after_submit": "on",
        **_questions(),
        "_save": "Save",
    }
    return data | overrides


def _actions() -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type__startswith="calls.")
        .order_by("seq")
        .values_list("action", "object_type")
    )


def test_admin_add_call_with_a_question_goes_through_the_services(
    staff: Client, tree: Tree, superuser: User
) -> None:
    response = staff.post(
        reverse("admin:calls_call_add"),
        _call_data(
            tree,
            **_questions(
                1,
                rows={
                    "questions-0-label": "Aldersgruppe?",
                    "questions-0-help_text": "",
                    "questions-0-kind": "choice",
                    "questions-0-choices": '["Børn", "Voksne"]',
                    "questions-0-required": "on",
                },
            ),
        ),
    )

    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.reference_prefix, call.opens_at, call.closes_at, call.partner_kinds) == (
        "ADM",
        OPENS,
        DEADLINE,
        ["association"],
    )
    assert list(call.questions.values_list("label", "position", "choices")) == [
        ("Aldersgruppe?", 1, ["Børn", "Voksne"])
    ]
    assert _actions() == [
        ("calls.call.created", "calls.call"),
        ("calls.question.added", "calls.callquestion"),
    ]
    assert set(
        AuditEvent.objects.filter(object_type__startswith="calls.").values_list("actor", flat=True)
    ) == {superuser.pk}


def test_admin_refuses_what_the_services_refuse_as_form_errors(staff: Client, tree: Tree) -> None:
    response = staff.post(
        reverse("admin:calls_call_add"),
        _call_data(
            tree,
            closes_at_0="2021-01-01",
            **_questions(
                1,
                rows={
                    "questions-0-label": "Aldersgruppe?",
                    "questions-0-kind": "choice",
                    "questions-0-choices": '["Kun én"]',
                    "questions-0-required": "on",
                },
            ),
        ),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "closes_at": ["The deadline must be after the opening."]
    }
    assert response.context["inline_admin_formsets"][0].formset.errors == [
        {"choices": ["Give at least two options, one per line."]}
    ]
    assert (Call.objects.count(), CallQuestion.objects.count(), _actions()) == (0, 0, [])


def test_admin_change_call_and_remove_a_question(staff: Client, tree: Tree, bl_call: Call) -> None:
    question = add_question(actor=None, call=bl_call, label="Fjernes", kind=QuestionKind.TEXT)
    before = len(_actions())
    data = _call_data(
        tree,
        code=bl_call.code,
        title="Ny titel",
        **_questions(
            1,
            1,
            rows={
                "questions-0-id": str(question.pk),
                "questions-0-call": str(bl_call.pk),
                "questions-0-DELETE": "on",
            },
        ),
    )
    del data["pool"], data["reference_prefix"]

    response = staff.post(reverse("admin:calls_call_change", args=[bl_call.pk]), data)

    assert response.status_code == 302
    call = Call.objects.get(pk=bl_call.pk)
    assert (call.title, call.reference_prefix, call.pool) == ("Ny titel", "BL20", tree.bl_pool)
    assert list(call.questions.all()) == []
    assert _actions()[before:] == [
        ("calls.call.updated", "calls.call"),
        ("calls.question.deleted", "calls.callquestion"),
    ]


def test_admin_keeps_an_answered_question(
    staff: Client, tree: Tree, bl_call: Call, bl_user: User
) -> None:
    question = add_question(actor=None, call=bl_call, label="Besvaret", kind=QuestionKind.TEXT)
    application = Application.objects.create(
        call=bl_call, organisation=OrganisationFactory(), created_by=bl_user
    )
    Answer.objects.create(application=application, question=question, value="Ja")
    before = len(_actions())
    data = _call_data(
        tree,
        code=bl_call.code,
        **_questions(
            1,
            1,
            rows={
                "questions-0-id": str(question.pk),
                "questions-0-call": str(bl_call.pk),
                "questions-0-DELETE": "on",
            },
        ),
    )
    del data["pool"], data["reference_prefix"]

    response = staff.post(reverse("admin:calls_call_change", args=[bl_call.pk]), data)

    assert response.status_code == 200
    # Django's own refusal (answers protect their question); how it names the answer is the
    # applications app's affair.
    # The request's middleware leaves this thread in the default language, and the error
    # names the question's kind lazily: read it in English.
    with translation.override("en"):
        (refusal,) = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert refusal.startswith(
        "Deleting question Besvaret would require deleting the following protected related "
        "objects: answer "
    )
    assert list(bl_call.questions.all()) == [question]
    assert len(_actions()) == before


def test_admin_call_cannot_be_deleted(staff: Client, bl_call: Call) -> None:
    response = staff.post(reverse("admin:calls_call_delete", args=[bl_call.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Call.objects.filter(pk=bl_call.pk).exists()


def test_admin_refuses_a_reference_prefix_in_use_whatever_its_case(
    staff: Client, tree: Tree, bl_call: Call
) -> None:
    before = len(_actions())

    response = staff.post(
        reverse("admin:calls_call_add"), _call_data(tree, reference_prefix="bl20")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "reference_prefix": ["Call for applications with this Reference prefix already exists."]
    }
    assert (Call.objects.count(), len(_actions())) == (1, before)
