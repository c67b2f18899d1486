import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.applications.models import Answer, Application
from pulje.calls.models import Call, CallQuestion, QuestionKind
from pulje.calls.selectors import call_bands
from pulje.calls.services import (
    add_question,
    create_call,
    next_reference_number,
    remove_question,
    update_call,
)
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.funds.models import Pool
from tests.factories import COPENHAGEN, CallFactory, OrganisationFactory, PoolFactory, UserFactory
from tests.factories.calls import DEADLINE, OPENS
from tests.factories.funds import Tree

pytestmark = [
    pytest.mark.django_db,
]


def _fields(pool: Pool, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "pool": pool,
        "code": "bl-faellesskaber-2020",
        "reference_prefix": "bl20",
        "title": "Puljen til lokale fællesskaber mod ensomhed",
        "purpose": "Nye fællesskaber.",
        "eligibility": "Almene boligorganisationer.",
        "opens_at": OPENS,
        "closes_at": DEADLINE,
        "project_start_earliest": dt.date(2021, 3, 15),
        "project_end_latest": dt.date(2021, 12, 31),
    }
    return fields | overrides


def _counts() -> tuple[int, int, int]:
    return Call.objects.count(), CallQuestion.objects.count(), AuditEvent.objects.count()


def _refused(**fields: Any) -> dict[str, list[str]]:
    """The errors create_call gives, in English; it must write nothing."""
    before = _counts()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        create_call(actor=None, **fields)
    assert _counts() == before
    return error.value.message_dict


# Creating and changing a call


def test_create_call_writes_the_call_and_one_audit_event(tree: Tree, bl_user: User) -> None:
    call = create_call(actor=bl_user, **_fields(tree.bl_pool, partner_kinds=["association"]))

    stored = Call.objects.get()
    assert stored == call
    assert (stored.reference_prefix, stored.applicant_kinds, stored.partner_kinds) == (
        "BL20",
        [],
        ["association"],
    )
    assert stored.applicant_kind_values() == ["housing"]
    event = AuditEvent.objects.get(action="calls.call.created")
    assert (event.actor, event.object_type, event.object_id) == (
        bl_user,
        "calls.call",
        str(call.pk),
    )
    assert event.after is not None
    assert (event.after["pool"], event.after["closes_at"], event.after["partner_kinds"]) == (
        tree.bl_pool.pk,
        "2021-02-05T11:00:00Z",
        ["association"],
    )
    assert call_bands(call) == [tree.band1, tree.band2, tree.band3]


def test_create_call_on_a_band_pool_has_that_band(tree: Tree) -> None:
    call = create_call(actor=None, **_fields(tree.band2))

    assert call_bands(call) == [tree.band2]


def test_create_call_refuses_a_deadline_before_the_opening(tree: Tree) -> None:
    errors = _refused(**_fields(tree.bl_pool, closes_at=OPENS - dt.timedelta(minutes=1)))

    assert errors == {"closes_at": ["The deadline must be after the opening."]}


def test_create_call_refuses_a_deadline_equal_to_the_opening(tree: Tree) -> None:
    errors = _refused(**_fields(tree.bl_pool, closes_at=OPENS))

    assert errors == {"closes_at": ["The deadline must be after the opening."]}


def test_create_call_refuses_a_project_window_outside_the_pool_period(tree: Tree) -> None:
    # The pool runs from 6 November 2020 to 31 December 2021.
    errors = _refused(
        **_fields(
            tree.bl_pool,
            project_start_earliest=dt.date(2020, 11, 5),
            project_end_latest=dt.date(2022, 1, 1),
        )
    )

    outside = "Projects must lie within the pool's period, Nov. 6, 2020 to Dec. 31, 2021."
    assert errors == {"project_start_earliest": [outside], "project_end_latest": [outside]}


def test_create_call_refuses_a_project_window_that_ends_before_it_starts(tree: Tree) -> None:
    errors = _refused(
        **_fields(
            tree.bl_pool,
            project_start_earliest=dt.date(2021, 6, 1),
            project_end_latest=dt.date(2021, 5, 31),
        )
    )

    assert errors == {
        "project_end_latest": ["The last end date must not be before the first start date."]
    }


def test_create_call_refuses_projects_ending_after_the_spend_by_date_of_a_pool_above(
    tree: Tree,
) -> None:
    top = PoolFactory(spend_by=dt.date(2021, 6, 30))
    band = PoolFactory(
        parent=top,
        administrator=top.administrator,
        grant_min_ore=kr(10_000),
        grant_max_ore=kr(50_000),
    )

    errors = _refused(**_fields(band, project_end_latest=dt.date(2021, 7, 1)))
    create_call(actor=None, **_fields(band, project_end_latest=dt.date(2021, 6, 30)))

    assert errors == {
        "project_end_latest": ["Grants from this pool must be spent by June 30, 2021."]
    }


def test_create_call_refuses_unknown_kinds_of_organisation(tree: Tree) -> None:
    errors = _refused(
        **_fields(
            tree.bl_pool,
            applicant_kinds=["housing", "company"],
            partner_kinds=["association", "church", "club"],
        )
    )

    assert errors == {
        "applicant_kinds": ["Unknown kind of organisation: company."],
        "partner_kinds": ["Unknown kind of organisation: church, club."],
    }


def test_create_call_refuses_a_pool_without_bands(tree: Tree) -> None:
    # The SLKS pool has neither grant limits nor sub-pools that have them.
    errors = _refused(**_fields(tree.slks_pool))

    assert errors == {
        "pool": [
            "The pool has no grant bands: give it a smallest and largest grant, or sub-pools "
            "that have them."
        ]
    }


def test_create_call_refuses_a_code_or_prefix_in_use(tree: Tree) -> None:
    CallFactory(pool=tree.bl_pool, code="bl-faellesskaber-2020", reference_prefix="BL20")

    errors = _refused(**_fields(tree.band1))

    assert errors == {
        "code": ["Call for applications with this Code already exists."],
        "reference_prefix": ["Call for applications with this Reference prefix already exists."],
    }


def test_update_call_records_before_and_after(tree: Tree, bl_user: User) -> None:
    call = CallFactory(pool=tree.bl_pool, title="Gammel titel")
    later = DEADLINE + dt.timedelta(days=7)

    update_call(actor=bl_user, call=call, title="Ny titel", closes_at=later)

    stored = Call.objects.get(pk=call.pk)
    assert (stored.title, stored.closes_at) == ("Ny titel", later)
    event = AuditEvent.objects.get(action="calls.call.updated")
    assert event.actor == bl_user
    assert event.before is not None
    assert event.after is not None
    changed = {name for name in event.after if event.after[name] != event.before[name]}
    assert changed == {"title", "closes_at"}
    assert (event.before["title"], event.after["title"]) == ("Gammel titel", "Ny titel")


def test_update_call_writes_nothing_when_nothing_changes(tree: Tree) -> None:
    call = CallFactory(pool=tree.bl_pool)
    before = _counts()

    update_call(actor=None, call=call, title=call.title, closes_at=call.closes_at)

    assert _counts() == before


def test_update_call_refuses_a_deadline_before_the_opening_and_writes_nothing(
    tree: Tree,
) -> None:
    call = CallFactory(pool=tree.bl_pool)
    before = _counts()

    with translation.override("en"), pytest.raises(ValidationError) as error:
        update_call(actor=None, call=call, closes_at=OPENS - dt.timedelta(days=1))

    assert error.value.message_dict == {"closes_at": ["The deadline must be after the opening."]}
    assert _counts() == before
    assert Call.objects.get(pk=call.pk).closes_at == DEADLINE


@pytest.mark.parametrize("field", ["pool", "reference_prefix"])
def test_update_call_cannot_change_pool_or_reference_prefix(tree: Tree, field: str) -> None:
    call = CallFactory(pool=tree.bl_pool)
    value = {"pool": tree.band1, "reference_prefix": "XX"}[field]

    with pytest.raises(TypeError):
        update_call(actor=None, call=call, **{field: value})


def test_factory_times_are_danish() -> None:
    call = CallFactory()

    assert call.closes_at == dt.datetime(2021, 2, 5, 11, 0, tzinfo=dt.UTC)
    assert call.closes_at.astimezone(COPENHAGEN).hour == 12


# Questions


def test_add_question_appends_at_the_end_with_an_audit_event(tree: Tree, bl_user: User) -> None:
    call = CallFactory(pool=tree.bl_pool)

    first = add_question(
        actor=bl_user,
        call=call,
        label="Har I tidligere samarbejdet med foreningen?",
        kind=QuestionKind.YES_NO,
    )
    second = add_question(
        actor=bl_user,
        call=call,
        label="Hvilken aldersgruppe?",
        kind=QuestionKind.CHOICE,
        choices=[" Børn og unge ", "", "Voksne", "Ældre"],
        required=False,
    )

    assert list(call.questions.values_list("label", "position", "choices", "required")) == [
        ("Har I tidligere samarbejdet med foreningen?", 1, [], True),
        ("Hvilken aldersgruppe?", 2, ["Børn og unge", "Voksne", "Ældre"], False),
    ]
    events = AuditEvent.objects.filter(action="calls.question.added").order_by("seq")
    assert [(e.object_id, e.actor) for e in events] == [
        (str(first.pk), bl_user),
        (str(second.pk), bl_user),
    ]


@pytest.mark.parametrize(
    ("kind", "choices", "message"),
    [
        (QuestionKind.CHOICE, ["Kun én"], "Give at least two options, one per line."),
        (QuestionKind.CHOICE, [" ", ""], "Give at least two options, one per line."),
        (QuestionKind.TEXT, ["Ja", "Nej"], "Only a choice question has options."),
    ],
)
def test_add_question_refuses_wrong_options(
    tree: Tree, kind: QuestionKind, choices: list[str], message: str
) -> None:
    call = CallFactory(pool=tree.bl_pool)
    before = _counts()

    with translation.override("en"), pytest.raises(ValidationError) as error:
        add_question(actor=None, call=call, label="Spørgsmål", kind=kind, choices=choices)

    assert error.value.message_dict == {"choices": [message]}
    assert _counts() == before


def test_remove_question_deletes_it_with_an_audit_event(tree: Tree, bl_user: User) -> None:
    call = CallFactory(pool=tree.bl_pool)
    kept = add_question(actor=None, call=call, label="Bliver", kind=QuestionKind.TEXT)
    question = add_question(actor=None, call=call, label="Fjernes", kind=QuestionKind.FILE)
    pk = question.pk

    remove_question(actor=bl_user, question=question)

    assert list(CallQuestion.objects.all()) == [kept]
    event = AuditEvent.objects.get(action="calls.question.deleted")
    assert (event.actor, event.object_id, event.after) == (bl_user, str(pk), None)
    assert event.before is not None
    assert event.before["label"] == "Fjernes"


def test_remove_question_refuses_an_answered_question(tree: Tree) -> None:
    call = CallFactory(pool=tree.bl_pool)
    question = add_question(actor=None, call=call, label="Samarbejde?", kind=QuestionKind.YES_NO)
    user = UserFactory()
    application = Application.objects.create(
        call=call, organisation=OrganisationFactory(), created_by=user
    )
    Answer.objects.create(application=application, question=question, value=True)
    before = _counts()

    with translation.override("en"), pytest.raises(ValidationError) as error:
        remove_question(actor=None, question=question)

    assert error.value.messages == [
        "Applicants have answered this question, so it cannot be removed."
    ]
    assert _counts() == before


# The call's reference counter


def test_next_reference_number_counts_per_call(
    tree: Tree, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    first = CallFactory(pool=tree.bl_pool, code="bl-a", reference_prefix="BLA")
    second = CallFactory(pool=tree.bl_pool, code="bl-b", reference_prefix="BLB")

    with transaction.atomic():
        # The locked read and the write.
        with django_assert_num_queries(2):
            numbers = [next_reference_number(call=first)]
        numbers += [next_reference_number(call=first), next_reference_number(call=second)]

    assert numbers == ["BLA-0001", "BLA-0002", "BLB-0001"]
    first.refresh_from_db()
    assert first.last_reference_number == 2
