"""Who may see a decision: the applicant's members read and accept it; the call's
secretariat decides (``casework.permissions.get_application_for_overseer_or_404``)."""

from django.http import Http404

from pulje.accounts.models import User
from pulje.decisions.models import Decision
from pulje.decisions.selectors import decision_for_applicant


def get_decision_for_applicant_or_404(user: User, uuid: str) -> Decision:
    """The decision on one of the user's organisations' applications, by its uuid."""
    decision = decision_for_applicant(user, uuid)
    if decision is None:
        raise Http404
    return decision
