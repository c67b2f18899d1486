"""The expert group's "do not recommend" reaches the allocation (issue 15.1): such an
application is no candidate of a run, the run page lists it as left out with the
recommendation's reason, and the caseworker can bring it back into a new run (audited,
shown on the run's page)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from pulje.allocation.models import AllocationRun
from pulje.allocation.plans import confirmation_refusal
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.selectors import Excluded, allocation_facts
from pulje.allocation.services import bring_back_into_run, run_allocation
from pulje.allocation.solver import problem_from_json
from pulje.applications.models import Application
from pulje.assessment.services import recommend_applications
from pulje.core.models import AuditEvent
from tests.factories.allocation import Scarce

pytestmark = pytest.mark.django_db

REASON = "Projektet ligner en drift, ikke et nyt tiltag."


def _not_recommend(scarce: Scarce, application: Application) -> None:
    recommend_applications(
        actor=scarce.caseworker, applications=[application], recommended=False, reason=REASON
    )


def _candidates(run: AllocationRun) -> list[str]:
    return [candidate.id for candidate in problem_from_json(run.problem).candidates]


def _url(name: str, run: AllocationRun) -> str:
    return reverse(f"allocation:{name}", kwargs={"code": run.call.code, "pk": run.pk})


def test_a_not_recommended_application_is_left_out_with_the_recommendation_s_reason(
    scarce: Scarce,
) -> None:
    _not_recommend(scarce, scarce.dining)

    facts = allocation_facts(scarce.call)

    assert scarce.dining.reference not in [c.reference for c in facts.candidates]
    assert facts.excluded == [
        Excluded(scarce.dining.reference, "Spiseklub", REASON, not_recommended=True)
    ]
    brought = allocation_facts(scarce.call, brought_back=[scarce.dining.reference])
    assert scarce.dining.reference in [c.reference for c in brought.candidates]
    assert brought.excluded == []


def test_a_run_leaves_it_out_until_the_caseworker_brings_it_back(scarce: Scarce) -> None:
    _not_recommend(scarce, scarce.dining)
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())

    assert scarce.dining.reference not in _candidates(run)

    again = bring_back_into_run(
        actor=scarce.caseworker, run=run, references=[scarce.dining.reference]
    )

    assert scarce.dining.reference in _candidates(again)
    assert again.parent_id == run.pk
    assert AllocationOptions.from_json(again.options).brought_back == {scarce.dining.reference}
    event = AuditEvent.objects.filter(action="allocation.run.created").latest("seq")
    assert (event.object_id, event.after["brought_back"]) == (
        str(again.pk),
        [scarce.dining.reference],
    )
    # The new run is current: what it brought back is not "changed since".
    assert confirmation_refusal(again) is None


def test_only_left_out_not_recommended_applications_can_be_brought_back(
    scarce: Scarce, english: object
) -> None:
    _not_recommend(scarce, scarce.dining)
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())

    with pytest.raises(ValidationError) as refused:
        bring_back_into_run(actor=scarce.caseworker, run=run, references=[scarce.walking.reference])
    assert refused.value.message_dict == {
        "brought_back": [
            "These are not applications the run left out as not recommended: "
            f"{scarce.walking.reference}."
        ]
    }
    with pytest.raises(ValidationError):
        bring_back_into_run(actor=scarce.caseworker, run=run, references=[])
    assert AllocationRun.objects.count() == 1


def test_the_run_page_lists_them_and_brings_one_back(
    client: Client, scarce: Scarce, english: object
) -> None:
    _not_recommend(scarce, scarce.dining)
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    client.force_login(scarce.caseworker)

    page = client.get(_url("run", run))

    html = page.content.decode()
    assert "Not recommended — left out" in html
    assert [item.reference for item in page.context["not_recommended"]] == [scarce.dining.reference]
    assert REASON in html

    response = client.post(_url("bring_back", run), {"brought_back": [scarce.dining.reference]})

    new = AllocationRun.objects.latest("pk")
    assert (response.status_code, response["Location"]) == (302, _url("run", new))
    shown = client.get(_url("run", new))
    assert shown.context["not_recommended"] == []
    assert shown.context["brought_back"] == [scarce.dining.reference]
    assert (
        "Candidates although the expert group did not recommend them: "
        f"{scarce.dining.reference}" in shown.content.decode()
    )


def test_bringing_back_nothing_or_a_stranger_is_an_error_on_the_page(
    client: Client, scarce: Scarce, english: object
) -> None:
    _not_recommend(scarce, scarce.dining)
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    client.force_login(scarce.caseworker)

    empty = client.post(_url("bring_back", run), {})
    stranger = client.post(_url("bring_back", run), {"brought_back": ["BL-X"]})

    assert (empty.status_code, stranger.status_code) == (400, 400)
    assert "Choose the applications to bring back into the run." in empty.content.decode()
    assert "BL-X is not an application the run left out" in stranger.content.decode()
    assert AllocationRun.objects.count() == 1


def test_the_funder_cannot_bring_one_back(client: Client, scarce: Scarce) -> None:
    _not_recommend(scarce, scarce.dining)
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    client.force_login(scarce.round.funded.funder)

    response = client.post(_url("bring_back", run), {"brought_back": [scarce.dining.reference]})

    assert response.status_code == 403
    assert AllocationRun.objects.count() == 1
