"""The brakes' rules (decisions.warnings), pure: facts in, warnings out."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

import pytest
from django.utils import translation

from pulje.core.money import kr
from pulje.decisions.warnings import (
    Facts,
    Item,
    confirmation_token,
    total_ore,
    warnings_for,
)

NOW = dt.datetime(2027, 2, 1, 12, 0, tzinfo=dt.UTC)
CLOSED = Facts(
    now=NOW,
    closes_at=NOW - dt.timedelta(days=1),
    edit_after_submit=True,
    spend_by=dt.date(2028, 6, 30),
    project_end=dt.date(2027, 12, 31),
    available_ore=kr(1_000_000),
)
SCORED = Item(
    application_id=1,
    reference="BL-0001",
    organisation="Boligselskabet",
    title="Fællesspisning",
    status="recommended",
    outcome="grant",
    amount_ore=kr(60_000),
    requested_ore=kr(60_000),
    assignments=2,
    scored=2,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def codes(facts: Facts, *items: Item) -> list[tuple[str, bool]]:
    return [(w.code, w.blocking) for w in warnings_for(facts, items)]


def test_a_scored_grant_after_the_deadline_has_no_warnings() -> None:
    assert codes(CLOSED, SCORED) == []


def test_before_the_deadline_blocks_when_applicants_may_still_change_else_warns() -> None:
    open_call = replace(CLOSED, closes_at=NOW + dt.timedelta(seconds=1))
    assert codes(open_call, SCORED) == [("call_open", True)]
    assert codes(replace(open_call, edit_after_submit=False), SCORED) == [("call_open", False)]


def test_what_the_service_refuses_blocks_first() -> None:
    refused = replace(CLOSED, refusal="Bånd 2 cannot pay.", refusal_code="over_budget")
    [first] = warnings_for(refused, [replace(SCORED, assignments=0, scored=0)])[:1]
    assert (first.code, first.message, first.blocking) == (
        "over_budget",
        "Bånd 2 cannot pay.",
        True,
    )
    assert codes(refused, replace(SCORED, assignments=0, scored=0)) == [
        ("over_budget", True),
        ("no_assessment", False),
    ]


def test_unassessed_conflicted_and_unscored_are_named() -> None:
    unassessed = replace(SCORED, application_id=2, reference="BL-0002", assignments=0, scored=0)
    conflicted = replace(
        SCORED, application_id=3, reference="BL-0003", assignments=1, conflicted=1, scored=0
    )
    unscored = replace(SCORED, application_id=4, reference="BL-0004", assignments=1, scored=0)
    found = warnings_for(CLOSED, [SCORED, unassessed, conflicted, unscored])
    assert [(w.code, w.message, w.blocking) for w in found] == [
        ("no_assessment", "No assessor was asked to assess: BL-0002.", False),
        (
            "only_conflicted",
            "The only assessors declared a conflict of interest: BL-0003.",
            False,
        ),
        ("no_score", "No assessor has scored: BL-0004.", False),
    ]


def test_a_spend_by_date_or_project_period_in_the_past_warns_only_for_grants() -> None:
    past = replace(CLOSED, spend_by=dt.date(2021, 12, 31), project_end=dt.date(2021, 12, 31))
    assert codes(past, SCORED) == [("spend_by_past", False), ("project_period_past", False)]
    rejected = replace(SCORED, outcome="reject", amount_ore=0, reason_code="budget")
    assert codes(past, rejected) == []
    # The last day itself is not past.
    assert codes(replace(CLOSED, spend_by=NOW.date(), project_end=NOW.date()), SCORED) == []


def test_a_run_below_half_the_pool_says_how_much_stays_unspent() -> None:
    run = replace(CLOSED, available_ore=kr(13_960_000), run_budget_ore=kr(1_000_000))
    grants = [
        replace(SCORED, application_id=n, reference=f"BL-{n:04}", amount_ore=kr(500_000))
        for n in (1, 2)
    ]
    [warning] = warnings_for(run, grants)
    assert (warning.code, warning.blocking) == ("low_budget", False)
    assert warning.message == (
        "The run shares out 1.000.000 kr., while the pool has 13.960.000 kr. available: "
        "12.960.000 kr. stays unspent."
    )
    # Exactly half is not "far below"; a run without a budget of its own is not warned of.
    assert codes(replace(run, run_budget_ore=kr(6_980_000)), *grants) == []
    assert codes(replace(run, run_budget_ore=None), *grants) == []


def test_a_no_money_rejection_while_money_remains_for_it_is_named() -> None:
    facts = replace(CLOSED, available_ore=kr(100_000))
    grant = replace(SCORED, amount_ore=kr(60_000))
    fits = replace(
        SCORED,
        application_id=2,
        reference="BL-0027",
        outcome="reject",
        amount_ore=0,
        requested_ore=kr(14_000),
        reason_code="no_money",
    )
    too_big = replace(fits, application_id=3, reference="BL-0030", requested_ore=kr(40_001))
    other_reason = replace(fits, application_id=4, reference="BL-0031", reason_code="budget")
    [warning] = warnings_for(facts, [grant, fits, too_big, other_reason])
    assert (warning.code, warning.blocking) == ("no_money_but_money", False)
    assert warning.message == (
        "BL-0027 is rejected because the pool has no money left, but 40.000 kr. remains "
        "after these decisions."
    )


def test_the_total_counts_grants_only() -> None:
    rejected = replace(SCORED, application_id=2, outcome="reject", amount_ore=0)
    reduced = replace(SCORED, application_id=3, outcome="reduced", amount_ore=kr(45_000))
    assert total_ore([SCORED, rejected, reduced]) == kr(105_000)


def test_the_token_changes_with_what_was_shown_and_not_with_order() -> None:
    other = replace(SCORED, application_id=2, reference="BL-0002")
    token = confirmation_token([SCORED, other], [])
    assert confirmation_token([other, SCORED], []) == token
    assert len(token) == 64
    changed = [
        confirmation_token([replace(SCORED, amount_ore=kr(59_999)), other], []),
        confirmation_token([replace(SCORED, status="screened"), other], []),
        confirmation_token([replace(SCORED, outcome="reject"), other], []),
        confirmation_token([SCORED], []),
        confirmation_token(
            [SCORED, other],
            warnings_for(replace(CLOSED, closes_at=NOW + dt.timedelta(minutes=1)), [SCORED]),
        ),
        confirmation_token(
            [SCORED, other],
            warnings_for(replace(CLOSED, spend_by=dt.date(2020, 1, 1)), [SCORED]),
        ),
    ]
    assert token not in changed
    assert len(set(changed)) == len(changed)
