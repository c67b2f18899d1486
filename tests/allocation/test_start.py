"""The exact method's first selection (solver/start.py): the relaxation's optimum rounded,
mended and filled. A start this finds within the gap is the answer without HiGHS's search,
so it must meet every rule the problem states, checked here by the oracle of the property
tests, not by the solver's own rows."""

import random
from typing import Any

import numpy as np
import pytest
from highspy import HighsModelStatus
from hypothesis import event, given

from pulje.allocation.solver import (
    Candidate,
    Limit,
    Method,
    Objective,
    Problem,
    Status,
    mip,
    solve,
)
from pulje.allocation.solver.deadline import Deadline
from pulje.allocation.solver.model import programme
from pulje.allocation.solver.rules import Compiled
from pulje.allocation.solver.start import first_selection
from tests.factories.solver import THOROUGH, bl_shaped, meets_every_rule_by_id, problems


@THOROUGH
@given(problems(methods=[Method.OPTIMAL], max_candidates=12))
def test_a_first_selection_meets_every_rule_and_stays_below_the_bound(problem: Problem) -> None:
    compiled = Compiled(problem)
    model = programme(compiled, compiled.rows, feasibility_only=False)
    relaxation = mip._highs(model, problem, integer=False, deadline=Deadline(10.0))
    relaxation.run()
    if relaxation.getModelStatus() != HighsModelStatus.kOptimal:
        event("relaxation not optimal")
        return
    solution = relaxation.getSolution()
    relaxed, reduced = np.asarray(solution.col_value), np.asarray(solution.col_dual)

    values = first_selection(model, relaxed, reduced, enough=np.inf)

    event("no start" if values is None else "a start")
    if values is None:
        return
    m = len(model.variables.columns)
    assert set(np.unique(values[:m]).tolist()) <= {0.0, 1.0}
    granted = mip._answer(compiled, model, values, status="feasible", bound=None, gap=None)
    assert granted.granted is not None
    by_id = dict(zip((c.id for c in compiled.candidates), granted.granted.tolist(), strict=True))
    assert meets_every_rule_by_id(problem, by_id)
    for candidate in problem.candidates:
        amount = by_id[candidate.id]
        if candidate.id in problem.locked_in:
            assert amount > 0
        if candidate.id in problem.locked_out:
            assert amount == 0
        lowest = candidate.lowest_ore if problem.allow_reductions else candidate.amount_ore
        assert amount == 0 or lowest <= amount <= candidate.amount_ore
    bound = float(relaxation.getInfo().objective_function_value)
    assert float(model.cost @ values) <= bound + 1e-9 * max(abs(bound), 1.0)


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each HiGHS run of the exact method was the search (True) or the relaxation."""
    runs: list[bool] = []
    build = mip._highs

    def counted(*args: Any, integer: bool, **kwargs: Any) -> Any:
        runs.append(integer)
        return build(*args, integer=integer, **kwargs)

    monkeypatch.setattr(mip, "_highs", counted)
    return runs


def test_a_pool_of_two_thousand_is_proven_by_the_relaxation_alone(searches: list[bool]) -> None:
    problem = bl_shaped(2_000, gap=1e-4)

    result = solve(problem)

    # The relaxations of the problem and of it without fairness rules (the price of
    # fairness), and no search.
    assert searches == [False, False]
    assert result.status == Status.OPTIMAL
    assert result.gap is not None
    assert result.gap <= 1e-4
    assert result.bound is not None
    assert result.objective <= result.bound
    assert (result.bound - result.objective) / result.objective <= 1e-4 + 1e-9
    assert meets_every_rule_by_id(problem, result.amounts)
    assert sum(result.amounts.values()) <= problem.budget_ore


def test_a_gap_of_nothing_is_left_to_the_search_from_the_first_selection(
    searches: list[bool],
) -> None:
    problem = bl_shaped(300, gap=0.0)

    result = solve(problem)

    assert searches[:2] == [False, True]
    assert result.status == Status.OPTIMAL
    assert result.gap == pytest.approx(0.0, abs=1e-9)
    assert meets_every_rule_by_id(problem, result.amounts)


def test_the_count_objective_with_reductions_is_proven_without_a_search(
    searches: list[bool],
) -> None:
    """30 applications that may be cut to half, a floor share for one region: the most
    grants is 24, and the relaxation's bound, below 25, proves the first selection of 24
    once a bound is rounded down to whole grants. Before, the rank bonus made the objective
    fractional, so the bound proved nothing and HiGHS searched, for 0.4–4 s on instances
    like this (the count and participants objectives took 12–20 s on 135 applications in the
    app)."""
    rng = random.Random(5)
    candidates = []
    for number in range(30):
        amount = rng.randint(100, 2000) * 100_00
        candidates.append(
            Candidate(
                id=f"c{number:02d}",
                score=rng.randint(4, 20) / 4,
                amount_ore=amount,
                min_amount_ore=amount // 2,
                region=rng.choice("AB"),
            )
        )
    problem = Problem(
        budget_ore=sum(c.amount_ore for c in candidates) // 3,
        candidates=tuple(candidates),
        objective=Objective.COUNT,
        allow_reductions=True,
        regions={"A": Limit(floor_share=0.4)},
    )

    result = solve(problem)

    # The relaxation, and no search; the price of fairness (the budget alone) needs no HiGHS.
    assert searches == [False]
    assert (result.status, len(result.selected), result.gap) == (Status.OPTIMAL, 24, 0.0)
    assert meets_every_rule_by_id(problem, result.amounts)
