"""Reads of applications, always through what a user may see."""

import hashlib
import json
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.accounts.models import User
from pulje.applications.checks import ReadDraft, check_draft
from pulje.applications.models import (
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
)
from pulje.applications.workflow import APPLICATION, ApplicationRefused
from pulje.calls.models import Call, QuestionKind
from pulje.core.audit import snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.models import AuditEvent
from pulje.ledger.selectors import subtrees
from pulje.registry.models import Organisation
from pulje.registry.selectors import missing_profile_facts, organisations_of
from pulje.registry.services.organisations import ORGANISATION_FIELDS


def applications_for(user: User) -> QuerySet[Application]:
    """The applications of the organisations ``user`` is a member of."""
    return Application.objects.filter(organisation__memberships__user=user)


def dashboard_applications(user: User) -> list[Application]:
    """The user's organisations' applications for the dashboard, newest first; each with
    ``latest_version`` (or None). Three queries, however many applications."""
    latest = ApplicationVersion.objects.order_by("-number")
    applications = (
        applications_for(user)
        .select_related("call", "organisation")
        .prefetch_related(
            Prefetch("versions", queryset=latest, to_attr="versions_newest_first"),
            # For the fingerprint of what would be submitted now (``unsent_changes``).
            "attachments",
        )
        .order_by("-created_at")
    )
    result: list[Application] = list(applications)
    for application in result:
        versions = application.versions_newest_first  # type: ignore[attr-defined]
        application.latest_version = versions[0] if versions else None  # type: ignore[attr-defined]
    return result


# What the applicant's timeline shows: the steps of their application, not the
# secretariat's internal ones (recommendations, grants awaiting a second approval) nor who
# took them.
APPLICANT_TIMELINE = frozenset(
    action for action in AuditAction if action.startswith("applications.application.")
) - {
    AuditAction.APPLICATION_RECOMMENDED,
    AuditAction.APPLICATION_NOT_RECOMMENDED,
    AuditAction.APPLICATION_GRANT_PROPOSED,
    AuditAction.APPLICATION_GRANT_RETURNED,
}


def applicant_timeline(application: Application) -> list[AuditEvent]:
    """The application's steps as the applicant may see them, oldest first (one query)."""
    return list(
        AuditEvent.objects.filter(
            object_type=Application._meta.label_lower,
            object_id=str(application.pk),
            action__in=APPLICANT_TIMELINE,
        ).order_by("seq")
    )


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


def latest_version(application: Application) -> ApplicationVersion | None:
    """The application's latest submitted version, with who submitted it; None for a draft
    never submitted (one query)."""
    return application.versions.select_related("submitted_by").order_by("-number").first()


def organisations_that_may_apply(user: User, call: Call) -> list[Organisation]:
    """The organisations ``user`` acts for whose kind ``call`` is open to, by name (one
    query). The service (``start_application``) decides again whether they may."""
    kinds = call.applicant_kind_values()
    return [organisation for organisation in organisations_of(user) if organisation.kind in kinds]


def draft_to_resume(
    user: User, call: Call, organisations: list[Organisation]
) -> Application | None:
    """The newest draft to ``call`` of one of ``organisations`` that the user may see: Apply
    pressed again (or twice) resumes it instead of starting another."""
    drafts = [d for d in drafts_for(user, call) if d.organisation in organisations]
    return drafts[0] if drafts else None


@dataclass(frozen=True)
class NextStep:
    """What is expected of the applicant next, in a sentence (``urgent``: they must act);
    ``may_change``: they may change the submitted application now, ``unsent``: they have
    changed it and not yet submitted the changes."""

    text: str
    urgent: bool
    may_change: bool = False
    unsent: bool = False


def may_change(application: Application) -> bool:
    """Whether the applicant may change the submitted application now and submit it again:
    the workflow lets it be submitted again (it is "screened" right after a submission), the
    call allows changes after submission, and its deadline has not passed. No query."""
    return (
        not application.is_draft
        and APPLICATION.allowed(application, "submit")
        and editing_refusal(application) is None
    )


def unsent_changes(application: Application, latest: ApplicationVersion | None) -> bool:
    """Whether the applicant has changed the submitted application (its draft, its files or
    the organisation's profile it carries) since ``latest``, its latest submitted version,
    and may still submit the changes."""
    return (
        latest is not None
        and may_change(application)
        and fingerprint(application) != latest.fingerprint
    )


def next_step(application: Application, latest: ApplicationVersion | None = None) -> NextStep:
    """What is expected of the applicant next, in a sentence, with whether they may change
    the submitted application and have changes not yet submitted (``latest``: its latest
    submitted version)."""
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
    status = ApplicationStatus(application.status)
    if may_change(application):
        return _changeable_step(application, latest, deadline)
    if application.is_resubmittable:
        return NextStep(_("Nothing for now: the secretariat is processing it."), urgent=False)
    if status == ApplicationStatus.GRANTED:
        return NextStep(
            _("Read the decision and accept the grant before the date it gives."), urgent=True
        )
    later = LATER_STEPS.get(status, LATER_STEPS[ApplicationStatus.IN_ASSESSMENT])
    return NextStep(str(later), urgent=False)


def _changeable_step(
    application: Application, latest: ApplicationVersion | None, deadline: str
) -> NextStep:
    """The next step of a submitted application the applicant may still change."""
    if unsent_changes(application, latest):
        return NextStep(
            _("Submit your changes before %(deadline)s, or they will not count.")
            % {"deadline": deadline},
            urgent=True,
            may_change=True,
            unsent=True,
        )
    return NextStep(
        _("Nothing for now. You can change the application until %(deadline)s.")
        % {"deadline": deadline},
        urgent=False,
        may_change=True,
    )


LATER_STEPS = {
    ApplicationStatus.IN_ASSESSMENT: gettext_lazy(
        "Nothing for now: the application is being assessed."
    ),
    ApplicationStatus.REJECTED: gettext_lazy(
        "Nothing: the application was rejected. See the letter."
    ),
    ApplicationStatus.ACCEPTED: gettext_lazy("Nothing for now: you have accepted the grant."),
    ApplicationStatus.LAPSED: gettext_lazy(
        "Nothing: the grant lapsed, as it was not accepted in time."
    ),
    ApplicationStatus.DECLINED: gettext_lazy("Nothing: you have declined the grant."),
    ApplicationStatus.WITHDRAWN: gettext_lazy("Nothing: the application was withdrawn."),
}


def deadline_refusal(call: Call) -> ApplicationRefused | None:
    """The refusal of any change or submission on ``call`` once its deadline has passed, or
    None before it."""
    if timezone.now() >= call.closes_at:
        return ApplicationRefused(
            _(
                "The deadline for this call was %(deadline)s. The application can no longer be "
                "changed or submitted."
            )
            % {"deadline": date_format(timezone.localtime(call.closes_at), "DATETIME_FORMAT")},
            code="deadline",
        )
    return None


def editing_refusal(application: Application) -> ApplicationRefused | None:
    """Why the applicant cannot change the application now, as the refusal the services
    raise, or None if they can."""
    refusal = deadline_refusal(application.call)
    if refusal is not None:
        return refusal
    if application.status == ApplicationStatus.WITHDRAWN:
        return ApplicationRefused(
            _("The application has been withdrawn and cannot be changed."), code="withdrawn"
        )
    if application.status not in ApplicationStatus.applicant_editable():
        return ApplicationRefused(
            _("The application is being processed and can no longer be changed."),
            code="processing",
        )
    if application.status != ApplicationStatus.DRAFT and not application.call.edit_after_submit:
        return ApplicationRefused(
            _("This call does not allow changes after submission."), code="locked"
        )
    return None


def edit_refusal(application: Application) -> str | None:
    """Why the applicant cannot change the application now, or None if they can."""
    refusal = editing_refusal(application)
    return refusal.message if refusal is not None else None


def fingerprint(application: Application) -> str:
    """Identifies what would be submitted now: the draft, the files attached and the
    organisation's profile (its payment account and contacts go with the application)."""
    # Read in Python, so a prefetch of the attachments (the dashboard's) spares the query.
    files = sorted(a.pk for a in application.attachments.all() if a.removed_at is None)
    payload = json.dumps(
        {
            "draft": application.draft,
            "files": files,
            "organisation": snapshot(application.organisation, ORGANISATION_FIELDS),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class SubmissionCheck:
    """What submitting the draft now would meet: the draft read and held to the call's rules
    (``read.errors``: the form's messages, by field), and what else stops it (``problems``:
    the organisation's profile, required files)."""

    read: ReadDraft
    problems: list[str]

    @property
    def valid(self) -> bool:
        """Whether the draft itself may be submitted (the form would be valid)."""
        return not self.read.errors

    def messages(self) -> list[str]:
        """Every message, the fields' in the form's order first."""
        return [
            *(message for messages in self.read.errors.values() for message in messages),
            *self.problems,
        ]


def check_submission(application: Application) -> SubmissionCheck:
    """The draft read by its fields and the call's rules, and what else stops submission
    (profile, files)."""
    read = check_draft(
        application.draft, call=application.call, organisation=application.organisation
    )
    problems = list(missing_profile_facts(application.organisation))
    attached = set(
        application.attachments.filter(removed_at__isnull=True).values_list(
            "question_id", flat=True
        )
    )
    for question in application.call.questions.filter(kind=QuestionKind.FILE, required=True):
        if question.pk not in attached:
            problems.append(_("Attach a file for “%(question)s”.") % {"question": question.label})
    return SubmissionCheck(read=read, problems=problems)


@dataclass(frozen=True)
class CallFigures:
    available_ore: int
    requested_ore: int
    submitted: int


def call_figures(call: Call) -> CallFigures:
    """What the call's pool (with its sub-pools) still has available, and what submitted
    applications ask for so far. Three queries."""
    (node,) = subtrees([call.pool])[:1]
    totals = Application.objects.filter(
        call=call, status__in=ApplicationStatus.counted()
    ).aggregate(requested=Sum("amount_ore", default=0), submitted=Count("pk"))
    return CallFigures(
        available_ore=node.subtree.available,
        requested_ore=totals["requested"],
        submitted=totals["submitted"],
    )
