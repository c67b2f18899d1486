import datetime as dt
from unittest import mock

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.core.jobs import STALLED_AFTER, Job, JobStatus
from pulje.core.models import AuditEvent
from pulje.decisions.services import queue_decision_letters
from pulje.letters import services
from pulje.letters.models import Letter, LetterKind
from pulje.letters.selectors import letters_for_applications
from pulje.letters.services import run_decision_letters
from tests.factories import OrganisationFactory, UserFactory
from tests.factories.letters import Decided


def client_for(user: User, client: Client | None = None) -> Client:
    client = client or Client()
    client.force_login(user)
    return client


def done_job(decided: Decided, count: int = 3) -> Job:
    ids = [d.pk for d in decided.decisions[:count]]
    job = queue_decision_letters(actor=decided.funded.caseworker, decision_ids=ids)
    run_decision_letters(job_id=job.pk)
    job.refresh_from_db()
    return job


def failed_job(decided: Decided) -> Job:
    job = queue_decision_letters(
        actor=decided.funded.caseworker, decision_ids=[decided.decisions[0].pk]
    )
    out_of_paper = ValueError("typst is out of paper")
    with (
        mock.patch.object(services, "render_letter", side_effect=out_of_paper),
        pytest.raises(ValueError, match="out of paper"),
    ):
        run_decision_letters(job_id=job.pk)
    job.refresh_from_db()
    return job


def job_url(job: Job) -> str:
    return reverse("letters:job", kwargs={"pk": job.pk})


def test_the_job_page_polls_while_the_job_runs(decided: Decided, english: Client) -> None:
    job = queue_decision_letters(
        actor=decided.funded.caseworker, decision_ids=[d.pk for d in decided.decisions]
    )
    client = client_for(decided.funded.caseworker, english)

    response = client.get(job_url(job))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-get="{job_url(job)}" hx-trigger="every 2s"' in html
    assert "Status: Queued." in html
    assert "0 of 3 done." in html

    partial = client.get(job_url(job), headers={"HX-Request": "true"})
    assert partial.content.decode().startswith('<div id="job-progress"')
    assert "<h1>" not in partial.content.decode()


def test_a_done_job_lists_its_letters_and_stops_polling(decided: Decided, english: Client) -> None:
    job = done_job(decided)

    html = client_for(decided.funded.caseworker, english).get(job_url(job)).content.decode()

    assert "hx-trigger" not in html
    assert "3 of 3 done." in html
    assert "3 letters made." in html
    for letter in Letter.objects.all():
        assert reverse("letters:download", kwargs={"pk": letter.pk}) in html


def test_a_failed_job_says_why_and_offers_a_retry(decided: Decided, english: Client) -> None:
    job = failed_job(decided)

    html = client_for(decided.funded.caseworker, english).get(job_url(job)).content.decode()

    assert "The job failed" in html
    assert "could not be made: typst is out of paper" in html
    assert reverse("letters:retry", kwargs={"pk": job.pk}) in html


def test_a_caseworker_retries_a_failed_job(decided: Decided, english: Client) -> None:
    job = failed_job(decided)
    caseworker = UserFactory(organisation=decided.funded.call.pool.administrator)

    response = client_for(caseworker, english).post(
        reverse("letters:retry", kwargs={"pk": job.pk}), follow=True
    )

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert "The job has been queued again." in response.content.decode()
    assert AuditEvent.objects.filter(action="letters.job.retried").count() == 1


def test_retrying_a_job_that_did_not_fail_is_refused(decided: Decided, english: Client) -> None:
    job = done_job(decided, 1)

    response = client_for(decided.funded.caseworker, english).post(
        reverse("letters:retry", kwargs={"pk": job.pk}), follow=True
    )

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert (
        "Only a job that has failed, stalled or left letters not e-mailed can be tried again."
    ) in response.content.decode()
    assert AuditEvent.objects.filter(action="letters.job.retried").count() == 0


def test_retry_is_a_post(decided: Decided) -> None:
    job = failed_job(decided)
    response = client_for(decided.funded.caseworker).get(
        reverse("letters:retry", kwargs={"pk": job.pk})
    )
    assert response.status_code == 405


def test_the_funder_follows_but_may_not_retry(decided: Decided) -> None:
    job = failed_job(decided)
    client = client_for(decided.funded.funder)

    assert client.get(job_url(job)).status_code == 200
    assert (
        reverse("letters:retry", kwargs={"pk": job.pk})
        not in client.get(job_url(job)).content.decode()
    )
    assert client.post(reverse("letters:retry", kwargs={"pk": job.pk})).status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_applicants_and_strangers_do_not_see_a_job(decided: Decided) -> None:
    job = done_job(decided, 1)
    stranger = UserFactory(organisation=OrganisationFactory())

    assert client_for(decided.funded.applicant.user).get(job_url(job)).status_code == 404
    assert client_for(stranger).get(job_url(job)).status_code == 404
    assert (
        client_for(stranger).post(reverse("letters:retry", kwargs={"pk": job.pk})).status_code
        == 404
    )
    response = Client().get(job_url(job))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_organisation_and_the_caseworkers_download_a_letter(decided: Decided) -> None:
    done_job(decided, 1)
    letter = Letter.objects.get()
    url = reverse("letters:download", kwargs={"pk": letter.pk})

    for user in (decided.funded.applicant.user, decided.funded.caseworker):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{letter.filename}"'
        assert b"".join(response.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]


def test_nobody_else_downloads_a_letter(decided: Decided) -> None:
    done_job(decided, 1)
    url = reverse("letters:download", kwargs={"pk": Letter.objects.get().pk})
    stranger = UserFactory(organisation=OrganisationFactory())

    assert client_for(stranger).get(url).status_code == 404
    # The funder reads the pool's figures, not the organisations' letters.
    assert client_for(decided.funded.funder).get(url).status_code == 404
    assert (
        client_for(stranger).get(reverse("letters:download", kwargs={"pk": 999_999})).status_code
        == 404
    )
    assert Client().get(url).status_code == 302


@pytest.mark.parametrize("letters", [1, 3])
def test_the_job_page_runs_a_fixed_number_of_queries(
    decided: Decided, letters: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_for(decided.funded.caseworker)
    job = done_job(decided, letters)
    client.get(job_url(job))

    # One of them the user's roles, for the menu.
    with django_assert_num_queries(5):
        response = client.get(job_url(job))

    assert len(response.context["letters"]) == letters
    content = response.content.decode()
    references = [d.application.reference for d in decided.decisions[:letters]]
    assert [f"<td>{reference}</td>" in content for reference in references] == [True] * letters


def test_the_include_lists_an_applications_letters(decided: Decided) -> None:
    done_job(decided, 3)
    application = decided.decisions[2].application
    letters = letters_for_applications([application.pk])[application.pk]

    with translation.override("en"):
        html = render_to_string("letters/_letters_for_application.html", {"letters": letters})

    (letter,) = letters
    assert letter.kind == LetterKind.REJECTION
    assert f'<a href="/breve/{letter.pk}/">Rejection letter (PDF)</a>' in html
    assert render_to_string("letters/_letters_for_application.html", {"letters": []}).strip() == ""


def test_letters_for_applications_is_one_query(
    decided: Decided, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    done_job(decided, 3)
    ids = [d.application.pk for d in decided.decisions]

    with django_assert_num_queries(1):
        found = letters_for_applications([*ids, 999_999])

    assert {pk: len(letters) for pk, letters in found.items()} == {
        ids[0]: 1,
        ids[1]: 1,
        ids[2]: 1,
        999_999: 0,
    }


def test_a_stalled_job_offers_a_retry(decided: Decided, english: Client) -> None:
    job = queue_decision_letters(
        actor=decided.funded.caseworker, decision_ids=[decided.decisions[0].pk]
    )
    started = timezone.now() - STALLED_AFTER - dt.timedelta(minutes=1)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=started)

    html = client_for(decided.funded.caseworker, english).get(job_url(job)).content.decode()

    assert "The job has stalled" in html
    assert reverse("letters:retry", kwargs={"pk": job.pk}) in html
