import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django import Settings

from pulje.applications.models import Application, Attachment
from pulje.applications.selectors import listed_in_a_version
from pulje.applications.services import (
    add_attachment,
    fingerprint,
    remove_attachment,
    submit_application,
    withdraw_application,
)
from pulje.applications.uploads import MAX_UPLOAD_BYTES
from pulje.applications.workflow import ApplicationRefused
from pulje.core.models import AuditEvent
from tests.factories.applications import PDF, Applicant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def xlsx() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


def attach_pdf(draft: Application, applicant: Applicant) -> Attachment:
    return add_attachment(
        actor=applicant.user, application=draft, upload=SimpleUploadedFile("a.pdf", PDF)
    )


def stored_files(settings: Settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("budget.pdf", PDF, "application/pdf"),
        ("foto.png", PNG, "image/png"),
        (
            "budget.xlsx",
            xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        # Named wrongly, but a PDF all the same: the content decides.
        ("aftale.docx", PDF, "application/pdf"),
    ],
)
def test_pdfs_pictures_and_office_documents_are_kept(
    *,
    draft: Application,
    applicant: Applicant,
    settings: Settings,
    name: str,
    content: bytes,
    mime: str,
) -> None:
    attachment = add_attachment(
        actor=applicant.user, application=draft, upload=SimpleUploadedFile(name, content)
    )
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        name,
        mime,
        len(content),
    )
    with attachment.file.open("rb") as stored:
        assert stored.read() == content
    assert len(stored_files(settings)) == 1
    assert AuditEvent.objects.filter(action="applications.attachment.added").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "program.pdf",
            b"MZ\x90\x00" + b"\x00" * 100,
            "The file “program.pdf” is not a PDF, a picture or an office document (its content "
            "was checked, not its name). Save it as PDF and try again.",
        ),
        (
            "noter.txt",
            b"just some text",
            "The file “noter.txt” is not a PDF, a picture or an office document (its content "
            "was checked, not its name). Save it as PDF and try again.",
        ),
        ("tom.pdf", b"", "The file “tom.pdf” is empty."),
        (
            "stor.pdf",
            PDF + b"\x00" * MAX_UPLOAD_BYTES,
            "The file “stor.pdf” is larger than 10.0\xa0MB, the most a file may be.",
        ),
    ],
)
def test_refused_files_get_the_reason_and_nothing_is_stored(
    *,
    draft: Application,
    applicant: Applicant,
    settings: Settings,
    name: str,
    content: bytes,
    message: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        add_attachment(
            actor=applicant.user, application=draft, upload=SimpleUploadedFile(name, content)
        )
    assert refused.value.messages == [message]
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    assert not AuditEvent.objects.filter(action="applications.attachment.added").exists()


def test_a_file_stored_by_a_failed_transaction_is_removed(
    draft: Application, applicant: Applicant, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(**kwargs: object) -> None:
        raise RuntimeError("audit down")

    monkeypatch.setattr("pulje.applications.services.attachments.record_event", fail)
    with pytest.raises(RuntimeError):
        attach_pdf(draft, applicant)
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


def test_a_removed_file_no_version_listed_is_deleted_after_commit(
    draft: Application,
    applicant: Applicant,
    settings: Settings,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    attachment = attach_pdf(draft, applicant)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        remove_attachment(actor=applicant.user, attachment=attachment)
    assert len(stored_files(settings)) == 1
    for callback in callbacks:
        callback()
    attachment.refresh_from_db()
    assert attachment.removed_at is not None
    assert stored_files(settings) == []


def test_a_removed_file_a_version_listed_is_kept_for_it(
    draft: Application,
    applicant: Applicant,
    settings: Settings,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    attachment = attach_pdf(draft, applicant)
    draft.refresh_from_db()
    submit_application(actor=applicant.user, application=draft, confirmed=fingerprint(draft))
    with django_capture_on_commit_callbacks(execute=True):
        remove_attachment(actor=applicant.user, attachment=attachment)
    assert listed_in_a_version(attachment)
    assert len(stored_files(settings)) == 1


def test_no_files_after_withdrawal(draft: Application, applicant: Applicant) -> None:
    withdraw_application(actor=applicant.user, application=draft)
    with pytest.raises(ApplicationRefused) as refused:
        attach_pdf(draft, applicant)
    assert refused.value.message == "The application has been withdrawn and cannot be changed."
