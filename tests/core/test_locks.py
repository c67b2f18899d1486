"""The lock helper: the documented order, a bounded wait on PostgreSQL, only in a transaction.

The waits need two connections and PostgreSQL's row locks, so most of these run in the
PostgreSQL leg of `make test`; each thread has its own connection, as each web worker would.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pulje.applications.models import Application
from pulje.core.audit import lock_head
from pulje.core.errors import Refused
from pulje.core.locks import LockTimeout, lock_for
from pulje.ledger.models import GrantAccount
from tests.factories import (
    CallFactory,
    GrantAccountFactory,
    OrganisationFactory,
    PoolFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.postgresql
def test_locks_are_taken_pools_then_applications_then_grants_each_ascending() -> None:
    first, second = PoolFactory(), PoolFactory()
    call, user = CallFactory(), UserFactory()
    applications = [
        Application.objects.create(call=call, organisation=OrganisationFactory(), created_by=user)
        for _ in range(2)
    ]
    grants: list[GrantAccount] = [GrantAccountFactory(pool=first) for _ in range(2)]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = lock_for(
            grants=[grant.pk for grant in reversed(grants)],
            applications=[application.pk for application in reversed(applications)],
            pools=[second.pk, first.pk, second.pk],
        )
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert [sql.split(" FROM ")[1].split()[0] for sql in locking] == [
        '"ledger_poolaccount"',
        '"applications_application"',
        '"ledger_grantaccount"',
    ]
    assert all("ORDER BY" in sql for sql in locking)
    assert list(locked.pool_accounts) == sorted([first.pk, second.pk])
    assert list(locked.applications) == sorted(a.pk for a in applications)
    assert list(locked.grant_accounts) == sorted(g.pk for g in grants)


def test_locking_outside_a_transaction_is_refused() -> None:
    pool = PoolFactory()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        lock_for(pools=[pool.pk])


def _lock_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        [value] = cursor.fetchone()
    return str(value)


@pytest.mark.postgresql
@override_settings(LOCK_TIMEOUT_SECONDS=3)
def test_the_bounded_wait_lasts_until_the_transaction_ends() -> None:
    pool = PoolFactory()
    with transaction.atomic():
        lock_for(pools=[pool.pk])
        assert _lock_timeout() == "3s"
    assert _lock_timeout() == "0"


def _hold(take: Callable[[], object], *, held: threading.Event, release: threading.Event) -> None:
    """In another connection: take the locks and keep them until ``release`` is set."""
    try:
        with transaction.atomic():
            take()
            held.set()
            release.wait(timeout=30)
    finally:
        connection.close()


def _waiting_for(take: Callable[[], object], outcome: list[object], done: threading.Event) -> None:
    try:
        with translation.override("da"), transaction.atomic():
            outcome.append(take())
    except Exception as error:  # the outcome, refusal or not, is asserted by the test
        outcome.append(error)
    finally:
        done.set()
        connection.close()


def _race(
    hold: Callable[[], object], take: Callable[[], object], *, release_after: float
) -> tuple[list[object], float, bool]:
    """One connection holds locks for ``release_after`` seconds, a second asks for them;
    return the second's outcome, how long it took and whether it was still waiting just
    before the first let go."""
    held, release, done = threading.Event(), threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(hold,), kwargs={"held": held, "release": release})
    holder.start()
    assert held.wait(timeout=30)
    outcome: list[object] = []
    started = time.monotonic()
    waiter = threading.Thread(target=_waiting_for, args=(take, outcome, done))
    waiter.start()
    still_waiting = not done.wait(timeout=release_after)
    release.set()
    for thread in (waiter, holder):
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in (waiter, holder)), "a thread hung"
    return outcome, time.monotonic() - started, still_waiting


def _assert_busy(outcome: list[object]) -> None:
    [refusal] = outcome
    assert isinstance(refusal, LockTimeout)
    assert isinstance(refusal, Refused)
    assert (refusal.code, refusal.message) == (
        "busy",
        "En anden ændrer det samme lige nu, så intet blev gemt. Prøv igen om et øjeblik.",
    )


@pytest.mark.postgresql
@override_settings(LOCK_TIMEOUT_SECONDS=1)
def test_a_lock_held_too_long_is_refused_with_try_again() -> None:
    pool = PoolFactory()
    outcome, took, _still_waiting = _race(
        lambda: lock_for(pools=[pool.pk]), lambda: lock_for(pools=[pool.pk]), release_after=10
    )
    _assert_busy(outcome)
    assert 1 <= took < 5


@pytest.mark.postgresql
@override_settings(LOCK_TIMEOUT_SECONDS=1)
def test_after_lock_for_the_wait_for_the_audit_head_is_bounded_too() -> None:
    PoolFactory()  # its audit event puts the chain's head in place for both to lock

    def locks_then_head() -> object:
        lock_for()
        return lock_head()

    outcome, took, _still_waiting = _race(lock_head, locks_then_head, release_after=10)
    _assert_busy(outcome)
    assert 1 <= took < 5


@pytest.mark.postgresql
@override_settings(LOCK_TIMEOUT_SECONDS=0)
def test_control_without_the_timeout_the_second_waits_for_the_first() -> None:
    """The control: with the wait unbounded (0), the second is still waiting after longer
    than the timeout above, and gets the lock once the first lets go."""
    pool = PoolFactory()
    outcome, took, still_waiting = _race(
        lambda: lock_for(pools=[pool.pk]), lambda: lock_for(pools=[pool.pk]), release_after=2
    )
    assert still_waiting
    assert [type(o).__name__ for o in outcome] == ["Locked"]
    assert took >= 2
