"""When an application may be assessed and scored: a failed screening blocks assessment,
submitted scores are final even against a stale window, no scoring after a decision, drafts
stay private."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import start_application
from pulje.applications.workflow import transition
from pulje.assessment.models import Assignment, Score
from pulje.assessment.services import (
    AssessmentRefused,
    assign_assessor,
    save_scores,
    submit_scores,
)
from pulje.casework.models import Screening
from pulje.casework.services import override_screening
from tests.factories.applications import make_applicant
from tests.factories.assessment import Panel, assigned

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def full_marks(assignment: Assignment) -> dict[int, tuple[int | None, str]]:
    rubric = assignment.application.call.rubric
    return {criterion.pk: (4, "Godt.") for criterion in rubric.criteria.all()}


def test_an_application_that_failed_screening_is_not_assessed_until_overridden(
    panel: Panel, screened: Application
) -> None:
    screening = Screening.objects.filter(application=screened).latest("pk")
    override_screening(
        actor=panel.caseworker, screening=screening, outcome="fail", reason="Dublet."
    )
    with pytest.raises(AssessmentRefused) as refused:
        assign_assessor(actor=panel.caseworker, applications=[screened], assessor=panel.alice)
    assert refused.value.message == (
        f"{screened.reference} failed screening. Override the screening with a reason first."
    )
    assert not Assignment.objects.exists()
    screening = Screening.objects.filter(application=screened).latest("pk")
    override_screening(
        actor=panel.caseworker, screening=screening, outcome="pass", reason="Ikke dublet."
    )
    assert assign_assessor(actor=panel.caseworker, applications=[screened], assessor=panel.alice)


def test_submitted_scores_stay_final_against_a_stale_window(
    panel: Panel, screened: Application
) -> None:
    assignment = assigned(panel, screened, panel.alice)
    stale = Assignment.objects.get(pk=assignment.pk)
    submit_scores(actor=panel.alice, assignment=assignment, values=full_marks(assignment))
    with pytest.raises(AssessmentRefused) as refused:
        save_scores(
            actor=panel.alice,
            assignment=stale,
            values=dict.fromkeys(full_marks(assignment), (1, "Ændret")),
        )
    assert refused.value.message == "Your scores are submitted and can no longer change."
    assert set(Score.objects.values_list("value", flat=True)) == {4}


def test_no_scoring_once_the_application_is_decided(panel: Panel, screened: Application) -> None:
    assignment = assigned(panel, screened, panel.alice)
    screened.refresh_from_db()
    with transaction.atomic():
        transition(actor=None, application=screened, action="reject")
    with pytest.raises(AssessmentRefused) as refused:
        save_scores(actor=panel.alice, assignment=assignment, values=full_marks(assignment))
    assert refused.value.message == (
        "The application has been decided or withdrawn: it can no longer be scored."
    )


def test_a_caseworker_never_sees_an_unsubmitted_draft(panel: Panel, english: Client) -> None:
    applicant = make_applicant(panel.call)
    draft = start_application(
        actor=applicant.user, call=panel.call, organisation=applicant.organisation
    )
    assert draft.status == ApplicationStatus.DRAFT
    english.force_login(panel.caseworker)
    response = english.get(reverse("assessment:assign", kwargs={"uuid": draft.uuid}))
    assert response.status_code == 404
