"""Lapse of grants not accepted in time (run daily by ``manage.py lapse_grants``).

One transaction per grant, locking its band and application in the order of ``core.locks``,
so one grant that fails does not hold up the others and an acceptance at the same time waits,
or is waited for.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from pulje.applications.workflow import APPLICATION, transition
from pulje.core.locks import lock_for
from pulje.decisions.models import Decision
from pulje.decisions.selectors import overdue_decision_ids
from pulje.ledger.models import ReleaseReason
from pulje.ledger.services import release


@dataclass(frozen=True)
class LapseResult:
    lapsed: int
    released_ore: int


def lapse_overdue_grants(*, now: dt.datetime) -> LapseResult:
    """Lapse every grant not accepted by its accept-by date (``now``'s Danish date is after
    it): the application moves to lapsed (event ``applications.application.lapsed``) and the
    commitment still unpaid goes back to its pool (a ledger release, reason "lapsed").

    One transaction per grant, so one that fails does not hold up the others; a grant already
    lapsed or accepted meanwhile is skipped, so running it again does nothing.
    """
    lapsed = released = 0
    for decision_id in overdue_decision_ids(now=now):
        amount = _lapse_one(decision_id, now)
        if amount is not None:
            lapsed += 1
            released += amount
    return LapseResult(lapsed=lapsed, released_ore=released)


@transaction.atomic
def _lapse_one(decision_id: int, now: dt.datetime) -> int | None:
    decision = Decision.objects.select_related("band").get(pk=decision_id)
    assert decision.band is not None
    assert decision.grant_id is not None
    application = lock_for(
        pools=[decision.band.pk], applications=[decision.application_id]
    ).applications[decision.application_id]
    if not APPLICATION.allowed(application, "lapse"):
        return None
    grant = decision.grant
    assert grant is not None
    grant.refresh_from_db()
    unpaid = grant.balance.unpaid
    entry = None
    if unpaid > 0:
        entry = release(
            actor=None,
            grant=grant,
            amount_ore=unpaid,
            reason=ReleaseReason.LAPSED,
            text=application.reference,
            key=f"lapse-{decision.pk}",
        )
    Decision.objects.filter(pk=decision.pk).update(lapsed_at=now, release=entry)
    transition(
        actor=None,
        application=application,
        action="lapse",
        recorded={"decision": decision.pk, "released_ore": unpaid},
    )
    return unpaid
