"""A real background worker (``manage.py db_worker --batch``) against the test database, for
tests that must prove a job runs outside the test's own process."""

import os
import subprocess
import sys
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The test database, as the worker process's ``DATABASE_URL``."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"


def run_worker(**environment: str) -> subprocess.CompletedProcess[str]:
    """Run the worker until the queue is empty, with this checkout's code, the test database
    and the database task backend, plus ``environment``."""
    return subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
        cwd=settings.PROJECT_DIR,
        env={
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            # This checkout's code, whichever checkout the virtual environment was made for.
            "PYTHONPATH": str(settings.PROJECT_DIR / "src"),
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
