"""The same application submitted from two tabs (or by a double click) at the same moment.

Each thread has its own database connection, as each web worker would; only PostgreSQL has
the row locks this is about, so these tests run in the PostgreSQL leg of `make test`.
"""

import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import translation

from pulje.applications.models import Application, ApplicationVersion
from pulje.applications.services import Submission, fingerprint, submit_application
from pulje.core.models import AuditEvent
from tests.applications.conftest import complete_draft, make_applicant, make_call

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 6


def test_simultaneous_submissions_of_one_application_make_one_version() -> None:
    applicant = make_applicant(make_call())
    application = Application.objects.create(
        call=applicant.call,
        organisation=applicant.organisation,
        created_by=applicant.user,
        draft=complete_draft(applicant),
    )
    confirmed = fingerprint(application)
    start = threading.Barrier(THREADS)
    outcomes: list[Any] = [None] * THREADS

    def work(index: int) -> None:
        try:
            with translation.override("en"):
                start.wait(timeout=30)
                outcomes[index] = submit_application(
                    actor=applicant.user, application=application, confirmed=confirmed
                )
        except Exception as error:  # every outcome is asserted below
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(outcome, Submission) for outcome in outcomes), outcomes
    assert [outcome.new for outcome in outcomes].count(True) == 1
    assert {outcome.version.pk for outcome in outcomes} == {ApplicationVersion.objects.get().pk}
    assert AuditEvent.objects.filter(action="applications.application.submitted").count() == 1
    assert len(mail.outbox) == 1
