"""The reduction unit (issue 14.6): a reduced grant is a whole multiple of the problem's
``reduction_unit_ore`` and at least the lowest amount; a grant in full is the amount asked.

Held against a brute force written from that sentence alone: every combination of the
amounts each candidate may get, each checked in whole øre against the budget, a region's
floor and the organisations' limit, and the best objective compared exactly (integer scores,
so score × øre is an integer)."""

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulje.allocation.solver import (
    Candidate,
    Limit,
    Objective,
    OrganisationRule,
    Problem,
    ProblemError,
    Status,
    problem_from_json,
    problem_to_json,
    solve,
)


def allowed(candidate: Candidate, unit: int) -> list[int]:
    """0, the amount asked, and every multiple of the unit from the lowest amount up."""
    lowest = candidate.lowest_ore
    first = -(-lowest // unit)
    steps = range(first, (candidate.amount_ore - 1) // unit + 1)
    return [0, candidate.amount_ore, *(step * unit for step in steps)]


def worth(problem: Problem, amounts: tuple[int, ...]) -> int:
    """The objective exactly: score × øre (integer scores), participants or grants."""
    pairs = list(zip(problem.candidates, amounts, strict=True))
    if problem.objective == Objective.SCORE:
        return sum(int(c.score) * amount for c, amount in pairs)
    if problem.objective == Objective.PARTICIPANTS:
        return sum(c.participants for c, amount in pairs if amount)
    return sum(1 for _c, amount in pairs if amount)


def meets(problem: Problem, amounts: tuple[int, ...]) -> bool:
    pairs = list(zip(problem.candidates, amounts, strict=True))
    if sum(amounts) > problem.budget_ore:
        return False
    for region, limit in problem.regions.items():
        used = sum(amount for c, amount in pairs if c.region == region)
        if limit.floor_ore is not None and used < limit.floor_ore:
            return False
    most = problem.organisation.max_grants
    grants = Counter(c.organisation for c, amount in pairs if amount)
    return most is None or all(count <= most for count in grants.values())


@st.composite
def unit_problems(draw: st.DrawFn) -> Problem:
    unit = draw(st.sampled_from([100, 500, 5_000, 50_000]))
    candidates = []
    for number in range(draw(st.integers(1, 5))):
        # Amounts with an odd part (øre or kroner) as often as multiples of the unit; few
        # multiples each, so the brute force stays small.
        odd = draw(st.sampled_from([0, 0, 37, unit // 3]))
        amount = draw(st.integers(1, 5)) * unit + odd
        lowest = draw(st.integers(1, amount))
        candidates.append(
            Candidate(
                id=f"c{number}",
                score=float(draw(st.integers(1, 9))),
                amount_ore=amount,
                min_amount_ore=lowest,
                region=draw(st.sampled_from(["1081", "1082"])),
                organisation=draw(st.sampled_from(["A", "B"])),
                participants=draw(st.integers(1, 4)),
            )
        )
    asked = sum(c.amount_ore for c in candidates)
    floor = draw(st.none() | st.integers(0, asked // 2))
    return Problem(
        budget_ore=draw(st.integers(1, asked)),
        candidates=tuple(candidates),
        objective=draw(st.sampled_from(list(Objective))),
        allow_reductions=True,
        reduction_unit_ore=unit,
        regions={} if floor is None else {"1081": Limit(floor_ore=floor)},
        organisation=OrganisationRule(max_grants=draw(st.none() | st.just(1))),
        gap=0.0,
    )


@settings(max_examples=300, deadline=None)
@given(problem=unit_problems())
def test_reduced_grants_are_multiples_of_the_unit_and_optimal(problem: Problem) -> None:
    unit = problem.reduction_unit_ore
    choices = [allowed(candidate, unit) for candidate in problem.candidates]
    feasible = [amounts for amounts in itertools.product(*choices) if meets(problem, amounts)]
    result = solve(problem)
    if not feasible:
        assert result.status == Status.INFEASIBLE
        return
    assert result.status == Status.OPTIMAL
    granted = {outcome.id: outcome.amount_ore for outcome in result.outcomes}
    amounts = tuple(granted[candidate.id] for candidate in problem.candidates)
    for candidate, amount, options in zip(problem.candidates, amounts, choices, strict=True):
        assert amount in options, (candidate, amount)
    assert meets(problem, amounts)
    assert worth(problem, amounts) == max(worth(problem, option) for option in feasible)


def test_an_odd_amount_is_cut_to_a_multiple_of_the_unit() -> None:
    # 12.345,67 kr. asked, at least 5.000 kr., budget 9.000 kr., unit 500 kr.: 9.000 kr.
    problem = Problem(
        budget_ore=900_000,
        candidates=(Candidate("a", 5.0, 1_234_567, min_amount_ore=500_000),),
        allow_reductions=True,
        reduction_unit_ore=50_000,
    )
    (outcome,) = solve(problem).outcomes
    assert outcome.amount_ore == 900_000


def test_a_lowest_amount_between_multiples_rounds_up_to_the_next() -> None:
    # At least 4.200 kr. with a unit of 500 kr. means at least 4.500 kr.: 4.400 kr. is no grant.
    problem = Problem(
        budget_ore=440_000,
        candidates=(Candidate("a", 5.0, 1_000_000, min_amount_ore=420_000),),
        allow_reductions=True,
        reduction_unit_ore=50_000,
    )
    (outcome,) = solve(problem).outcomes
    assert (outcome.selected, outcome.amount_ore) == (False, 0)


def test_the_unit_survives_the_json_form() -> None:
    problem = Problem(budget_ore=1, candidates=(), reduction_unit_ore=50_000)
    assert problem_from_json(problem_to_json(problem)).reduction_unit_ore == 50_000
    assert problem_from_json({"budget_ore": 1}).reduction_unit_ore == 100


@pytest.mark.parametrize("value", [0, -500, 2.5, "500", True])
def test_a_bad_unit_is_refused_by_name(value: object) -> None:
    with pytest.raises(ProblemError) as refused:
        problem_from_json({"budget_ore": 1, "reduction_unit_ore": value})
    (error,) = refused.value.errors
    assert error.startswith("Problemet: «reduction_unit_ore» skal være et helt tal på mindst 1")
