"""Who may do what in assessment.

- Caseworkers (``can_work_call``) manage the panel and rubric, assign, see every score with
  the assessor's name, and recommend.
- Funders (``can_oversee_call``) see the aggregates, never the assessors' names or texts.
- An assessor reaches an application only through their own assignment, and never once
  they have declared a conflict of interest (``selectors.assignment_for_assessor``).
- Applicants see nothing of assessment at all.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Attachment
from pulje.applications.permissions import get_submitted_attachment_or_404
from pulje.assessment import selectors
from pulje.assessment.models import Assignment, AssignmentState
from pulje.calls.models import Call
from pulje.calls.permissions import can_work_call


def can_manage_assessment(user: User, call: Call) -> bool:
    return can_work_call(user, call)


def can_see_application(user: User, assignment: Assignment) -> bool:
    """The assessor sees the application's content after declaring no conflict."""
    return assignment.assessor_id == user.pk and assignment.state in {
        AssignmentState.TO_SCORE,
        AssignmentState.SUBMITTED,
    }


def can_see_others_scores(assignment: Assignment, *, blind_review: bool) -> bool:
    """Without blind review at once; with it, only after submitting one's own."""
    if assignment.state == AssignmentState.SUBMITTED:
        return True
    return not blind_review and assignment.state == AssignmentState.TO_SCORE


def get_assignment_for_assessor_or_404(user: User, uuid: str) -> Assignment:
    """The user's own assignment of the application ``uuid``; never one with a declared
    conflict."""
    return get_object_or_404(selectors.visible_assignments(user), application__uuid=uuid)


def get_attachment_for_assessor_or_404(user: User, uuid: str, pk: int) -> Attachment:
    """A file of the application ``uuid`` to its assessor, once they have declared no
    conflict of interest (PermissionDenied before that, saying so); an assessor who declared
    a conflict, or anyone not assigned, gets a 404."""
    assignment = get_assignment_for_assessor_or_404(user, uuid)
    if not can_see_application(user, assignment):
        raise PermissionDenied(
            _("Declare first whether you have a conflict of interest with the application.")
        )
    return get_submitted_attachment_or_404(assignment.application, pk)
