import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from pulje.calls.forms import CallForm, CopenhagenDateTimeField, QuestionForm
from pulje.funds.models import Pool


def test_typed_times_are_danish_whatever_the_active_time_zone() -> None:
    field = CopenhagenDateTimeField()

    with timezone.override(dt.UTC):
        winter = field.clean("2021-02-05T12:00")
        summer = field.clean("2021-06-30T12:00")
        shown = field.prepare_value(dt.datetime(2021, 2, 5, 11, 0, tzinfo=dt.UTC))

    assert winter == dt.datetime(2021, 2, 5, 11, 0, tzinfo=dt.UTC)
    assert summer == dt.datetime(2021, 6, 30, 10, 0, tzinfo=dt.UTC)
    # Naive, as a datetime-local input shows it: Danish wall-clock time.
    assert shown == dt.datetime(2021, 2, 5, 12, 0)  # noqa: DTZ001


def test_a_time_skipped_by_summer_time_is_an_error() -> None:
    field = CopenhagenDateTimeField()

    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            field.clean("2021-03-28T02:30")
        messages = error.value.messages

    assert messages == [
        "2021-03-28 02:30:00 couldn’t be interpreted in time zone Europe/Copenhagen; it may be "
        "ambiguous or it may not exist."
    ]


@pytest.mark.django_db
def test_call_form_for_a_new_call_starts_from_the_pool_period() -> None:
    pool = Pool(period_start=dt.date(2020, 11, 6), period_end=dt.date(2021, 12, 31))

    form = CallForm(pool=pool)

    assert (
        form["project_start_earliest"].value(),
        form["project_end_latest"].value(),
        form["edit_after_submit"].value(),
    ) == (dt.date(2020, 11, 6), dt.date(2021, 12, 31), True)
    assert "reference_prefix" in form.fields


def test_question_form_reads_one_option_per_line() -> None:
    form = QuestionForm(
        {"label": "Hvilken?", "kind": "choice", "choices": " Børn \r\n\r\nVoksne\nÆldre\n"}
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "label": "Hvilken?",
        "help_text": "",
        "kind": "choice",
        "choices": ["Børn", "Voksne", "Ældre"],
        "required": False,
        "max_length": None,
    }
