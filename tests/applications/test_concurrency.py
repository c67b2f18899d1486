"""The same application submitted from two tabs (or by a double click) at the same moment.

Each thread has its own database connection, as each web worker would; only PostgreSQL has
the row locks this is about, so these tests run in the PostgreSQL leg of `make test`.
"""

import pytest
from django.core import mail
from django.db.models import QuerySet

from pulje.applications.models import Application, ApplicationVersion
from pulje.applications.services import Submission, fingerprint, submit_application
from pulje.core.models import AuditEvent
from tests.concurrency import Outcome, run_at_once
from tests.factories.applications import complete_draft, make_applicant, make_call

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 6


def _race(threads: int) -> tuple[list[Outcome], Application]:
    """Submit one application from ``threads`` connections at once; each one's outcome."""
    applicant = make_applicant(make_call())
    application = Application.objects.create(
        call=applicant.call,
        organisation=applicant.organisation,
        created_by=applicant.user,
        draft=complete_draft(applicant),
    )
    confirmed = fingerprint(application)

    def submit() -> Submission:
        return submit_application(
            actor=applicant.user, application=application, confirmed=confirmed
        )

    return run_at_once(*[submit] * threads), application


def test_simultaneous_submissions_of_one_application_make_one_version() -> None:
    outcomes, _application = _race(THREADS)
    assert all(isinstance(outcome, Submission) for outcome in outcomes), outcomes
    assert [outcome.new for outcome in outcomes].count(True) == 1
    assert {outcome.version.pk for outcome in outcomes} == {ApplicationVersion.objects.get().pk}
    assert AuditEvent.objects.filter(action="applications.application.submitted").count() == 1
    assert len(mail.outbox) == 1


def test_control_without_the_row_lock_the_same_race_goes_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: with row locks switched off, the threads read the same state and at
    least one of them fails (two first versions), so the test above proves the lock."""
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, **kwargs: self)
    outcomes, _application = _race(THREADS)
    failures = [outcome for outcome in outcomes if not isinstance(outcome, Submission)]
    assert failures, outcomes
