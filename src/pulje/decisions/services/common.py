"""What the decision services share: the refusal (``DecisionRefused``), the checks of who may
decide, a grant's plan (``_Plan``) and the refusal of a batch that would overspend a pool.

Nothing here opens a transaction or takes a lock: the callers (``decide``, ``approve``) hold
the pools locked (``core.locks.lock_for``) before ``_refuse_overspending`` reads their balances,
so what it reads is what the commitments will find.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Sum
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.calls.models import Call
from pulje.calls.permissions import can_work_call
from pulje.casework.permissions import conflict_refusal
from pulje.core.errors import Refused
from pulje.core.money import format_dkk
from pulje.decisions.models import GrantProposal, ProposalOutcome
from pulje.funds.models import Pool
from pulje.ledger.models import PoolAccount


class DecisionRefused(Refused):
    """A decision, acceptance or lapse was refused; ``message`` is for the person, in the
    active language. Nothing was written."""


def _refuse_unless_caseworker(actor: User, calls: list[Call]) -> None:
    for call in calls:
        if not can_work_call(actor, call):
            raise DecisionRefused(
                _("You cannot decide applications to “%(call)s”.") % {"call": call.title},
                code="not_caseworker",
            )


def _refuse_conflicts(
    actor: User, applications: Sequence[Application], lead: str, besides: Sequence[User] = ()
) -> None:
    refusal = conflict_refusal(actor, applications, lead=lead, besides=besides)
    if refusal:
        raise DecisionRefused(refusal, code="conflict_of_interest")


@dataclass(frozen=True)
class _Plan:
    application: Application
    amount_ore: int | None
    band: Pool | None
    # The approved proposal this grant comes from (four eyes), if any.
    proposal: GrantProposal | None = None


def _held_back(pool_ids: Sequence[int]) -> dict[int, int]:
    """What open grant proposals ask of each pool (those still awaiting approval)."""
    rows = (
        GrantProposal.objects.filter(
            band_id__in=pool_ids,
            outcome=ProposalOutcome.OPEN,
            application__status=ApplicationStatus.AWAITING_APPROVAL,
        )
        .values("band_id")
        .annotate(total=Sum("amount_ore"))
        .order_by()
    )
    return {row["band_id"]: row["total"] for row in rows}


def _refuse_overspending(plans: list[_Plan], *, holding_back: bool) -> None:
    """Refuse the whole batch if its grants ask more of any pool than it has available; the
    pools are locked, so what is read here is what the commitments will find.

    ``holding_back``: less what open grant proposals ask of the pool, so that two proposals
    cannot between them promise more than it has. An approval does not hold back (the
    proposal approved is among them): the ledger's balance is the last word."""
    asked: dict[int, int] = defaultdict(int)
    for plan in plans:
        assert plan.band is not None
        assert plan.amount_ore is not None
        asked[plan.band.pk] += plan.amount_ore
    held = _held_back(list(asked)) if holding_back else {}
    accounts = PoolAccount.objects.filter(pool_id__in=asked).select_related("pool")
    shortfalls = []
    for account in sorted(accounts, key=lambda account: account.pool_id):
        held_back = held.get(account.pool_id, 0)
        available = account.balance.available - held_back
        if asked[account.pool_id] <= available:
            continue
        names = {
            "pool": account.pool.name,
            "asked": format_dkk(asked[account.pool_id]),
            "available": format_dkk(available),
            "held": format_dkk(held_back),
            "shortfall": format_dkk(asked[account.pool_id] - available),
        }
        if held_back:
            shortfalls.append(
                _(
                    "“%(pool)s” cannot pay for these grants: they come to %(asked)s and it has "
                    "%(available)s available once %(held)s for grants awaiting a second "
                    "approval is held back, %(shortfall)s too little."
                )
                % names
            )
        else:
            shortfalls.append(
                _(
                    "“%(pool)s” cannot pay for these grants: they come to %(asked)s and it has "
                    "%(available)s available, %(shortfall)s too little."
                )
                % names
            )
    if shortfalls:
        raise DecisionRefused(" ".join(shortfalls), code="over_budget")
