"""The secretariat's pages: the calls, the queue (filters, search, sort, totals, bulk
actions), one application with its screening; who may use them."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import withdraw_application
from pulje.assessment.models import Assignment
from pulje.assessment.services import add_assessor
from pulje.casework.models import Screening
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.ledger.models import Entry
from tests.factories import UserFactory
from tests.factories.casework import Desk, make_applicant_in, make_desk, submit
from tests.factories.decisions import close_call

pytestmark = pytest.mark.django_db


def _queue(desk: Desk) -> str:
    return reverse("desk:queue", kwargs={"code": desk.call.code})


def _bulk(desk: Desk) -> str:
    return reverse("desk:bulk", kwargs={"code": desk.call.code})


def _confirmed(client: Client, desk: Desk, data: dict[str, Any]) -> Any:
    """A bulk decision posted, then confirmed as its confirmation page shows it."""
    page = client.post(_bulk(desk), data)
    assert page.status_code == 200
    token = page.context["preview"].token
    return client.post(
        _bulk(desk), {**data, "confirm": "1", "token": token, "seen": "on"}, follow=True
    )


def _references(response: object) -> list[str]:
    page = response.context["page"]  # type: ignore[attr-defined]
    return [row.application.reference for row in page.object_list]


@pytest.fixture
def four(desk: Desk) -> dict[str, Application]:
    """Four applications: Copenhagen 60.000 kr. (adults, elderly), Aarhus 20.000 kr.
    (children), Odense 200.000 kr. (elderly), and a withdrawn one in Copenhagen."""
    copenhagen = submit(make_applicant_in(desk.call, "101", "Boligselskabet København"))
    aarhus = submit(
        make_applicant_in(desk.call, "751", "Aarhus Bolig"),
        title="Lektiecafé",
        target_groups=["children"],
        amount="20.000",
        budget_activities="20.000",
        budget_materials=None,
    )
    odense = submit(
        make_applicant_in(desk.call, "461", "Odense Boligforening"),
        title="Gåklub",
        target_groups=["elderly"],
        amount="200.000",
        budget_activities="200.000",
        budget_materials=None,
    )
    withdrawn_applicant = make_applicant_in(desk.call, "101", "Trukket Bolig")
    withdrawn = submit(withdrawn_applicant, title="Trukket tilbage")
    withdraw_application(actor=withdrawn_applicant.user, application=withdrawn)
    return {"cph": copenhagen, "aar": aarhus, "ode": odense, "wd": withdrawn}


# Who may use the pages


def test_anonymous_users_are_sent_to_log_in(client: Client, desk: Desk) -> None:
    for url in (reverse("desk:calls"), _queue(desk)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_people_outside_the_calls_pools_get_404(client: Client, desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call))
    other = make_desk()
    assessor = add_assessor(actor=desk.caseworker, call=desk.call, email="a@b.dk").user
    applicant_user = application.created_by
    for user in (other.caseworker, assessor, applicant_user):
        client.force_login(user)
        urls = [
            _queue(desk),
            reverse("desk:application", kwargs={"uuid": application.uuid}),
        ]
        assert [client.get(url).status_code for url in urls] == [404, 404]
        assert client.post(_bulk(desk), {"action": "screen"}).status_code == 404
        override = reverse("desk:override", kwargs={"uuid": application.uuid})
        assert client.post(override, {"outcome": "fail", "reason": "x"}).status_code == 404
    assert Screening.objects.count() == 1


def test_the_funder_reads_the_queue_but_cannot_act(client: Client, desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call))
    client.force_login(desk.funder)

    response = client.get(_queue(desk))
    page = client.get(reverse("desk:application", kwargs={"uuid": application.uuid}))
    bulk = client.post(_bulk(desk), {"action": "screen", "applications": [application.pk]})
    override = client.post(
        reverse("desk:override", kwargs={"uuid": application.uuid}),
        {"outcome": "fail", "reason": "Nej."},
    )

    assert response.status_code == 200
    assert (response.context["works"], response.context["bulk_form"]) == (False, None)
    assert 'name="applications"' not in response.content.decode()
    assert page.status_code == 200
    assert page.context["override_form"] is None
    assert (bulk.status_code, override.status_code) == (403, 403)
    assert Screening.objects.get().override_outcome == ""
    assert Screening.objects.count() == 1


# The calls


def test_the_calls_list_shows_what_the_user_works_or_reads(client: Client, desk: Desk) -> None:
    submit(make_applicant_in(desk.call))
    outsider = UserFactory()
    seen = {}
    for user in (desk.caseworker, desk.funder, outsider):
        client.force_login(user)
        rows = client.get(reverse("desk:calls")).context["rows"]
        seen[user.name] = [
            (r.call.code, r.row.works, r.row.submitted, r.row.requested_ore) for r in rows
        ]

    assert seen == {
        desk.caseworker.name: [(desk.call.code, True, 1, kr(60_000))],
        desk.funder.name: [(desk.call.code, False, 1, kr(60_000))],
        outsider.name: [],
    }


@pytest.mark.parametrize("calls", [1, 3])
def test_the_calls_list_runs_a_constant_number_of_queries(
    client: Client, desk: Desk, calls: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    from tests.factories.applications import make_call

    for _ in range(calls - 1):
        make_call(pool=desk.pool)
    client.force_login(desk.caseworker)

    # The calls, their pools and figures, their tasks (the counts, and the applications in
    # assessment for moderation), the requests to act for an organisation, the menu's roles,
    # whether the user may verify partners.
    with django_assert_num_queries(13):
        response = client.get(reverse("desk:calls"))

    assert len(response.context["rows"]) == calls


# The queue


def test_the_queue_lists_submitted_applications_never_drafts(
    client: Client, desk: Desk, four: dict[str, Application]
) -> None:
    from pulje.applications.services import start_application

    applicant = make_applicant_in(desk.call, name="Kladde")
    start_application(actor=applicant.user, call=desk.call, organisation=applicant.organisation)
    client.force_login(desk.caseworker)

    response = client.get(_queue(desk))

    assert _references(response) == sorted(a.reference for a in four.values())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "withdrawn"}, ["wd"]),
        ({"status": "screened"}, ["cph", "aar", "ode"]),
        ({"band": "0"}, ["aar"]),
        ({"band": "2"}, ["ode"]),
        ({"region": "1084"}, ["cph", "wd"]),
        ({"municipality": "751"}, ["aar"]),
        ({"target_group": "elderly"}, ["cph", "ode", "wd"]),
        ({"screening": "pass"}, ["cph", "aar", "ode", "wd"]),
        ({"screening": "fail"}, []),
        ({"q": "Gåklub"}, ["ode"]),
        ({"q": "aarhus bolig"}, ["aar"]),
        ({"q": "-0003"}, ["ode"]),
        ({"sort": "-amount"}, ["ode", "cph", "wd", "aar"]),
        ({"sort": "amount", "status": "screened"}, ["aar", "cph", "ode"]),
        ({"sort": "-submitted"}, ["wd", "ode", "aar", "cph"]),
    ],
)
def test_the_queue_filters_searches_and_sorts(
    client: Client,
    desk: Desk,
    four: dict[str, Application],
    query: dict[str, str],
    expected: list[str],
) -> None:
    if "band" in query:
        query = {**query, "band": str(desk.bands[int(query["band"])].pk)}
    client.force_login(desk.caseworker)

    response = client.get(_queue(desk), query)

    assert _references(response) == [four[key].reference for key in expected]


def test_the_cvr_number_finds_the_organisations_applications(
    client: Client, desk: Desk, four: dict[str, Application]
) -> None:
    client.force_login(desk.caseworker)

    response = client.get(_queue(desk), {"q": four["aar"].organisation.cvr})

    assert _references(response) == [four["aar"].reference]


def test_the_totals_count_the_filter_and_the_whole_call_against_the_pool(
    client: Client, desk: Desk, four: dict[str, Application]
) -> None:
    client.force_login(desk.caseworker)

    response = client.get(_queue(desk), {"region": "1084"})

    totals = response.context["totals"]
    # The withdrawn application is listed but not counted.
    assert (
        totals.shown,
        totals.shown_requested_ore,
        totals.submitted,
        totals.requested_ore,
        totals.available_ore,
        totals.money.granted_ore,
    ) == (1, kr(60_000), 3, kr(280_000), kr(1_000_000), 0)


def test_the_score_filter_and_sort_use_the_assessors_scores(
    client: Client, desk: Desk, four: dict[str, Application], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulje.assessment.aggregates import ScoreSummary

    scores = {
        four["cph"].pk: ScoreSummary(mean=4.5, spread=0.5, count=2, flagged=False),
        four["aar"].pk: ScoreSummary(mean=2.0, spread=2.5, count=2, flagged=True),
        four["ode"].pk: ScoreSummary(mean=3.0, spread=0.0, count=1, flagged=False),
    }
    monkeypatch.setattr(
        "pulje.desk.selectors.score_summaries",
        lambda applications: {a.pk: scores[a.pk] for a in applications if a.pk in scores},
    )
    client.force_login(desk.caseworker)

    best_first = client.get(_queue(desk), {"sort": "-score"})
    middle = client.get(_queue(desk), {"score_min": "2,5".replace(",", "."), "score_max": "4"})

    assert _references(best_first) == [four[key].reference for key in ("cph", "ode", "aar", "wd")]
    assert _references(middle) == [four["ode"].reference]


@pytest.mark.parametrize("count", [2, 6])
def test_the_queue_runs_a_constant_number_of_queries(
    client: Client, desk: Desk, count: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(count):
        submit(make_applicant_in(desk.call, name=f"Bolig {n}"), title=f"Projekt {n}")
    client.force_login(desk.caseworker)

    # With the grants that await this caseworker's second approval (one query, however many)
    # and the call's money (two), and the user's roles for the menu.
    with django_assert_num_queries(24):
        response = client.get(_queue(desk))

    assert len(_references(response)) == count


def test_the_queue_pages_by_fifty_and_keeps_the_filter(
    client: Client, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pulje.desk.views.PAGE_SIZE", 2)
    applications = [
        submit(make_applicant_in(desk.call, name=f"Bolig {n}"), title=f"Projekt {n}")
        for n in range(3)
    ]
    client.force_login(desk.caseworker)

    response = client.get(_queue(desk), {"sort": "-amount", "page": "2"})

    assert _references(response) == [applications[2].reference]
    assert response.context["query"] == "sort=-amount"
    assert "?sort=-amount&amp;page=1" in response.content.decode()


# Bulk actions


def test_screening_again_in_bulk_returns_to_the_same_filter(client: Client, desk: Desk) -> None:
    applications = [
        submit(make_applicant_in(desk.call, name=f"B{n}"), title=f"P{n}") for n in range(2)
    ]
    client.force_login(desk.caseworker)

    response = client.post(
        _bulk(desk),
        {
            "action": "screen",
            "applications": [a.pk for a in applications],
            "query": "status=screened",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{_queue(desk)}?status=screened"
    assert [
        Screening.objects.filter(application=a, screened_by=desk.caseworker).count()
        for a in applications
    ] == [1, 1]


def test_a_bulk_action_needs_applications_and_an_action(english: Client, desk: Desk) -> None:
    english.force_login(desk.caseworker)

    response = english.post(_bulk(desk), {"query": ""})

    assert response.status_code == 400
    with translation.override("en"):
        assert response.context["bulk_form"].errors == {
            "applications": ["Choose at least one application."],
            "action": ["Choose what to do."],
        }


def test_assigning_in_bulk_moves_the_applications_into_assessment(
    english: Client, desk: Desk, four: dict[str, Application]
) -> None:
    assessor = add_assessor(
        actor=desk.caseworker, call=desk.call, email="vurderer@x.dk", name="Vera"
    ).user
    english.force_login(desk.caseworker)
    chosen = [four["cph"], four["aar"]]

    response = english.post(
        _bulk(desk),
        {"action": "assign", "assessor": assessor.pk, "applications": [a.pk for a in chosen]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "2 applications were assigned to Vera."
    ]
    assert sorted(Assignment.objects.values_list("application__reference", "assessor__email")) == [
        (chosen[0].reference, "vurderer@x.dk"),
        (chosen[1].reference, "vurderer@x.dk"),
    ]
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in chosen]).values_list("status", flat=True)
    ) == {ApplicationStatus.IN_ASSESSMENT}


def test_assigning_needs_an_assessor_from_the_panel(
    english: Client, desk: Desk, four: dict[str, Application]
) -> None:
    outsider: User = UserFactory()
    english.force_login(desk.caseworker)

    response = english.post(
        _bulk(desk), {"action": "assign", "assessor": outsider.pk, "applications": [four["cph"].pk]}
    )

    assert response.status_code == 400
    assert "assessor" in response.context["bulk_form"].errors
    assert Assignment.objects.count() == 0


def test_rejecting_in_bulk_needs_a_reason_and_then_rejects_them_all(
    english: Client, desk: Desk, four: dict[str, Application]
) -> None:
    english.force_login(desk.caseworker)
    close_call(desk.call)
    chosen = [four["cph"].pk, four["ode"].pk]

    refused = english.post(_bulk(desk), {"action": "reject", "applications": chosen})
    shown = english.post(
        _bulk(desk), {"action": "reject", "reason_code": "no_money", "applications": chosen}
    )
    assert shown.status_code == 200
    assert Decision.objects.count() == 0
    assert sorted(i.reference for i in shown.context["preview"].items) == sorted(
        [four["cph"].reference, four["ode"].reference]
    )
    # Rejected for "no money" while the band has money for both: named among the warnings.
    assert "no_money_but_money" in [w.code for w in shown.context["preview"].warnings]
    done = _confirmed(
        english, desk, {"action": "reject", "reason_code": "no_money", "applications": chosen}
    )

    with translation.override("en"):
        assert refused.context["bulk_form"].errors == {
            "reason_code": ["Choose the reason for the rejection."]
        }
    assert [str(m) for m in done.context["messages"]] == [
        "2 applications were rejected. The letters are being made."
    ]
    assert sorted(Application.objects.filter(pk__in=chosen).values_list("status", flat=True)) == [
        "rejected",
        "rejected",
    ]


def test_a_bulk_grant_that_would_overspend_is_refused_whole_with_the_shortfall(
    english: Client, desk: Desk
) -> None:
    # Band 1 has 100.000 kr.; three grants of 40.000 kr. ask for 120.000 kr.
    applications = [
        submit(
            make_applicant_in(desk.call, name=f"Bolig {n}"),
            title=f"Projekt {n}",
            amount="40.000",
            budget_activities="40.000",
            budget_materials=None,
        )
        for n in range(3)
    ]
    close_call(desk.call)
    entries = Entry.objects.count()
    english.force_login(desk.caseworker)

    response = english.post(
        _bulk(desk), {"action": "grant", "applications": [a.pk for a in applications]}
    )

    # Shown as the blocking warning of the confirmation, with no way to confirm.
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.blocked
    message = preview.warnings[0].message
    assert "20.000 kr." in message
    assert message in response.content.decode()
    assert 'name="confirm"' not in response.content.decode()
    assert Entry.objects.count() == entries
    assert Decision.objects.count() == 0
    assert set(Application.objects.values_list("status", flat=True)) == {"screened"}


def test_granting_in_full_commits_the_money_and_the_totals_show_it(
    english: Client, desk: Desk, four: dict[str, Application]
) -> None:
    english.force_login(desk.caseworker)
    close_call(desk.call)

    response = _confirmed(english, desk, {"action": "grant", "applications": [four["cph"].pk]})

    assert [str(m) for m in response.context["messages"]] == [
        "1 application was granted. The letters are being made."
    ]
    totals = response.context["totals"]
    assert (totals.money.granted_ore, totals.available_ore) == (kr(60_000), kr(940_000))


# One application


def test_the_application_page_shows_the_content_the_screening_and_the_timeline(
    english: Client, desk: Desk
) -> None:
    application = submit(make_applicant_in(desk.call), partner_1_cvr="10000009")
    english.force_login(desk.caseworker)

    response = english.get(reverse("desk:application", kwargs={"uuid": application.uuid}))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Spisefællesskab i Gellerup" in body
    assert "Fælles spisning hver torsdag for beboere, der sidder alene." in body
    assert "is not in the registry: check it in the CVR register." in body
    with translation.override("en"):
        assert [entry.label for entry in response.context["timeline"]] == [
            "Created",
            "Submitted",
            "Screened: passed with remarks",
        ]
    assert response.context["override_form"] is not None


def test_the_override_form_needs_a_reason_and_then_records_it(english: Client, desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call))
    url = reverse("desk:override", kwargs={"uuid": application.uuid})
    english.force_login(desk.caseworker)

    refused = english.post(url, {"outcome": "fail", "reason": ""})
    done = english.post(url, {"outcome": "fail", "reason": "Forkert ansøger."}, follow=True)

    assert refused.status_code == 400
    with translation.override("en"):
        assert refused.context["override_form"].errors == {
            "reason": ["Write why the outcome is overridden."]
        }
        assert [entry.label for entry in done.context["timeline"]][-1] == (
            "Screening overridden: failed"
        )
    assert Screening.objects.get().effective_outcome == "fail"
    assert AuditEvent.objects.filter(action="casework.screening.overridden").count() == 1


def test_a_draft_has_no_casework_page(client: Client, desk: Desk) -> None:
    from pulje.applications.services import start_application

    applicant = make_applicant_in(desk.call)
    draft = start_application(
        actor=applicant.user, call=desk.call, organisation=applicant.organisation
    )
    client.force_login(desk.caseworker)

    assert client.get(reverse("desk:application", kwargs={"uuid": draft.uuid})).status_code == 404


def test_a_bulk_confirmation_of_a_changed_state_is_refused_and_shown_again(
    english: Client, desk: Desk, four: dict[str, Application]
) -> None:
    english.force_login(desk.caseworker)
    close_call(desk.call)
    data = {"action": "grant", "applications": [four["cph"].pk]}
    token = english.post(_bulk(desk), data).context["preview"].token
    Application.objects.filter(pk=four["cph"].pk).update(status="recommended")

    response = english.post(_bulk(desk), {**data, "confirm": "1", "token": token, "seen": "on"})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The applications or what is known about them changed after the decisions were shown "
        "to you, so nothing was decided. Look at the decisions again before you confirm."
    ]
    assert response.context["preview"].token != token
    assert Decision.objects.count() == 0
