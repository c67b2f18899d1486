"""The interfaces other apps call: assign_assessor, score_summaries, assessors_of."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pulje.applications.models import ApplicationStatus
from pulje.assessment.aggregates import ScoreSummary
from pulje.assessment.models import Assignment, AssignmentState
from pulje.assessment.selectors import assessors_of, score_summaries
from pulje.assessment.services import (
    AssessmentRefused,
    add_assessor,
    assign_assessor,
    declare_interest,
)
from pulje.core.models import AuditEvent
from tests.factories import UserFactory
from tests.factories.assessment import (
    Panel,
    assigned,
    housing_member,
    score_all,
    screened_application,
    withdrawn_application,
)

pytestmark = pytest.mark.django_db


def test_assessors_of_lists_the_panel_by_name(panel: Panel) -> None:
    assert assessors_of(panel.call) == [panel.alice, panel.bob]


def test_assign_assessor_moves_screened_applications_into_assessment(panel: Panel) -> None:
    first = screened_application(panel.call)
    second = screened_application(panel.call, title="Strikkeklub")
    assigned_now = assign_assessor(
        actor=panel.caseworker, applications=[first, second], assessor=panel.alice
    )
    assert assigned_now == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (
        ApplicationStatus.IN_ASSESSMENT,
        ApplicationStatus.IN_ASSESSMENT,
    )
    assert list(
        Assignment.objects.order_by("application_id").values_list("application_id", "state")
    ) == [(first.pk, AssignmentState.TO_DECLARE), (second.pk, AssignmentState.TO_DECLARE)]
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-4:] == [
        "applications.application.assessment_started",
        "assessment.assignment.created",
        "applications.application.assessment_started",
        "assessment.assignment.created",
    ]


def test_assign_assessor_counts_only_new_assignments(panel: Panel) -> None:
    first = screened_application(panel.call)
    second = screened_application(panel.call, title="Strikkeklub")
    assign_assessor(actor=panel.caseworker, applications=[first], assessor=panel.alice)
    first.refresh_from_db()
    assert (
        assign_assessor(actor=panel.caseworker, applications=[first, second], assessor=panel.alice)
        == 1
    )
    # A second assessor on an application in assessment: no move, one more assignment.
    assert assign_assessor(actor=panel.caseworker, applications=[first], assessor=panel.bob) == 1
    assert Assignment.objects.count() == 3


def refused(panel: Panel, **kwargs: object) -> str:
    before = (Assignment.objects.count(), AuditEvent.objects.count())
    with translation.override("en"), pytest.raises(AssessmentRefused) as refusal:
        assign_assessor(**{"actor": panel.caseworker, "assessor": panel.alice, **kwargs})  # type: ignore[arg-type]
    assert (Assignment.objects.count(), AuditEvent.objects.count()) == before
    return refusal.value.message


def test_assign_assessor_refuses_someone_off_the_panel_and_writes_nothing(panel: Panel) -> None:
    good = screened_application(panel.call)
    stranger = UserFactory(name="Karl Udenfor")
    message = refused(panel, applications=[good], assessor=stranger)
    assert message == "Karl Udenfor is not on the assessor panel of “Fællesskaber mod ensomhed”."
    good.refresh_from_db()
    assert good.status == ApplicationStatus.SCREENED


def test_assign_assessor_refuses_the_whole_batch_for_one_not_screened(panel: Panel) -> None:
    good = screened_application(panel.call)
    withdrawn = withdrawn_application(panel.call)
    message = refused(panel, applications=[good, withdrawn])
    assert message == (
        f"Application {withdrawn.reference} is “withdrawn”: only screened applications and "
        "those in assessment can be assigned."
    )
    good.refresh_from_db()
    assert good.status == ApplicationStatus.SCREENED


def test_assign_assessor_refuses_a_member_of_the_applicant(panel: Panel) -> None:
    good = screened_application(panel.call)
    insider = housing_member(good)
    add_assessor(actor=panel.caseworker, call=panel.call, email=insider.email)
    message = refused(panel, applications=[good], assessor=insider)
    assert message == (
        f"Ib Indenfor acts for Boligselskabet Test, the applicant of {good.reference}: a "
        "conflict of interest."
    )


def test_assign_assessor_refuses_after_a_declared_conflict(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice, declare=False)
    declare_interest(actor=panel.alice, assignment=assignment, conflict=True, note="Min søster")
    message = refused(panel, applications=[application])
    assert message == f"Alice has declared a conflict of interest for {application.reference}."


def test_assign_assessor_refuses_someone_outside_the_secretariat(panel: Panel) -> None:
    application = screened_application(panel.call)
    message = refused(panel, applications=[application], actor=panel.funder)
    assert message == "Only the call's secretariat may do that."


def test_score_summaries_mean_spread_and_flag(panel: Panel) -> None:
    calm = screened_application(panel.call)
    split = screened_application(panel.call, title="Strikkeklub")
    unscored = screened_application(panel.call, title="Løbeklub")
    score_all(panel, assigned(panel, calm, panel.alice), [4, 4, 4, 4, 4, 4])
    score_all(panel, assigned(panel, calm, panel.bob), [3, 3, 3, 3, 3, 3])
    score_all(panel, assigned(panel, split, panel.alice), [5, 5, 5, 5, 5, 5])
    score_all(panel, assigned(panel, split, panel.bob), [2, 2, 2, 4, 4, 4])
    # Drafts do not count.
    assigned(panel, unscored, panel.alice)
    assert score_summaries([calm, split, unscored]) == {
        calm.pk: ScoreSummary(mean=3.5, spread=1.0, count=2, flagged=False),
        split.pk: ScoreSummary(mean=4.0, spread=2.0, count=2, flagged=True),
        unscored.pk: ScoreSummary(mean=None, spread=None, count=0, flagged=False),
    }


def test_score_summaries_runs_two_queries_for_any_number(panel: Panel) -> None:
    applications = [screened_application(panel.call, title=f"Klub {n}") for n in range(4)]
    for application in applications:
        score_all(panel, assigned(panel, application, panel.alice), [3, 3, 3, 3, 3, 3])
    with CaptureQueriesContext(connection) as few:
        score_summaries(applications[:1])
    with CaptureQueriesContext(connection) as many:
        summaries = score_summaries(applications)
    assert len(few) == len(many) == 2
    assert [summaries[a.pk].mean for a in applications] == [3.0, 3.0, 3.0, 3.0]
    assert score_summaries([]) == {}


def test_assign_assessor_mails_the_assessor_once_after_commit(
    panel: Panel, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    first = screened_application(panel.call)
    second = screened_application(panel.call, title="Strikkeklub")
    with django_capture_on_commit_callbacks(execute=True):
        assign_assessor(actor=panel.caseworker, applications=[first, second], assessor=panel.bob)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assign_assessor(actor=panel.caseworker, applications=[first], assessor=panel.bob)
    assert callbacks == []
    assert [m.to for m in mail.outbox] == [["bob@example.dk"]]
    assert "/bedoemmelse/" in mail.outbox[0].body
    # It names no application: the assessor declares conflicts before seeing any.
    assert first.reference not in mail.outbox[0].body
    assert "Spisefællesskab" not in mail.outbox[0].body
