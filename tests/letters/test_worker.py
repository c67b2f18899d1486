"""A job through a real worker process: ``manage.py db_worker`` against the test database."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from pulje.core.jobs import JobStatus
from pulje.core.models import SentEmail
from pulje.decisions.services import queue_decision_letters
from pulje.letters.models import Letter
from tests.factories.letters import make_decided


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_makes_the_letters(
    django_capture_on_commit_callbacks: object, tmp_path: Path
) -> None:
    decided = make_decided(django_capture_on_commit_callbacks)
    ids = [d.pk for d in decided.decisions]
    job = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=ids)
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # The outbox keeps the worker's mail in the database, where this test reads it.
        "EMAIL_BACKEND": "pulje.core.mail.OutboxBackend",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }

    finished = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
        cwd=settings.PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
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
