"""The assessor's and the caseworker's pages: permission boundaries on every route, what
each sees (and must not), and query counts for the lists."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.assessment.models import Assignment, AssignmentState, PanelMember, Rubric, Score
from pulje.assessment.services import add_assessor, ensure_rubric, save_scores
from pulje.core.models import AuditEvent
from tests.factories import UserFactory
from tests.factories.assessment import Panel, assigned, score_all, screened_application

pytestmark = pytest.mark.django_db


def client_for(user: User, *, english: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client: Client, name: str, *args: Any) -> str:
    response = client.get(reverse(f"assessment:{name}", args=args))
    assert response.status_code == 200
    return response.content.decode()


# Permission boundaries: 404 for anyone without the right to the object.


def caseworker_routes(panel: Panel, application: Application) -> list[tuple[str, str]]:
    member = PanelMember.objects.get(user=panel.alice)
    code = panel.call.code
    return [
        ("get", reverse("assessment:panel", args=[code])),
        ("post", reverse("assessment:panel_remove", args=[code, member.pk])),
        ("get", reverse("assessment:rubric", args=[code])),
        ("get", reverse("assessment:assign", args=[application.uuid])),
        ("get", reverse("assessment:recommend", args=[application.uuid])),
        ("post", reverse("assessment:recommend", args=[application.uuid])),
        ("post", reverse("assessment:assign", args=[application.uuid])),
    ]


def test_caseworker_routes_are_404_for_everyone_else(panel: Panel, screened: Application) -> None:
    applicant = screened.created_by
    for user in (panel.funder, panel.alice, applicant):
        client = client_for(user)
        for method, url in caseworker_routes(panel, screened):
            assert getattr(client, method)(url).status_code == 404, (user, url)
    caseworker = client_for(panel.caseworker)
    for method, url in caseworker_routes(panel, screened):
        if method == "get":
            assert caseworker.get(url).status_code == 200, url
    assert PanelMember.objects.count() == 2


def test_results_are_for_the_secretariat_and_the_funder(
    panel: Panel, screened: Application
) -> None:
    for name in ("results", "moderation"):
        url = reverse(f"assessment:{name}", args=[panel.call.code])
        assert client_for(panel.caseworker).get(url).status_code == 200
        assert client_for(panel.funder).get(url).status_code == 200
        assert client_for(panel.alice).get(url).status_code == 404
        assert client_for(screened.created_by).get(url).status_code == 404


def test_every_route_sends_anonymous_visitors_to_log_in(
    panel: Panel, screened: Application
) -> None:
    urls = [url for _, url in caseworker_routes(panel, screened)] + [
        reverse("assessment:mine"),
        reverse("assessment:score", args=[screened.uuid]),
        reverse("assessment:declare", args=[screened.uuid]),
        reverse("assessment:results", args=[panel.call.code]),
        reverse("assessment:moderation", args=[panel.call.code]),
    ]
    for url in urls:
        response = Client().get(url)
        assert response.status_code in {302, 405}, url
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("account_login")), url


def test_an_assessor_never_reaches_an_unassigned_application(
    panel: Panel, screened: Application
) -> None:
    assigned(panel, screened, panel.alice)
    for name in ("score", "declare"):
        url = reverse(f"assessment:{name}", args=[screened.uuid])
        assert client_for(panel.bob).get(url).status_code == 404
        assert client_for(panel.bob).post(url, {"conflict": "no"}).status_code == 404
        assert client_for(panel.caseworker).get(url).status_code == 404
        assert client_for(screened.created_by).get(url).status_code == 404
    assert Assignment.objects.get().state == AssignmentState.TO_SCORE


def test_before_declaring_the_assessor_sees_only_reference_and_organisation(
    panel: Panel, screened: Application
) -> None:
    assigned(panel, screened, panel.alice, declare=False)
    client = client_for(panel.alice)
    response = client.get(reverse("assessment:score", args=[screened.uuid]))
    assert response["Location"] == reverse("assessment:declare", args=[screened.uuid])
    text = page(client, "declare", screened.uuid)
    assert screened.reference in text
    assert "Boligselskabet Test" in text
    assert screened.title not in text
    assert "Fælles spisning" not in text


def test_declaring_a_conflict_hides_the_application_for_good(
    panel: Panel, screened: Application
) -> None:
    assigned(panel, screened, panel.alice, declare=False)
    client = client_for(panel.alice)
    response = client.post(
        reverse("assessment:declare", args=[screened.uuid]),
        {"conflict": "yes", "note": "Min søster er formand"},
    )
    assert response["Location"] == reverse("assessment:mine")
    for name in ("score", "declare"):
        assert client.get(reverse(f"assessment:{name}", args=[screened.uuid])).status_code == 404
    assert screened.reference not in page(client, "mine")
    # The caseworker sees the conflict and the note, and can assign someone else.
    text = page(client_for(panel.caseworker), "assign", screened.uuid)
    assert "Conflict of interest" in text
    assert "Min søster er formand" in text
    event = AuditEvent.objects.get(action="assessment.assignment.declared")
    assert event.after is not None
    assert event.after["state"] == "conflicted"


def test_declaring_no_conflict_opens_the_application(panel: Panel, screened: Application) -> None:
    assigned(panel, screened, panel.alice, declare=False)
    client = client_for(panel.alice)
    response = client.post(reverse("assessment:declare", args=[screened.uuid]), {"conflict": "no"})
    assert response["Location"] == reverse("assessment:score", args=[screened.uuid])
    text = page(client, "score", screened.uuid)
    assert screened.title in text
    assert "Fælles spisning hver torsdag" in text
    assert "The purpose fits the pool" in text


def test_the_declaration_needs_an_answer(panel: Panel, screened: Application) -> None:
    assigned(panel, screened, panel.alice, declare=False)
    response = client_for(panel.alice).post(reverse("assessment:declare", args=[screened.uuid]), {})
    assert response.status_code == 200
    with translation.override("en"):
        assert response.context["form"].errors == {"conflict": ["This field is required."]}
    assert Assignment.objects.get().state == AssignmentState.TO_DECLARE


# Scoring through the page


def score_form(panel: Panel, values: list[tuple[str, str]], action: str) -> dict[str, str]:
    rubric = Rubric.objects.get(call=panel.call)
    data = {"action": action}
    for criterion, (value, text) in zip(rubric.criteria.all(), values, strict=True):
        data[f"c{criterion.pk}_value"] = value
        data[f"c{criterion.pk}_text"] = text
    return data


def test_save_a_draft_then_submit(panel: Panel, screened: Application) -> None:
    assigned(panel, screened, panel.alice)
    client = client_for(panel.alice)
    url = reverse("assessment:score", args=[screened.uuid])
    draft = [("4", "Godt formål")] + [("", "")] * 5
    response = client.post(url, score_form(panel, draft, "save"))
    assert response["Location"] == url
    assert Assignment.objects.get().state == AssignmentState.TO_SCORE
    response = client.post(url, score_form(panel, draft, "submit"))
    assert response.status_code == 200
    criteria = list(Rubric.objects.get().criteria.all())
    # Each error names its criterion: the summary lists them all together.
    with translation.override("en"):
        assert response.context["form"].errors == {
            key: [message]
            for c in criteria[1:]
            for key, message in (
                (f"c{c.pk}_value", f"Give “{c.title}” a score."),
                (f"c{c.pk}_text", f"Write why you gave “{c.title}” this score."),
            )
        }
    assert Assignment.objects.get().state == AssignmentState.TO_SCORE
    complete = [("4", "Godt formål")] + [("3", "Begrundet")] * 5
    response = client.post(url, score_form(panel, complete, "submit"))
    assert response["Location"] == url
    assignment = Assignment.objects.get()
    assert assignment.state == AssignmentState.SUBMITTED
    assert list(assignment.scores.values_list("value", flat=True).order_by("value")) == [
        3,
        3,
        3,
        3,
        3,
        4,
    ]
    # Final: another post changes nothing.
    client.post(url, score_form(panel, [("1", "x")] * 6, "submit"))
    assert list(assignment.scores.values_list("value", flat=True).order_by("value")) == [
        3,
        3,
        3,
        3,
        3,
        4,
    ]


def test_a_score_outside_the_scale_is_a_form_error(panel: Panel, screened: Application) -> None:
    assigned(panel, screened, panel.alice)
    url = reverse("assessment:score", args=[screened.uuid])
    response = client_for(panel.alice).post(
        url, score_form(panel, [("9", "x")] + [("", "")] * 5, "save")
    )
    assert response.status_code == 200
    first = Rubric.objects.get().criteria.first()
    assert first is not None
    with translation.override("en"):
        assert response.context["form"].errors == {
            f"c{first.pk}_value": ["Select a valid choice. 9 is not one of the available choices."]
        }
    assert not Score.objects.exists()


def test_the_score_form_marks_nothing_optional_and_leaves_drafts_to_the_server(
    panel: Panel, screened: Application
) -> None:
    assigned(panel, screened, panel.alice)
    text = page(client_for(panel.alice), "score", screened.uuid)
    assert "(optional)" not in text.split('id="scores"')[1]
    assert " required" not in text.split('id="scores"')[1].split("</form>")[0]


def others_section(text: str) -> str:
    return text.split("The other assessors' scores", 1)[1]


def test_without_blind_review_others_scores_show_at_once_without_names(
    panel: Panel, screened: Application
) -> None:
    score_all(panel, assigned(panel, screened, panel.bob), [5] * 6)
    assigned(panel, screened, panel.alice)
    text = others_section(page(client_for(panel.alice), "score", screened.uuid))
    assert "Another assessor (1)" in text
    assert "Begrundelse" in text
    assert "Bob" not in text
    assert "bob@example.dk" not in text


def test_blind_review_shows_others_scores_only_after_submitting(
    panel: Panel, screened: Application
) -> None:
    Rubric.objects.filter(call=panel.call).update(blind_review=True)
    score_all(panel, assigned(panel, screened, panel.bob), [5] * 6)
    alice = assigned(panel, screened, panel.alice)
    client = client_for(panel.alice)
    text = others_section(page(client, "score", screened.uuid))
    assert "Blind review: you see the other assessors' scores when you have submitted" in text
    assert "Another assessor" not in text
    assert "Begrundelse" not in text
    score_all(panel, alice, [2] * 6)
    text = others_section(page(client, "score", screened.uuid))
    assert "Another assessor (1)" in text


# The caseworker's pages


def test_panel_page_adds_and_removes_assessors(panel: Panel) -> None:
    client = client_for(panel.caseworker)
    url = reverse("assessment:panel", args=[panel.call.code])
    response = client.post(url, {"email": "carl@example.dk", "name": "Carl"})
    assert response["Location"] == url
    assert list(PanelMember.objects.values_list("user__email", flat=True).order_by("pk")) == [
        "alice@example.dk",
        "bob@example.dk",
        "carl@example.dk",
    ]
    response = client.post(url, {"email": "not an address"})
    assert response.status_code == 200
    with translation.override("en"):
        assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    carl = PanelMember.objects.get(user__email="carl@example.dk")
    client.post(reverse("assessment:panel_remove", args=[panel.call.code, carl.pk]))
    assert PanelMember.objects.count() == 2


def test_panel_remove_shows_the_refusal(panel: Panel, screened: Application) -> None:
    assigned(panel, screened, panel.alice, declare=False)
    member = PanelMember.objects.get(user=panel.alice)
    client = client_for(panel.caseworker)
    response = client.post(
        reverse("assessment:panel_remove", args=[panel.call.code, member.pk]), follow=True
    )
    assert (
        "Alice still has 1 assignments to finish. They cannot be removed from the panel until "
        "these are done." in response.content.decode()
    )
    assert PanelMember.objects.filter(pk=member.pk).exists()


def test_reading_the_assessment_pages_writes_no_rubric(panel: Panel, screened: Application) -> None:
    assigned(panel, screened, panel.alice)
    Rubric.objects.all().delete()
    events = AuditEvent.objects.count()
    with translation.override("en"):
        rubric_page = page(client_for(panel.caseworker), "rubric", panel.call.code)
        application_page = page(client_for(panel.caseworker), "assign", screened.uuid)
        score_page = page(client_for(panel.alice), "score", screened.uuid)
    assert "Partnership with local associations" in rubric_page
    assert "Partnership with local associations" in application_page
    assert "Partnership with local associations" in score_page
    assert (Rubric.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_the_rubrics_first_save_creates_it_by_who_saves(panel: Panel) -> None:
    Rubric.objects.all().delete()
    data = {"disagreement_threshold": "1.00", "c1_title": "Formål", "c1_weight": "3"}
    for n in range(2, 7):
        data |= {f"c{n}_title": f"Kriterium {n}", f"c{n}_weight": "1"}
    url = reverse("assessment:rubric", args=[panel.call.code])
    assert client_for(panel.caseworker).post(url, data)["Location"] == url
    rubric = Rubric.objects.get()
    assert list(rubric.criteria.values_list("title", "weight"))[:2] == [
        ("Formål", 3),
        ("Kriterium 2", 1),
    ]
    created = AuditEvent.objects.filter(action="assessment.rubric.created").latest("pk")
    assert (created.object_id, created.actor) == (str(rubric.pk), panel.caseworker)


def test_the_rubric_page_saves_weights_until_scoring_begins(
    panel: Panel, screened: Application
) -> None:
    rubric = Rubric.objects.get()
    criteria = list(rubric.criteria.all())
    data = {"disagreement_threshold": "1.00", "blind_review": "on"}
    for n, c in enumerate(criteria, start=1):
        data |= {f"c{n}_title": c.title, f"c{n}_description": "", f"c{n}_weight": "2"}
    client = client_for(panel.caseworker)
    url = reverse("assessment:rubric", args=[panel.call.code])
    response = client.post(url, data)
    assert response["Location"] == url
    assert list(rubric.criteria.values_list("weight", flat=True)) == [2] * 6
    save_scores(
        actor=panel.alice,
        assignment=assigned(panel, screened, panel.alice),
        values={criteria[0].pk: (3, "")},
    )
    text = page(client, "rubric", panel.call.code)
    assert "Scoring has begun: the criteria and their weights can no longer change." in text
    # Locked fields are disabled: a tampered post changes nothing.
    client.post(url, data | {"c1_weight": "9"})
    assert list(rubric.criteria.values_list("weight", flat=True)) == [2] * 6


def test_assign_one_application_from_its_page(panel: Panel, screened: Application) -> None:
    client = client_for(panel.caseworker)
    url = reverse("assessment:assign", args=[screened.uuid])
    response = client.post(url, {"assessor": panel.alice.pk})
    assert response["Location"] == url
    screened.refresh_from_db()
    assert screened.status == ApplicationStatus.IN_ASSESSMENT
    # Alice is assigned already: no longer offered.
    response = client.post(url, {"assessor": panel.alice.pk})
    assert response.status_code == 200
    assert "assessor" in response.context["assign_form"].errors
    assert Assignment.objects.count() == 1


def test_a_stranger_cannot_be_assigned_through_the_page(
    panel: Panel, screened: Application
) -> None:
    stranger = UserFactory()
    response = client_for(panel.caseworker).post(
        reverse("assessment:assign", args=[screened.uuid]), {"assessor": stranger.pk}
    )
    assert response.status_code == 200
    assert Assignment.objects.count() == 0


def test_recommend_one_application(panel: Panel, screened: Application) -> None:
    assigned(panel, screened, panel.alice)
    client = client_for(panel.caseworker)
    url = reverse("assessment:recommend", args=[screened.uuid])
    response = client.post(url, {"recommendation": "yes", "reason": ""})
    assert response.status_code == 200
    with translation.override("en"):
        assert response.context["recommend_form"].errors == {"reason": ["This field is required."]}
    response = client.post(url, {"recommendation": "no", "reason": "Svagt budget"})
    assert response["Location"] == reverse("assessment:assign", args=[screened.uuid])
    screened.refresh_from_db()
    assert screened.status == ApplicationStatus.NOT_RECOMMENDED
    assert "Svagt budget" in page(client, "assign", screened.uuid)


def test_caseworker_sees_names_and_scores_funder_only_aggregates(
    panel: Panel, screened: Application
) -> None:
    score_all(panel, assigned(panel, screened, panel.alice), [5] * 6)
    score_all(panel, assigned(panel, screened, panel.bob), [2] * 6)
    caseworker = page(client_for(panel.caseworker), "assign", screened.uuid)
    assert "Alice" in caseworker
    assert "Bob" in caseworker
    assert "Begrundelse" in caseworker
    funder = page(client_for(panel.funder), "results", panel.call.code)
    assert screened.reference in funder
    assert "3.50" in funder
    assert "Needs moderation" in funder
    assert "Alice" not in funder
    assert "Bob" not in funder
    assert "Begrundelse" not in funder
    moderation = page(client_for(panel.funder), "moderation", panel.call.code)
    assert screened.reference in moderation


def test_applicants_never_see_scores_or_assessor_names(panel: Panel, screened: Application) -> None:
    score_all(panel, assigned(panel, screened, panel.alice), [5] * 6)
    score_all(panel, assigned(panel, screened, panel.bob), [1] * 6)
    client = client_for(screened.created_by)
    for url in (
        reverse("applications:dashboard"),
        reverse("applications:receipt", kwargs={"uuid": screened.uuid}),
    ):
        response = client.get(url)
        assert response.status_code == 200
        text = response.content.decode()
        for secret in ("Alice", "alice@example.dk", "Bob", "bob@example.dk", "Begrundelse"):
            assert secret not in text, (url, secret)
        for word in ("score", "Score", "assessor", "Assessor", "moderation"):
            assert word not in text, (url, word)


# Query counts, pretalx's way: the same exact number for one row as for three, and every row
# on the page.


def counted_page(
    client: Client, url: str, queries: int, django_assert_num_queries: DjangoAssertNumQueries
) -> str:
    """The page's text, fetched with exactly ``queries`` queries (one of them the user's
    roles, for the menu). The first request of a session does the session's own work, so the
    count is of the second."""
    client.get(url)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    return str(response.content.decode())


@pytest.mark.parametrize("rows", [1, 3])
def test_my_assignments_query_count(
    panel: Panel, rows: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    applications = [screened_application(panel.call, title=f"Klub {n}") for n in range(rows)]
    for application in applications:
        assigned(panel, application, panel.alice)

    page = counted_page(
        client_for(panel.alice), reverse("assessment:mine"), 4, django_assert_num_queries
    )

    # The list names each application by its reference and applicant, not by its title.
    assert [application.reference in page for application in applications] == [True] * rows


@pytest.mark.parametrize("rows", [1, 3])
def test_panel_query_count(
    panel: Panel, rows: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(rows):
        add_assessor(actor=panel.caseworker, call=panel.call, email=f"x{n}@example.dk")
    url = reverse("assessment:panel", args=[panel.call.code])

    page = counted_page(client_for(panel.caseworker), url, 6, django_assert_num_queries)

    assert [f"x{n}@example.dk" in page for n in range(rows)] == [True] * rows


@pytest.mark.parametrize("rows", [1, 3])
@pytest.mark.parametrize("name", ["results", "moderation"])
def test_results_query_count(
    panel: Panel, name: str, rows: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(rows):
        application = screened_application(panel.call, title=f"Klub {n}")
        score_all(panel, assigned(panel, application, panel.alice), [5] * 6)
        score_all(panel, assigned(panel, application, panel.bob), [1] * 6)
    url = reverse(f"assessment:{name}", args=[panel.call.code])

    page = counted_page(client_for(panel.funder), url, 11, django_assert_num_queries)

    assert [f"Klub {n}" in page for n in range(rows)] == [True] * rows


@pytest.mark.parametrize("rows", [1, 3])
def test_application_page_query_count(
    panel: Panel,
    screened: Application,
    rows: int,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(rows):
        assessor = add_assessor(
            actor=panel.caseworker, call=panel.call, email=f"y{n}@example.dk", name=f"Ydun {n}"
        ).user
        score_all(panel, assigned(panel, screened, assessor), [3 + n % 2] * 6)
    url = reverse("assessment:assign", args=[screened.uuid])

    page = counted_page(client_for(panel.caseworker), url, 17, django_assert_num_queries)

    assert [f"Ydun {n}" in page for n in range(rows)] == [True] * rows


@pytest.mark.parametrize("others", [1, 3])
def test_score_page_query_count_does_not_grow_with_other_assessors(
    panel: Panel,
    screened: Application,
    others: int,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    mine = assigned(panel, screened, panel.alice)
    for n in range(others):
        assessor = add_assessor(
            actor=panel.caseworker, call=panel.call, email=f"z{n}@example.dk", name=f"Zenia {n}"
        ).user
        score_all(panel, assigned(panel, screened, assessor), [4] * 6)
    url = reverse("assessment:score", args=[mine.application.uuid])

    page = counted_page(client_for(panel.alice), url, 10, django_assert_num_queries)

    criteria = ensure_rubric(actor=None, call=panel.call).criteria.all()
    assert [escape(criterion.title) in page for criterion in criteria] == [True] * 6
    assert [f"Zenia {n}" in page for n in range(others)] == [False] * others
