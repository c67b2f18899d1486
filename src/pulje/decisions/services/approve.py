"""Four eyes: the second caseworker approves a grant proposal (``approve_grant_proposals``)
or returns it (``return_grant_proposal``).

Each is one transaction. The pools are locked first (``core.locks.lock_for``), then the
proposals and their applications in pk order (``_open_proposals``); each proposal is resolved
once, by compare-and-swap on its outcome.
"""

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import ApplicationRefused, next_status, return_action, transition
from pulje.calls.models import Call
from pulje.casework.permissions import who_else_can
from pulje.core.locks import lock_for
from pulje.decisions.models import Decision, GrantProposal, ProposalOutcome
from pulje.decisions.services.common import (
    DecisionRefused,
    _Plan,
    _refuse_conflicts,
    _refuse_overspending,
    _refuse_unless_caseworker,
)
from pulje.decisions.services.write import _decide


def _open_proposals(proposals: Sequence[GrantProposal]) -> list[GrantProposal]:
    """``proposals`` again, locked, each with its application (locked too, in pk order)
    and call; the caller has locked the pools first."""
    locked = list(
        GrantProposal.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted({proposal.pk for proposal in proposals}))
        .select_related("band", "proposed_by")
        .order_by("pk")
    )
    applications = {
        application.pk: application
        for application in Application.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted({proposal.application_id for proposal in locked}))
        .select_related("call__pool", "organisation")
        .order_by("pk")
    }
    for proposal in locked:
        proposal.application = applications[proposal.application_id]
    return locked


def _refuse_unless_open(proposals: list[GrantProposal], action: str) -> None:
    for proposal in proposals:
        application = proposal.application
        try:
            next_status(application, action)
        except ApplicationRefused:
            status = ApplicationStatus(application.status).label
            raise DecisionRefused(
                _("%(application)s is not awaiting a second approval: it is “%(status)s”.")
                % {"application": application.reference, "status": str(status).lower()},
                code="not_awaiting_approval",
            ) from None
        if proposal.outcome != ProposalOutcome.OPEN:
            raise DecisionRefused(
                _("The proposal for %(application)s has been approved or returned already.")
                % {"application": application.reference},
                code="proposal_settled",
            )


def _resolve(
    actor: User, proposal: GrantProposal, outcome: ProposalOutcome, return_reason: str = ""
) -> None:
    """Compare-and-swap the proposal from open to ``outcome``: it is resolved once."""
    now = timezone.now()
    written = GrantProposal.objects.filter(pk=proposal.pk, outcome=ProposalOutcome.OPEN).update(
        outcome=outcome, resolved_by=actor, resolved_at=now, return_reason=return_reason
    )
    if written != 1:
        raise DecisionRefused(
            _("The proposal was changed at the same time elsewhere. Reload the page."),
            code="conflict",
        )
    proposal.outcome = outcome
    proposal.resolved_by = actor
    proposal.resolved_at = now
    proposal.return_reason = return_reason


def approve_grant_proposals(
    *, actor: User, proposals: Sequence[GrantProposal], queue_letters: bool = True
) -> list[Decision]:
    """The second caseworker approves grant proposals (four eyes): each becomes the grant
    its proposer decided, final from now, all in one transaction or none.

    Side effects per proposal: those of a grant by ``decide_applications`` (the
    ``Decision``, signed by the proposer and linked to the proposal; the grant account and
    the commitment, which the ledger refuses if the band no longer has the money; the move
    from awaiting approval to granted, event ``applications.application.granted`` with the
    proposal and its proposer); the proposal marked approved by ``actor``; the letters job
    (whose e-mail is the applicant's one message) in this transaction unless
    ``queue_letters`` is False.

    Raises DecisionRefused, having written nothing: for a user who is not the calls'
    caseworker, who proposed any of them (a second person must approve), or who has a
    conflict of interest with any of the applications (both naming who else can); for a
    proposal no longer awaiting approval; and when a band cannot pay for them.
    """
    if not proposals:
        return []
    with transaction.atomic():
        calls = list(
            Call.objects.filter(
                applications__grant_proposals__pk__in=[proposal.pk for proposal in proposals]
            )
            .distinct()
            .select_related("pool")
        )
        _refuse_unless_caseworker(actor, calls)
        lock_for(pools=[proposal.band_id for proposal in proposals])
        locked = _open_proposals(proposals)
        own = [proposal for proposal in locked if proposal.proposed_by_id == actor.pk]
        if own:
            applications = [proposal.application for proposal in own]
            raise DecisionRefused(
                _("You proposed %(applications)s yourself: a second caseworker must approve it.")
                % {"applications": ", ".join(a.reference for a in applications)}
                + " "
                + who_else_can(applications[0].call, applications, besides=[actor]),
                code="self_approval",
            )
        _refuse_conflicts(
            actor,
            [proposal.application for proposal in locked],
            _("You have a conflict of interest and cannot approve these grants:"),
            # Nor can the proposers.
            besides=[proposal.proposed_by for proposal in locked],
        )
        _refuse_unless_open(locked, "approve_grant")
        plans = [
            _Plan(proposal.application, proposal.amount_ore, proposal.band, proposal)
            for proposal in locked
        ]
        _refuse_overspending(plans, holding_back=False)
        for proposal in locked:
            _resolve(actor, proposal, ProposalOutcome.APPROVED)
        return _decide(
            actor, plans, "grant", reason_code="", reason_text="", queue_letters=queue_letters
        )


@transaction.atomic
def return_grant_proposal(*, actor: User, proposal: GrantProposal, reason: str) -> GrantProposal:
    """A caseworker (the second, or the proposer taking it back) returns a grant proposal
    with a reason: it is not granted, and the application goes back to the status it was
    proposed from, to be decided again.

    Side effects: the proposal marked returned; the application's move back (event
    ``applications.application.grant_returned`` with the reason).

    Raises DecisionRefused, having written nothing: without a reason, for a user who is not
    the call's caseworker or has a conflict of interest with the application, and for a
    proposal no longer awaiting approval.
    """
    reason = reason.strip()
    if not reason:
        raise DecisionRefused(_("Write why the grant is returned."), code="return_reason_missing")
    application = Application.objects.select_related("call__pool").get(pk=proposal.application_id)
    _refuse_unless_caseworker(actor, [application.call])
    [locked] = _open_proposals([proposal])
    _refuse_conflicts(
        actor,
        [locked.application],
        _("You have a conflict of interest and cannot return this grant:"),
    )
    _refuse_unless_open([locked], return_action(locked.from_status))
    _resolve(actor, locked, ProposalOutcome.RETURNED, reason)
    transition(
        actor=actor,
        application=locked.application,
        action=return_action(locked.from_status),
        recorded={"proposal": locked.pk, "reason": reason},
    )
    return locked
