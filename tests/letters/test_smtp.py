"""Bulk mail through Django's SMTP backend against a real SMTP server (aiosmtpd on 127.0.0.1):
a line break in an application's title and a recipient the server refuses stop no letter but
that recipient's, and the caseworker sees which and why."""

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django import Settings

from pulje.core.jobs import Job, JobStatus
from pulje.core.models import AuditEvent
from pulje.decisions.models import Decision, RejectionReason
from pulje.decisions.services import decide_applications, queue_decision_letters
from pulje.letters.models import Letter
from pulje.letters.services import retry_job, run_decision_letters
from tests.factories.applications import make_applicant
from tests.factories.decisions import make_funded, screened

pytestmark = pytest.mark.django_db
REFUSAL = "550 5.1.1 No such mailbox here"


@dataclass
class Mailbox:
    """An aiosmtpd handler: keeps what it accepts, refuses the addresses in ``refused``."""

    refused: set[str] = field(default_factory=set)
    received: list[EmailMessage] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 Message accepted for delivery"


def subject_of(message: EmailMessage) -> str:
    # Django folds a long non-ASCII subject onto a line of its own ("Subject: \n =?utf-8?…"),
    # which unfolds with a leading space.
    return str(message["Subject"]).strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def mailbox(settings: Settings) -> Iterator[Mailbox]:
    """An SMTP server on a free port of 127.0.0.1, and Django's SMTP backend pointed at it."""
    handler = Mailbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    try:
        yield handler
    finally:
        controller.stop()


@dataclass
class Bulk:
    decisions: list[Decision]  # by pk: the title with a line break, Madklub, the refused one
    delivered_to: str
    refused_to: str


def make_bulk(django_capture_on_commit_callbacks: object) -> Bulk:
    funded = make_funded()
    other = make_applicant(funded.call, name="Boligforeningen Afvist", department="Vestparken")
    broken_title = screened(funded.applicant, 60_000, title="Fest\nfor alle")
    plain = screened(funded.applicant, 80_000, title="Madklub")
    refused = screened(other, 20_000, title="Strikkecafé")
    assert broken_title.title == "Fest\nfor alle"
    with django_capture_on_commit_callbacks(execute=False):  # type: ignore[operator]
        decisions = decide_applications(
            actor=funded.caseworker, applications=[broken_title, plain], outcome="grant"
        )
        decisions += decide_applications(
            actor=funded.caseworker,
            applications=[refused],
            outcome="reject",
            reason_code=RejectionReason.WEAKER_THAN_OTHERS,
        )
    return Bulk(
        decisions=sorted(decisions, key=lambda d: d.pk),
        delivered_to=funded.applicant.organisation.contact_email,
        refused_to=other.organisation.contact_email,
    )


def test_a_refused_recipient_and_a_line_break_stop_no_other_letter(
    mailbox: Mailbox, django_capture_on_commit_callbacks: object, english: Client
) -> None:
    bulk = make_bulk(django_capture_on_commit_callbacks)
    mailbox.refused = {bulk.refused_to}
    caseworker = bulk.decisions[0].decided_by
    job = queue_decision_letters(actor=caseworker, decision_ids=[d.pk for d in bulk.decisions])

    run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    first, second, third = (d.application for d in bulk.decisions)
    assert (job.status, job.done_count) == (JobStatus.DONE_WITH_FAILURES, 3)
    assert job.error == f"1 letter could not be e-mailed: {third.reference}."
    # Delivered, in Danish, with the title's line break as a space in the subject.
    assert [(m["To"], subject_of(m), m["Content-Language"]) for m in mailbox.received] == [
        (bulk.delivered_to, f"Tilsagn: {first.reference} Fest for alle", "da"),
        (bulk.delivered_to, f"Tilsagn: {second.reference} Madklub", "da"),
    ]
    assert [[part.get_filename() for part in m.iter_attachments()] for m in mailbox.received] == [
        [f"tilsagn-{first.reference}.pdf"],
        [f"tilsagn-{second.reference}.pdf"],
    ]
    letters = {letter.application_id: letter for letter in Letter.objects.all()}
    assert [
        (letters[a.pk].sent_at is not None, letters[a.pk].send_error) for a in (first, second)
    ] == [
        (True, ""),
        (True, ""),
    ]
    assert letters[third.pk].sent_at is None
    assert letters[third.pk].send_error == f"{bulk.refused_to}: {REFUSAL}"
    failed = AuditEvent.objects.get(action="letters.letter.failed")
    assert failed.after == {"to": bulk.refused_to, "error": f"{bulk.refused_to}: {REFUSAL}"}

    # The caseworker's page says which letter was not e-mailed and why, and offers a retry.
    english.force_login(caseworker)
    html = english.get(reverse("letters:job", kwargs={"pk": job.pk})).content.decode()
    assert "Some letters were not e-mailed" in html
    assert f"1 letter could not be e-mailed: {third.reference}." in html
    assert f"Not sent: {bulk.refused_to}: {REFUSAL}" in html
    assert reverse("letters:retry", kwargs={"pk": job.pk}) in html

    # Once the server takes the address, a retry sends that letter alone.
    mailbox.refused = set()
    with translation.override("en"):
        retry_job(actor=caseworker, job=job)
    run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.DONE, "")
    assert [m["To"] for m in mailbox.received] == [bulk.delivered_to] * 2 + [bulk.refused_to]
    assert subject_of(mailbox.received[2]) == f"Afgørelse: {third.reference} Strikkecafé"
    assert Letter.objects.get(application=third).send_error == ""


def test_one_email_per_decision_the_letters(
    mailbox: Mailbox, django_capture_on_commit_callbacks: object
) -> None:
    """The applicant hears of a decision once: the letter's e-mail, with the letter attached
    and its link; the decision sends nothing of its own."""
    funded = make_funded()
    applications = [screened(funded.applicant, 70_000), screened(funded.applicant, 60_000)]

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        decisions = decide_applications(
            actor=funded.caseworker, applications=applications, outcome="grant"
        )
    assert mailbox.received == []
    run_decision_letters(job_id=Job.objects.get().pk)

    references = sorted(Decision.objects.values_list("application__reference", flat=True))
    assert len(decisions) == 2
    assert sorted(subject_of(m) for m in mailbox.received) == [
        f"Tilsagn: {reference} {application.title}"
        for reference, application in zip(
            references, sorted(applications, key=lambda a: a.reference), strict=True
        )
    ]
    assert all(m.get_content_type() == "multipart/mixed" for m in mailbox.received)
