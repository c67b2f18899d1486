"""Two caseworkers assign assessors to the same screened application at the same moment
(the queue's bulk action from two desks). Only PostgreSQL has the row locks this is about."""

from functools import partial

import pytest
from django.db.models import QuerySet

from pulje.applications.models import ApplicationStatus
from pulje.assessment.models import Assignment
from pulje.assessment.services import add_assessor, assign_assessor
from pulje.core.models import AuditEvent
from tests.concurrency import Outcome, run_at_once
from tests.factories.assessment import make_panel, screened_application

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 4


def _race() -> list[Outcome]:
    panel = make_panel()
    application = screened_application(panel.call)
    assessors = [
        add_assessor(actor=panel.caseworker, call=panel.call, email=f"a{n}@example.dk").user
        for n in range(THREADS)
    ]
    return run_at_once(
        *(
            partial(
                assign_assessor,
                actor=panel.caseworker,
                applications=[application],
                assessor=assessor,
            )
            for assessor in assessors
        )
    )


def test_simultaneous_assignments_all_count_and_move_the_application_once() -> None:
    outcomes = _race()
    assert outcomes == [1] * THREADS
    assert Assignment.objects.count() == THREADS
    assert Assignment.objects.values("application__status").distinct().get() == {
        "application__status": ApplicationStatus.IN_ASSESSMENT
    }
    started = AuditEvent.objects.filter(action="applications.application.assessment_started")
    assert started.count() == 1


def test_control_without_the_row_lock_the_same_race_goes_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With row locks switched off, the threads all read "screened" and all but one lose
    the workflow's compare-and-swap: the test above proves the lock."""
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, **kwargs: self)
    outcomes = _race()
    failures = [outcome for outcome in outcomes if outcome != 1]
    assert failures, outcomes
