"""Which files an applicant may attach (decided by the file's content, not its name), and how
an attached file is served to those who may read it."""

import filetype  # type: ignore[import-untyped]
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from pulje.applications.models import Attachment

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/heic",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)


def check_upload(upload: UploadedFile) -> str:
    """The file's type as read from its first bytes, or ValidationError saying why it is
    refused: empty, too large, or not a PDF, picture or office document."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": upload.name})
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file “%(name)s” is larger than %(limit)s, the most a file may be.")
            % {"name": upload.name, "limit": filesizeformat(MAX_UPLOAD_BYTES)}
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise ValidationError(
            _(
                "The file “%(name)s” is not a PDF, a picture or an office document (its content "
                "was checked, not its name). Save it as PDF and try again."
            )
            % {"name": upload.name}
        )
    return str(kind.mime)


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file to download, whoever may read it: always as a download with its checked
    type, never shown in the browser as something else (``nosniff``), and not kept in a
    shared cache."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
