"""Attachments: adding and removing the application's files.

A file is checked and written to storage before the application's row is locked, and checked
again under the lock, so a large upload never holds up anyone's saving; the row lock and the
audit event are in one transaction, and a file is removed from storage when it fails or, once
no submitted version lists it, after commit.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application, Attachment
from pulje.applications.selectors import listed_in_a_version
from pulje.applications.services.common import _refuse_unless_editable, _refuse_unless_member
from pulje.applications.uploads import check_upload
from pulje.calls.models import CallQuestion, QuestionKind
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction

MAX_ATTACHMENTS = 20


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
