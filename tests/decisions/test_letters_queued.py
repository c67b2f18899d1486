from collections.abc import Callable
from typing import Any

import pytest

from pulje.core.jobs import Job
from pulje.decisions.services import decide_applications
from tests.factories.decisions import Funded, screened

pytestmark = pytest.mark.django_db


def test_a_bulk_decision_queues_one_letters_job_after_commit(
    funded: Funded, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    applications = [screened(funded.applicant, 20_000, f"Projekt {n}") for n in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        decisions = decide_applications(
            actor=funded.caseworker, applications=applications, outcome="grant"
        )
    job = Job.objects.get()
    assert job.payload["decision_ids"] == [d.pk for d in decisions]
    assert (job.total, job.created_by) == (2, funded.caseworker)
