"""The count objective with only the budget and the bands' budgets (as the price of fairness
solves it) is decided without a search (``solve._most_grants``): held here against every
subset, with reductions, locks and bands, from the docs' definitions alone."""

import itertools
import random

import pytest

from pulje.allocation.solver import Candidate, Method, Objective, Problem, Status, solve
from tests.factories.solver import meets_every_rule_by_id


def least_grant(candidate: Candidate, *, reductions: bool) -> int:
    """The least a candidate can be granted: where reductions are allowed, the least whole
    krone (the default reduction unit) at or above its lowest amount, if that is below the
    amount asked."""
    if not reductions:
        return candidate.amount_ore
    least = -(-candidate.lowest_ore // 100) * 100
    return min(least, candidate.amount_ore)


def most_grants(problem: Problem) -> int:
    """The most grants of any subset that keeps the budget, the bands' budgets and the locks."""
    best = -1
    candidates = problem.candidates
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            ids = {candidate.id for candidate in chosen}
            if not problem.locked_in <= ids or ids & problem.locked_out:
                continue
            costs = [least_grant(c, reductions=problem.allow_reductions) for c in chosen]
            if sum(costs) > problem.budget_ore:
                continue
            if all(
                sum(cost for c, cost in zip(chosen, costs, strict=True) if c.band == band) <= budget
                for band, budget in problem.band_budgets.items()
            ):
                best = max(best, size)
    return best


def random_problem(seed: int) -> Problem:
    rng = random.Random(seed)
    candidates = tuple(
        Candidate(
            id=f"A{i}",
            score=float(rng.randint(1, 3)),
            amount_ore=(amount := rng.randint(1, 40) * 5_000 + rng.choice((0, 37))),
            band=rng.choice(("1", "2", "3")),
            min_amount_ore=rng.choice((None, amount // 2, amount - 150)),
        )
        for i in range(rng.randint(4, 9))
    )
    ids = [candidate.id for candidate in candidates]
    return Problem(
        budget_ore=rng.randint(2, 12) * 50_000,
        candidates=candidates,
        objective=Objective.COUNT,
        method=Method.OPTIMAL,
        allow_reductions=rng.random() < 0.5,
        band_budgets={
            band: rng.randint(1, 6) * 50_000 for band in ("1", "2") if rng.random() < 0.7
        },
        locked_in=frozenset(rng.sample(ids, rng.choice((0, 0, 1)))),
        gap=0.0,
    )


@pytest.mark.parametrize("seed", range(120))
def test_most_grants_within_the_budgets_equals_the_best_of_every_subset(seed: int) -> None:
    problem = random_problem(seed)
    best = most_grants(problem)
    result = solve(problem)

    if best < 0:
        assert result.status == Status.INFEASIBLE
        return
    assert result.status == Status.OPTIMAL
    assert result.objective == best
    assert result.gap == 0.0
    amounts = {o.id: o.amount_ore for o in result.outcomes if o.selected}
    assert len(amounts) == best
    assert meets_every_rule_by_id(problem, amounts)
    assert problem.locked_in <= set(amounts)
