"""Who may see an application as its applicant: the members of its organisation (any
membership, proven or not: enough to write drafts; ``applications.selectors.applications_for``).
The secretariat's loaders are in ``casework.permissions``, the assessor's in
``assessment.permissions``; both reach an attachment through ``get_submitted_attachment_or_404``
once they have checked their role."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from pulje.accounts.models import User
from pulje.applications.models import Application, Attachment
from pulje.applications.selectors import applications_for, latest_version, listed_in_a_version


def get_application_for_applicant_or_404(user: User, uuid: str) -> Application:
    """One of the user's organisations' applications, with its call and organisation."""
    return get_object_or_404(
        applications_for(user).select_related("call", "organisation"), uuid=uuid
    )


def get_attachment_for_applicant_or_404(user: User, uuid: str, pk: int) -> Attachment:
    """The application's file; a removed one only while a submitted version lists it."""
    application = get_application_for_applicant_or_404(user, uuid)
    found = get_object_or_404(application.attachments.all(), pk=pk)
    if found.removed_at is not None and not listed_in_a_version(found):
        raise Http404
    return found


def get_submitted_attachment_or_404(application: Application, pk: int) -> Attachment:
    """The file as the application's latest submitted version lists it: what the secretariat
    and the assessors read with that version. A file attached since is not theirs to see until
    it is submitted; one removed since stays readable while the version lists it. The caller
    has checked the reader's role on ``application``."""
    version = latest_version(application)
    if version is None or all(listed["id"] != pk for listed in version.content["attachments"]):
        raise Http404
    return get_object_or_404(application.attachments.all(), pk=pk)
