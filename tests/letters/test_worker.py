"""A job through a real worker process: ``manage.py db_worker`` against the test database."""

from pathlib import Path

import pytest
from django.conf import settings
from django_tasks_db.models import DBTaskResult

from pulje.core.jobs import JobStatus
from pulje.core.models import SentEmail
from pulje.decisions.services import queue_decision_letters
from pulje.letters.models import Letter
from tests.factories.letters import make_decided
from tests.worker import run_worker


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_makes_the_letters(
    django_capture_on_commit_callbacks: object, tmp_path: Path
) -> None:
    decided = make_decided(django_capture_on_commit_callbacks)
    ids = [d.pk for d in decided.decisions]
    job = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=ids)
    finished = run_worker(
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        # The outbox keeps the worker's mail in the database, where this test reads it.
        EMAIL_BACKEND="pulje.core.mail.OutboxBackend",
    )

    assert finished.returncode == 0, finished.stderr
    job.refresh_from_db()
    assert (job.status, job.done_count, job.error) == (JobStatus.DONE, 3, "")
    assert DBTaskResult.objects.get(id=job.task_result_id).status == "SUCCESSFUL"
    assert sorted(Letter.objects.values_list("decision_id", flat=True)) == ids
    contact = decided.funded.applicant.organisation.contact_email
    assert list(SentEmail.objects.values_list("to", flat=True)) == [contact] * 3
    for letter in Letter.objects.all():
        with letter.file.open("rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
