"""Writes of decisions: grant (in full or reduced) or reject (``decide``), the second
approval of a grant above its pool's amount for that (four eyes, ``approve``), acceptance by
the grantee (``accept``) or their no thanks (``decline``), lapse (``lapse``), the
letters job (``letters``): the letter's e-mail is the one the applicant gets, and the undo
of a batch within its letters' undo window (``undo``).

Each application's status moves only through ``applications.workflow.transition``; money
moves only through ``pulje.ledger.services``. Locks are taken in the order of ``core.locks``.
A refusal (``DecisionRefused``) writes nothing at all.
"""

from pulje.decisions.services.accept import accept_grant
from pulje.decisions.services.approve import approve_grant_proposals, return_grant_proposal
from pulje.decisions.services.common import DecisionRefused
from pulje.decisions.services.decide import Decided, decide_applications
from pulje.decisions.services.decline import decline_grant
from pulje.decisions.services.lapse import LapseResult, lapse_overdue_grants
from pulje.decisions.services.letters import queue_decision_letters
from pulje.decisions.services.undo import undo_decisions

__all__ = [
    "Decided",
    "DecisionRefused",
    "LapseResult",
    "accept_grant",
    "approve_grant_proposals",
    "decide_applications",
    "decline_grant",
    "lapse_overdue_grants",
    "queue_decision_letters",
    "return_grant_proposal",
    "undo_decisions",
]
