"""Each role's start page and menu, and the caseworker's next tasks counted from the same
conditions the queue filters by (issue 14 point 7)."""

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries, Settings

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.assessment.models import Assignment
from pulje.assessment.services import (
    add_assessor,
    assign_assessor,
    declare_interest,
    ensure_rubric,
    recommend_applications,
    submit_scores,
)
from pulje.casework.selectors import latest_screening
from pulje.casework.services import override_screening, set_screening_rules
from pulje.core.money import kr
from pulje.decisions.services import decide_applications, queue_decision_letters
from pulje.desk.selectors import QueueFilters, casework_calls, queue
from pulje.desk.start import Roles, call_tasks, roles_of, start_tasks
from pulje.letters.services import run_decision_letters
from pulje.registry.services.memberships import add_membership
from tests.factories import UserFactory
from tests.factories.applications import make_call
from tests.factories.casework import Desk, make_applicant_in, submit

pytestmark = pytest.mark.django_db


def assessor_of(desk: Desk, name: str = "Alice") -> User:
    email = f"{name.lower()}@example.dk"
    return add_assessor(actor=desk.caseworker, call=desk.call, email=email, name=name).user


def scored(desk: Desk, application: Application, assessor: User, value: int) -> None:
    assign_assessor(actor=desk.caseworker, applications=[application], assessor=assessor)
    assignment = Assignment.objects.get(application=application, assessor=assessor)
    declare_interest(actor=assessor, assignment=assignment, conflict=False)
    criteria = ensure_rubric(actor=None, call=desk.call).criteria.all()
    submit_scores(
        actor=assessor,
        assignment=assignment,
        values={c.pk: (value, "Begrundelse") for c in criteria},
    )


# Roles


def test_roles_of_each_person(
    desk: Desk, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    applicant = make_applicant_in(desk.call).user
    assessor = assessor_of(desk)
    newcomer = UserFactory()
    found = {}
    for user in (desk.caseworker, desk.funder, applicant, assessor, newcomer):
        with django_assert_num_queries(1):
            found[user] = roles_of(user)

    assert found == {
        desk.caseworker: Roles(caseworker=True, member=True),
        desk.funder: Roles(funder=True, member=True),
        applicant: Roles(applicant=True, member=True),
        assessor: Roles(assessor=True),
        newcomer: Roles(),
    }
    assert (found[newcomer].applies, found[assessor].applies) == (True, False)


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("caseworker", "desk:calls"),
        ("funder", "funds:pool_list"),
        ("applicant", "applications:dashboard"),
        ("assessor", "assessment:mine"),
        ("newcomer", "registry:onboarding"),
    ],
)
def test_login_lands_on_the_roles_start_page(
    client: Client, desk: Desk, settings: Settings, who: str, page: str
) -> None:
    people: dict[str, User] = {
        "caseworker": desk.caseworker,
        "funder": desk.funder,
        "applicant": make_applicant_in(desk.call).user,
        "assessor": assessor_of(desk),
        "newcomer": UserFactory(),
    }
    client.force_login(people[who])

    response = client.get(reverse("start"))

    assert settings.LOGIN_REDIRECT_URL == "start"
    assert (response.status_code, response["Location"]) == (302, reverse(page))


def test_a_person_with_several_roles_sees_each_roles_tasks(client: Client, desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call))
    # The caseworker assesses another call's applications too, and applies for a club.
    add_assessor(actor=desk.caseworker, call=make_call(pool=desk.pool), email=desk.caseworker.email)
    club = make_applicant_in(desk.call, name="Klubben").organisation
    add_membership(actor=None, user=desk.caseworker, organisation=club)
    client.force_login(desk.caseworker)

    response = client.get(reverse("start"))

    assert response.status_code == 200
    tasks = response.context["tasks"]
    assert tasks.roles == Roles(caseworker=True, assessor=True, applicant=True, member=True)
    page = response.content.decode()
    for role in ("casework", "assessment", "applications"):
        assert f'data-role="{role}"' in page
    # Each role's own page is a link in the menu, and the tasks page too.
    for name in ("start", "desk:calls", "assessment:mine", "applications:dashboard"):
        assert f'href="{reverse(name)}" class="nav-link"' in page
    assert f"{reverse('desk:queue', kwargs={'code': desk.call.code})}?task=assign" in page
    assert application.status == "screened"


def menu(client: Client, user: User | None) -> set[str]:
    if user is not None:
        client.force_login(user)
    page = client.get(reverse("calls:list")).content.decode()
    names = ("applications:dashboard", "desk:calls", "assessment:mine", "funds:pool_list")
    return {name for name in names if f'href="{reverse(name)}" class="nav-link"' in page}


def test_the_menu_follows_the_roles(desk: Desk) -> None:
    applicant = make_applicant_in(desk.call).user

    assert menu(Client(), None) == set()
    assert menu(Client(), UserFactory()) == {"applications:dashboard"}
    assert menu(Client(), applicant) == {"applications:dashboard"}
    assert menu(Client(), assessor_of(desk)) == {"assessment:mine"}
    assert menu(Client(), desk.caseworker) == {"desk:calls", "funds:pool_list"}
    assert menu(Client(), desk.funder) == {"desk:calls", "funds:pool_list"}


def test_an_assessor_is_not_offered_an_organisation(client: Client, desk: Desk) -> None:
    client.force_login(assessor_of(desk))

    page = client.get(reverse("assessment:mine")).content.decode()

    assert reverse("registry:mine") not in page


# The caseworker's counts


def test_the_counts_are_the_queues_filtered_by_task(
    desk: Desk, settings: Settings, django_capture_on_commit_callbacks: object
) -> None:
    set_screening_rules(actor=desk.caseworker, call=desk.call, salary_cap_monthly_ore=kr(5_000))
    alice, bob = assessor_of(desk, "Alice"), assessor_of(desk, "Bob")

    def applied(name: str, **fields: str | None) -> Application:
        return submit(make_applicant_in(desk.call, name=name), title=f"Projekt {name}", **fields)

    over_cap = applied(
        "Løn", budget_salaries="55.000", budget_activities="5.000", budget_materials=None
    )
    passed = applied("Klar")
    scoring = applied("Bedømmes")
    assign_assessor(actor=desk.caseworker, applications=[scoring], assessor=alice)
    split = applied("Uenige")
    scored(desk, split, alice, 1)
    scored(desk, split, bob, 5)
    recommended = applied("Indstillet")
    scored(desk, recommended, alice, 4)
    recommend_applications(
        actor=desk.caseworker, applications=[recommended], recommended=True, reason="God."
    )
    granted = applied("Tilsagn")
    with django_capture_on_commit_callbacks(execute=False):  # type: ignore[operator]
        (decision,) = decide_applications(
            actor=desk.caseworker, applications=[granted], outcome="grant"
        )
    job = queue_decision_letters(actor=desk.caseworker, decision_ids=[decision.pk])
    settings.EMAIL_BACKEND = "tests.letters.broken_mail.BrokenBackend"
    with pytest.raises(ConnectionRefusedError):
        run_decision_letters(job_id=job.pk)

    (item,) = call_tasks(casework_calls(desk.caseworker))

    expected = {
        "screen": [over_cap],
        "assign": [passed],
        "scoring": [scoring, split],
        "moderate": [split],
        "decide": [recommended],
        "letters": [granted],
        "acceptance": [granted],
    }
    assert [(count.task, count.count) for count in item.tasks] == [
        (task, len(applications)) for task, applications in expected.items()
    ]
    for task, applications in expected.items():
        listed = [row.application for row in queue(desk.call, QueueFilters(task=task))]
        assert listed == sorted(applications, key=lambda a: a.reference), task


def test_an_override_takes_the_application_from_screening_to_assignment(desk: Desk) -> None:
    set_screening_rules(actor=desk.caseworker, call=desk.call, salary_cap_monthly_ore=kr(5_000))
    over_cap = submit(
        make_applicant_in(desk.call),
        budget_salaries="55.000",
        budget_activities="5.000",
        budget_materials=None,
    )
    screening = latest_screening(over_cap)
    assert screening is not None

    override_screening(
        actor=desk.caseworker, screening=screening, outcome="pass", reason="Lønnen er rimelig."
    )

    assert [row.application for row in queue(desk.call, QueueFilters(task="screen"))] == []
    assert [row.application for row in queue(desk.call, QueueFilters(task="assign"))] == [over_cap]


def test_the_calls_page_links_each_count_to_its_filtered_queue(client: Client, desk: Desk) -> None:
    submit(make_applicant_in(desk.call))
    client.force_login(desk.caseworker)

    page = client.get(reverse("desk:calls")).content.decode()

    queue_url = reverse("desk:queue", kwargs={"code": desk.call.code})
    assert f'<li data-task="assign" data-count="1"><a href="{queue_url}?task=assign">' in page
    assert '<li data-task="screen" data-count="0">' in page


@pytest.mark.parametrize("calls", [1, 3])
def test_start_tasks_run_a_bounded_number_of_queries(
    desk: Desk, calls: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(calls):
        call = desk.call if n == 0 else make_call(pool=desk.pool)
        split = submit(make_applicant_in(call, name=f"Bolig {n}"), title=f"Projekt {n}")
        if n == 0:
            scored(desk, split, assessor_of(desk), 3)
    # The caseworker assesses and applies too: every role's counts at once.
    add_assessor(actor=desk.caseworker, call=desk.call, email=desk.caseworker.email)
    add_membership(
        actor=None,
        user=desk.caseworker,
        organisation=make_applicant_in(desk.call, name="Klubben").organisation,
    )

    # The roles; the calls (three); their counts, the applications in assessment and their
    # scores (two); the assignments; the applications.
    with django_assert_num_queries(10):
        tasks = start_tasks(desk.caseworker)

    assert len(tasks.calls) == calls
    assert tasks.assessor is not None
    assert tasks.applicant is not None
