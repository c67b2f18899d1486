"""The background job's moves on the workflow kit (core.jobs): a claim happens once, a move
its state does not allow is refused, and a stale job cannot move."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from pulje.core.jobs import (
    JOB,
    STALLED_AFTER,
    Job,
    JobKind,
    JobRefused,
    JobStatus,
    claim_job,
    finish_job,
    retry_job_status,
)
from pulje.core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def queued() -> Job:
    return Job.objects.create(kind=JobKind.DECISION_LETTERS, total=2)


def test_a_job_is_claimed_once() -> None:
    job = queued()
    claimed = claim_job(job_id=job.pk)
    assert claimed is not None
    assert (claimed.status, claimed.attempts, claimed.done_count) == (JobStatus.RUNNING, 1, 0)
    assert claim_job(job_id=job.pk) is None
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_a_stale_job_cannot_be_claimed_again() -> None:
    job = queued()
    stale = Job.objects.get(pk=job.pk)
    assert claim_job(job_id=job.pk) is not None
    with pytest.raises(JobRefused) as refused:
        JOB.move(actor=None, obj=stale, action="claim")
    assert refused.value.message == ("Jobbet blev ændret samtidig et andet sted. Genindlæs siden.")
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_a_job_that_is_queued_cannot_finish_or_be_retried() -> None:
    job = queued()
    with pytest.raises(JobRefused) as refused, transaction.atomic():
        finish_job(job=job, status=JobStatus.DONE, event="letters.job.done")
    assert refused.value.message == "Et job med status “i kø” kan ikke ændres på den måde."
    assert not JOB.allowed(job, "retry")
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_a_running_job_is_retried_only_once_it_has_stalled() -> None:
    job = queued()
    claimed = claim_job(job_id=job.pk)
    assert claimed is not None
    actor = UserFactory()
    assert not JOB.allowed(claimed, "retry")
    with pytest.raises(JobRefused), transaction.atomic():
        retry_job_status(actor=actor, job=claimed, event="letters.job.retried")
    # Stalled in the database, not yet in the object read: the compare-and-swap decides.
    Job.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - STALLED_AFTER - dt.timedelta(minutes=1)
    )
    claimed.refresh_from_db()
    with transaction.atomic():
        retry_job_status(actor=actor, job=claimed, event="letters.job.retried")
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    event = AuditEvent.objects.get(action="letters.job.retried")
    assert (event.actor, event.before, event.after) == (
        actor,
        {"status": "running"},
        {"status": "queued", "error": "", "finished_at": None},
    )


def test_a_finished_job_records_its_owners_event() -> None:
    job = queued()
    claimed = claim_job(job_id=job.pk)
    assert claimed is not None
    with transaction.atomic():
        finish_job(
            job=claimed,
            status=JobStatus.DONE_WITH_FAILURES,
            error="1 letter could not be e-mailed",
            event="letters.job.done",
            recorded={"letters": 2},
        )
    found = Job.objects.get(pk=job.pk)
    assert (found.status, found.error) == (
        JobStatus.DONE_WITH_FAILURES,
        "1 letter could not be e-mailed",
    )
    event = AuditEvent.objects.get(action="letters.job.done")
    assert event.after is not None
    assert (event.after["status"], event.after["letters"]) == ("partial", 2)
