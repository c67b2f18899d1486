"""What the assessment services share: their refusal and the caseworker check."""

from typing import Any

from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.assessment.models import Assignment
from pulje.assessment.permissions import can_manage_assessment
from pulje.calls.models import Call
from pulje.core.errors import Refused


class AssessmentRefused(Refused):
    """A write the rules of assessment do not allow; ``message`` is for the person."""


def refuse_unless_caseworker(actor: User, call: Call) -> None:
    if not can_manage_assessment(actor, call):
        raise AssessmentRefused(
            _("Only the call's secretariat may do that."), code="not_secretariat"
        )


def move_assignment(assignment: Assignment, old: str, new: str, **changes: Any) -> None:
    """Compare-and-swap the assignment's state, so a double submit counts once."""
    written = Assignment.objects.filter(pk=assignment.pk, state=old).update(state=new, **changes)
    if written != 1:
        raise AssessmentRefused(
            _("The assignment was changed at the same time elsewhere. Reload the page."),
            code="conflict",
        )
    assignment.state = new
    for name, value in changes.items():
        setattr(assignment, name, value)
