import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.calls.models import Call, QuestionKind
from pulje.calls.services import add_question
from pulje.core.money import kr
from tests.factories import COPENHAGEN, CallFactory, OrganisationFactory
from tests.factories.calls import DEADLINE, OPENS
from tests.factories.funds import Tree
from tests.pages import page_text

pytestmark = [
    pytest.mark.django_db,
]

Clock = Callable[[dt.datetime], None]
# Four days, three hours and a half before the deadline of 5 February 2021 at noon.
DURING = dt.datetime(2021, 2, 1, 8, 30, tzinfo=COPENHAGEN)


def _detail(call: Call) -> str:
    return reverse("calls:detail", kwargs={"code": call.code})


# The list of calls


def test_call_list_shows_open_upcoming_and_recently_closed_calls(
    english: Client, tree: Tree, bl_call: Call, clock: Clock
) -> None:
    day = dt.timedelta(days=1)
    CallFactory(pool=tree.band1, title="Kommer snart", opens_at=DEADLINE, closes_at=DEADLINE + day)
    CallFactory(pool=tree.band2, title="Lukket", opens_at=OPENS - 9 * day, closes_at=OPENS - day)
    CallFactory(
        pool=tree.band3,
        title="Længe lukket",
        opens_at=OPENS - 200 * day,
        closes_at=OPENS - 99 * day,
    )
    clock(DURING)

    response = english.get(reverse("calls:list"))

    assert response.status_code == 200
    sections = {
        key: [listed.call.title for listed in calls]
        for key, _heading, calls in response.context["sections"]
    }
    assert sections == {
        "open": ["Puljen til lokale fællesskaber mod ensomhed"],
        "upcoming": ["Kommer snart"],
        "closed": ["Lukket"],
    }
    text = page_text(response)
    assert (
        "Open for applications Puljen til lokale fællesskaber mod ensomhed Pool BL Vær Med "
        "Deadline Feb. 5, 2021, noon Grant sizes 10.000 kr. – 49.999 kr. "
        "50.000 kr. – 99.999 kr. 100.000 kr. – 1.000.000 kr."
    ) in text
    assert "Opening soon Kommer snart Pool Ramme 1 Opens Feb. 5, 2021, noon" in text
    assert "Closed recently Lukket" in text
    assert "Længe lukket" not in text
    assert f'href="{_detail(bl_call)}"' in response.content.decode()


def test_call_list_without_calls(english: Client, db: None) -> None:
    response = english.get(reverse("calls:list"))

    assert response.status_code == 200
    assert response.context["sections"] == []
    assert "There are no open calls for applications at the moment." in page_text(response)


@pytest.mark.usefixtures("bl_call")
@pytest.mark.parametrize("more", [0, 4])
def test_call_list_runs_the_same_queries_for_one_call_or_many(
    client: Client,
    tree: Tree,
    clock: Clock,
    more: int,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    clock(DURING)
    day = dt.timedelta(days=1)
    for number in range(more):
        CallFactory(pool=tree.bl_pool, opens_at=OPENS + number * day)
        CallFactory(pool=tree.band1, opens_at=DEADLINE + number * day, closes_at=DEADLINE + 9 * day)
        CallFactory(pool=tree.band2, opens_at=OPENS - 9 * day, closes_at=OPENS - number * day)
    client.get(reverse("calls:list"))

    with django_assert_num_queries(4):
        response = client.get(reverse("calls:list"))

    counts = [len(calls) for _key, _heading, calls in response.context["sections"]]
    assert counts == ([1] if more == 0 else [5, 4, 4])
    content = response.content.decode()
    assert [f'href="{_detail(call)}"' in content for call in Call.objects.all()] == [True] * (
        1 + 3 * more
    )


# A call's page


def test_open_call_page_tells_applicants_what_they_need(
    english: Client, tree: Tree, bl_call: Call, clock: Clock
) -> None:
    add_question(actor=None, call=bl_call, label="Har I samarbejdet før?", kind=QuestionKind.YES_NO)
    add_question(
        actor=None,
        call=bl_call,
        label="Aldersgruppe",
        kind=QuestionKind.CHOICE,
        choices=["Børn og unge", "Ældre"],
        required=False,
        help_text="Den største gruppe.",
    )
    clock(DURING)

    response = english.get(_detail(bl_call))

    assert response.status_code == 200
    assert response.context["state"] == "open"
    text = page_text(response)
    assert "Deadline: Feb. 5, 2021, noon (Danish time) 4 days, 3 hours left" in text
    assert "Who may apply Almene boligorganisationer. Applicants Housing organisation" in text
    assert "Required partner At least one partner of these kinds: Association" in text
    assert (
        "Grant sizes 10.000 kr. – 49.999 kr. 50.000 kr. – 99.999 kr. 100.000 kr. – 1.000.000 kr. "
        "Project period Projects start on March 15, 2021 at the earliest and end on Dec. 31, 2021 "
        "at the latest."
    ) in text
    assert (
        "Questions in the application Besides the usual questions, the application form asks: "
        "Har I samarbejdet før? (yes or no) "
        "Aldersgruppe (choice from a list, optional) Den største gruppe. Børn og unge Ældre"
    ) in text
    content = response.content.decode()
    assert 'data-countdown-deadline="2021-02-05T12:00:00+01:00"' in content


def test_open_call_page_asks_anonymous_users_to_log_in_to_apply(
    english: Client, bl_call: Call, clock: Clock
) -> None:
    clock(DURING)

    content = english.get(_detail(bl_call)).content.decode()

    login = f"{reverse('accounts:login')}?next=/opslag/bl-faellesskaber-2020/"
    assert f'<a class="button button-primary" href="{login}">Log in to apply</a>' in content
    assert reverse("applications:start", kwargs={"code": bl_call.code}) not in content


def test_open_call_page_lets_a_logged_in_user_apply(
    english: Client, bl_call: Call, applicant: User, clock: Clock
) -> None:
    english.force_login(applicant)
    clock(DURING)

    content = english.get(_detail(bl_call)).content.decode()

    start = reverse("applications:start", kwargs={"code": bl_call.code})
    assert f'<form method="post" action="{start}" data-submit-once>' in content
    assert "Log in to apply" not in content
    # Applicants do not manage the call.
    assert reverse("calls:edit", kwargs={"code": bl_call.code}) not in content


@pytest.mark.parametrize(
    "case",
    [
        (
            OPENS - dt.timedelta(seconds=1),
            "upcoming",
            "Not open yet: the call opens Jan. 4, 2021, 10 a.m.",
        ),
        (DEADLINE, "closed", "Closed: the deadline was Feb. 5, 2021, noon"),
    ],
    ids=["upcoming", "closed"],
)
def test_call_page_before_and_after_the_call_has_no_apply_button(
    english: Client,
    bl_call: Call,
    applicant: User,
    clock: Clock,
    case: tuple[dt.datetime, str, str],
) -> None:
    moment, state, notice = case
    english.force_login(applicant)
    clock(moment)

    response = english.get(_detail(bl_call))

    assert response.context["state"] == state
    assert notice in page_text(response)
    content = response.content.decode()
    assert reverse("applications:start", kwargs={"code": bl_call.code}) not in content
    assert "data-countdown-deadline" not in content


def test_call_page_figures_in_kroner(
    english: Client, tree: Tree, bl_call: Call, bl_user: User, clock: Clock
) -> None:
    for number, (status, amount) in enumerate(
        [
            (ApplicationStatus.SUBMITTED, kr(45_000)),
            (ApplicationStatus.SUBMITTED, kr(1_000_000)),
            (ApplicationStatus.DRAFT, kr(60_000)),
        ]
    ):
        Application.objects.create(
            call=bl_call,
            organisation=OrganisationFactory(),
            created_by=bl_user,
            status=status,
            reference="" if status == ApplicationStatus.DRAFT else f"BL20-{number:04d}",
            amount_ore=amount,
        )
    clock(DURING)

    response = english.get(_detail(bl_call))

    assert (
        "The pool so far Available for grants 15.000.000 kr. "
        "Requested in submitted applications 1.045.000 kr. Submitted applications 2"
    ) in page_text(response)


def test_call_page_for_an_unknown_code_is_404(client: Client, db: None) -> None:
    assert client.get(reverse("calls:detail", kwargs={"code": "findes-ikke"})).status_code == 404


def test_call_page_links_the_secretariat_to_edit_and_questions(
    client: Client, bl_call: Call, bl_user: User, ministry_user: User
) -> None:
    links = [
        reverse("calls:edit", kwargs={"code": bl_call.code}),
        reverse("calls:questions", kwargs={"code": bl_call.code}),
    ]
    client.force_login(bl_user)
    secretariat = client.get(_detail(bl_call)).content.decode()
    # The ministry sees BL's pool but does not manage it.
    client.force_login(ministry_user)
    ministry = client.get(_detail(bl_call)).content.decode()

    assert [link in secretariat for link in links] == [True, True]
    assert [link in ministry for link in links] == [False, False]
