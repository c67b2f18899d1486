import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format
from pytest_django import Settings

from pulje.core.jobs import STALLED_AFTER, Job, JobRefused, JobStatus
from pulje.core.models import AuditEvent
from pulje.decisions.models import Decision
from pulje.decisions.services import DecisionRefused, queue_decision_letters
from pulje.letters import services
from pulje.letters.models import Letter, LetterKind, LetterTemplate
from pulje.letters.rendering import LetterData, render_letter
from pulje.letters.services import retry_job, run_decision_letters
from tests.factories import UserFactory
from tests.factories.letters import TRICKY_TITLE, Decided


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_queue_makes_a_queued_job_with_its_task(decided: Decided) -> None:
    ids = [d.pk for d in decided.decisions]
    before = events("letters.job.queued")

    job = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=[*ids, ids[0]])

    job.refresh_from_db()
    assert (job.status, job.total, job.done_count) == (JobStatus.QUEUED, 3, 0)
    assert job.payload["decision_ids"] == ids
    assert job.call == decided.funded.call
    assert job.task_result_id != ""
    assert events("letters.job.queued") == before + 1
    assert Letter.objects.count() == 0


def test_running_a_job_makes_stores_and_mails_each_letter(decided: Decided) -> None:
    ids = [d.pk for d in decided.decisions]
    job = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=ids)

    run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.done_count, job.attempts, job.error) == (JobStatus.DONE, 3, 1, "")
    letters = list(Letter.objects.order_by("decision_id"))
    assert [(x.decision_id, x.kind) for x in letters] == [
        (ids[0], LetterKind.GRANT),
        (ids[1], LetterKind.GRANT),
        (ids[2], LetterKind.REJECTION),
    ]
    assert all(x.sent_at is not None and x.job == job for x in letters)
    with letters[0].file.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    contact = decided.funded.applicant.organisation.contact_email
    assert [m.to for m in mail.outbox] == [[contact]] * 3
    assert [m.attachments[0][0] for m in mail.outbox] == [x.filename for x in letters]
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    assert LetterTemplate.objects.filter(call=decided.funded.call).count() == 2
    assert events("letters.letter.created") == 3
    assert events("letters.letter.sent") == 3
    assert events("letters.job.done") == 1


def test_the_grant_mail_gives_the_accept_deadline_and_page(
    decided: Decided, settings: Settings
) -> None:
    settings.SITE_URL = "https://pulje.example"
    full, _, rejected = decided.decisions
    job = queue_decision_letters(
        actor=decided.funded.caseworker, decision_ids=[full.pk, rejected.pk]
    )

    run_decision_letters(job_id=job.pk)

    grant_mail, rejection_mail = mail.outbox
    assert full.accept_by is not None
    with translation.override("da"):
        deadline = date_format(full.accept_by, "DATE_FORMAT")
    accept_url = f"https://pulje.example/afgoerelser/tilsagn/{full.application.uuid}/"
    assert f"Acceptér tilsagnet senest {deadline} på denne side: {accept_url}" in grant_mail.body
    assert "Et tilsagn, der ikke er accepteret inden da, bortfalder." in grant_mail.body
    assert "/afgoerelser/tilsagn/" not in rejection_mail.body
    assert "Acceptér" not in rejection_mail.body


def test_a_job_runs_through_the_immediate_backend_too(decided: Decided, settings: Settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    job = queue_decision_letters(
        actor=decided.funded.caseworker, decision_ids=[decided.decisions[0].pk]
    )

    job.refresh_from_db()
    assert (job.status, job.done_count) == (JobStatus.DONE, 1)
    assert Letter.objects.count() == 1


def test_a_failing_letter_fails_the_job_with_the_reason_and_keeps_what_was_done(
    decided: Decided, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [d.pk for d in decided.decisions]
    job = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=ids)

    def fail_on_reduced(data: LetterData) -> bytes:
        if data.title == "Madklub":
            raise ValueError("typst is out of paper")
        return render_letter(data)

    monkeypatch.setattr(services, "render_letter", fail_on_reduced)
    with translation.override("en"), pytest.raises(ValueError, match="out of paper"):
        run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    reference = decided.decisions[1].application.reference
    assert job.status == JobStatus.FAILED
    assert job.error == f"The letter for {reference} could not be made: typst is out of paper"
    assert job.done_count == 1
    assert job.finished_at is not None
    assert list(Letter.objects.values_list("decision_id", flat=True)) == [ids[0]]
    assert len(mail.outbox) == 1
    assert events("letters.job.failed") == 1

    # Retried, it makes and sends only the two that are missing.
    monkeypatch.setattr(services, "render_letter", render_letter)
    retry_job(actor=decided.funded.caseworker, job=job)
    run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.done_count, job.attempts, job.error) == (JobStatus.DONE, 3, 2, "")
    assert sorted(Letter.objects.values_list("decision_id", flat=True)) == ids
    assert len(mail.outbox) == 3
    assert events("letters.letter.created") == 3
    assert events("letters.job.retried") == 1


def test_a_job_queued_before_the_letters_were_frozen_in_it_fails_and_is_not_left_running(
    decided: Decided,
) -> None:
    ids = [d.pk for d in decided.decisions]
    job = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=ids)
    Job.objects.filter(pk=job.pk).update(payload={"decision_ids": ids})

    with pytest.raises(KeyError):
        run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error, job.done_count) == (JobStatus.FAILED, "'letters'", 0)
    assert job.finished_at is not None
    assert not Letter.objects.exists()


def test_a_failing_mail_server_is_retried_without_a_second_letter(
    decided: Decided, settings: Settings
) -> None:
    job = queue_decision_letters(
        actor=decided.funded.caseworker, decision_ids=[decided.decisions[0].pk]
    )
    settings.EMAIL_BACKEND = "tests.letters.broken_mail.BrokenBackend"

    with translation.override("en"), pytest.raises(ConnectionRefusedError):
        run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    letter = Letter.objects.get()
    assert job.status == JobStatus.FAILED
    reference = decided.decisions[0].application.reference
    assert job.error == (
        f"The letter for {reference} could not be e-mailed: the mail server is down"
    )
    assert (letter.sent_at, letter.send_error) == (None, "the mail server is down")
    assert events("letters.letter.sent") == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retry_job(actor=decided.funded.caseworker, job=job)
    run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert Letter.objects.get().pk == letter.pk
    assert Letter.objects.get().sent_at is not None
    assert Letter.objects.get().send_error == ""
    assert len(mail.outbox) == 1


def test_a_job_run_again_after_it_is_done_does_nothing(decided: Decided) -> None:
    job = queue_decision_letters(
        actor=decided.funded.caseworker, decision_ids=[decided.decisions[0].pk]
    )
    run_decision_letters(job_id=job.pk)

    run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)
    assert len(mail.outbox) == 1


def test_a_second_job_for_the_same_decisions_makes_and_sends_nothing_new(
    decided: Decided,
) -> None:
    ids = [d.pk for d in decided.decisions]
    first = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=ids)
    run_decision_letters(job_id=first.pk)

    second = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=ids)
    run_decision_letters(job_id=second.pk)

    second.refresh_from_db()
    assert (second.status, second.done_count) == (JobStatus.DONE, 3)
    assert Letter.objects.count() == 3
    assert len(mail.outbox) == 3


def test_retry_is_refused_unless_the_job_failed(decided: Decided, english: object) -> None:
    job = queue_decision_letters(
        actor=decided.funded.caseworker, decision_ids=[decided.decisions[0].pk]
    )

    with pytest.raises(JobRefused) as refused:
        retry_job(actor=decided.funded.caseworker, job=job)

    assert refused.value.message == (
        "Only a job that has failed, stalled or left letters not e-mailed can be tried again."
    )
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)
    assert events("letters.job.retried") == 0


def test_letters_for_missing_decisions_are_refused_naming_them(
    decided: Decided, english: object
) -> None:
    before = Job.objects.count()

    with pytest.raises(DecisionRefused) as refused:
        queue_decision_letters(
            actor=decided.funded.caseworker, decision_ids=[decided.decisions[0].pk, 999_999]
        )

    assert refused.value.message == "These decisions do not exist: 999999."
    assert Job.objects.count() == before


def test_the_letter_says_what_was_decided_when_it_was_queued(
    decided: Decided, monkeypatch: pytest.MonkeyPatch
) -> None:
    decision = decided.decisions[0]
    job = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=[decision.pk])
    Decision.objects.filter(pk=decision.pk).update(amount_ore=1_00)
    rendered: list[LetterData] = []

    def render_letter(data: LetterData) -> bytes:
        rendered.append(data)
        return b"%PDF-1.7"

    monkeypatch.setattr(services, "render_letter", render_letter)
    run_decision_letters(job_id=job.pk)

    assert [data.amount_ore for data in rendered] == [decision.amount_ore]
    assert decision.amount_ore != 1_00


def test_the_letter_source_escapes_the_applicants_title(decided: Decided) -> None:
    from pulje.decisions.selectors import letter_subjects
    from pulje.letters.rendering import letter_source
    from pulje.letters.services import ensure_letter_templates

    ids = [decided.decisions[0].pk]
    bodies = ensure_letter_templates(call_ids=[decided.funded.call.pk])
    (unworded,) = letter_subjects(ids)
    subject = unworded.with_body(bodies[(unworded.call_id, unworded.kind)])

    assert subject.data.title == TRICKY_TITLE
    assert '#"Fest # *fed* $5 [x] _y_ \\\\ \\"z\\" {{ title }}";' in letter_source(subject.data)
    assert '*#"60.000 kr.";*' in letter_source(subject.data)


def test_a_stalled_job_is_retried_and_a_recent_running_one_is_not(
    decided: Decided, english: object
) -> None:
    job = queue_decision_letters(
        actor=decided.funded.caseworker, decision_ids=[decided.decisions[0].pk]
    )
    started = timezone.now() - STALLED_AFTER + dt.timedelta(minutes=1)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=started)
    job.refresh_from_db()

    with pytest.raises(JobRefused):
        retry_job(actor=decided.funded.caseworker, job=job)
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING

    Job.objects.filter(pk=job.pk).update(started_at=started - dt.timedelta(minutes=2))
    job.refresh_from_db()
    assert job.is_stalled
    retry_job(actor=decided.funded.caseworker, job=job)
    run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.done_count) == (JobStatus.DONE, 1)
    assert AuditEvent.objects.get(action="letters.job.retried").before == {"status": "running"}


def test_retry_is_refused_to_anyone_but_the_calls_secretariat(
    decided: Decided, english: object
) -> None:
    job = queue_decision_letters(actor=None, decision_ids=[decided.decisions[0].pk])
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    job.refresh_from_db()

    for outsider in (decided.funded.applicant.user, UserFactory()):
        with pytest.raises(JobRefused) as refused:
            retry_job(actor=outsider, job=job)
        assert refused.value.message == "Only the call's secretariat may run its letters again."
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert events("letters.job.retried") == 0
