"""Races between connections, for the PostgreSQL-only concurrency tests.

Each job runs in its own thread and so its own database connection, as each web worker would;
all start together. Where a test must know that one connection waits for another's lock, it
asks PostgreSQL (``pg_locks``) instead of sleeping and hoping.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils import translation

# What a job returned, or the exception it raised: every outcome, refusal or crash, is
# returned for the test to assert (by isinstance, so typed as anything).
Outcome = Any


def run_at_once(*jobs: Callable[[], object]) -> list[Outcome]:
    """Run the jobs at once, each in its own thread and connection, with English active (so
    refusals compare as their msgids); what each returned or raised, in the jobs' order."""
    outcomes: list[Outcome] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def work(index: int) -> None:
        try:
            with translation.override("en"):
                start.wait(timeout=30)
                outcomes[index] = jobs[index]()
        except Exception as error:  # every outcome is asserted by the test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


def another_connection_waits_for_a_lock() -> bool:
    """Whether a connection to this database other than the caller's is waiting for a lock
    (a row lock shows as a wait for the holder's transaction id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks JOIN pg_stat_activity USING (pid)"
            " WHERE NOT granted AND datname = current_database() AND pid <> pg_backend_pid())"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def wait_until(condition: Callable[[], bool], *, what: str, timeout: float = 30) -> None:
    """Return as soon as ``condition()`` holds; fail, naming ``what``, if it does not within
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s in vain for {what}"
        time.sleep(0.01)
