"""Reads for the brakes on deciding: the decisions a batch would make and the facts its
warnings are judged against (``decisions.warnings``), from the rows as they are now. The
confirmation page reads them to show; ``decide_applications`` reads them again under its
locks to check the token it is confirmed with."""

from collections import Counter
from collections.abc import Mapping, Sequence

from django.utils import timezone

from pulje.applications.models import Application
from pulje.assessment.models import Assignment, AssignmentState
from pulje.calls.models import Call
from pulje.calls.selectors import call_bands
from pulje.decisions.warnings import GRANT, REDUCED, REJECT, Facts, Item
from pulje.funds.selectors import effective_spend_by
from pulje.ledger.models import PoolAccount


def brake_items(
    applications: Sequence[Application],
    outcome: str,
    *,
    amounts: Mapping[int, int] | None = None,
    reason_code: str = "",
) -> list[Item]:
    """What deciding ``applications`` with ``outcome`` ("grant" or "reject") would decide,
    one ``Item`` each in reference order, with their assessors counted (one query; the
    applications come with their organisation)."""
    amounts = amounts or {}
    ids = [application.pk for application in applications]
    states = Counter(
        Assignment.objects.filter(application_id__in=ids).values_list("application_id", "state")
    )
    items = []
    for application in sorted(applications, key=lambda a: (a.reference, a.pk)):
        requested = application.amount_ore or 0
        counts = {state: states[(application.pk, state)] for state in AssignmentState.values}
        amount = amounts.get(application.pk, requested) if outcome == GRANT else 0
        items.append(
            Item(
                application_id=application.pk,
                reference=application.reference or str(application.pk),
                organisation=application.organisation.name,
                title=application.title,
                status=application.status,
                outcome=REJECT if outcome != GRANT else REDUCED if amount < requested else GRANT,
                amount_ore=amount,
                requested_ore=requested,
                reason_code=reason_code if outcome != GRANT else "",
                assignments=sum(counts.values()),
                conflicted=counts[AssignmentState.CONFLICTED],
                scored=counts[AssignmentState.SUBMITTED],
            )
        )
    return items


def brake_facts(
    call: Call, *, run_budget_ore: int | None = None, refusal: str = "", refusal_code: str = ""
) -> Facts:
    """The call's facts for the warnings: its deadline, the earliest spend-by date of its
    bands, the end of its project period and what its bands (or its pool) have available."""
    pools = call_bands(call) or [call.pool]
    spend_by = [day for day in (effective_spend_by(pool) for pool in pools) if day is not None]
    available = sum(
        account.balance.available
        for account in PoolAccount.objects.filter(pool_id__in=[pool.pk for pool in pools])
    )
    return Facts(
        now=timezone.localtime(),
        closes_at=call.closes_at,
        edit_after_submit=call.edit_after_submit,
        spend_by=min(spend_by, default=None),
        project_end=call.project_end_latest,
        available_ore=available,
        run_budget_ore=run_budget_ore,
        refusal=refusal,
        refusal_code=refusal_code,
    )
