"""The refusals every applicant's write shares: after the deadline, an application that can
no longer be changed (``selectors.editing_refusal``, which the pages ask too), and a user who
does not act for the organisation. They read and raise; the caller holds the locks.
"""

from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.selectors import deadline_refusal, editing_refusal
from pulje.applications.workflow import ApplicationRefused
from pulje.calls.models import Call
from pulje.registry.models import Organisation
from pulje.registry.permissions import is_member


def _refuse_after_deadline(call: Call) -> None:
    refusal = deadline_refusal(call)
    if refusal is not None:
        raise refusal


def _refuse_unless_editable(application: Application) -> None:
    refusal = editing_refusal(application)
    if refusal is not None:
        raise refusal


def _refuse_unless_member(actor: User, organisation: Organisation) -> None:
    """Drafts, files and withdrawals of drafts are for the organisation's members (a request
    not yet proven included); nobody else, whatever page called."""
    if not is_member(actor, organisation):
        raise ApplicationRefused(
            _("Only the people who act for %(name)s work on its applications.")
            % {"name": organisation.name},
            code="not_member",
        )
