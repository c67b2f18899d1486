"""compose_problem on a call's facts: the defaults from the pool's rules and every option the
caseworker chooses, exactly."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pulje.allocation.problems import (
    AllocationOptions,
    compose_problem,
    lowest_amount,
    region_limits,
    region_shares,
)
from pulje.allocation.selectors import CandidateFacts, allocation_facts
from pulje.allocation.solver import (
    Apportionment,
    Candidate,
    GroupRule,
    Limit,
    LotteryRule,
    Method,
    Objective,
    OrganisationRule,
    Problem,
    problem_from_json,
    problem_to_json,
)
from pulje.core.money import kr
from tests.factories.allocation import Scarce

pytestmark = pytest.mark.django_db


def test_the_defaults_come_from_the_pool_s_rules(scarce: Scarce) -> None:
    with translation.override("en"):
        problem = compose_problem(allocation_facts(scarce.call), AllocationOptions())

    band_1, band_2, band_3 = (band.code for band in scarce.bands)
    dining, walking, homework, knitting = (
        scarce.dining,
        scarce.walking,
        scarce.homework,
        scarce.knitting,
    )
    assert problem == Problem(
        budget_ore=kr(1_000_000),
        candidates=(
            Candidate(
                id=dining.reference,
                score=5.0,
                amount_ore=kr(60_000),
                band=band_2,
                region="1084",
                municipality="101",
                organisation=dining.organisation.cvr,
                target_groups=("adults", "elderly"),
                participants=40,
                submitted_at=dining.submitted_at,
            ),
            Candidate(
                id=walking.reference,
                score=4.0,
                amount_ore=kr(60_000),
                band=band_2,
                region="1082",
                municipality="751",
                organisation=walking.organisation.cvr,
                target_groups=("elderly",),
                participants=15,
                submitted_at=walking.submitted_at,
            ),
            Candidate(
                id=homework.reference,
                score=3.0,
                amount_ore=kr(20_000),
                band=band_1,
                region="1083",
                municipality="461",
                organisation=homework.organisation.cvr,
                target_groups=("children",),
                participants=25,
                submitted_at=homework.submitted_at,
            ),
            Candidate(
                id=knitting.reference,
                score=4.0,
                amount_ore=kr(30_000),
                band=band_1,
                region="1084",
                municipality="101",
                organisation=knitting.organisation.cvr,
                target_groups=("elderly",),
                participants=12,
                submitted_at=knitting.submitted_at,
            ),
        ),
        objective=Objective.SCORE,
        method=Method.OPTIMAL,
        allow_reductions=False,
        reduction_unit_ore=kr(500),
        band_budgets={band_1: kr(40_000), band_2: kr(100_000), band_3: kr(400_000)},
        regions={},
        target_groups={
            "adults": GroupRule(min_count=1),
            "children": GroupRule(min_count=1),
            "elderly": GroupRule(min_count=1),
        },
        organisation=OrganisationRule(),
        min_score=None,
        region_weights={"1081": 0.0, "1082": 120.0, "1083": 120.0, "1084": 360.0, "1085": 0.0},
        apportionment=Apportionment.SAINTE_LAGUE,
        lottery=None,
        time_limit=20.0,
        labels={
            "region:1081": "Region Nordjylland",
            "region:1082": "Region Midtjylland",
            "region:1083": "Region Syddanmark",
            "region:1084": "Region Hovedstaden",
            "region:1085": "Region Sjælland",
            f"band:{band_1}": "Bånd 1",
            f"band:{band_2}": "Bånd 2",
            f"band:{band_3}": "Bånd 3",
            "group:children": "Børn og unge",
            "group:adults": "Voksne",
            "group:elderly": "Ældre",
            f"organisation:{dining.organisation.cvr}": "Boligselskabet Spiseklub",
            f"organisation:{walking.organisation.cvr}": "Boligselskabet Gåklub",
            f"organisation:{homework.organisation.cvr}": "Boligselskabet Lektiecafé",
            f"organisation:{knitting.organisation.cvr}": "Boligselskabet Strikkeklub",
        },
    )
    # The stored form reads back as the same problem.
    assert problem_from_json(problem_to_json(problem)) == problem


def test_the_caseworker_s_options(scarce: Scarce) -> None:
    options = AllocationOptions(
        method=Method.LOTTERY,
        objective=Objective.PARTICIPANTS,
        budget_ore=kr(150_000),
        min_score=2.5,
        reduce_to_percent=80,
        region_floor_percent=50,
        region_cap_percent=200,
        group_min_counts={"children": 2, "adults": 0, "elderly": 1},
        max_grants_per_organisation=1,
        apportionment=Apportionment.LARGEST_REMAINDER,
        lottery_seed=" Folketingets lodtrækning 2021 ",
        lottery_threshold=3.0,
        locked_in=frozenset({scarce.homework.reference}),
        locked_out=frozenset({scarce.walking.reference}),
    )

    problem = compose_problem(allocation_facts(scarce.call), options)

    assert (problem.method, problem.objective, problem.budget_ore, problem.min_score) == (
        Method.LOTTERY,
        Objective.PARTICIPANTS,
        kr(150_000),
        2.5,
    )
    # 80 % of 60.000 kr. is 48.000 kr., below band 2's smallest grant of 50.000 kr.; 80 % of
    # 20.000 and 30.000 kr. is above band 1's 10.000 kr.
    assert problem.allow_reductions is True
    assert [(c.id, c.min_amount_ore) for c in problem.candidates] == [
        (scarce.dining.reference, kr(50_000)),
        (scarce.walking.reference, kr(50_000)),
        (scarce.homework.reference, kr(16_000)),
        (scarce.knitting.reference, kr(24_000)),
    ]
    # Homes: Hovedstaden 360 of 600 (0,6), Midtjylland and Syddanmark 120 (0,2) each.
    assert problem.regions == {
        "1082": Limit(floor_share=0.1, cap_share=0.4),
        "1083": Limit(floor_share=0.1, cap_share=0.4),
        "1084": Limit(floor_share=0.3, cap_share=1.0),
    }
    assert problem.target_groups == {
        "children": GroupRule(min_count=2),
        "elderly": GroupRule(min_count=1),
    }
    assert problem.organisation == OrganisationRule(max_grants=1)
    assert problem.apportionment == Apportionment.LARGEST_REMAINDER
    assert problem.lottery == LotteryRule(seed="Folketingets lodtrækning 2021", threshold=3.0)
    assert (problem.locked_in, problem.locked_out) == (
        frozenset({scarce.homework.reference}),
        frozenset({scarce.walking.reference}),
    )


def test_a_lottery_seed_is_kept_only_for_the_lottery(scarce: Scarce) -> None:
    problem = compose_problem(
        allocation_facts(scarce.call), AllocationOptions(method=Method.GREEDY, lottery_seed="frø")
    )

    assert problem.lottery is None


@pytest.mark.parametrize(
    ("options", "errors"),
    [
        (
            AllocationOptions(budget_ore=kr(1_000_001)),
            {"budget": ["The budget can be at most the 1.000.000 kr. the pool has available"]},
        ),
        (
            AllocationOptions(method=Method.LOTTERY, lottery_seed="  "),
            {"lottery_seed": ["A lottery needs a seed that is published with the draw."]},
        ),
        (
            AllocationOptions(locked_in=frozenset({"X-1", "X-2"})),
            {"locked_in": ["These are not candidates in this allocation: X-1, X-2."]},
        ),
    ],
)
def test_options_the_facts_rule_out_are_refused_on_their_field(
    scarce: Scarce, english: object, options: AllocationOptions, errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as refused:
        compose_problem(allocation_facts(scarce.call), options)

    assert refused.value.message_dict == errors


def test_locked_in_and_out_at_once_is_refused(scarce: Scarce, english: object) -> None:
    reference = scarce.dining.reference
    options = AllocationOptions(locked_in=frozenset({reference}), locked_out=frozenset({reference}))

    with pytest.raises(ValidationError) as refused:
        compose_problem(allocation_facts(scarce.call), options)

    assert refused.value.message_dict == {
        "locked_out": [f"These are both locked in and locked out: {reference}."]
    }


def _facts(amount_ore: int, band_min_ore: int | None) -> CandidateFacts:
    return CandidateFacts(
        reference="A",
        status="in_assessment",
        organisation_cvr="",
        organisation_name="",
        score=1.0,
        amount_ore=amount_ore,
        band="",
        band_min_ore=band_min_ore,
        region="",
        municipality="",
        target_groups=(),
        participants=0,
        submitted_at=None,
    )


def test_the_lowest_amount_rounds_up_to_the_ore_and_respects_the_band() -> None:
    assert lowest_amount(_facts(kr(33_333) + 33, None), None) is None
    # 75 % of 3.333.333 øre is 2.499.999,75 øre: rounded up.
    assert lowest_amount(_facts(3_333_333, None), 75) == 2_500_000
    assert lowest_amount(_facts(kr(60_000), kr(50_000)), 50) == kr(50_000)
    assert lowest_amount(_facts(kr(60_000), kr(50_000)), 100) == kr(60_000)
    # A band minimum above the amount (a band changed since) never asks for more than it.
    assert lowest_amount(_facts(kr(40_000), kr(50_000)), 50) == kr(40_000)


def test_region_limits_skip_regions_without_homes_and_empty_rules() -> None:
    homes = {"1081": 0, "1082": 1, "1083": 2}

    assert region_shares({"1081": 0}) == {"1081": 0.0}
    assert region_limits(homes, None, None) == {}
    assert region_limits(homes, 100, None) == {
        "1082": Limit(floor_share=0.333333),
        "1083": Limit(floor_share=0.666667),
    }
    assert region_limits(homes, None, 300) == {
        "1082": Limit(cap_share=1.0),
        "1083": Limit(cap_share=1.0),
    }
