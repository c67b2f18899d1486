"""The one order in which pulje takes row locks, and the helper that takes them.

A transaction that writes money or a state other transactions also write locks, in this order:

1. the pools' accounts (``ledger.PoolAccount``), ascending pool id;
2. the applications (``applications.Application``), ascending id;
3. the grants' accounts (``ledger.GrantAccount``), ascending id;
4. the audit chain's head, last, inside ``core.audit.record_event``.

Two transactions that lock in the same order never wait for each other in a circle, so they
cannot deadlock: the later one queues behind the earlier one. ``lock_for`` takes 1–3 in one
call; the audit head is taken by the first audited write, so a service locks before it writes
anything that is audited. Call ``lock_for`` once per transaction, with everything it will
lock; a posting then locks the same accounts again, which the database grants at once.

On PostgreSQL ``lock_for`` bounds every lock wait of the rest of its transaction (the audit
head's included) by ``LOCK_TIMEOUT_SECONDS``, as pretix's ``lock_objects`` does: a transaction
that holds the rows longer makes the next one refuse with "try again" rather than hang a
request. One statement per call, so a posting pays one round trip for it.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from pulje.core.errors import Refused

# PostgreSQL's SQLSTATE for "could not obtain lock … within lock_timeout".
_LOCK_NOT_AVAILABLE = "55P03"


class LockTimeout(Refused):
    """Another transaction held a needed row lock for longer than ``LOCK_TIMEOUT_SECONDS``."""


@dataclass(frozen=True)
class Locked:
    """The locked rows by key: pool accounts by pool id, applications and grant accounts by id."""

    pool_accounts: dict[int, Any]
    applications: dict[int, Any]
    grant_accounts: dict[int, Any]


def lock_for(
    *,
    pools: Iterable[int] = (),
    applications: Iterable[int] = (),
    grants: Iterable[int] = (),
) -> Locked:
    """Row-lock the accounts of ``pools``, the ``applications`` and the accounts of ``grants``
    (all by id), in the order above, and return the locked rows.

    Raises RuntimeError outside a transaction (a lock would end with the statement) and
    ``LockTimeout`` when another transaction holds one of the rows for too long.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("lock_for must run inside the transaction that needs the locks")
    pool_account = apps.get_model("ledger", "PoolAccount")
    application = apps.get_model("applications", "Application")
    grant_account = apps.get_model("ledger", "GrantAccount")
    with refusing_lock_timeouts():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # is_local: until the transaction ends.
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [_timeout()])
        return Locked(
            pool_accounts={
                account.pool_id: account
                for account in pool_account.objects.select_for_update()
                .filter(pool_id__in=sorted(set(pools)))
                .order_by("pool_id")
            },
            # of=self: the application's row only, never a joined one.
            applications={
                row.pk: row
                for row in application.objects.select_for_update(of=("self",))
                .filter(pk__in=sorted(set(applications)))
                .order_by("pk")
            },
            grant_accounts={
                account.pk: account
                for account in grant_account.objects.select_for_update()
                .filter(pk__in=sorted(set(grants)))
                .order_by("pk")
            },
        )


@contextmanager
def refusing_lock_timeouts() -> Iterator[None]:
    """Turn PostgreSQL's lock timeout inside the block into ``LockTimeout``."""
    try:
        yield
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            raise
        raise LockTimeout(
            _(
                "Someone else is changing the same thing right now, so nothing was saved. "
                "Try again in a moment."
            ),
            code="busy",
        ) from error


def _timeout() -> str:
    return f"{settings.LOCK_TIMEOUT_SECONDS * 1000}ms"
