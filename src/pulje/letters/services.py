"""Background jobs and decision letters: queue, run, retry (docs/letters.md).

A job is queued in the transaction of the ``Job`` row and run by a worker
(``python manage.py db_worker``) through the django-tasks task ``make_decision_letters``.
Running a job again makes and sends only what is missing: a letter is unique per decision
and kind (a database constraint), and its e-mail is claimed with a compare-and-swap on
``sent_at`` before it is sent, so no letter is made or e-mailed twice. A letter whose mail is
refused is marked with the reason and the job goes on with the others.
"""

import datetime as dt
import logging
import smtplib
import socket
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from django_tasks import task

from pulje.accounts.models import User
from pulje.core.audit import record_event
from pulje.core.audit_actions import AuditAction
from pulje.core.jobs import (
    JOB,
    Job,
    JobKind,
    JobRefused,
    JobStatus,
    claim_job,
    count_progress,
    finish_job,
    retry_job_status,
)
from pulje.core.mail import mail_error_reason, send_mail_now
from pulje.letters.models import Letter, LetterKind, LetterTemplate
from pulje.letters.permissions import can_retry_job
from pulje.letters.rendering import DEFAULT_BODIES, LetterData, render_letter
from pulje.letters.sources import LetterSubject, subject_from_payload, subject_to_payload

logger = logging.getLogger(__name__)

# The mail server cannot be reached or will not let pulje in: every later letter would fail
# the same way (each after EMAIL_TIMEOUT), so the job stops, failed, and a retry sends what is
# missing. Any other failure (a refused recipient, a refused message) is that letter's own: it
# is marked with the reason and the job goes on.
MAIL_SERVER_UNAVAILABLE = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPAuthenticationError,
)


def queue_letters(*, actor: User | None, subjects: Sequence[LetterSubject]) -> Job:
    """Queue one job that makes, stores and e-mails these letters, one per decision, saying
    what ``subjects`` say now (``sources``: the deciding app builds them), to run after the
    undo window (``LETTERS_UNDO_MINUTES``; the job's ``run_after``), during which the decisions
    can be undone and the job cancelled (``decisions.services.undo_decisions``).

    Side effects: a ``Job`` whose payload holds the subjects (total = the number of distinct
    decisions) and its ``run_after``, the audit event ``letters.job.queued`` and the task,
    queued in the same
    transaction: with the database backend a worker sees the task only once the job is
    committed, and never without it. Call it in the decision's transaction or after it; the
    job page (``letters:job``) shows its progress.
    """
    by_decision = {subject.decision_id: subject for subject in subjects}
    ids = sorted(by_decision)
    call_ids = sorted({subject.call_id for subject in subjects})
    minutes = settings.LETTERS_UNDO_MINUTES
    run_after = timezone.now() + dt.timedelta(minutes=minutes) if minutes else None
    with transaction.atomic():
        job = Job.objects.create(
            kind=JobKind.DECISION_LETTERS,
            call_id=call_ids[0] if len(call_ids) == 1 else None,
            payload={
                "decision_ids": ids,
                "letters": [subject_to_payload(by_decision[pk]) for pk in ids],
            },
            total=len(ids),
            created_by=actor,
            run_after=run_after,
        )
        record_event(
            actor=actor,
            action=AuditAction.LETTERS_JOB_QUEUED,
            obj=job,
            after={"kind": job.kind, "decision_ids": ids, "run_after": run_after},
        )
        _enqueue(job)
    return job


@transaction.atomic
def retry_job(*, actor: User, job: Job) -> Job:
    """Queue a failed or stalled job, or one done with letters not e-mailed, again; it makes
    and sends only what its last run did not.

    A job still running after ``core.jobs.STALLED_AFTER`` lost its worker (killed, the machine
    restarted); running it again is safe even if that worker lives on, since a letter is made
    and sent at most once.

    Side effects: the job back to queued (``core.jobs.retry_job_status``: compare-and-swap
    on its status), its error cleared, the audit event ``letters.job.retried``, the task
    queued again.
    Raises JobRefused for a job that is queued, done with every letter sent, or running for
    less than that, or when ``actor`` does not work the job's call.
    """
    if not can_retry_job(actor, job):
        raise JobRefused(
            _("Only the call's secretariat may run its letters again."), code="not_secretariat"
        )
    if not JOB.allowed(job, "retry"):
        raise JobRefused(
            _(
                "Only a job that has failed, stalled or left letters not e-mailed can be "
                "tried again."
            ),
            code="not_retryable",
        )
    retry_job_status(actor=actor, job=job, event=AuditAction.LETTERS_JOB_RETRIED)
    _enqueue(job)
    return job


def _enqueue(job: Job) -> None:
    # A retry runs at once: its undo window, if it had one, has passed.
    waiting = job.run_after is not None and job.run_after > timezone.now()
    task = (
        make_decision_letters.using(run_after=job.run_after) if waiting else make_decision_letters
    )
    result = task.enqueue(job_id=job.pk)
    Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id))
    job.task_result_id = str(result.id)


@task()
def make_decision_letters(job_id: int) -> None:
    """The worker's side of ``queue_letters``."""
    run_decision_letters(job_id=job_id)


def run_decision_letters(*, job_id: int) -> None:
    """Make, store and e-mail the letters of a queued job, counting its progress.

    Claims the job (``core.jobs.claim_job``: a job runs in one worker at a time),
    then for each letter stored in its payload, in decision id order, worded by the call's
    template (``ensure_letter_templates``): a ``Letter`` with its PDF in the default storage and
    the audit event ``letters.letter.created`` unless there is one already, then its e-mail
    (``send_letter``) unless it was sent already. A letter whose mail fails is marked with the
    reason (``Letter.send_error``) and the others go on. Ends done (audit event
    ``letters.job.done``), done with failures naming the letters not e-mailed in
    ``Job.error`` (the same event), or failed, when a letter cannot be made or the mail server
    cannot be reached, with the reason in ``Job.error`` (audit event ``letters.job.failed``)
    and the exception raised again, so the worker logs it. A job that is not queued (claimed
    by another worker, finished, or cancelled when its decisions were undone) is left alone.
    """
    job = claim_job(job_id=job_id)
    if job is None:
        return
    subject: LetterSubject | None = None
    sending = False
    not_sent: list[str] = []
    try:
        # Inside the try: a payload that cannot be read (a job queued before the letters were
        # frozen in it) fails the job with the reason instead of leaving it running.
        subjects = [subject_from_payload(payload) for payload in job.payload["letters"]]
        bodies = ensure_letter_templates(call_ids=sorted({s.call_id for s in subjects}))
        for position, subject in enumerate(subjects, start=1):
            sending = False
            worded = subject.with_body(bodies[(subject.call_id, subject.kind)])
            letter = make_letter(actor=job.created_by, job=job, subject=worded)
            if letter.sent_at is None and letter.recipient_email:
                sending = True
                try:
                    send_letter(letter_id=letter.pk)
                except MAIL_SERVER_UNAVAILABLE:
                    raise
                except Exception:
                    # send_letter marked the letter with the reason; the others go on.
                    not_sent.append(subject.reference)
            count_progress(job=job, done=position)
    except Exception as error:
        reason = mail_error_reason(error)
        if subject is not None:
            failed = (
                _("The letter for %(reference)s could not be e-mailed: %(reason)s")
                if sending
                else _("The letter for %(reference)s could not be made: %(reason)s")
            )
            reason = failed % {"reference": subject.reference, "reason": reason}
        _fail(job, reason or type(error).__name__)
        raise
    status, summary = JobStatus.DONE, ""
    if not_sent:
        status = JobStatus.DONE_WITH_FAILURES
        summary = ngettext(
            "%(count)d letter could not be e-mailed: %(references)s.",
            "%(count)d letters could not be e-mailed: %(references)s.",
            len(not_sent),
        ) % {"count": len(not_sent), "references": ", ".join(not_sent)}
    with transaction.atomic():
        finish_job(
            job=job,
            status=status,
            error=summary,
            event=AuditAction.LETTERS_JOB_DONE,
            recorded={"letters": len(subjects), "not_sent": not_sent},
        )


def _fail(job: Job, reason: str) -> None:
    with transaction.atomic():
        finish_job(
            job=job, status=JobStatus.FAILED, error=reason, event=AuditAction.LETTERS_JOB_FAILED
        )


def make_letter(*, actor: User | None, job: Job | None, subject: LetterSubject) -> Letter:
    """The decision's letter of this kind: the one made before, or a new one rendered now.

    Side effects for a new one: the PDF in the default storage, the ``Letter`` row and the
    audit event ``letters.letter.created`` in one transaction. Raises typst.TypstError or
    TemplateError when the call's template does not compile.
    """
    existing = Letter.objects.filter(decision_id=subject.decision_id, kind=subject.kind).first()
    if existing is not None:
        return existing
    # Rendering is the slow part; it happens before the transaction, which stays short.
    pdf = render_letter(subject.data)
    letter = Letter(
        decision_id=subject.decision_id,
        application_id=subject.application_id,
        kind=subject.kind,
        recipient_email=subject.recipient_email,
        job=job,
    )
    letter.file.save(letter.filename, ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            letter.save()
            record_event(
                actor=actor,
                action=AuditAction.LETTERS_LETTER_CREATED,
                obj=letter,
                after={
                    "decision_id": subject.decision_id,
                    "application_id": subject.application_id,
                    "kind": subject.kind,
                    "file": letter.file.name,
                },
            )
    except IntegrityError:
        # Another run made it first: keep theirs, drop our copy of the file.
        letter.file.delete(save=False)
        return Letter.objects.get(decision_id=subject.decision_id, kind=subject.kind)
    return letter


def send_letter(*, letter_id: int) -> bool:
    """E-mail the letter as a PDF attachment to the organisation's contact, once.

    Claims the sending with a compare-and-swap on ``sent_at`` (so two runs cannot both send
    it), then sends and records the audit event ``letters.letter.sent``; if sending fails,
    the claim is undone so a retry sends it, the reason is kept in ``send_error`` with the
    audit event ``letters.letter.failed``, and the error is raised. Returns False when it was
    sent already.
    """
    letter = Letter.objects.select_related(
        "application__call", "application__organisation", "job"
    ).get(pk=letter_id)
    claimed = Letter.objects.filter(pk=letter.pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), send_error=""
    )
    if claimed != 1:
        return False
    try:
        _mail(letter)
    except Exception as error:
        reason = mail_error_reason(error)
        with transaction.atomic():
            Letter.objects.filter(pk=letter.pk).update(sent_at=None, send_error=reason)
            record_event(
                actor=None,
                action=AuditAction.LETTERS_LETTER_FAILED,
                obj=letter,
                after={"to": letter.recipient_email, "error": reason},
            )
        raise
    with transaction.atomic():
        record_event(
            actor=None,
            action=AuditAction.LETTERS_LETTER_SENT,
            obj=letter,
            after={"to": letter.recipient_email},
        )
    return True


def _letter_data(letter: Letter) -> LetterData | None:
    """What the letter says, as its job froze it (None for a letter whose job is gone)."""
    if letter.job is None:
        return None
    for payload in letter.job.payload.get("letters", []):
        if payload["decision_id"] == letter.decision_id:
            return subject_from_payload(payload).data
    return None


def _mail(letter: Letter) -> None:
    application = letter.application
    data = _letter_data(letter)
    with override("da"):
        path = reverse("applications:receipt", kwargs={"uuid": application.uuid})
        context = {
            "letter": letter,
            "application": application,
            "is_grant": letter.kind == LetterKind.GRANT,
            "url": f"{settings.SITE_URL}{path}",
            # The accept-by date and page, as the letter gives them.
            "accept_by": data.accept_by if data else None,
            "accept_url": data.accept_url if data else "",
        }
        subject = (
            _("Grant: %(reference)s %(title)s")
            if letter.kind == LetterKind.GRANT
            else _("Decision: %(reference)s %(title)s")
        ) % {"reference": application.reference, "title": application.title}
        body = render_to_string("letters/email/letter.txt", context)
    with letter.file.open("rb") as pdf:
        attachment = (letter.filename, pdf.read(), "application/pdf")
    send_mail_now(subject=subject, body=body, to=[letter.recipient_email], attachments=[attachment])


def ensure_letter_templates(*, call_ids: Sequence[int]) -> Mapping[tuple[int, str], str]:
    """The bodies of these calls' letter templates by (call id, kind), each made from the
    Danish default the first time a call needs it (audit event ``letters.template.created``)."""
    bodies = {
        (call_id, kind): body
        for call_id, kind, body in LetterTemplate.objects.filter(call_id__in=call_ids).values_list(
            "call_id", "kind", "body"
        )
    }
    for call_id in call_ids:
        for kind in LetterKind:
            if (call_id, kind.value) in bodies:
                continue
            with transaction.atomic():
                template, created = LetterTemplate.objects.get_or_create(
                    call_id=call_id, kind=kind.value, defaults={"body": DEFAULT_BODIES[kind.value]}
                )
                if created:
                    record_event(
                        actor=None,
                        action=AuditAction.LETTERS_TEMPLATE_CREATED,
                        obj=template,
                        after={"call_id": call_id, "kind": kind.value},
                    )
            bodies[(call_id, kind.value)] = template.body
    return bodies
