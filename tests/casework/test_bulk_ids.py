"""The queue's bulk action does all the ticked applications or none: an id that is not one of
the call's submitted applications is refused by name, never skipped, whatever it looks like."""

import pytest
from django.test import Client
from django.urls import reverse

from pulje.applications.models import Application
from pulje.applications.services import start_application
from pulje.casework.models import Screening
from pulje.core.models import AuditEvent
from tests.factories.casework import Desk, make_applicant_in, make_desk, submit

pytestmark = pytest.mark.django_db


def _refused(value: str) -> str:
    return (
        f"{value} er ikke en af de indsendte ansøgninger i denne ansøgningsrunde, så intet er "
        "gjort. Hent listen igen, og vælg blandt ansøgningerne i den."
    )


def _another_calls_application() -> Application:
    return submit(make_applicant_in(make_desk().call, name="Andet opslag"))


def _a_draft(desk: Desk) -> Application:
    applicant = make_applicant_in(desk.call, name="Kladde Bolig")
    return start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )


@pytest.mark.parametrize(
    "unknown",
    [
        lambda desk: "999999",
        lambda desk: "99999999999999999999999",
        lambda desk: str(2**63),
        lambda desk: "abc",
        lambda desk: "-1",
        lambda desk: "1e400",
        lambda desk: "٣",
        lambda desk: str(_another_calls_application().pk),
        lambda desk: str(_a_draft(desk).pk),
    ],
    ids=[
        "missing",
        "huge",
        "beyond-64-bits",
        "text",
        "negative",
        "1e400",
        "arabic",
        "other-call",
        "draft",
    ],
)
def test_an_unknown_id_refuses_the_whole_bulk_action_by_name(
    client: Client, desk: Desk, unknown: object
) -> None:
    known = submit(make_applicant_in(desk.call))
    value = unknown(desk)  # type: ignore[operator]
    client.force_login(desk.caseworker)
    screenings, events = Screening.objects.count(), AuditEvent.objects.count()

    response = client.post(
        reverse("desk:bulk", kwargs={"code": desk.call.code}),
        {"action": "screen", "applications": [known.pk, value]},
    )

    assert response.status_code == 400
    assert response.context["bulk_form"].errors == {"applications": [_refused(value)]}
    assert _refused(value) in response.content.decode()
    assert (Screening.objects.count(), AuditEvent.objects.count()) == (screenings, events)
