"""What the assessment services share: their refusal, the caseworker check and the
assignment's workflow table."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.accounts.models import User
from pulje.assessment.models import Assignment, AssignmentState
from pulje.assessment.permissions import can_manage_assessment
from pulje.calls.models import Call
from pulje.core.audit_actions import AuditAction
from pulje.core.errors import Refused
from pulje.core.workflow import Machine


class AssessmentRefused(Refused):
    """A write the rules of assessment do not allow; ``message`` is for the person."""


def refuse_unless_caseworker(actor: User, call: Call) -> None:
    if not can_manage_assessment(actor, call):
        raise AssessmentRefused(
            _("Only the call's secretariat may do that."), code="not_secretariat"
        )


A = AssignmentState
# An assignment's moves, each a compare-and-swap on its state, so a double submit counts once.
ASSIGNMENT = Machine(
    model=Assignment,
    field="state",
    table={
        (A.TO_DECLARE, "declare_no_conflict"): A.TO_SCORE,
        (A.TO_DECLARE, "declare_conflict"): A.CONFLICTED,
        (A.TO_SCORE, "submit_scores"): A.SUBMITTED,
    },
    events={
        "declare_no_conflict": AuditAction.ASSESSMENT_ASSIGNMENT_DECLARED,
        "declare_conflict": AuditAction.ASSESSMENT_ASSIGNMENT_DECLARED,
        "submit_scores": AuditAction.ASSESSMENT_ASSIGNMENT_SUBMITTED,
    },
    refuse=lambda message, code: AssessmentRefused(message, code=code),
    wrong_state=gettext_lazy("An assignment that is “%(status)s” cannot be changed that way."),
    conflict=gettext_lazy(
        "The assignment was changed at the same time elsewhere. Reload the page."
    ),
    initial=(A.TO_DECLARE, "assign_assessor"),
)
