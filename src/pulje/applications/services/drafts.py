"""Drafts: starting an application and saving what the applicant types.

``start_application`` is one transaction and locks the organisation's row, so two drafts
started at once are counted one after the other against the quota. ``save_draft`` locks the
application's row only for the read and the write; saving writes no audit event (it is the
applicant's unfinished text, kept in the draft itself).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pulje.accounts.models import User
from pulje.applications.checks import field_names
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services.common import (
    _refuse_after_deadline,
    _refuse_unless_editable,
    _refuse_unless_member,
)
from pulje.applications.workflow import ApplicationRefused
from pulje.calls.models import Call
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.registry.models import Organisation, OrganisationKind


def not_open_to(call: Call, organisation: Organisation) -> str:
    """Why ``organisation`` may not apply to ``call``: its kind, and the kinds the call is
    open to."""
    kinds = [str(OrganisationKind(kind).label) for kind in call.applicant_kind_values()]
    return _(
        "%(organisation)s is registered as “%(kind)s”, but this call is open only to: %(kinds)s."
    ) % {
        "organisation": organisation.name,
        "kind": OrganisationKind(organisation.kind).label,
        "kinds": ", ".join(kinds),
    }


@transaction.atomic
def start_application(*, actor: User, call: Call, organisation: Organisation) -> Application:
    """Open a new, empty draft for ``organisation`` on ``call``.

    Side effects: one audit event ``applications.application.created``.
    Raises ApplicationRefused when the call is not open, the organisation may not apply, or
    it has ``settings.QUOTA_DRAFTS_PER_CALL`` drafts on the call already, or ``actor`` does
    not act for the organisation.
    """
    now = timezone.now()
    if now < call.opens_at:
        raise ApplicationRefused(
            _("The call opens %(opens)s.")
            % {"opens": date_format(timezone.localtime(call.opens_at), "DATETIME_FORMAT")},
            code="not_open",
        )
    _refuse_after_deadline(call)
    if organisation.kind not in call.applicant_kind_values():
        raise ApplicationRefused(not_open_to(call, organisation), code="not_eligible")
    _refuse_unless_member(actor, organisation)
    _refuse_beyond_draft_quota(call, organisation)
    application = Application.objects.create(call=call, organisation=organisation, created_by=actor)
    record_event(
        actor=actor,
        action=AuditAction.APPLICATION_CREATED,
        obj=application,
        after=snapshot(application, ("call", "organisation", "status")),
    )
    return application


def _refuse_beyond_draft_quota(call: Call, organisation: Organisation) -> None:
    # The organisation's row lock makes two drafts started at once count one after the other.
    Organisation.objects.select_for_update().only("pk").get(pk=organisation.pk)
    limit = settings.QUOTA_DRAFTS_PER_CALL
    drafts = Application.objects.filter(
        call=call, organisation=organisation, status=ApplicationStatus.DRAFT
    ).count()
    if drafts >= limit:
        raise ApplicationRefused(
            ngettext(
                "%(organisation)s already has %(count)d draft for this call, the most it may "
                "have. Finish it or withdraw it first.",
                "%(organisation)s already has %(count)d drafts for this call, the most it may "
                "have. Finish one or withdraw one first.",
                drafts,
            )
            % {"organisation": organisation.name, "count": drafts},
            code="draft_quota",
        )


def save_draft(
    *, actor: User, application: Application, values: dict[str, list[str]]
) -> Application:
    """Keep what the applicant typed in the fields named in ``values``, exactly as typed.

    The other fields of the draft are left alone, so two windows that each change their own
    field do not undo each other. Unknown field names are ignored. Nothing is cut: a value
    longer than its field allows is kept whole, for the check to refuse with a message (the
    request itself is bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE``).
    Raises ApplicationRefused after the deadline, when the application cannot be changed, or
    when ``actor`` does not act for its organisation.
    """
    _refuse_unless_member(actor, application.organisation)
    # Worked out before the row lock, which is held only for the read and the write.
    known = field_names(application.call)
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update().select_related("call").get(pk=application.pk)
        )
        _refuse_unless_editable(locked)
        draft = dict(locked.draft)
        for name, typed in values.items():
            if name in known:
                draft[name] = [str(value) for value in typed]
        locked.draft = draft
        locked.draft_saved_at = timezone.now()
        locked.save(update_fields=["draft", "draft_saved_at"])
    return locked
