"""The application's rules as pure functions: every rule at its edges, with its code, its
field and its facts, and the applicant's message rendered from them."""

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from pulje.applications.rules import (
    ApplicationInput,
    CallTerms,
    PartnerInput,
    Problem,
    check_applicant,
    check_application,
)
from pulje.core.money import kr

TERMS = CallTerms(
    bands=((kr(10_000), kr(49_999)), (kr(50_000), kr(149_999))),
    applicant_kinds=("housing",),
    partner_kinds=("association",),
    project_start_earliest=dt.date(2021, 1, 1),
    project_end_latest=dt.date(2021, 12, 31),
)
PARTNER = PartnerInput(name="Gellerup Kulturforening", cvr="29189706", kind="association")
GOOD = ApplicationInput(
    period_start=dt.date(2021, 2, 1),
    period_end=dt.date(2021, 11, 30),
    amount_ore=kr(60_000),
    budget={"activities": kr(45_000), "materials": kr(15_000)},
    partners=(PARTNER,),
)
LABELS = {"association": "Association", "library": "Library", "housing": "Housing organisation"}


def _with(**changes: Any) -> ApplicationInput:
    return dataclasses.replace(GOOD, **changes)


def _found(application: ApplicationInput, terms: CallTerms = TERMS) -> list[tuple[Any, ...]]:
    with translation.override("en"):
        return [
            (p.code, p.field, dict(p.params), p.message(LABELS))
            for p in check_application(application, terms)
        ]


def test_an_application_within_the_terms_has_no_problems() -> None:
    assert check_application(GOOD, TERMS) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"period_start": dt.date(2020, 12, 31)},
            (
                "period_start",
                "period_start",
                {"start_date": "2020-12-31", "earliest_date": "2021-01-01"},
                "The project can start Jan. 1, 2021 at the earliest.",
            ),
        ),
        (
            {"period_end": dt.date(2022, 1, 1)},
            (
                "period_end",
                "period_end",
                {"end_date": "2022-01-01", "latest_date": "2021-12-31"},
                "The project must end Dec. 31, 2021 at the latest.",
            ),
        ),
        (
            {"period_start": dt.date(2021, 6, 2), "period_end": dt.date(2021, 6, 1)},
            (
                "period_order",
                "period_end",
                {"start_date": "2021-06-02", "end_date": "2021-06-01"},
                "The end date must be after the start date.",
            ),
        ),
        (
            {"amount_ore": kr(150_000), "budget": {"activities": kr(150_000)}},
            (
                "amount_band",
                "amount",
                {
                    "amount_ore": kr(150_000),
                    "bands": [[kr(10_000), kr(49_999)], [kr(50_000), kr(149_999)]],
                },
                "150.000 kr. is not within a grant size of this call. The sizes are: "
                "10.000 kr. – 49.999 kr.; 50.000 kr. – 149.999 kr.",
            ),
        ),
        (
            {"budget": {}},
            (
                "budget_empty",
                "amount",
                {},
                "Give the budget: the amount for at least one kind of cost.",
            ),
        ),
        (
            {"budget": {"activities": kr(59_999)}},
            (
                "budget_sum",
                "amount",
                {"total_ore": kr(59_999), "amount_ore": kr(60_000)},
                "The budget lines add up to 59.999 kr., but you apply for 60.000 kr.",
            ),
        ),
        (
            {"partners": (dataclasses.replace(PARTNER, kind="library"),)},
            (
                "partner_missing",
                "partner_1_kind",
                {"partner_kinds": ["association"]},
                "This call requires a partner of this kind: association.",
            ),
        ),
        (
            {"partners": ()},
            (
                "partner_missing",
                "partner_1_kind",
                {"partner_kinds": ["association"]},
                "This call requires a partner of this kind: association.",
            ),
        ),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else "",
)
def test_each_rule_gives_its_code_field_facts_and_message(
    changes: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    assert _found(_with(**changes)) == [expected]


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        # Both limits of the window and of each band are included.
        ({"period_start": dt.date(2021, 1, 1), "period_end": dt.date(2021, 12, 31)}, []),
        ({"period_start": dt.date(2021, 5, 5), "period_end": dt.date(2021, 5, 5)}, []),
        ({"amount_ore": kr(10_000), "budget": {"activities": kr(10_000)}}, []),
        ({"amount_ore": kr(49_999), "budget": {"activities": kr(49_999)}}, []),
        ({"amount_ore": kr(50_000), "budget": {"activities": kr(50_000)}}, []),
        ({"amount_ore": kr(10_000) - 1, "budget": {"activities": kr(10_000) - 1}}, ["amount_band"]),
        # Between the bands: 49.999,01 kr. lies in neither.
        ({"amount_ore": kr(49_999) + 1, "budget": {"activities": kr(49_999) + 1}}, ["amount_band"]),
        # A budget line of nothing is no budget.
        ({"budget": {"activities": 0}}, ["budget_empty"]),
        # One partner of the required kind is enough, among others.
        ({"partners": (dataclasses.replace(PARTNER, kind="library"), PARTNER)}, []),
        # Too early and reversed: each on its field, in the form's order.
        (
            {"period_start": dt.date(2020, 12, 15), "period_end": dt.date(2020, 12, 1)},
            ["period_start", "period_order"],
        ),
    ],
)
def test_the_rules_at_their_edges(changes: dict[str, Any], codes: list[str]) -> None:
    assert [p.code for p in check_application(_with(**changes), TERMS)] == codes


def test_what_could_not_be_read_is_not_checked() -> None:
    unread = ApplicationInput(period_start=dt.date(2020, 1, 1))

    # The start is checked; the missing end, amount, budget and partners are the fields' own.
    assert [p.code for p in check_application(unread, TERMS)] == ["period_start"]


def test_an_amount_without_a_readable_budget_is_still_held_to_the_bands() -> None:
    assert [p.code for p in check_application(_with(amount_ore=kr(1), budget=None), TERMS)] == [
        "amount_band"
    ]


def test_empty_terms_limit_nothing() -> None:
    anything = _with(
        period_start=dt.date(1990, 1, 1),
        period_end=dt.date(2090, 1, 1),
        amount_ore=kr(1),
        budget={"activities": kr(1)},
        partners=(),
    )

    assert check_application(anything, CallTerms()) == []


def test_the_applicant_is_held_to_the_calls_kinds() -> None:
    assert check_applicant("housing", TERMS) == []
    assert check_applicant("association", dataclasses.replace(TERMS, applicant_kinds=())) == []
    (problem,) = check_applicant("association", TERMS)
    with translation.override("en"):
        assert (problem.code, problem.field, dict(problem.params), problem.message(LABELS)) == (
            "applicant_kind",
            None,
            {"organisation_kind": "association", "applicant_kinds": ["housing"]},
            "Organisations registered as “association” cannot apply to this call. It is open to: "
            "housing organisation.",
        )


def test_the_latest_end_is_the_window_or_the_spend_by_date_whichever_is_first() -> None:
    assert TERMS.latest_end == dt.date(2021, 12, 31)
    assert dataclasses.replace(TERMS, spend_by=dt.date(2021, 10, 31)).latest_end == dt.date(
        2021, 10, 31
    )
    assert dataclasses.replace(TERMS, spend_by=dt.date(2022, 6, 30)).latest_end == dt.date(
        2021, 12, 31
    )
    assert CallTerms(spend_by=dt.date(2022, 6, 30)).latest_end == dt.date(2022, 6, 30)
    assert CallTerms().latest_end is None


def test_the_spend_by_date_is_not_the_applicants_limit() -> None:
    # The pool's date may move after the call is made: screening fails it, the form does not.
    terms = dataclasses.replace(TERMS, spend_by=dt.date(2021, 10, 31))

    assert check_application(GOOD, terms) == []


def test_a_problem_reads_in_danish_by_default_for_the_applicant() -> None:
    problem = Problem("budget_sum", "amount", {"total_ore": kr(1_000), "amount_ore": kr(2_000)})

    with translation.override("da"):
        assert problem.message() == (
            "Budgetlinjerne giver tilsammen 1.000 kr., men du søger om 2.000 kr."
        )


@given(
    amount=st.integers(min_value=1, max_value=kr(1_000_000)),
    lines=st.lists(st.integers(min_value=0, max_value=kr(500_000)), min_size=1, max_size=6),
)
def test_the_budget_fails_exactly_when_its_lines_do_not_add_up_to_the_amount(
    amount: int, lines: list[int]
) -> None:
    budget = {f"kind{n}": line for n, line in enumerate(lines)}
    codes = [
        p.code
        for p in check_application(
            _with(amount_ore=amount, budget=budget), dataclasses.replace(TERMS, bands=())
        )
    ]

    expected = [] if sum(lines) == amount else ["budget_sum"]
    assert codes == (["budget_empty"] if not any(lines) else expected)
