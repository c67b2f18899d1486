"""What one organisation can make pulje hold: open drafts per call, the bytes of an
application's files, and how long the files of applications never submitted are kept."""

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django import Settings

from pulje.applications.models import Application, ApplicationStatus, Attachment
from pulje.applications.retention import PurgeResult, purge_unsubmitted_files
from pulje.applications.services import (
    add_attachment,
    fingerprint,
    remove_attachment,
    start_application,
    submit_application,
    withdraw_application,
)
from pulje.applications.workflow import ApplicationRefused
from pulje.calls.models import Call
from pulje.core.models import AuditEvent
from tests.factories.applications import PDF, Applicant, complete_draft, make_applicant

pytestmark = pytest.mark.django_db

KB = 1024


def _start(applicant: Applicant) -> Application:
    return start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )


def _pdf(name: str, size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + b"\x00" * (size - len(PDF)))


def _attach(applicant: Applicant, application: Application, name: str, size: int) -> Attachment:
    return add_attachment(actor=applicant.user, application=application, upload=_pdf(name, size))


def _submit(applicant: Applicant, application: Application) -> None:
    application.draft = complete_draft(applicant)
    application.save(update_fields=["draft"])
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )


# Drafts per organisation per call


def test_an_organisation_may_have_only_so_many_drafts_on_a_call(
    settings: Settings, applicant: Applicant, english: Client
) -> None:
    settings.QUOTA_DRAFTS_PER_CALL = 2
    first, _second = _start(applicant), _start(applicant)
    events = AuditEvent.objects.count()

    with pytest.raises(ApplicationRefused) as refused:
        _start(applicant)

    assert refused.value.code == "draft_quota"
    assert refused.value.message == (
        f"{applicant.organisation.name} already has 2 drafts for this call, the most it may "
        "have. Finish one or withdraw one first."
    )
    assert (Application.objects.count(), AuditEvent.objects.count()) == (2, events)
    # A submitted or withdrawn application is no longer a draft: room for another.
    _submit(applicant, first)
    assert _start(applicant).status == ApplicationStatus.DRAFT


def test_a_withdrawn_draft_makes_room_and_other_organisations_and_calls_are_apart(
    settings: Settings, applicant: Applicant, call: Call
) -> None:
    settings.QUOTA_DRAFTS_PER_CALL = 1
    withdraw_application(actor=applicant.user, application=_start(applicant))
    _start(applicant)
    other = make_applicant(call, name="Anden Bolig")

    assert _start(other).organisation == other.organisation
    with pytest.raises(ApplicationRefused):
        _start(applicant)


def test_the_call_page_says_why_no_draft_was_started(
    settings: Settings, applicant: Applicant, client: Client
) -> None:
    settings.QUOTA_DRAFTS_PER_CALL = 1
    _start(applicant)
    client.force_login(applicant.user)

    response = client.post(
        reverse("applications:start", kwargs={"code": applicant.call.code}),
        {"another": "1"},
        follow=True,
    )

    assert response.redirect_chain == [
        (reverse("calls:detail", kwargs={"code": applicant.call.code}), 302)
    ]
    assert [str(m) for m in response.context["messages"]] == [
        f"{applicant.organisation.name} har allerede 1 kladde til denne ansøgningsrunde, det "
        "højeste antal den må have. Gør den færdig, eller træk den tilbage først."
    ]
    assert Application.objects.count() == 1


# Bytes of an application's files


def test_the_files_of_an_application_are_held_to_a_total_that_says_what_is_left(
    settings: Settings, draft: Application, applicant: Applicant, english: Client
) -> None:
    settings.QUOTA_ATTACHMENT_BYTES = 1024 * KB
    _attach(applicant, draft, "a.pdf", 600 * KB)

    with pytest.raises(ValidationError) as refused:
        _attach(applicant, draft, "b.pdf", 500 * KB)

    assert refused.value.messages == [
        "The application's files may take up 1.0\xa0MB in all, and 424.0\xa0KB is left: “b.pdf” "
        "is 500.0\xa0KB. Remove a file or make this one smaller."
    ]
    assert list(draft.attachments.values_list("original_name", flat=True)) == ["a.pdf"]
    # Exactly what is left fits.
    assert _attach(applicant, draft, "c.pdf", 424 * KB).size == 424 * KB


def test_a_removed_file_no_longer_counts(
    settings: Settings, draft: Application, applicant: Applicant
) -> None:
    settings.QUOTA_ATTACHMENT_BYTES = 1024 * KB
    first = _attach(applicant, draft, "a.pdf", 600 * KB)
    remove_attachment(actor=applicant.user, attachment=first)

    assert _attach(applicant, draft, "b.pdf", 600 * KB).original_name == "b.pdf"


def test_the_upload_page_shows_the_refusal_and_the_limits(
    settings: Settings, draft: Application, applicant: Applicant, client: Client
) -> None:
    settings.QUOTA_ATTACHMENT_BYTES = 1024 * KB
    _attach(applicant, draft, "a.pdf", 600 * KB)
    client.force_login(applicant.user)

    response = client.post(
        reverse("applications:attach", kwargs={"uuid": draft.uuid}),
        {"file": _pdf("b.pdf", 500 * KB)},
    )

    assert response.status_code == 400
    assert response.context["attachment_form"].errors == {
        "file": [
            "Ansøgningens filer må fylde 1,0\xa0MB i alt, og der er 424,0\xa0KB tilbage: “b.pdf” "
            "fylder 500,0\xa0KB. Fjern en fil, eller gør denne mindre."
        ]
    }
    assert (
        "højst 10,0\xa0MB pr. fil og 1,0\xa0MB i alt for ansøgningen." in response.content.decode()
    )


# Files of applications never submitted


@pytest.fixture
def media(settings: Settings) -> Path:
    return Path(settings.MEDIA_ROOT)


def _stored(attachment: Attachment) -> bool:
    return bool(attachment.file.storage.exists(attachment.file.name))


def _closed(call: Call, days_ago: int) -> None:
    closes_at = timezone.now() - dt.timedelta(days=days_ago)
    Call.objects.filter(pk=call.pk).update(
        opens_at=closes_at - dt.timedelta(days=30), closes_at=closes_at
    )


def _withdrawn_days_ago(application: Application, days: int) -> None:
    Application.objects.filter(pk=application.pk).update(
        withdrawn_at=timezone.now() - dt.timedelta(days=days)
    )


def test_files_of_applications_never_submitted_are_deleted_after_the_period(
    settings: Settings, applicant: Applicant, call: Call, media: Path
) -> None:
    settings.PURGE_UNSUBMITTED_FILES_AFTER_DAYS = 90
    draft = _start(applicant)
    kept_draft_file = _attach(applicant, draft, "kladde.pdf", 2 * KB)
    withdrawn = _start(applicant)
    withdrawn_file = _attach(applicant, withdrawn, "trukket.pdf", 3 * KB)
    withdraw_application(actor=applicant.user, application=withdrawn)
    _withdrawn_days_ago(withdrawn, 91)
    recent = _start(applicant)
    recent_file = _attach(applicant, recent, "nylig.pdf", 1 * KB)
    withdraw_application(actor=applicant.user, application=recent)
    _withdrawn_days_ago(recent, 10)
    submitted = _start(applicant)
    submitted_file = _attach(applicant, submitted, "indsendt.pdf", 1 * KB)
    _submit(applicant, submitted)
    withdraw_application(actor=applicant.user, application=submitted)
    _withdrawn_days_ago(submitted, 91)
    # The call closed 89 days ago: its open draft is kept a day longer.
    _closed(call, 89)

    assert purge_unsubmitted_files(now=timezone.now()) == PurgeResult(
        applications=1, files=1, bytes=3 * KB
    )
    assert [_stored(a) for a in (kept_draft_file, withdrawn_file, recent_file, submitted_file)] == [
        True,
        False,
        True,
        True,
    ]

    _closed(call, 91)
    result = purge_unsubmitted_files(now=timezone.now())

    assert result == PurgeResult(applications=1, files=1, bytes=2 * KB)
    assert [_stored(a) for a in (kept_draft_file, recent_file, submitted_file)] == [
        False,
        True,
        True,
    ]
    purged = Attachment.objects.get(pk=kept_draft_file.pk)
    assert (purged.file.name, purged.original_name, purged.size) == ("", "kladde.pdf", 2 * KB)
    assert purged.removed_at is not None
    event = AuditEvent.objects.get(action="applications.attachment.purged", object_id=str(draft.pk))
    assert (event.actor_id, event.object_type, event.after) == (
        None,
        "applications.application",
        {"files": [{"id": kept_draft_file.pk, "name": "kladde.pdf", "size": 2 * KB}]},
    )


def test_purging_twice_deletes_nothing_more_and_records_nothing_more(
    settings: Settings, applicant: Applicant, call: Call
) -> None:
    settings.PURGE_UNSUBMITTED_FILES_AFTER_DAYS = 30
    draft = _start(applicant)
    _attach(applicant, draft, "a.pdf", 1 * KB)
    removed = _attach(applicant, draft, "b.pdf", 1 * KB)
    remove_attachment(actor=applicant.user, attachment=removed)
    _closed(call, 31)

    first = purge_unsubmitted_files(now=timezone.now())
    events = AuditEvent.objects.count()
    again = purge_unsubmitted_files(now=timezone.now())

    assert (first.applications, first.files) == (1, 2)
    assert again == PurgeResult(applications=0, files=0, bytes=0)
    assert AuditEvent.objects.count() == events
    assert not Attachment.objects.exclude(file="").exists()


def test_the_command_reports_what_it_deleted(
    settings: Settings, applicant: Applicant, call: Call
) -> None:
    settings.PURGE_UNSUBMITTED_FILES_AFTER_DAYS = 90
    _attach(applicant, _start(applicant), "a.pdf", 2 * KB)
    _closed(call, 100)
    out = StringIO()

    with translation.override("en"):
        call_command("purge_attachments", stdout=out)
        call_command("purge_attachments", stdout=out)

    assert out.getvalue().splitlines() == [
        "1 file(s) of 1 application(s) never submitted deleted (2.0\xa0KB), 90 days after the "
        "deadline or withdrawal.",
        "0 file(s) of 0 application(s) never submitted deleted (0\xa0bytes), 90 days after the "
        "deadline or withdrawal.",
    ]
