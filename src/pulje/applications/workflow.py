"""An application's workflow: the one table of allowed moves on the workflow kit
(``core.workflow``), and ``transition``, the one function that makes them (docs/applications.md
draws the table; a test holds the drawing to it).

Every move is written with a compare-and-swap on the status, so two people acting on the
same application at once cannot both succeed; it records its audit event in the same
transaction and queues its e-mail, if any, for after the commit.
"""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.core.audit_actions import AuditAction
from pulje.core.errors import Refused
from pulje.core.workflow import Machine

S = ApplicationStatus
# Before a decision, an application can still be rejected, and withdrawn by the applicant.
_UNDECIDED = tuple(S.undecided())
# A grant needs a screening first; a rejection does not.
_GRANTABLE = tuple(status for status in _UNDECIDED if status != S.SUBMITTED)


def return_action(status: str) -> str:
    """The action that returns a proposed grant to the status it was proposed from."""
    return f"return_grant_to_{status}"


def undo_action(status: str) -> str:
    """The action that undoes a decision, within its letters' undo window, back to the status
    it was decided from."""
    return f"undo_decision_to_{status}"


# (status, action) → new status.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, "submit"): S.SUBMITTED,
    # Changes submitted again before the deadline are screened again.
    (S.SUBMITTED, "submit"): S.SUBMITTED,
    (S.SCREENED, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "screen"): S.SCREENED,
    (S.SCREENED, "screen"): S.SCREENED,
    (S.SCREENED, "start_assessment"): S.IN_ASSESSMENT,
    (S.IN_ASSESSMENT, "recommend"): S.RECOMMENDED,
    (S.IN_ASSESSMENT, "not_recommend"): S.NOT_RECOMMENDED,
    # Moderation may change a recommendation before the decision.
    (S.RECOMMENDED, "not_recommend"): S.NOT_RECOMMENDED,
    (S.NOT_RECOMMENDED, "recommend"): S.RECOMMENDED,
    **{(status, "grant"): S.GRANTED for status in _GRANTABLE},
    # Four eyes: a grant above its pool's second-approval amount is proposed by one
    # caseworker and granted only when another approves it; returned, it goes back to the
    # status it was proposed from.
    **{(status, "propose_grant"): S.AWAITING_APPROVAL for status in _GRANTABLE},
    (S.AWAITING_APPROVAL, "approve_grant"): S.GRANTED,
    **{(S.AWAITING_APPROVAL, return_action(status)): status for status in _GRANTABLE},
    **{(status, "reject"): S.REJECTED for status in _UNDECIDED},
    (S.GRANTED, "accept"): S.ACCEPTED,
    (S.GRANTED, "lapse"): S.LAPSED,
    # The grantee says no thanks before accepting; the money goes back to the pool.
    (S.GRANTED, "decline"): S.DECLINED,
    # Undone before the letters went out: back to where it was decided from.
    **{(S.GRANTED, undo_action(status)): status for status in _GRANTABLE},
    **{(S.REJECTED, undo_action(status)): status for status in _UNDECIDED},
    (S.DRAFT, "withdraw"): S.WITHDRAWN,
    **{(status, "withdraw"): S.WITHDRAWN for status in (*_UNDECIDED, S.AWAITING_APPROVAL)},
}

# The audit event of each action.
EVENTS = {
    "submit": AuditAction.APPLICATION_SUBMITTED,
    "screen": AuditAction.APPLICATION_SCREENED,
    "start_assessment": AuditAction.APPLICATION_ASSESSMENT_STARTED,
    "recommend": AuditAction.APPLICATION_RECOMMENDED,
    "not_recommend": AuditAction.APPLICATION_NOT_RECOMMENDED,
    "grant": AuditAction.APPLICATION_GRANTED,
    "propose_grant": AuditAction.APPLICATION_GRANT_PROPOSED,
    # The applicant's timeline shows the grant when it is final, not the proposal.
    "approve_grant": AuditAction.APPLICATION_GRANTED,
    **{return_action(status): AuditAction.APPLICATION_GRANT_RETURNED for status in _GRANTABLE},
    "reject": AuditAction.APPLICATION_REJECTED,
    "accept": AuditAction.APPLICATION_ACCEPTED,
    "lapse": AuditAction.APPLICATION_LAPSED,
    "decline": AuditAction.APPLICATION_DECLINED,
    "withdraw": AuditAction.APPLICATION_WITHDRAWN,
    **{undo_action(status): AuditAction.APPLICATION_DECISION_UNDONE for status in _UNDECIDED},
}


class ApplicationRefused(Refused):
    """A write the application's state or the call's deadline does not allow; ``message`` is
    for the person, ``code`` for the code."""


APPLICATION = Machine(
    model=Application,
    field="status",
    table=TRANSITIONS,
    events=EVENTS,
    refuse=lambda message, code: ApplicationRefused(message, code=code),
    wrong_state=_("An application that is “%(status)s” cannot be changed that way."),
    conflict=_("The application was changed at the same time elsewhere. Reload the page."),
    initial=(S.DRAFT, "start_application"),
)


def next_status(application: Application, action: str) -> str:
    """The status ``action`` leads to from the application's, or ApplicationRefused."""
    return APPLICATION.next_state(application, action)


def transition(
    *,
    actor: User | None,
    application: Application,
    action: str,
    changes: dict[str, Any] | None = None,
    recorded: dict[str, Any] | None = None,
    notify: Callable[[], None] | None = None,
) -> None:
    """Move ``application`` by ``action``: the new status from TRANSITIONS, written only if the
    status is still the one read (compare-and-swap), with ``changes`` to other fields, the
    action's audit event (with ``recorded`` added) in the same transaction, and ``notify``
    (an e-mail, say) run after the commit. Must run inside the caller's transaction.

    Raises ApplicationRefused: ``transition`` when the table has no such move, ``conflict``
    when the status changed since it was read.
    """
    APPLICATION.move(
        actor=actor,
        obj=application,
        action=action,
        changes=changes,
        recorded=recorded,
        notify=notify,
    )
