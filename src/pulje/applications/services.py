"""Writes to applications: drafts, attachments, submission and withdrawal.

An application's status changes only through ``workflow.transition``, by its table, with a
compare-and-swap on the status. Every
state change and every attachment writes an audit event in the same transaction; saving a
draft does not (it is the applicant's unfinished text, kept in the draft itself).
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from pulje.accounts.models import User
from pulje.accounts.permissions import is_member, is_proven_member
from pulje.applications.checks import ReadDraft, check_draft, field_names
from pulje.applications.models import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    BudgetLine,
    Partner,
)
from pulje.applications.selectors import listed_in_a_version
from pulje.applications.signals import application_submitted
from pulje.applications.uploads import check_upload
from pulje.applications.workflow import ApplicationRefused, next_status, transition
from pulje.calls.models import Call, CallQuestion, QuestionKind
from pulje.calls.services import next_reference_number
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.mail import queue_mail
from pulje.registry.models import Organisation
from pulje.registry.selectors import missing_profile_facts
from pulje.registry.services import ORGANISATION_FIELDS

MAX_ATTACHMENTS = 20


def _refuse_after_deadline(call: Call) -> None:
    if timezone.now() >= call.closes_at:
        raise ApplicationRefused(
            _(
                "The deadline for this call was %(deadline)s. The application can no longer be "
                "changed or submitted."
            )
            % {"deadline": date_format(timezone.localtime(call.closes_at), "DATETIME_FORMAT")},
            code="deadline",
        )


def _refuse_unless_editable(application: Application) -> None:
    _refuse_after_deadline(application.call)
    if application.status == ApplicationStatus.WITHDRAWN:
        raise ApplicationRefused(
            _("The application has been withdrawn and cannot be changed."), code="withdrawn"
        )
    if application.status not in ApplicationStatus.applicant_editable():
        raise ApplicationRefused(
            _("The application is being processed and can no longer be changed."),
            code="processing",
        )
    if application.status != ApplicationStatus.DRAFT and not application.call.edit_after_submit:
        raise ApplicationRefused(
            _("This call does not allow changes after submission."), code="locked"
        )


def edit_refusal(application: Application) -> str | None:
    """Why the applicant cannot change the application now, or None if they can."""
    try:
        _refuse_unless_editable(application)
    except ApplicationRefused as refusal:
        return refusal.message
    return None


def _refuse_unless_member(actor: User, organisation: Organisation) -> None:
    """Drafts, files and withdrawals of drafts are for the organisation's members (a request
    not yet proven included); nobody else, whatever page called."""
    if not is_member(actor, organisation):
        raise ApplicationRefused(
            _("Only the people who act for %(name)s work on its applications.")
            % {"name": organisation.name},
            code="not_member",
        )


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
        raise ApplicationRefused(
            _("%(organisation)s cannot apply to this call: see who may apply.")
            % {"organisation": organisation.name},
            code="not_eligible",
        )
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


def draft_data(application: Application) -> MultiValueDict[str, str]:
    """The draft as form data, as a browser would send it."""
    return MultiValueDict({name: list(values) for name, values in application.draft.items()})


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


def add_attachment(
    *,
    actor: User,
    application: Application,
    upload: UploadedFile,
    question: CallQuestion | None = None,
) -> Attachment:
    """Store an uploaded file with the application, once its content is checked.

    The file is checked and written to storage before the application's row is locked, so a
    large upload never holds up anyone's saving; the checks are made again under the lock.
    Side effects: the file in Django's default storage (removed again if the transaction
    fails); one audit event ``applications.attachment.added``.
    Raises ValidationError with the reason a file is refused (type by content, size, count,
    the application's ``settings.QUOTA_ATTACHMENT_BYTES`` in all), ApplicationRefused when
    the application cannot be changed or ``actor`` does not act for its organisation.
    """
    _refuse_unless_member(actor, application.organisation)
    _check_attachment(application, question, upload)
    attachment = Attachment(
        application=application,
        question=question,
        original_name=(upload.name or "")[-200:],
        content_type=check_upload(upload),
        size=upload.size or 0,
        uploaded_by=actor,
    )
    attachment.file.save(upload.name or "", upload, save=False)
    try:
        with transaction.atomic():
            locked = (
                Application.objects.select_for_update()
                .select_related("call")
                .get(pk=application.pk)
            )
            _check_attachment(locked, question, upload)
            attachment.application = locked
            attachment.save()
            record_event(
                actor=actor,
                action=AuditAction.APPLICATION_ATTACHMENT_ADDED,
                obj=attachment,
                after=snapshot(attachment, ("application", "question", "original_name", "size")),
            )
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def _check_attachment(
    application: Application, question: CallQuestion | None, upload: UploadedFile
) -> None:
    _refuse_unless_editable(application)
    if question is not None and (
        question.call_id != application.call_id or question.kind != QuestionKind.FILE
    ):
        raise ValidationError(_("That question does not ask for a file."))
    if application.attachments.filter(removed_at__isnull=True).count() >= MAX_ATTACHMENTS:
        raise ValidationError(
            _("An application can have at most %(limit)d attachments. Remove one first.")
            % {"limit": MAX_ATTACHMENTS}
        )
    limit = settings.QUOTA_ATTACHMENT_BYTES
    kept = application.attachments.filter(removed_at__isnull=True)
    used = kept.aggregate(used=Sum("size"))["used"] or 0
    size = upload.size or 0
    if used + size > limit:
        raise ValidationError(
            _(
                "The application's files may take up %(limit)s in all, and %(left)s is left: "
                "“%(name)s” is %(size)s. Remove a file or make this one smaller."
            )
            % {
                "limit": filesizeformat(limit),
                "left": filesizeformat(max(limit - used, 0)),
                "name": upload.name,
                "size": filesizeformat(size),
            }
        )


@transaction.atomic
def remove_attachment(*, actor: User, attachment: Attachment) -> None:
    """Take a file off the application. A submitted version that listed it keeps the file;
    one no version listed is deleted from storage after commit.

    Side effects: one audit event ``applications.attachment.deleted``; perhaps the file.
    Raises ApplicationRefused when ``actor`` does not act for the organisation or the
    application cannot be changed.
    """
    application = (
        Application.objects.select_for_update()
        .select_related("call", "organisation")
        .get(pk=attachment.application_id)
    )
    _refuse_unless_member(actor, application.organisation)
    _refuse_unless_editable(application)
    attachment.removed_at = timezone.now()
    attachment.save(update_fields=["removed_at"])
    record_event(
        actor=actor,
        action=AuditAction.APPLICATION_ATTACHMENT_DELETED,
        obj=attachment,
        after=snapshot(attachment, ("application", "removed_at")),
    )
    if not listed_in_a_version(attachment):
        storage, name = attachment.file.storage, attachment.file.name
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def fingerprint(application: Application) -> str:
    """Identifies what would be submitted now: the draft, the files attached and the
    organisation's profile (its payment account and contacts go with the application)."""
    files = sorted(
        application.attachments.filter(removed_at__isnull=True).values_list("pk", flat=True)
    )
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
class Submission:
    version: ApplicationVersion
    new: bool


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


@transaction.atomic
def submit_application(*, actor: User, application: Application, confirmed: str) -> Submission:
    """Submit what the applicant checked (``confirmed`` is the fingerprint they saw).

    Submitting the same content again (a double click, a second tab, a retry) returns the
    version already submitted and changes nothing. Submitting changes to a submitted
    application, where the call allows it, appends a new version.
    Side effects: typed fields, departments, budget lines, partners and answers written from
    the draft; an ``ApplicationVersion``; the reference number on first submission; one audit
    event ``applications.application.submitted``; the signal ``signals.application_submitted``,
    on which casework screens the application in this transaction; after commit, the receipt
    by e-mail.
    Raises ApplicationRefused (not a proven member of the organisation, deadline, state,
    content changed since it was checked) or
    ValidationError (the form's messages, ``check_submission``'s, and what the profile lacks),
    having written nothing.
    """
    locked = (
        Application.objects.select_for_update()
        .select_related("call", "organisation")
        .get(pk=application.pk)
    )
    if not is_proven_member(actor, locked.organisation):
        raise ApplicationRefused(
            _(
                "Before you submit, prove that you act for %(name)s: the organisation's page "
                "shows how."
            )
            % {"name": locked.organisation.name},
            code="unproven",
        )
    current = fingerprint(locked)
    latest = locked.versions.order_by("-number").first()
    # Screened on submission, so a retry finds it past "submitted".
    submitted = locked.status in ApplicationStatus.counted()
    if submitted and latest is not None and latest.fingerprint == confirmed == current:
        return Submission(version=latest, new=False)
    _refuse_unless_editable(locked)
    next_status(locked, "submit")
    if confirmed != current:
        raise ApplicationRefused(
            _(
                "The application has changed since you checked it. Check it again before you "
                "submit it."
            ),
            code="changed",
        )
    checked = check_submission(locked)
    if not checked.valid or checked.problems:
        raise ValidationError(checked.messages())
    _write_typed(locked, checked.read)
    now = timezone.now()
    first: dict[str, Any] = {}
    if not locked.reference:
        first = {"reference": next_reference_number(call=locked.call), "submitted_at": now}
    version = ApplicationVersion.objects.create(
        application=locked,
        number=(latest.number + 1) if latest else 1,
        submitted_at=now,
        submitted_by=actor,
        content=submission_content(locked, checked.read),
        fingerprint=current,
    )
    transition(
        actor=actor,
        application=locked,
        action="submit",
        changes=first,
        recorded={"amount_ore": locked.amount_ore, "version": version.number},
    )
    # Screening (casework) listens and screens in this transaction; its failure undoes all.
    application_submitted.send(sender=Application, actor=actor, application=locked)
    # robust: a mail server that fails is logged; the submission stands, its receipt is online.
    transaction.on_commit(lambda: send_receipt(version.pk), robust=True)
    return Submission(version=version, new=True)


def _write_typed(application: Application, read: ReadDraft) -> None:
    typed = read.input
    for name in ("title", "summary", "activities", "loneliness"):
        setattr(application, name, getattr(typed, name))
    application.target_groups = list(typed.target_groups)
    application.period_start = typed.period_start
    application.period_end = typed.period_end
    application.expected_participants = typed.expected_participants
    application.amount_ore = typed.amount_ore
    application.cofunding_ore = typed.cofunding_ore or 0
    application.save()
    application.departments.set(read.departments)
    application.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(application=application, kind=kind, amount_ore=amount)
        for kind, amount in (typed.budget or {}).items()
    )
    application.partners.all().delete()
    partners = list(typed.partners or ())
    known = dict(
        Organisation.objects.filter(cvr__in=[p.cvr for p in partners]).values_list("cvr", "pk")
    )
    Partner.objects.bulk_create(
        Partner(
            application=application,
            position=position,
            organisation_id=known.get(p.cvr),
            name=p.name,
            cvr=p.cvr,
            kind=p.kind,
        )
        for position, p in enumerate(partners, start=1)
    )
    application.answers.all().delete()
    Answer.objects.bulk_create(
        Answer(application=application, question=question, value=typed.answers[question.pk])
        for question in read.questions
        if typed.answers.get(question.pk) not in (None, "")
    )


def submission_content(application: Application, read: ReadDraft) -> dict[str, Any]:
    """What was submitted, readable without the rest of the database: the receipt."""
    organisation = application.organisation
    typed = read.input
    content = {
        "organisation": snapshot(organisation, ORGANISATION_FIELDS),
        "departments": [str(department) for department in read.departments],
        "fields": {
            "title": typed.title,
            "summary": typed.summary,
            "target_groups": list(typed.target_groups),
            "activities": typed.activities,
            "loneliness": typed.loneliness,
            "period_start": typed.period_start,
            "period_end": typed.period_end,
            "expected_participants": typed.expected_participants,
            "amount": typed.amount_ore,
            "cofunding": typed.cofunding_ore,
        },
        "budget": dict(typed.budget or {}),
        "partners": [{"name": p.name, "cvr": p.cvr, "kind": p.kind} for p in typed.partners or ()],
        "answers": [
            {"question": question.label, "value": typed.answers.get(question.pk)}
            for question in read.questions
        ],
        "attachments": [
            {
                "id": attachment.pk,
                "name": attachment.original_name,
                "size": attachment.size,
                "question": attachment.question.label if attachment.question else "",
            }
            for attachment in application.attachments.filter(removed_at__isnull=True)
            .select_related("question")
            .order_by("pk")
        ],
    }
    result: dict[str, Any] = json.loads(json.dumps(content, cls=DjangoJSONEncoder))
    return result


def send_receipt(version_id: int) -> None:
    """E-mail the receipt of a submitted version to who submitted it and the contact person."""
    version = ApplicationVersion.objects.select_related(
        "application__call", "application__organisation", "submitted_by"
    ).get(pk=version_id)
    application = version.application
    recipients = sorted({version.submitted_by.email, application.organisation.contact_email} - {""})
    with override("da"):
        path = reverse("applications:receipt", kwargs={"uuid": application.uuid})
        context = {
            "version": version,
            "application": application,
            "receipt_url": f"{settings.SITE_URL}{path}?version={version.number}",
        }
        queue_mail(
            subject=_("Receipt: %(reference)s %(title)s")
            % {"reference": application.reference, "title": application.title},
            body=render_to_string("applications/email/receipt.txt", context),
            to=recipients,
        )


@transaction.atomic
def withdraw_application(*, actor: User, application: Application) -> Application:
    """Withdraw an application (a draft or a submitted one) before a decision: a member of
    the organisation withdraws a draft, only a proven member a submitted one.

    Side effects: one audit event ``applications.application.withdrawn``.
    Raises ApplicationRefused when ``actor`` may not, or its state does not allow it.
    """
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=application.pk)
    )
    if not (
        is_proven_member(actor, locked.organisation)
        or (locked.status == ApplicationStatus.DRAFT and is_member(actor, locked.organisation))
    ):
        raise ApplicationRefused(
            _(
                "Only someone who has proven that they act for %(name)s may withdraw its "
                "submitted applications."
            )
            % {"name": locked.organisation.name},
            code="unproven",
        )
    transition(
        actor=actor,
        application=locked,
        action="withdraw",
        changes={"withdrawn_at": timezone.now()},
    )
    return locked
