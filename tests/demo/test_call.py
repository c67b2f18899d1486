"""BL's call in the demo: built through the call services, open on the day the demo is loaded,
and created only once."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pulje.calls.models import Call, CallQuestion
from pulje.calls.selectors import call_bands, open_calls
from pulje.core.models import AuditEvent
from pulje.demo.scenario import demo_calendar
from tests.factories import COPENHAGEN
from tests.factories.demo import load_demo

pytestmark = [
    pytest.mark.django_db,
]


def test_demo_has_bls_call_open_today(demo: str, db: None) -> None:
    call = Call.objects.select_related("pool").get(code="bl-faellesskaber-2020")
    now = timezone.now()

    assert (call.pool.code, call.reference_prefix, call.title) == (
        "bl-vaer-med",
        "BL20",
        "Puljen til lokale fællesskaber mod ensomhed",
    )
    assert (call.applicant_kinds, call.partner_kinds) == (["housing"], ["association"])
    assert list(open_calls(now)) == [call]
    # It opened on the hour a day before the demo was loaded; the deadline is at noon,
    # Danish time, 60 days after.
    assert dt.timedelta(days=1) <= now - call.opens_at < dt.timedelta(days=1, hours=1, minutes=5)
    assert (call.opens_at.minute, call.opens_at.second) == (0, 0)
    deadline = call.closes_at.astimezone(COPENHAGEN)
    assert (deadline.hour, deadline.minute) == (12, 0)
    assert dt.timedelta(days=59) < call.closes_at - now < dt.timedelta(days=61)
    # The round's project window (15 March to 31 December 2021), moved with its deadline.
    calendar = demo_calendar(deadline.date())
    assert (call.project_start_earliest, call.project_end_latest) == (
        calendar.day(dt.date(2021, 3, 15)),
        calendar.day(dt.date(2021, 12, 31)),
    )
    assert [band.code for band in call_bands(call)] == [
        "bl-vaer-med-ramme-1",
        "bl-vaer-med-ramme-2",
        "bl-vaer-med-ramme-3",
    ]
    assert list(call.questions.values_list("position", "label", "kind", "required")) == [
        (1, "Har I tidligere samarbejdet med foreningen?", "yes_no", True),
        (2, "Samarbejdsaftale med foreningen (hvis I har en)", "file", False),
    ]
    # The eight people of the demo and the call's two assessors.
    assert "created this time: 10 users" in demo
    assert ", 1 calls" in demo


def test_demo_call_was_written_through_the_audited_services(
    demo: str,
    db: None,
) -> None:
    call = Call.objects.get(code="bl-faellesskaber-2020")
    events = AuditEvent.objects.filter(
        object_type__in=["calls.call", "calls.callquestion"]
    ).order_by("seq")

    assert [(e.action, e.object_id) for e in events] == [
        ("calls.call.created", str(call.pk)),
        *(("calls.question.added", str(q.pk)) for q in call.questions.order_by("position")),
    ]


def test_load_demo_twice_leaves_the_call_as_it_was(demo: str, db: None) -> None:
    call = Call.objects.get(code="bl-faellesskaber-2020")
    before = (
        Call.objects.count(),
        CallQuestion.objects.count(),
        AuditEvent.objects.latest("seq").seq,
    )

    output = load_demo()

    assert (
        Call.objects.count(),
        CallQuestion.objects.count(),
        AuditEvent.objects.latest("seq").seq,
    ) == before
    assert Call.objects.get(pk=call.pk).closes_at == call.closes_at
    assert ", 0 calls" in output


def test_demo_call_page_invites_applicants(
    client: Client,
    demo: str,
    db: None,
) -> None:
    url = reverse("calls:detail", kwargs={"code": "bl-faellesskaber-2020"})

    response = client.get(url)

    assert response.status_code == 200
    assert response.context["state"] == "open"
    assert f'href="{reverse("accounts:login")}?next={url}"' in response.content.decode()
