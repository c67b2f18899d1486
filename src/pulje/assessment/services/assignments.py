"""The panel, assignments and declarations of conflicts of interest."""

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import Membership, User
from pulje.accounts.services.users import get_or_register_user
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import ApplicationRefused, transition
from pulje.assessment.models import (
    Assignment,
    AssignmentState,
    PanelMember,
)
from pulje.assessment.services.common import (
    ASSIGNMENT,
    AssessmentRefused,
    refuse_unless_caseworker,
)
from pulje.assessment.services.rubrics import ensure_rubric
from pulje.calls.models import Call
from pulje.casework.selectors import failed_screening
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.mail import queue_mail

ASSIGNABLE = (ApplicationStatus.SCREENED, ApplicationStatus.IN_ASSESSMENT)


@transaction.atomic
def add_assessor(*, actor: User, call: Call, email: str, name: str = "") -> PanelMember:
    """Put the person with this e-mail address on the call's assessor panel, registering
    them (without a password: they log in by code) if they have no user yet. Adding someone
    who is on the panel already changes nothing.

    Side effects: the user's registration event if new; one audit event
    ``assessment.panelmember.added``. Raises AssessmentRefused when the actor does not work
    the call.
    """
    refuse_unless_caseworker(actor, call)
    user, _registered = get_or_register_user(actor=actor, email=email, name=name)
    member, created = PanelMember.objects.get_or_create(call=call, user=user)
    if created:
        record_event(
            actor=actor,
            action=AuditAction.ASSESSMENT_PANEL_MEMBER_ADDED,
            obj=member,
            after=snapshot(member, ("call", "user")),
        )
    return member


@transaction.atomic
def remove_assessor(*, actor: User, member: PanelMember) -> None:
    """Take a person off the panel. Refused while they have assignments still to declare
    or to score (the caseworker reassigns those first); submitted scores stay.

    Side effects: one audit event ``assessment.panelmember.deleted``.
    """
    refuse_unless_caseworker(actor, member.call)
    open_work = Assignment.objects.filter(
        assessor_id=member.user_id,
        application__call_id=member.call_id,
        state__in=[AssignmentState.TO_DECLARE, AssignmentState.TO_SCORE],
    ).count()
    if open_work:
        raise AssessmentRefused(
            _(
                "%(name)s still has %(count)d assignments to finish. They cannot be removed "
                "from the panel until these are done."
            )
            % {"name": member.user, "count": open_work},
            code="assessor_has_work",
        )
    before = snapshot(member, ("call", "user"))
    record_event(
        actor=actor, action=AuditAction.ASSESSMENT_PANEL_MEMBER_DELETED, obj=member, before=before
    )
    member.delete()


def _is_member_of_applicant(user_id: int, applications: Sequence[Application]) -> set[int]:
    """The pks of the applications whose organisation ``user`` acts for (a conflict)."""
    organisations = set(
        Membership.objects.filter(
            user_id=user_id, organisation_id__in={a.organisation_id for a in applications}
        ).values_list("organisation_id", flat=True)
    )
    return {a.pk for a in applications if a.organisation_id in organisations}


def _refuse_unassignable(
    *,
    actor: User,
    applications: Sequence[Application],
    assessor: User,
    existing: Mapping[int, Assignment],
) -> None:
    """Raise AssessmentRefused for the first reason ``assessor`` may not be assigned."""
    calls = {a.call_id: a.call for a in applications}
    for call in calls.values():
        refuse_unless_caseworker(actor, call)
    on_panel = set(
        PanelMember.objects.filter(call_id__in=calls, user=assessor).values_list(
            "call_id", flat=True
        )
    )
    for call_id, call in calls.items():
        if call_id not in on_panel:
            raise AssessmentRefused(
                _("%(name)s is not on the assessor panel of “%(call)s”.")
                % {"name": assessor, "call": call.title},
                code="not_on_panel",
            )
    failed = failed_screening(applications)
    if failed:
        raise AssessmentRefused(
            _("%(applications)s failed screening. Override the screening with a reason first.")
            % {"applications": ", ".join(a.reference for a in failed)},
            code="failed_screening",
        )
    for application in applications:
        if application.status not in ASSIGNABLE:
            status = ApplicationStatus(application.status).label
            raise AssessmentRefused(
                _(
                    "Application %(reference)s is “%(status)s”: only screened applications "
                    "and those in assessment can be assigned."
                )
                % {"reference": application.reference, "status": str(status).lower()},
                code="not_assignable",
            )
    members = _is_member_of_applicant(assessor.pk, applications)
    for application in applications:
        if application.pk in members:
            raise AssessmentRefused(
                _(
                    "%(name)s acts for %(organisation)s, the applicant of %(reference)s: a "
                    "conflict of interest."
                )
                % {
                    "name": assessor,
                    "organisation": application.organisation.name,
                    "reference": application.reference,
                },
                code="conflict_of_interest",
            )
    for application in applications:
        found = existing.get(application.pk)
        if found is not None and found.state == AssignmentState.CONFLICTED:
            raise AssessmentRefused(
                _("%(name)s has declared a conflict of interest for %(reference)s.")
                % {"name": assessor, "reference": application.reference},
                code="conflict_declared",
            )


@transaction.atomic
def assign_assessor(*, actor: User, applications: Sequence[Application], assessor: User) -> int:
    """Assign ``assessor`` to each application; returns how many were newly assigned
    (those already assigned to them are left as they are).

    All or nothing: the batch is refused whole with ``AssessmentRefused`` when the actor does
    not work a call, the assessor is not on a call's panel, an application is not screened
    or in assessment, the assessor acts for an applicant organisation (an automatic
    conflict of interest), or has declared a conflict for an application.

    Side effects: each screened application moves to in assessment through the workflow's
    ``transition`` (its audit event); one ``assessment.assignment.created`` event per new
    assignment; each call's rubric with the default criteria when it has none yet
    (``ensure_rubric``), so an assessor always scores against stored criteria; after the
    commit, one e-mail to the assessor when any are new. The applications are locked in pk
    order first, so a withdrawal at the same time either happens before (and the batch is
    refused) or after.
    """
    pks = sorted({a.pk for a in applications})
    if not pks:
        return 0
    locked = list(
        Application.objects.select_for_update()
        .filter(pk__in=pks)
        .select_related("call", "organisation")
        .order_by("pk")
    )
    existing = {
        a.application_id: a
        for a in Assignment.objects.filter(application_id__in=pks, assessor=assessor)
    }
    _refuse_unassignable(actor=actor, applications=locked, assessor=assessor, existing=existing)
    assigned = 0
    for application in locked:
        if application.pk in existing:
            continue
        if application.status == ApplicationStatus.SCREENED:
            try:
                transition(actor=actor, application=application, action="start_assessment")
            except ApplicationRefused as refusal:
                raise AssessmentRefused(refusal.message, code=refusal.code) from refusal
        ensure_rubric(actor=actor, call=application.call)
        assignment = Assignment.objects.create(application=application, assessor=assessor)
        record_event(
            actor=actor,
            action=AuditAction.ASSESSMENT_ASSIGNMENT_CREATED,
            obj=assignment,
            after=snapshot(assignment, ("application", "assessor", "state")),
        )
        assigned += 1
    if assigned:
        # robust: a mail server that fails is logged; the assignments stand and are listed
        # on the assessor's page.
        transaction.on_commit(
            lambda: send_assignment_notice(assessor_id=assessor.pk, count=assigned), robust=True
        )
    return assigned


def send_assignment_notice(*, assessor_id: int, count: int) -> None:
    """Tell the assessor they have ``count`` new applications to assess (not which: they
    declare conflicts of interest before they see anything)."""
    assessor = User.objects.get(pk=assessor_id)
    with override("da"):
        context = {"count": count, "url": f"{settings.SITE_URL}{reverse('assessment:mine')}"}
        queue_mail(
            subject=_("New applications to assess"),
            body=render_to_string("assessment/email/assigned.txt", context),
            to=[assessor.email],
        )


@transaction.atomic
def declare_interest(
    *, actor: User, assignment: Assignment, conflict: bool, note: str = ""
) -> Assignment:
    """The assessor declares whether they have a conflict of interest with the application.

    No conflict: the assignment moves on to scoring. A conflict: the assignment ends for
    good and the application is hidden from them; the caseworker sees the declaration (and
    the optional ``note``) and can assign someone else.

    Side effects: one audit event ``assessment.assignment.declared``. Raises
    AssessmentRefused when ``actor`` is not the assessor or has declared already.
    """
    if assignment.assessor_id != actor.pk:
        raise AssessmentRefused(
            _("Only the assessor can declare for their assignment."), code="not_assessor"
        )
    action = "declare_conflict" if conflict else "declare_no_conflict"
    if not ASSIGNMENT.allowed(assignment, action):
        raise AssessmentRefused(
            _("You have declared for this application already."), code="already_declared"
        )
    ASSIGNMENT.move(
        actor=actor,
        obj=assignment,
        action=action,
        changes={"declared_at": timezone.now(), "conflict_note": note.strip() if conflict else ""},
    )
    return assignment
