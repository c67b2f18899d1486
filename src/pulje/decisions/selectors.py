"""Reads of decisions, always through what the user may see."""

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.selectors import applications_for
from pulje.applications.workflow import APPLICATION
from pulje.decisions.models import Decision, GrantProposal, ProposalOutcome
from pulje.funds.models import Pool
from pulje.ledger.models import PoolAccount


def decidable_outcomes(application: Application) -> frozenset[str]:
    """The outcomes (``"grant"``, ``"reject"``) the workflow table allows from the
    application's state: e.g. a submitted application not screened yet may be rejected, not
    granted."""
    return frozenset(
        action for action in ("grant", "reject") if APPLICATION.allowed(application, action)
    )


def decision_of(application: Application) -> Decision | None:
    return (
        Decision.objects.select_related("band", "decided_by", "accepted_by")
        .filter(application=application)
        .first()
    )


def open_proposal(application: Application) -> GrantProposal | None:
    """The grant proposal awaiting a second approval on ``application``, if any."""
    if application.status != ApplicationStatus.AWAITING_APPROVAL:
        return None
    return (
        GrantProposal.objects.select_related("band", "proposed_by")
        .filter(application=application, outcome=ProposalOutcome.OPEN)
        .first()
    )


def decision_for_applicant(user: User, uuid: str) -> Decision | None:
    """The decision on one of the user's organisations' applications, by its uuid."""
    return (
        Decision.objects.select_related("application__call", "application__organisation")
        .filter(application__in=applications_for(user), application__uuid=uuid)
        .first()
    )


def decisions_on(applications: Iterable[Application]) -> list[Decision]:
    """The decisions on ``applications`` (already narrowed to what the user may see), newest
    first, each with its application: one query, none when no application is decided."""
    decided = {a.pk: a for a in applications if a.status in ApplicationStatus.decided()}
    if not decided:
        return []
    decisions = list(
        Decision.objects.filter(application_id__in=decided).order_by("-decided_at", "-pk")
    )
    for decision in decisions:
        decision.application = decided[decision.application_id]
    return decisions


def available_ore(pool_id: int) -> int:
    return PoolAccount.objects.get(pool_id=pool_id).balance.available


def grant_pool(application: Application, bands: list[Pool]) -> Pool | None:
    """The pool a grant to ``application`` is committed from, given its call's ``bands``
    (``calls.selectors.call_bands``): the band its *requested* amount falls in, so a reduced
    grant stays in the band it competed in, even below that band's minimum; the call's pool
    when the call has no bands; None when no band holds the amount."""
    if not bands:
        return application.call.pool
    amount = application.amount_ore or 0
    return next((band for band in bands if band.holds(amount)), None)


def overdue_decision_ids(*, now: dt.datetime) -> list[int]:
    """Grants still awaiting acceptance whose accept-by date has passed (Danish date)."""
    return list(
        Decision.objects.filter(
            application__status=ApplicationStatus.GRANTED,
            accept_by__lt=timezone.localdate(now),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
