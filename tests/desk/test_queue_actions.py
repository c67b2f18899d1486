"""The queue's actions for a round of many (issue 15.5): the recommendation for many at once
(through the assessment service, which checks the rights), every row of the page chosen at
once without JavaScript, the call's earlier letter jobs, and never a choice of a draft that
was withdrawn before it was ever submitted."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.applications.models import ApplicationStatus
from pulje.applications.services import start_application, withdraw_application
from pulje.assessment.models import Recommendation
from pulje.core.models import Job, JobKind, JobStatus
from tests.factories.allocation import Scarce, make_scarce
from tests.factories.casework import Desk, make_applicant_in, submit
from tests.factories.decisions import make_funded

pytestmark = pytest.mark.django_db

REASON = "Ekspertgruppen finder projekterne for lidt nyskabende."


@pytest.fixture
def scarce(db: None) -> Scarce:
    return make_scarce()


def _url(name: str, code: str) -> str:
    return reverse(f"desk:{name}", kwargs={"code": code})


def test_many_applications_are_recommended_at_once_with_the_reason(
    client: Client, scarce: Scarce
) -> None:
    chosen = [scarce.dining, scarce.walking]
    client.force_login(scarce.caseworker)

    response = client.post(
        _url("bulk_recommend", scarce.call.code),
        {
            "applications": [a.pk for a in chosen],
            "recommendation": "no",
            "recommendation_reason": REASON,
            "query": "sort=-amount",
        },
    )

    assert (response.status_code, response["Location"]) == (
        302,
        _url("queue", scarce.call.code) + "?sort=-amount",
    )
    for application in chosen:
        application.refresh_from_db()
        assert application.status == ApplicationStatus.NOT_RECOMMENDED
    assert sorted(
        Recommendation.objects.values_list("application__reference", "recommended", "reason")
    ) == sorted((a.reference, False, REASON) for a in chosen)
    scarce.homework.refresh_from_db()
    assert scarce.homework.status == ApplicationStatus.IN_ASSESSMENT


def test_a_bulk_recommendation_needs_a_reason_and_records_nothing_without(
    client: Client, scarce: Scarce, english: Client
) -> None:
    client.force_login(scarce.caseworker)

    response = client.post(
        _url("bulk_recommend", scarce.call.code),
        {"applications": [scarce.dining.pk], "recommendation": "yes"},
    )

    assert response.status_code == 400
    assert "Give the reason for the recommendation." in response.content.decode()
    assert response.context["chosen"] == {str(scarce.dining.pk)}
    assert Recommendation.objects.count() == 0


def test_the_service_s_refusal_is_shown_and_nothing_is_recorded(
    client: Client, scarce: Scarce, english: Client
) -> None:
    # The homework club is recommended already: the whole bulk act is refused.
    client.force_login(scarce.caseworker)
    url = _url("bulk_recommend", scarce.call.code)
    form = {"recommendation": "yes", "recommendation_reason": REASON}
    client.post(url, {**form, "applications": [scarce.homework.pk]})

    response = client.post(url, {**form, "applications": [scarce.dining.pk, scarce.homework.pk]})

    assert response.status_code == 400
    assert (
        f"Application {scarce.homework.reference} has this recommendation already."
        in response.content.decode()
    )
    assert Recommendation.objects.count() == 1


def test_the_funder_cannot_recommend_and_others_get_404(client: Client, scarce: Scarce) -> None:
    url = _url("bulk_recommend", scarce.call.code)
    form = {
        "applications": [scarce.dining.pk],
        "recommendation": "yes",
        "recommendation_reason": "x",
    }
    client.force_login(scarce.round.funded.funder)
    assert client.post(url, form).status_code == 403
    for user in (scarce.round.assessor, scarce.dining.created_by):
        client.force_login(user)
        assert client.post(url, form).status_code == 404
    assert Recommendation.objects.count() == 0


def test_choose_all_on_the_page_ticks_every_row_without_javascript(
    client: Client, scarce: Scarce
) -> None:
    client.force_login(scarce.caseworker)

    plain = client.get(_url("queue", scarce.call.code), {"sort": "-amount"})
    ticked = client.get(_url("queue", scarce.call.code), {"sort": "-amount", "choose": "page"})

    assert plain.content.decode().count("data-select-all-item checked") == 0
    assert ticked.content.decode().count("data-select-all-item checked") == 4
    assert "?sort=-amount&amp;choose=page" in plain.content.decode()
    # The choice is not carried on to the next page or back after an action.
    assert ticked.context["query"] == "sort=-amount"


def test_the_queue_links_the_call_s_letter_jobs(client: Client, scarce: Scarce) -> None:
    jobs = [
        Job.objects.create(kind=JobKind.DECISION_LETTERS, call=scarce.call, total=n, status=status)
        for n, status in ((3, JobStatus.DONE), (1, JobStatus.FAILED))
    ]
    Job.objects.create(kind=JobKind.DECISION_LETTERS, call=make_funded().call, total=2)
    client.force_login(scarce.caseworker)

    response = client.get(_url("queue", scarce.call.code))

    assert response.context["letters_jobs"] == [jobs[1], jobs[0]]
    html = response.content.decode()
    for job in jobs:
        assert reverse("letters:job", kwargs={"pk": job.pk}) in html


def test_a_draft_withdrawn_before_it_was_submitted_cannot_be_chosen(
    english: Client, desk: Desk
) -> None:
    applicant = make_applicant_in(desk.call, name="Kladde")
    draft = start_application(
        actor=applicant.user, call=desk.call, organisation=applicant.organisation
    )
    withdraw_application(actor=applicant.user, application=draft)
    draft.refresh_from_db()
    assert (draft.status, draft.submitted_at) == (ApplicationStatus.WITHDRAWN, None)
    submitted = submit(make_applicant_in(desk.call, name="Indsendt"))
    english.force_login(desk.caseworker)

    for name, form_name, form in (
        ("bulk", "bulk_form", {"action": "screen"}),
        (
            "bulk_recommend",
            "recommend_form",
            {"recommendation": "yes", "recommendation_reason": "x"},
        ),
    ):
        response = english.post(
            _url(name, desk.call.code), {**form, "applications": [submitted.pk, draft.pk]}
        )
        assert response.status_code == 400
        with translation.override("en"):
            errors = [str(error) for error in response.context[form_name].errors["applications"]]
        assert errors == [
            f"{draft.pk} is not one of this call's submitted applications, so nothing was "
            "done. Load the list again and choose among the applications in it."
        ]
