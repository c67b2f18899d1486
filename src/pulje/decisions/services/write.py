"""Writing decisions, shared by ``decide`` and ``approve``: the ``Decision`` rows, the grant
accounts and commitments (only through ``pulje.ledger.services``), the status moves, and the
letters job in the same transaction (its e-mail is the applicant's one message about the decision).

Called inside the caller's transaction with the pools and applications already locked
(``core.locks``): nothing here locks or opens a transaction of its own.
"""

import datetime as dt

from django.utils import timezone

from pulje.accounts.models import User
from pulje.applications.workflow import transition
from pulje.decisions.models import Decision, Outcome
from pulje.decisions.selectors import accept_by_for
from pulje.decisions.services.common import DecisionRefused, _Plan
from pulje.decisions.services.letters import queue_decision_letters
from pulje.funds.selectors import effective_spend_by, reporting_requirement
from pulje.ledger.balances import Kind
from pulje.ledger.models import Entry
from pulje.ledger.services import LedgerError, commit, open_grant_account


def _decide(
    actor: User,
    plans: list["_Plan"],
    outcome: str,
    *,
    reason_code: str,
    reason_text: str,
    queue_letters: bool,
) -> list[Decision]:
    """Write the decisions of ``plans`` and, if ``queue_letters``, their letters job in
    this transaction."""
    if not plans:
        return []
    try:
        decisions = _write(actor, plans, outcome, reason_code, reason_text)
    except LedgerError as error:
        # Not expected with the pools locked and checked above; the ledger's own check is
        # the last line of defence, and its refusal rolls the whole batch back too.
        raise DecisionRefused(error.message, code=error.code) from error
    decision_ids = [decision.pk for decision in decisions]
    # In the decisions' transaction: the job and its task commit with them or not at all,
    # so no decision is ever left without a letters job to follow or retry.
    if queue_letters:
        queue_decision_letters(actor=actor, decision_ids=decision_ids)
    return decisions


def _write(
    actor: User, plans: list[_Plan], outcome: str, reason_code: str, reason_text: str
) -> list[Decision]:
    now = timezone.now()
    today = timezone.localdate(now)
    accept_by: dict[int, dt.date] = {}
    spend_by: dict[int, dt.date | None] = {}
    decisions = []
    attempts = _grant_attempts(plans) if outcome != "reject" else {}
    for plan in plans:
        application = plan.application
        proposal = plan.proposal
        # Approved: the first caseworker's decision (they sign it), final from now.
        decision = Decision(
            application=application,
            requested_ore=application.amount_ore or 0,
            reason_text=proposal.reason_text if proposal else reason_text,
            decided_by=proposal.proposed_by if proposal else actor,
            decided_at=now,
            proposal=proposal,
            from_status=proposal.from_status if proposal else application.status,
        )
        if outcome == "reject":
            decision.outcome = Outcome.REJECT
            decision.reason_code = reason_code
        else:
            band, amount = plan.band, plan.amount_ore
            assert band is not None
            assert amount is not None
            call = application.call
            if call.pk not in accept_by:
                accept_by[call.pk] = accept_by_for(call, today)
            if band.pk not in spend_by:
                spend_by[band.pk] = effective_spend_by(band)
            requirement = reporting_requirement(band, amount)
            decision.outcome = (
                Outcome.GRANT if amount == decision.requested_ore else Outcome.REDUCED
            )
            decision.amount_ore = amount
            decision.band = band
            decision.accept_by = accept_by[call.pk]
            decision.spend_by = spend_by[band.pk]
            decision.reporting = requirement.value if requirement else ""
            attempt = attempts[application.pk]
            decision.grant = open_grant_account(
                actor=actor,
                pool=band,
                recipient=application.organisation,
                reference=_numbered(application.reference, attempt),
                title=application.title[:200],
            )
            decision.commitment = commit(
                actor=actor,
                grant=decision.grant,
                amount_ore=amount,
                text=application.reference,
                key=_numbered(f"grant-{application.pk}", attempt),
            )
        decision.save()
        recorded: dict[str, object] = {
            "decision": decision.pk,
            "outcome": decision.outcome,
            "amount_ore": decision.amount_ore,
            "reason_code": decision.reason_code,
            "reason_text": decision.reason_text,
            "accept_by": decision.accept_by,
        }
        if proposal is not None:
            recorded.update(proposal=proposal.pk, proposed_by=proposal.proposed_by_id)
        transition(
            actor=actor,
            application=application,
            action="approve_grant" if proposal else outcome,
            recorded=recorded,
        )
        decisions.append(decision)
    return decisions


def _grant_attempts(plans: list[_Plan]) -> dict[int, int]:
    """By application pk: 1 for its first grant; n for its n-th, after n - 1 grants were
    undone (``undo``): each undone grant keeps its account and commitment (reference and key
    unique in the ledger), so the next one is numbered. One query for the batch."""
    keys = list(
        Entry.objects.filter(
            kind=Kind.COMMITMENT,
            grant__recipient__in={plan.application.organisation_id for plan in plans},
        ).values_list("key", flat=True)
    )
    attempts = {}
    for plan in plans:
        key = f"grant-{plan.application.pk}"
        attempts[plan.application.pk] = 1 + sum(
            1 for used in keys if used == key or (used or "").startswith(f"{key}-")
        )
    return attempts


def _numbered(name: str, attempt: int) -> str:
    return name if attempt == 1 else f"{name}-{attempt}"
