"""The demo tells one coherent story on whatever day it is loaded: the round's calendar moves
as a whole (``scenario.Calendar``), so the call is open, projects start after the deadline,
money is spent after the projects end, and a letter written that day has no date in the past
but its own."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.calls.models import Call
from pulje.decisions.selectors import letter_subjects
from pulje.decisions.services import decide_applications
from pulje.demo.scenario import Calendar, demo_calendar
from pulje.funds.models import Pool
from pulje.funds.selectors import effective_spend_by
from pulje.letters.rendering import danish_date, letter_text
from pulje.letters.services import ensure_letter_templates
from tests.factories import COPENHAGEN
from tests.factories.demo import load_demo

pytestmark = [
    pytest.mark.django_db,
]

MONTHS = "januar februar marts april maj juni juli august september oktober november december"
DATE = re.compile(r"\b(\d{1,2})\. (" + MONTHS.replace(" ", "|") + r") (\d{4})\b")


def _letter_dates(text: str) -> list[dt.date]:
    return [
        dt.date(int(year), MONTHS.split().index(month) + 1, int(day))
        for day, month, year in DATE.findall(text)
    ]


def test_the_calendar_moves_whole_months_and_keeps_a_months_last_day() -> None:
    calendar = Calendar(months=71)

    assert calendar.day(dt.date(2021, 3, 15)) == dt.date(2027, 2, 15)
    assert calendar.day(dt.date(2021, 12, 31)) == dt.date(2027, 11, 30)
    assert calendar.day(dt.date(2021, 11, 30)) == dt.date(2027, 10, 31)
    assert calendar.day(dt.date(2021, 5, 31)) == dt.date(2027, 4, 30)
    assert calendar.iso("2021-04-01") == "2027-03-01"
    # The deadline's month is the round's deadline's month moved.
    assert demo_calendar(dt.date(2027, 1, 31)).months == 71
    assert demo_calendar(dt.date(2021, 2, 1)).months == 0


@pytest.mark.parametrize(
    "today",
    [
        dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC),
        # Late on 30 June in UTC is 1 July in Denmark.
        dt.datetime(2031, 6, 30, 22, 30, tzinfo=dt.UTC),
    ],
)
def test_the_demo_dates_are_in_order_on_any_day(
    today: dt.datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: today)
    load_demo()

    call = Call.objects.select_related("pool").get(code="bl-faellesskaber-2020")
    pool = Pool.objects.get(code="bl-vaer-med")
    spend_by = effective_spend_by(pool)
    deadline = call.closes_at.astimezone(COPENHAGEN).date()
    assert spend_by is not None
    assert call.report_by is not None
    assert pool.period_start < timezone.localdate(call.opens_at)
    assert call.opens_at < today < call.closes_at
    assert deadline == (today + dt.timedelta(days=60)).astimezone(COPENHAGEN).date()
    assert deadline < call.project_start_earliest < call.project_end_latest
    assert call.project_end_latest == spend_by == pool.period_end < call.report_by
    # The guidance names the same spend-by date, not the round's year.
    assert f"brugt senest den {danish_date(spend_by)}" in call.guidance
    applications = list(Application.objects.filter(call=call).exclude(status="draft"))
    assert len(applications) == 30
    for application in applications:
        assert application.submitted_at is not None
        assert application.period_start is not None
        assert application.period_end is not None
        assert call.opens_at <= application.submitted_at <= today
        assert call.project_start_earliest <= application.period_start
        assert application.period_start < application.period_end <= call.project_end_latest

    # A grant decided in the demo today: every date its letter gives is today or later.
    application = next(
        a
        for a in Application.objects.filter(call=call, status=ApplicationStatus.IN_ASSESSMENT)
        .select_related("call", "organisation")
        .order_by("reference")
    )
    caseworker = User.objects.get(email="sagsbehandler@pulje.demo")
    [decision] = decide_applications(
        actor=caseworker, applications=[application], outcome="grant", queue_letters=False
    )
    [subject] = letter_subjects([decision.pk])
    body = ensure_letter_templates(call_ids=[call.pk])[(call.pk, subject.kind)]
    dates = _letter_dates(letter_text(subject.with_body(body).data))
    letter_day = timezone.localdate(today)
    assert decision.accept_by is not None
    assert application.period_start is not None
    assert application.period_end is not None
    assert call.report_by is not None
    assert dates[0] == letter_day
    assert sorted(dates) == sorted(
        [
            letter_day,
            decision.accept_by,
            spend_by,
            application.period_start,
            application.period_end,
            call.report_by,
        ]
    )
    assert min(dates) == letter_day < decision.accept_by < application.period_end <= spend_by
