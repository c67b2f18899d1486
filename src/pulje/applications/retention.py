"""How long pulje keeps the files of applications that were never submitted.

A draft nobody submitted by the deadline, or one withdrawn before it was submitted, holds
files nobody will judge: they are deleted ``settings.PURGE_UNSUBMITTED_FILES_AFTER_DAYS``
after the deadline or the withdrawal (docs/production.md, "Quotas"). A submitted
application's files are the case's record and are kept, withdrawn or not.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from pulje.applications.models import Application, ApplicationStatus, Attachment
from pulje.core.audit import record_event
from pulje.core.audit_actions import AuditAction


@dataclass(frozen=True)
class PurgeResult:
    applications: int
    files: int
    bytes: int


def _unsubmitted_past_retention(now: dt.datetime) -> QuerySet[Application]:
    cutoff = now - dt.timedelta(days=settings.PURGE_UNSUBMITTED_FILES_AFTER_DAYS)
    return Application.objects.filter(
        Q(status=ApplicationStatus.DRAFT, call__closes_at__lt=cutoff)
        | Q(status=ApplicationStatus.WITHDRAWN, withdrawn_at__lt=cutoff),
        submitted_at__isnull=True,
    )


def purge_unsubmitted_files(*, now: dt.datetime) -> PurgeResult:
    """Delete the files of every application never submitted whose retention has run out.

    The attachment rows stay (the name, size and who uploaded it), with no file and marked
    removed, so the application's history still says what was attached. One transaction per
    application, so one that fails does not hold up the others; an attachment without a file
    is skipped, so running it again does nothing.
    Side effects per application: its files deleted from storage; one audit event
    ``applications.attachment.purged`` on the application, naming the files.
    """
    stale = (
        _unsubmitted_past_retention(now).filter(attachments__file__gt="").distinct().order_by("pk")
    )
    applications = files = size = 0
    for application_id in stale.values_list("pk", flat=True):
        purged = _purge_one(application_id, now)
        if purged:
            applications += 1
            files += len(purged)
            size += sum(attachment.size for attachment in purged)
    return PurgeResult(applications=applications, files=files, bytes=size)


@transaction.atomic
def _purge_one(application_id: int, now: dt.datetime) -> list[Attachment]:
    locked = _unsubmitted_past_retention(now).select_for_update().filter(pk=application_id)
    application = locked.first()
    if application is None:
        return []
    purged = list(application.attachments.exclude(file="").order_by("pk"))
    for attachment in purged:
        # Deleted before the rows are changed: if the transaction then fails, the next run
        # finds the rows unchanged and deletes nothing twice (a missing file is no error);
        # the other order could leave a file on disk that no row points to.
        attachment.file.storage.delete(attachment.file.name)
    Attachment.objects.filter(pk__in=[a.pk for a in purged], removed_at__isnull=True).update(
        removed_at=now
    )
    Attachment.objects.filter(pk__in=[a.pk for a in purged]).update(file="")
    record_event(
        actor=None,
        action=AuditAction.APPLICATION_ATTACHMENT_PURGED,
        obj=application,
        after={
            "files": [{"id": a.pk, "name": a.original_name, "size": a.size} for a in purged],
        },
    )
    return purged
