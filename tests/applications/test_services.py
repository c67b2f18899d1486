import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from pytest_django import Settings

from pulje.applications.models import (
    Application,
    ApplicationStatus,
    ApplicationVersion,
    BudgetLine,
    Partner,
)
from pulje.applications.services import (
    fingerprint,
    save_draft,
    start_application,
    submit_application,
    withdraw_application,
)
from pulje.applications.workflow import ApplicationRefused
from pulje.calls.services import update_call
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.registry.models import OrganisationKind
from pulje.registry.services.organisations import update_organisation
from tests.factories import OrganisationFactory
from tests.factories.applications import PARTNER_CVR, Applicant, complete_draft

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

Capture = Callable[..., Any]


def submit(application: Application, applicant: Applicant) -> Any:
    application.refresh_from_db()
    return submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )


def close_call(applicant: Applicant) -> None:
    call = applicant.call
    update_call(
        actor=None,
        call=call,
        opens_at=timezone.now() - dt.timedelta(days=10),
        closes_at=timezone.now() - dt.timedelta(seconds=1),
    )


def test_start_creates_an_empty_draft_with_an_audit_event(applicant: Applicant) -> None:
    application = start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )
    assert application.status == ApplicationStatus.DRAFT
    assert application.draft == {}
    assert application.reference == ""
    event = AuditEvent.objects.get(action="applications.application.created")
    assert event.object_id == str(application.pk)
    assert event.actor == applicant.user


def test_only_eligible_kinds_of_organisation_may_start(applicant: Applicant) -> None:
    association = OrganisationFactory(name="Foreningen", kind=OrganisationKind.ASSOCIATION)
    with pytest.raises(ApplicationRefused) as refused:
        start_application(actor=applicant.user, call=applicant.call, organisation=association)
    assert refused.value.message == (
        "Foreningen is registered as “Association”, but this call is open only to: "
        "Housing organisation."
    )
    assert not Application.objects.exists()


def test_a_draft_keeps_exactly_what_was_typed_even_when_it_does_not_parse(
    draft: Application, applicant: Applicant
) -> None:
    save_draft(
        actor=applicant.user,
        application=draft,
        values={"amount": ["12.5x0"], "period_start": ["i foråret"], "unknown": ["x"]},
    )
    draft.refresh_from_db()
    assert draft.draft["amount"] == ["12.5x0"]
    assert draft.draft["period_start"] == ["i foråret"]
    assert "unknown" not in draft.draft
    # Fields not named are left as they were: another window's input survives.
    assert draft.draft["title"] == ["Spisefællesskab i Gellerup"]
    assert draft.draft_saved_at is not None


def test_saving_after_the_deadline_is_refused_with_the_deadline(
    draft: Application, applicant: Applicant
) -> None:
    close_call(applicant)
    with pytest.raises(ApplicationRefused) as refused:
        save_draft(actor=applicant.user, application=draft, values={"title": ["Ny"]})
    assert refused.value.code == "deadline"
    assert refused.value.message.startswith("The deadline for this call was ")
    draft.refresh_from_db()
    assert draft.draft["title"] == ["Spisefællesskab i Gellerup"]


def test_submission_writes_typed_data_a_version_a_reference_and_mails_after_commit(
    draft: Application, applicant: Applicant, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = submit(draft, applicant)
        assert mail.outbox == []
    draft.refresh_from_db()
    assert submission.new
    assert draft.status == ApplicationStatus.SCREENED
    assert draft.reference == f"{applicant.call.reference_prefix}-0001"
    assert draft.amount_ore == kr(60_000)
    assert draft.title == "Spisefællesskab i Gellerup"
    assert draft.target_groups == ["adults", "elderly"]
    assert draft.period_start == dt.date(2021, 2, 1)
    assert draft.expected_participants == 40
    assert list(draft.departments.all()) == [applicant.department]
    assert {(line.kind, line.amount_ore) for line in BudgetLine.objects.all()} == {
        ("activities", kr(45_000)),
        ("materials", kr(15_000)),
    }
    partner = Partner.objects.get()
    assert (partner.name, partner.cvr, partner.kind) == (
        "Gellerup Kulturforening",
        PARTNER_CVR,
        "association",
    )
    version = submission.version
    assert version.number == 1
    assert version.content["organisation"]["payment_iban"] == "DK5000400440116243"
    assert version.content["fields"]["amount"] == kr(60_000)
    assert AuditEvent.objects.filter(action="applications.application.submitted").count() == 1
    # After the commit the receipt is queued (core.mail.queue_mail), and sent at once.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    (message,) = mail.outbox
    assert sorted(message.to) == sorted(
        [applicant.user.email, f"mette@{applicant.organisation.cvr}.dk"]
    )
    assert draft.reference in message.subject
    assert f"/ansoegninger/{draft.uuid}/kvittering/?version=1" in message.body


def test_submitting_twice_gives_one_submission_and_one_receipt(
    draft: Application, applicant: Applicant, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(draft, applicant)
    with django_capture_on_commit_callbacks(execute=True):
        again = submit(draft, applicant)
    assert not again.new
    assert again.version.pk == first.version.pk
    assert ApplicationVersion.objects.count() == 1
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="applications.application.submitted").count() == 1


def test_content_changed_since_it_was_checked_is_not_submitted(
    draft: Application, applicant: Applicant
) -> None:
    seen = fingerprint(draft)
    save_draft(actor=applicant.user, application=draft, values={"title": ["Et andet navn"]})
    with pytest.raises(ApplicationRefused) as refused:
        submit_application(actor=applicant.user, application=draft, confirmed=seen)
    assert refused.value.message == (
        "The application has changed since you checked it. Check it again before you submit it."
    )
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT
    assert not ApplicationVersion.objects.exists()


def test_submission_after_the_deadline_is_refused_and_writes_nothing(
    draft: Application, applicant: Applicant
) -> None:
    seen = fingerprint(draft)
    close_call(applicant)
    with pytest.raises(ApplicationRefused) as refused:
        submit_application(actor=applicant.user, application=draft, confirmed=seen)
    assert refused.value.code == "deadline"
    draft.refresh_from_db()
    assert (draft.status, draft.reference, draft.amount_ore) == (ApplicationStatus.DRAFT, "", None)
    assert not ApplicationVersion.objects.exists()


def test_an_invalid_draft_is_refused_with_every_reason_and_nothing_written(
    draft: Application, applicant: Applicant
) -> None:
    save_draft(
        actor=applicant.user,
        application=draft,
        values={"amount": ["500.000"], "title": [""], "partner_1_cvr": ["12345678"]},
    )
    with pytest.raises(ValidationError) as refused:
        submit(draft, applicant)
    assert refused.value.messages == [
        "Give the project a title.",
        "500.000 kr. is not within a grant size of this call. The sizes are: "
        "10.000 kr. – 49.999 kr.; 50.000 kr. – 149.999 kr.; 150.000 kr. – 400.000 kr.",
        "The budget lines add up to 60.000 kr., but you apply for 500.000 kr.",
        "“12345678” is not a valid CVR number (the check digit does not match).",
    ]
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT
    assert not BudgetLine.objects.exists()
    assert not ApplicationVersion.objects.exists()


def test_an_incomplete_profile_stops_submission(draft: Application, applicant: Applicant) -> None:
    update_organisation(actor=None, organisation=applicant.organisation, payment_iban="")
    with pytest.raises(ValidationError) as refused:
        submit(draft, applicant)
    assert refused.value.messages == ["The payment account is missing."]


def test_changes_after_submission_append_a_version_and_keep_the_first(
    draft: Application, applicant: Applicant
) -> None:
    submit(draft, applicant)
    save_draft(actor=applicant.user, application=draft, values={"title": ["Nyt navn"]})
    second = submit(draft, applicant)
    assert second.new
    assert second.version.number == 2
    first = ApplicationVersion.objects.get(number=1)
    assert first.content["fields"]["title"] == "Spisefællesskab i Gellerup"
    assert second.version.content["fields"]["title"] == "Nyt navn"
    draft.refresh_from_db()
    assert draft.reference == f"{applicant.call.reference_prefix}-0001"
    assert draft.title == "Nyt navn"


def test_a_call_can_forbid_changes_after_submission(
    draft: Application, applicant: Applicant
) -> None:
    submit(draft, applicant)
    update_call(actor=None, call=applicant.call, edit_after_submit=False)
    draft.refresh_from_db()
    with pytest.raises(ApplicationRefused) as refused:
        save_draft(actor=applicant.user, application=draft, values={"title": ["Nyt"]})
    assert refused.value.message == "This call does not allow changes after submission."


def test_reference_numbers_count_per_call(applicant: Applicant) -> None:
    references = []
    for _ in range(2):
        application = start_application(
            actor=applicant.user, call=applicant.call, organisation=applicant.organisation
        )
        application.draft = complete_draft(applicant)
        application.save()
        references.append(submit(application, applicant).version.application.reference)
    prefix = applicant.call.reference_prefix
    assert references == [f"{prefix}-0001", f"{prefix}-0002"]


def test_withdrawal_until_a_decision_and_never_back(
    draft: Application, applicant: Applicant
) -> None:
    submit(draft, applicant)
    withdraw_application(actor=applicant.user, application=draft)
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.WITHDRAWN
    assert draft.withdrawn_at is not None
    with pytest.raises(ApplicationRefused) as refused:
        withdraw_application(actor=applicant.user, application=draft)
    assert refused.value.message == (
        "An application that is “withdrawn” cannot be changed that way."
    )
    with pytest.raises(ApplicationRefused):
        submit(draft, applicant)
    assert AuditEvent.objects.filter(action="applications.application.withdrawn").count() == 1


def test_a_failing_mail_server_does_not_undo_or_break_the_submission(
    draft: Application,
    applicant: Applicant,
    django_capture_on_commit_callbacks: Capture,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.EMAIL_BACKEND = "tests.letters.broken_mail.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(draft, applicant)
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SCREENED
    assert submission.version.number == 1
    assert "the mail server is down" in caplog.text


def test_a_profile_changed_since_the_check_is_not_submitted_unseen(
    draft: Application, applicant: Applicant
) -> None:
    seen = fingerprint(draft)
    update_organisation(
        actor=None, organisation=applicant.organisation, payment_iban="DK5804000040116243"
    )
    with pytest.raises(ApplicationRefused) as refused:
        submit_application(actor=applicant.user, application=draft, confirmed=seen)
    assert refused.value.code == "changed"


def test_a_screening_that_fails_undoes_the_whole_submission(
    draft: Application, applicant: Applicant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(**kwargs: Any) -> None:
        raise RuntimeError("screening broke")

    monkeypatch.setattr("pulje.casework.services.screen_application", fail)

    with pytest.raises(RuntimeError, match="screening broke"):
        submit(draft, applicant)

    draft.refresh_from_db()
    assert (draft.status, draft.reference, draft.submitted_at) == (
        ApplicationStatus.DRAFT,
        "",
        None,
    )
    assert ApplicationVersion.objects.count() == 0
    assert AuditEvent.objects.filter(action="applications.application.submitted").count() == 0
