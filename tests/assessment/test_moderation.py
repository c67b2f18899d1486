"""Moderation ends when the caseworker records its outcome, not when the spread shrinks
(issue 14 point 10, issue 15 point 6): a third assessment can only widen the spread."""

import pytest
from django.test import Client
from django.urls import reverse

from pulje.applications.models import Application, ApplicationStatus
from pulje.assessment.aggregates import ScoreSummary, summarise
from pulje.assessment.selectors import moderation_list, score_summaries
from pulje.assessment.services import add_assessor, recommend_applications
from pulje.core.audit_actions import AuditAction
from pulje.core.models import AuditEvent
from pulje.desk.selectors import QueueFilters, queue
from tests.factories.assessment import Panel, assigned, score_all, screened_application

pytestmark = pytest.mark.django_db


def disagreeing(panel: Panel) -> Application:
    """Alice gives 1 everywhere and Bob 5: a spread of 4 points, beyond the 1,5 threshold."""
    application = screened_application(panel.call)
    score_all(panel, assigned(panel, application, panel.alice), [1] * 6)
    score_all(panel, assigned(panel, application, panel.bob), [5] * 6)
    return application


def test_summarise_clears_the_flag_once_the_outcome_is_recorded() -> None:
    assert summarise([1.0, 5.0], threshold=1.5) == ScoreSummary(
        mean=3.0, spread=4.0, count=2, flagged=True
    )
    assert summarise([1.0, 5.0], threshold=1.5, outcome_recorded=True) == ScoreSummary(
        mean=3.0, spread=4.0, count=2, flagged=False, moderated=True
    )
    # Agreement needs no moderation, recorded or not.
    assert summarise([3.0, 3.5], threshold=1.5, outcome_recorded=True) == ScoreSummary(
        mean=3.25, spread=0.5, count=2, flagged=False
    )


def test_a_recommendation_ends_the_moderation_and_is_audited(panel: Panel) -> None:
    application = disagreeing(panel)
    assert score_summaries([application])[application.pk].flagged
    assert [a for a, _ in moderation_list(panel.call)] == [application]
    assert [row.application for row in queue(panel.call, QueueFilters(task="moderate"))] == [
        application
    ]

    recommend_applications(
        actor=panel.caseworker,
        applications=[application],
        recommended=True,
        reason="Bob har ret: projektet er godt forankret.",
    )

    summary = score_summaries([application])[application.pk]
    assert (summary.flagged, summary.moderated, summary.spread) == (False, True, 4.0)
    assert moderation_list(panel.call) == []
    assert queue(panel.call, QueueFilters(task="moderate")) == []
    event = AuditEvent.objects.filter(object_id=str(application.pk)).latest("seq")
    assert event.action == AuditAction.APPLICATION_RECOMMENDED
    assert event.after is not None
    assert event.after["reason"] == "Bob har ret: projektet er godt forankret."


def test_an_assessment_after_the_outcome_opens_the_moderation_again(panel: Panel) -> None:
    application = disagreeing(panel)
    carl = add_assessor(
        actor=panel.caseworker, call=panel.call, email="carl@example.dk", name="Carl"
    ).user
    late = assigned(panel, application, carl)
    recommend_applications(
        actor=panel.caseworker, applications=[application], recommended=False, reason="Svag."
    )
    assert moderation_list(panel.call) == []

    score_all(panel, late, [3] * 6)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.NOT_RECOMMENDED
    assert score_summaries([application])[application.pk].flagged
    assert [a for a, _ in moderation_list(panel.call)] == [application]


def test_the_pages_show_the_moderation_as_ended(panel: Panel, client: Client) -> None:
    application = disagreeing(panel)
    client.force_login(panel.caseworker)
    moderation = reverse("assessment:moderation", args=[panel.call.code])
    assert application.reference in client.get(moderation).content.decode()

    recommend_applications(
        actor=panel.caseworker, applications=[application], recommended=True, reason="God."
    )

    assert application.reference not in client.get(moderation).content.decode()
    results = client.get(reverse("assessment:results", args=[panel.call.code])).content.decode()
    assert "Modereret" in results
    assert "Skal modereres" not in results
    page = client.get(reverse("assessment:assign", args=[application.uuid])).content.decode()
    assert "(modereret)" in page
    assert "skal modereres" not in page
