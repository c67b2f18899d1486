"""Reads of applications, always through what a user may see."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import (
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
)
from pulje.calls.models import Call


def applications_for(user: User) -> QuerySet[Application]:
    """The applications of the organisations ``user`` is a member of."""
    return Application.objects.filter(organisation__memberships__user=user)


def dashboard_applications(user: User) -> list[Application]:
    """The user's organisations' applications for the dashboard, newest first; each with
    ``latest_version`` (or None). Two queries, however many applications."""
    latest = ApplicationVersion.objects.order_by("-number")
    applications = (
        applications_for(user)
        .select_related("call", "organisation")
        .prefetch_related(Prefetch("versions", queryset=latest, to_attr="versions_newest_first"))
        .order_by("-created_at")
    )
    result: list[Application] = list(applications)
    for application in result:
        versions = application.versions_newest_first  # type: ignore[attr-defined]
        application.latest_version = versions[0] if versions else None  # type: ignore[attr-defined]
    return result


def listed_in_a_version(attachment: Attachment) -> bool:
    """Whether a submitted version of the application lists the file (then it is kept)."""
    contents = ApplicationVersion.objects.filter(
        application_id=attachment.application_id
    ).values_list("content", flat=True)
    return any(
        listed["id"] == attachment.pk for content in contents for listed in content["attachments"]
    )


def drafts_for(user: User, call: Call) -> list[Application]:
    """The user's organisations' unsubmitted drafts for ``call``, newest first."""
    return list(
        applications_for(user)
        .filter(call=call, status=ApplicationStatus.DRAFT)
        .select_related("organisation")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class NextStep:
    text: str
    urgent: bool


def next_step(application: Application) -> NextStep:
    """What is expected of the applicant next, in a sentence."""
    call = application.call
    deadline = date_format(timezone.localtime(call.closes_at), "DATETIME_FORMAT")
    open_ = timezone.now() < call.closes_at
    if application.status == ApplicationStatus.DRAFT:
        if open_:
            return NextStep(
                _("Finish the application and submit it before %(deadline)s.")
                % {"deadline": deadline},
                urgent=True,
            )
        return NextStep(_("The deadline has passed; the draft was not submitted."), urgent=False)
    if application.status == ApplicationStatus.SUBMITTED:
        if open_ and call.edit_after_submit:
            return NextStep(
                _("Nothing for now. You can change the application until %(deadline)s.")
                % {"deadline": deadline},
                urgent=False,
            )
        return NextStep(_("Nothing for now: the secretariat is processing it."), urgent=False)
    return NextStep(_("Nothing: the application was withdrawn."), urgent=False)
