"""The undo window: decisions undone before their letters are sent (``undo_decisions``), the
letters job that waits for it, and the pages that offer it."""

import datetime as dt
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from pulje.applications.models import Application, ApplicationStatus
from pulje.core.jobs import Job, JobStatus, claim_job
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.decisions.models import Decision, RejectionReason
from pulje.decisions.services import (
    DecisionRefused,
    accept_grant,
    approve_grant_proposals,
    decide_applications,
    undo_decisions,
)
from pulje.funds.services import update_pool
from pulje.ledger.models import Entry, GrantAccount, ReleaseReason
from pulje.ledger.selectors import find_ledger_discrepancies
from pulje.letters.models import Letter
from pulje.letters.services import run_decision_letters
from tests.factories import UserFactory
from tests.factories.decisions import Funded, available, screened
from tests.pages import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _window(settings: Settings, private_media: Path) -> None:
    settings.LETTERS_UNDO_MINUTES = 10


def _granted(funded: Funded, *amounts_kr: int) -> tuple[list[Application], Job]:
    applications = [screened(funded.applicant, amount) for amount in amounts_kr]
    decide_applications(actor=funded.caseworker, applications=applications, outcome="grant")
    return applications, Job.objects.get()


def _statuses(applications: list[Application]) -> list[str]:
    return [Application.objects.get(pk=a.pk).status for a in applications]


def _balances(funded: Funded) -> list[int]:
    return [available(band) for band in funded.bands]


def test_the_letters_job_waits_for_the_undo_window(funded: Funded) -> None:
    before = timezone.now()
    _applications, job = _granted(funded, 60_000)

    assert job.status == JobStatus.QUEUED
    assert job.run_after is not None
    assert (
        before + dt.timedelta(minutes=10)
        <= job.run_after
        <= timezone.now() + dt.timedelta(minutes=10)
    )
    # The worker is told not to take the task before then.
    assert DBTaskResult.objects.get(id=job.task_result_id).run_after == job.run_after
    assert not DBTaskResult.objects.ready().filter(id=job.task_result_id).exists()


def test_without_a_window_the_letters_are_queued_to_run_at_once(
    funded: Funded, settings: Settings
) -> None:
    settings.LETTERS_UNDO_MINUTES = 0
    applications, job = _granted(funded, 60_000)

    assert job.run_after is None
    assert DBTaskResult.objects.ready().filter(id=job.task_result_id).exists()
    with pytest.raises(DecisionRefused) as refused:
        undo_decisions(actor=funded.caseworker, job=job)
    assert refused.value.code == "window_closed"
    assert _statuses(applications) == [ApplicationStatus.GRANTED]


def test_undo_within_the_window_undoes_the_whole_batch(funded: Funded) -> None:
    balances = _balances(funded)
    applications, job = _granted(funded, 60_000, 80_000)
    decision_ids = sorted(Decision.objects.values_list("pk", flat=True))
    assert _balances(funded) != balances

    undone = undo_decisions(actor=funded.caseworker, job=job)

    assert [a.pk for a in undone] == [a.pk for a in applications]
    assert _statuses(applications) == [ApplicationStatus.SCREENED] * 2
    assert Decision.objects.count() == 0
    assert _balances(funded) == balances
    assert find_ledger_discrepancies() == []
    releases = Entry.objects.filter(kind="release").order_by("pk")
    assert [(e.amount_ore, e.release_reason, e.key) for e in releases] == [
        (kr(60_000), ReleaseReason.CANCELLED, f"undo-{decision_ids[0]}"),
        (kr(80_000), ReleaseReason.CANCELLED, f"undo-{decision_ids[1]}"),
    ]
    assert all(e.created_by == funded.caseworker for e in releases)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    events = AuditEvent.objects.filter(action="applications.application.decision_undone")
    assert [(e.actor, e.before, e.after["status"]) for e in events] == [
        (funded.caseworker, {"status": "granted"}, "screened")
    ] * 2
    snapshot = events[0].after["decision"]
    assert (snapshot["id"], snapshot["outcome"], snapshot["amount_ore"]) == (
        decision_ids[0],
        "grant",
        kr(60_000),
    )
    assert events[0].after["released_ore"] == kr(60_000)
    [cancelled] = AuditEvent.objects.filter(action="letters.job.cancelled")
    assert (cancelled.object_id, cancelled.actor, cancelled.after["status"]) == (
        str(job.pk),
        funded.caseworker,
        "cancelled",
    )


def test_the_cancelled_job_sends_nothing_when_the_worker_takes_it(funded: Funded) -> None:
    _applications, job = _granted(funded, 60_000)
    undo_decisions(actor=funded.caseworker, job=job)

    run_decision_letters(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.done_count, job.attempts) == (JobStatus.CANCELLED, 0, 0)
    assert Letter.objects.count() == 0
    assert mail.outbox == []


def test_a_rejection_is_undone_back_to_where_it_was_decided_from(funded: Funded) -> None:
    application = screened(funded.applicant, 20_000)
    decide_applications(
        actor=funded.caseworker,
        applications=[application],
        outcome="reject",
        reason_code=RejectionReason.WEAKER_THAN_OTHERS,
    )
    [decision] = Decision.objects.all()
    assert decision.from_status == ApplicationStatus.SCREENED

    undo_decisions(actor=funded.caseworker, job=Job.objects.get())

    assert _statuses([application]) == [ApplicationStatus.SCREENED]
    assert Decision.objects.count() == 0
    assert find_ledger_discrepancies() == []


def test_a_new_decision_after_an_undo_commits_again(funded: Funded) -> None:
    balances = _balances(funded)
    [application], job = _granted(funded, 60_000)
    undo_decisions(actor=funded.caseworker, job=job)

    for attempt in (2, 3):
        [decision] = decide_applications(
            actor=funded.caseworker,
            applications=[Application.objects.get(pk=application.pk)],
            outcome="grant",
            amounts={application.pk: kr(50_000)},
            reason_text="Lønnen er for høj.",
        )
        assert decision.grant is not None
        assert decision.commitment is not None
        assert decision.grant.reference == f"{application.reference}-{attempt}"
        assert decision.commitment.key == f"grant-{application.pk}-{attempt}"
        if attempt == 2:
            undo_decisions(actor=funded.caseworker, job=Job.objects.order_by("-pk")[0])

    assert _statuses([application]) == [ApplicationStatus.GRANTED]
    assert GrantAccount.objects.count() == 3
    assert sum(balances) - sum(_balances(funded)) == kr(50_000)
    assert find_ledger_discrepancies() == []


def test_after_the_window_the_undo_is_refused(funded: Funded) -> None:
    applications, job = _granted(funded, 60_000)
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now() - dt.timedelta(seconds=1))

    with pytest.raises(DecisionRefused) as refused:
        undo_decisions(actor=funded.caseworker, job=job)

    assert refused.value.code == "window_closed"
    assert _statuses(applications) == [ApplicationStatus.GRANTED]
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_a_job_the_worker_has_claimed_cannot_be_undone(funded: Funded) -> None:
    applications, job = _granted(funded, 60_000)
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now() - dt.timedelta(seconds=1))
    assert claim_job(job_id=job.pk) is not None

    with pytest.raises(DecisionRefused) as refused:
        undo_decisions(actor=funded.caseworker, job=job)

    assert refused.value.code == "already_sent"
    assert _statuses(applications) == [ApplicationStatus.GRANTED]


def test_a_job_undone_once_is_not_undone_again(funded: Funded) -> None:
    _applications, job = _granted(funded, 60_000)
    undo_decisions(actor=funded.caseworker, job=job)

    with pytest.raises(DecisionRefused) as refused:
        undo_decisions(actor=funded.caseworker, job=job)

    assert refused.value.code == "already_undone"


@pytest.mark.parametrize("who", ["stranger", "funder"])
def test_only_the_calls_caseworker_may_undo(funded: Funded, who: str) -> None:
    applications, job = _granted(funded, 60_000)
    actor = UserFactory() if who == "stranger" else funded.funder

    with pytest.raises(DecisionRefused) as refused:
        undo_decisions(actor=actor, job=job)

    assert refused.value.code == "not_caseworker"
    assert _statuses(applications) == [ApplicationStatus.GRANTED]
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_a_grant_accepted_within_the_window_is_not_undone(funded: Funded) -> None:
    [application], job = _granted(funded, 60_000)
    accept_grant(
        actor=funded.applicant.user,
        decision=Decision.objects.get(),
        public_summary="Fællesspisning.",
    )

    with pytest.raises(DecisionRefused) as refused:
        undo_decisions(actor=funded.caseworker, job=job)

    assert refused.value.code == "moved_on"
    assert _statuses([application]) == [ApplicationStatus.ACCEPTED]
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


# The pages.


def _undo_url(job: Job) -> str:
    return reverse("decisions:undo", kwargs={"pk": job.pk})


def test_the_job_and_decision_pages_offer_the_undo_with_the_time(
    funded: Funded, client: Client
) -> None:
    [application], job = _granted(funded, 60_000)
    assert job.run_after is not None
    time = timezone.localtime(job.run_after).strftime("%H:%M")
    client.force_login(funded.caseworker)

    job_page = client.get(reverse("letters:job", kwargs={"pk": job.pk}))
    decision_page = client.get(reverse("decisions:decide", kwargs={"uuid": application.uuid}))

    for page in (job_page, decision_page):
        text = page_text(page)
        assert f"Brevene sendes kl. {time} — indtil da kan afgørelserne fortrydes." in text
        assert "10 minutter tilbage." in text
        assert _undo_url(job) in page.content.decode()


def test_the_undo_page_lists_what_is_undone_and_needs_the_tick(
    funded: Funded, client: Client
) -> None:
    applications, job = _granted(funded, 60_000, 80_000)
    client.force_login(funded.caseworker)

    page = client.get(_undo_url(job))
    unticked = client.post(_undo_url(job), {})

    assert page.status_code == 200
    content = page.content.decode()
    for application in applications:
        assert f'data-undo-item="{application.reference}"' in content
    assert "60.000 kr." in page_text(page)
    assert unticked.status_code == 400
    assert "Sæt kryds for at bekræfte, at afgørelserne fortrydes." in page_text(unticked)
    assert _statuses(applications) == [ApplicationStatus.GRANTED] * 2


def test_the_undo_page_undoes_and_the_job_page_says_so(funded: Funded, client: Client) -> None:
    applications, job = _granted(funded, 60_000)
    client.force_login(funded.caseworker)

    response = client.post(_undo_url(job), {"confirm": "on"}, follow=True)

    assert response.redirect_chain == [(reverse("letters:job", kwargs={"pk": job.pk}), 302)]
    text = page_text(response)
    assert "1 afgørelse er fortrudt. Der sendes intet brev." in text
    assert "Afgørelserne blev fortrudt, så der blev ikke sendt breve." in text
    assert _statuses(applications) == [ApplicationStatus.SCREENED]


def test_after_the_window_there_is_no_undo_button(funded: Funded, client: Client) -> None:
    [application], job = _granted(funded, 60_000)
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now() - dt.timedelta(seconds=1))
    client.force_login(funded.caseworker)

    undo_page = client.get(_undo_url(job))
    job_page = client.get(reverse("letters:job", kwargs={"pk": job.pk}))
    decision_page = client.get(reverse("decisions:decide", kwargs={"uuid": application.uuid}))

    assert "Brevene sendes eller er sendt, så afgørelserne kan ikke fortrydes." in page_text(
        undo_page
    )
    assert "Fortryd afgørelserne</button>" not in undo_page.content.decode()
    for page in (job_page, decision_page):
        assert 'data-undo="open"' not in page.content.decode()
        assert _undo_url(job) not in page.content.decode()


def test_the_undo_page_is_not_found_for_a_stranger(funded: Funded, client: Client) -> None:
    _applications, job = _granted(funded, 60_000)
    client.force_login(UserFactory())

    assert client.get(_undo_url(job)).status_code == 404
    assert client.post(_undo_url(job), {"confirm": "on"}).status_code == 404
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_the_undo_page_reads_as_many_queries_for_many_decisions_as_for_one(
    funded: Funded, client: Client
) -> None:
    _granted(funded, 20_000)
    one = Job.objects.get()
    more = [screened(funded.applicant, 20_000) for _ in range(4)]
    decide_applications(actor=funded.caseworker, applications=more, outcome="grant")
    many = Job.objects.exclude(pk=one.pk).get()
    client.force_login(funded.caseworker)

    def queries(job: Job) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_undo_url(job)).status_code == 200
        return len(captured)

    queries(one)  # the first request of a session writes it
    assert queries(many) == queries(one)


def test_a_grant_approved_by_a_second_caseworker_goes_back_to_where_it_was_proposed(
    funded: Funded,
) -> None:
    update_pool(actor=None, pool=funded.pool, second_approval_above_ore=kr(100_000))
    second = UserFactory(organisation=funded.pool.administrator, name="Birgitte Anden")
    application = screened(funded.applicant, 120_000)
    [proposal] = decide_applications(
        actor=funded.caseworker, applications=[application], outcome="grant"
    ).proposals
    [decision] = approve_grant_proposals(actor=second, proposals=[proposal])
    assert decision.from_status == ApplicationStatus.SCREENED

    undo_decisions(actor=second, job=Job.objects.get())

    assert _statuses([application]) == [ApplicationStatus.SCREENED]
    assert Decision.objects.count() == 0
    assert find_ledger_discrepancies() == []
    # Proposed again, it can be approved again.
    [again] = decide_applications(
        actor=funded.caseworker,
        applications=[Application.objects.get(pk=application.pk)],
        outcome="grant",
    ).proposals
    approve_grant_proposals(actor=second, proposals=[again])
    assert _statuses([application]) == [ApplicationStatus.GRANTED]
