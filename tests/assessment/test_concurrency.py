"""Two caseworkers assign assessors to the same screened application at the same moment
(the queue's bulk action from two desks). Only PostgreSQL has the row locks this is about."""

import threading
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.utils import translation

from pulje.applications.models import ApplicationStatus
from pulje.assessment.models import Assignment
from pulje.assessment.services import add_assessor, assign_assessor
from pulje.core.models import AuditEvent
from tests.assessment.conftest import make_panel, screened_application

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 4


def _race() -> list[Any]:
    panel = make_panel()
    application = screened_application(panel.call)
    assessors = [
        add_assessor(actor=panel.caseworker, call=panel.call, email=f"a{n}@example.dk").user
        for n in range(THREADS)
    ]
    start = threading.Barrier(THREADS)
    outcomes: list[Any] = [None] * THREADS

    def work(index: int) -> None:
        try:
            with translation.override("en"):
                start.wait(timeout=30)
                outcomes[index] = assign_assessor(
                    actor=panel.caseworker,
                    applications=[application],
                    assessor=assessors[index],
                )
        except Exception as error:  # every outcome is asserted by the tests
            outcomes[index] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a thread hung"
    return outcomes


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
