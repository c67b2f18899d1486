"""The screening rules as a pure function: one table row per rule, pass, remark and fail."""

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from pulje.applications.rules import CallTerms
from pulje.casework.screening import (
    Candidate,
    Earlier,
    PartnerFacts,
    Reason,
    Rules,
    normalised_title,
    project_months,
    screen,
    title_similarity,
)
from pulje.core.money import kr

VALID_CVR = "29189706"
PARTNER = PartnerFacts(
    name="Gellerup Kulturforening", cvr="10000009", kind="association", registered=True
)
TERMS = CallTerms(
    applicant_kinds=("housing",),
    partner_kinds=("association",),
    bands=((kr(10_000), kr(49_999)), (kr(50_000), kr(99_999))),
    project_start_earliest=dt.date(2021, 3, 15),
    project_end_latest=dt.date(2021, 12, 31),
)
RULES = Rules(terms=TERMS, salary_cap_monthly_ore=kr(34_000), excluded_cost_kinds=("other",))
NO_BANDS = dataclasses.replace(RULES, terms=dataclasses.replace(TERMS, bands=()))
GOOD = Candidate(
    organisation_kind="housing",
    organisation_cvr=VALID_CVR,
    title="Spisefællesskab i Gellerup",
    department_ids=frozenset({1}),
    amount_ore=kr(60_000),
    budget={"activities": kr(45_000), "materials": kr(15_000)},
    partners=[PARTNER],
    period_start=dt.date(2021, 4, 1),
    period_end=dt.date(2021, 11, 30),
)
LABELS = {
    "association": "Association",
    "other": "Other",
    "library": "Library",
    "housing": "Housing organisation",
}


def _messages(
    candidate: Candidate, rules: Rules = RULES, earlier: list[Earlier] | None = None
) -> tuple[str, list[tuple[str, str, str]]]:
    result = screen(candidate, rules, earlier or [])
    with translation.override("en"):
        return result.outcome, [(r.code, r.severity, r.message(LABELS)) for r in result.reasons]


def test_a_complete_application_passes_without_reasons() -> None:
    assert _messages(GOOD) == ("pass", [])


def test_a_valid_cvr_number_of_the_test_data() -> None:
    # The fixtures' CVR numbers must themselves be valid, or the table below tests nothing.
    from stdnum.dk import cvr

    assert cvr.is_valid(VALID_CVR)
    assert cvr.is_valid(PARTNER.cvr)


def _with(**changes: Any) -> Candidate:
    return dataclasses.replace(GOOD, **changes)


FAILURES = [
    (
        _with(organisation_kind="library"),
        "applicant_kind",
        "The applicant is registered as “library”, a kind of organisation the call is not open "
        "to (it is open to: housing organisation).",
    ),
    (
        _with(organisation_cvr="29189707"),
        "applicant_cvr",
        "The applicant's CVR number “29189707” is not valid.",
    ),
    (
        _with(partners=[]),
        "partner_missing",
        "The application has no partner of the kind the call requires: association.",
    ),
    (
        _with(partners=[dataclasses.replace(PARTNER, kind="library")]),
        "partner_missing",
        "The application has no partner of the kind the call requires: association.",
    ),
    (
        _with(partners=[dataclasses.replace(PARTNER, cvr="12345678")]),
        "partner_cvr",
        "The partner “Gellerup Kulturforening” has no valid CVR number (“12345678”).",
    ),
    (
        _with(amount_ore=None, budget={"activities": kr(1)}),
        "amount_missing",
        "The application gives no amount.",
    ),
    (
        _with(amount_ore=kr(100_000), budget={"activities": kr(100_000)}),
        "amount_band",
        "100.000 kr. is not within a grant size of the call "
        "(10.000 kr. – 49.999 kr.; 50.000 kr. – 99.999 kr.).",
    ),
    (_with(budget={}), "budget_empty", "The budget has no lines."),
    (
        _with(budget={"activities": kr(50_000)}),
        "budget_sum",
        "The budget lines add up to 50.000 kr., but the application asks for 60.000 kr.",
    ),
    (
        # April to November: 8 months of 34.000 kr. is 272.000 kr.; the band is lifted here.
        _with(amount_ore=kr(272_001), budget={"salaries": kr(272_001)}),
        "salary_cap",
        "Salaries of 272.001 kr. exceed the cap of 272.000 kr.: 34.000 kr. a month for 8 months.",
    ),
    (
        _with(budget={"activities": kr(50_000), "other": kr(10_000)}),
        "excluded_cost",
        "The budget has a kind of cost the call does not cover: other (10.000 kr.).",
    ),
    (_with(period_start=None), "period_missing", "The application gives no project period."),
    (
        _with(period_start=dt.date(2021, 6, 1), period_end=dt.date(2021, 5, 31)),
        "period_order",
        "The project ends (May 31, 2021) before it starts (June 1, 2021).",
    ),
    (
        _with(period_start=dt.date(2021, 3, 14)),
        "period_start",
        "The project starts March 14, 2021, before the earliest start, March 15, 2021.",
    ),
    (
        _with(period_end=dt.date(2022, 1, 1)),
        "period_end",
        "The project ends Jan. 1, 2022, after the latest end (the project window and the date "
        "by which the grant must be spent), Dec. 31, 2021.",
    ),
]


@pytest.mark.parametrize(("candidate", "code", "message"), FAILURES, ids=[f[1] for f in FAILURES])
def test_each_rule_fails_with_its_reason(candidate: Candidate, code: str, message: str) -> None:
    rules = NO_BANDS if code == "salary_cap" else RULES
    assert _messages(candidate, rules) == ("fail", [(code, "fail", message)])


def test_a_partner_with_a_valid_cvr_that_the_registry_lacks_is_a_remark() -> None:
    candidate = _with(partners=[dataclasses.replace(PARTNER, registered=False)])

    assert _messages(candidate) == (
        "remarks",
        [
            (
                "partner_unknown",
                "remark",
                "The partner “Gellerup Kulturforening” (CVR 10000009) is not in the registry: "
                "check it in the CVR register.",
            )
        ],
    )


def test_a_remark_and_a_failure_together_fail() -> None:
    candidate = _with(partners=[dataclasses.replace(PARTNER, registered=False)], budget={})

    outcome, reasons = _messages(candidate)

    assert (outcome, [code for code, _s, _m in reasons]) == (
        "fail",
        ["partner_unknown", "budget_empty"],
    )


def test_salaries_exactly_at_the_cap_pass() -> None:
    rules = NO_BANDS
    assert _messages(_with(amount_ore=kr(272_000), budget={"salaries": kr(272_000)}), rules) == (
        "pass",
        [],
    )


def test_rules_switched_off_check_nothing() -> None:
    off = Rules(
        require_eligible_applicant=False,
        check_budget_sum=False,
        duplicate_similarity=None,
    )
    candidate = _with(
        organisation_kind="library",
        organisation_cvr="1",
        partners=[],
        amount_ore=kr(5),
        budget={"salaries": kr(10_000_000), "other": kr(1)},
        period_start=dt.date(2000, 1, 1),
        period_end=dt.date(2040, 1, 1),
    )
    earlier = [Earlier("BL20-0001", GOOD.title, frozenset({1}))]

    assert _messages(candidate, off, earlier) == ("pass", [])


def test_a_near_identical_title_on_the_same_department_is_a_duplicate_of_the_earlier_one() -> None:
    earlier = [
        Earlier("BL20-0001", "Spisefællesskab i Gellerup!", frozenset({1, 2})),
        Earlier("BL20-0002", "Spisefællesskab i Gellerup", frozenset({3})),  # another department
        Earlier("BL20-0003", "Strikkeklub i Gellerup", frozenset({1})),  # another title
    ]

    assert _messages(GOOD, RULES, earlier) == (
        "fail",
        [
            (
                "duplicate",
                "fail",
                "The application looks like a duplicate of BL20-0001 “Spisefællesskab i "
                "Gellerup!”: same housing department, nearly the same title.",
            )
        ],
    )


@pytest.mark.parametrize(
    ("first", "second", "duplicate"),
    [
        ("Spisefællesskab i Gellerup", "spisefællesskab  i gellerup.", True),
        ("Spisefællesskab i Gellerup", "Spisefællesskaber i Gellerup", True),  # 0.96
        ("Spisefællesskab i Gellerup", "Spisefællesskab i Gellerupparken", False),  # 0.897
        ("Gåture for ældre", "Gaature for aeldre", False),
        ("Café Fællesskab", "Cafe Fællesskab", True),
    ],
)
def test_the_duplicate_threshold_is_a_normalised_similarity_of_ninety_percent(
    first: str, second: str, duplicate: bool
) -> None:
    assert (title_similarity(first, second) >= 0.9) is duplicate


def test_titles_are_normalised_for_case_accents_punctuation_and_spaces() -> None:
    assert normalised_title("  Café  FÆLLESSKAB – i  Gellerup! ") == "cafe fællesskab i gellerup"


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2021, 3, 15), dt.date(2021, 4, 14), 2),
        (dt.date(2021, 2, 1), dt.date(2021, 11, 30), 10),
        (dt.date(2021, 12, 1), dt.date(2022, 1, 31), 2),
        (dt.date(2021, 5, 5), dt.date(2021, 5, 5), 1),
    ],
)
def test_project_months_count_every_calendar_month_the_project_runs_in(
    start: dt.date, end: dt.date, months: int
) -> None:
    assert project_months(start, end) == months


@given(
    salaries=st.integers(min_value=1, max_value=kr(1_000_000)),
    cap=st.integers(min_value=1, max_value=kr(100_000)),
    start=st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2021, 12, 31)),
    days=st.integers(min_value=0, max_value=400),
)
def test_the_salary_cap_fails_exactly_when_salaries_exceed_cap_times_months(
    salaries: int, cap: int, start: dt.date, days: int
) -> None:
    end = start + dt.timedelta(days=days)
    rules = Rules(salary_cap_monthly_ore=cap, duplicate_similarity=None)
    candidate = _with(
        amount_ore=salaries, budget={"salaries": salaries}, period_start=start, period_end=end
    )

    codes = [reason.code for reason in screen(candidate, rules).reasons]

    assert codes == (["salary_cap"] if salaries > cap * project_months(start, end) else [])


@given(st.lists(st.sampled_from(["fail", "remark"]), max_size=5))
def test_the_outcome_is_the_worst_severity(severities: list[str]) -> None:
    # Every partner unregistered (a remark each), and for a "fail" one budget problem.
    partners = [dataclasses.replace(PARTNER, registered=False) for s in severities if s == "remark"]
    failing = "fail" in severities
    candidate = _with(partners=partners or [PARTNER], budget={} if failing else GOOD.budget)

    outcome = screen(candidate, RULES).outcome

    assert outcome == ("fail" if failing else "remarks" if partners else "pass")


def test_a_reason_survives_its_json_form() -> None:
    reason = Reason(
        "salary_cap", "fail", {"salaries_ore": 1, "cap_ore": 2, "monthly_ore": 2, "months": 1}
    )

    assert Reason.from_json(reason.as_json()) == reason


def test_a_band_reason_stored_with_its_bands_as_text_still_reads() -> None:
    # Screenings before the rules were shared stored the bands already written out.
    stored = Reason.from_json(
        {
            "code": "amount_band",
            "severity": "fail",
            "params": {"amount_ore": kr(5_000), "bands": "10.000 kr. – 49.999 kr."},
        }
    )
    fresh = screen(_with(amount_ore=kr(5_000), budget={"activities": kr(5_000)}), RULES)

    with translation.override("en"):
        assert stored.message() == (
            "5.000 kr. is not within a grant size of the call (10.000 kr. – 49.999 kr.)."
        )
        assert [reason.message() for reason in fresh.reasons] == [
            "5.000 kr. is not within a grant size of the call "
            "(10.000 kr. – 49.999 kr.; 50.000 kr. – 99.999 kr.)."
        ]
    assert fresh.reasons[0].params["bands"] == [
        [kr(10_000), kr(49_999)],
        [kr(50_000), kr(99_999)],
    ]


def test_a_call_open_to_associations_passes_an_association_and_fails_a_library() -> None:
    open_to_associations = dataclasses.replace(
        RULES, terms=dataclasses.replace(TERMS, applicant_kinds=("housing", "association"))
    )

    assert _messages(_with(organisation_kind="association"), open_to_associations) == ("pass", [])
    assert _messages(_with(organisation_kind="library"), open_to_associations) == (
        "fail",
        [
            (
                "applicant_kind",
                "fail",
                "The applicant is registered as “library”, a kind of organisation the call is "
                "not open to (it is open to: housing organisation, association).",
            )
        ],
    )
