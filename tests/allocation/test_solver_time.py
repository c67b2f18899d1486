"""The whole ``solve`` keeps to its time limit (solver/deadline.py): the selection, the
price of fairness and the conflicts' reasons share one deadline, each HiGHS call gets what
is left, and when it runs out the result is the best selection proven so far with the bound
and gap it reached. Time here is a fake clock: each HiGHS call is made to use up what it is
given, as on a hard instance, so nothing rests on how fast this machine is."""

import dataclasses
from typing import Any

import pytest

from pulje.allocation.solver import (
    Conflict,
    Problem,
    Status,
    mip,
    result_from_json,
    result_to_json,
    solve,
)
from pulje.allocation.solver.deadline import Deadline
from tests.factories.solver import (
    FakeClock,
    bl_shaped,
    hard,
    meets_every_rule_by_id,
    solver_only_conflict,
)


def test_each_highs_call_gets_only_what_is_left_of_the_whole_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each call takes 4 of the 10 seconds: the selection's relaxation and search get 10
    and 6, the price of fairness the 2 left, which its relaxation uses up, so the price is
    not proven and is no figure; the whole never gets more than its 10 seconds."""
    clock = FakeClock()
    calls = hard(monkeypatch, clock, lambda integer, left: min(4.0, left))
    problem = dataclasses.replace(bl_shaped(300, gap=0.0), time_limit=10.0)

    result = solve(problem, clock=clock)

    assert calls.given == [(False, 10.0), (True, 6.0), (False, 2.0)]
    assert clock.now == 10.0
    assert result.status == Status.OPTIMAL
    assert result.stopped
    assert result.price_of_fairness is not None
    assert result.price_of_fairness.unproven
    assert (result.price_of_fairness.lost, result.price_of_fairness.share) == (0.0, 0.0)
    assert result.price_of_fairness.objective_without is None
    assert meets_every_rule_by_id(problem, result.amounts)


def test_the_price_of_fairness_gets_no_longer_than_the_selection_took(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each call takes a second of the 100: the selection (relaxation and search) takes 2, so
    the price of fairness is given 2, not the 98 left; here that is enough to prove it."""
    clock = FakeClock()
    calls = hard(monkeypatch, clock, lambda integer, left: min(1.0, left))
    problem = dataclasses.replace(bl_shaped(300, gap=0.0), time_limit=100.0)

    result = solve(problem, clock=clock)

    assert calls.given == [(False, 100.0), (True, 99.0), (False, 2.0), (True, 1.0)]
    assert (result.status, result.stopped) == (Status.OPTIMAL, False)
    assert result.price_of_fairness is not None
    assert not result.price_of_fairness.unproven
    assert result.price_of_fairness.objective_without is not None


def test_a_limit_reached_before_the_search_keeps_the_first_selection_and_its_gap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The relaxation uses the whole limit: no search is started, and the answer is the
    first selection (it meets every rule), bounded by the relaxation, with the gap that
    leaves, said to be stopped at the limit."""
    clock = FakeClock()
    calls = hard(monkeypatch, clock, lambda integer, left: left)
    problem = dataclasses.replace(bl_shaped(300, gap=0.0), time_limit=5.0)

    result = solve(problem, clock=clock)

    assert calls.given == [(False, 5.0)]
    assert (result.status, result.stopped) == (Status.FEASIBLE, True)
    assert result.bound is not None
    assert result.gap is not None
    assert result.gap > 0
    assert result.gap == pytest.approx((result.bound - result.objective) / result.objective)
    assert meets_every_rule_by_id(problem, result.amounts)
    assert result.price_of_fairness is not None
    assert result.price_of_fairness.unproven


def test_no_time_left_at_all_is_no_selection_found_in_time() -> None:
    clock = FakeClock()
    problem = dataclasses.replace(bl_shaped(50, gap=1e-4), time_limit=1.0)

    def late() -> float:
        moment = clock.now
        clock.now = 100.0  # the first reading is the start; after it, the time is up
        return moment

    result = solve(problem, clock=late)

    assert (result.status, result.stopped, result.selected) == (Status.TIME_LIMIT, True, ())


def test_a_conflict_not_narrowed_in_time_keeps_its_rules_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The problem of the deletion filter's own test, with time for the solve and the first
    of the filter's checks only: no rule is dropped unproven, so the conflict still holds
    every rule (a conflict, if not the smallest) and says the time ran out."""
    clock = FakeClock()
    problem = dataclasses.replace(solver_only_conflict(), time_limit=2.0)
    hard(monkeypatch, clock, lambda integer, left: 1.0)

    result = solve(problem, clock=clock)

    assert (result.status, result.stopped) == (Status.INFEASIBLE, True)
    assert result.conflicts == (
        Conflict(
            rules=(
                "region:1081:floor",
                "region:1082:cap",
                "region:1084:floor",
                "group:elderly:count",
                "organisation",
                "locked_out",
            ),
            text="Inden for budgettet (og båndenes budgetter) kan dette ikke opfyldes: gulvet "
            "for Region Nordjylland; loftet for Region Midtjylland; gulvet for Region "
            "Hovedstaden; mindst 1 bevilling(er) til ældre; grænserne for organisationerne; "
            "de ansøgninger, der er låst ude (e). Tidsgrænsen nåede før det var afgjort, "
            "hvilke af reglerne der er nødvendige.",
        ),
    )


def test_a_person_can_stop_the_search_and_keep_the_best_selection_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop asked for once the search has begun ends it at HiGHS's next check (its
    interrupt callback), with a selection that meets every rule and its gap; without the
    stop, the same search proves the optimum at gap 0."""
    problem = dataclasses.replace(bl_shaped(300, gap=0.0), time_limit=60.0)
    assert solve(problem).status == Status.OPTIMAL
    asked = [False]
    calls = hard(monkeypatch, FakeClock(), lambda integer, left: 0.0)
    build = mip._highs

    def stop_once_searching(*args: Any, integer: bool, **kwargs: Any) -> Any:
        highs = build(*args, integer=integer, **kwargs)
        asked[0] = asked[0] or integer
        return highs

    monkeypatch.setattr(mip, "_highs", stop_once_searching)

    result = solve(problem, stop=lambda: asked[0])

    assert [integer for integer, _left in calls.given] == [False, True]
    assert (result.status, result.stopped) == (Status.FEASIBLE, True)
    assert result.gap is not None
    assert meets_every_rule_by_id(problem, result.amounts)
    assert result.price_of_fairness is not None
    assert result.price_of_fairness.unproven


def test_a_deadline_is_up_when_its_time_has_passed_or_a_stop_is_asked_for() -> None:
    clock = FakeClock()
    stopped = [False]
    deadline = Deadline(2.0, clock=clock, stop=lambda: stopped[0])
    clock.now = 0.5
    assert (deadline.left(), deadline.passed) == (1.5, False)
    stopped[0] = True
    assert (deadline.left(), deadline.passed) == (0.0, True)
    assert Deadline(2.0, clock=clock).left() == 2.0
    clock.now = 3.0
    assert Deadline(1.0, clock=clock).left() == 1.0
    later = Deadline(10.0, clock=clock)
    clock.now = 5.0
    assert (later.elapsed(), later.sooner(1.0).left(), later.sooner(20.0).left()) == (2.0, 1.0, 8.0)


def test_the_stopped_result_reads_back_from_json() -> None:
    problem: Problem = dataclasses.replace(bl_shaped(30, gap=1e-4), time_limit=1.0)
    clock = FakeClock()

    def late() -> float:
        moment = clock.now
        clock.now = 100.0
        return moment

    result = solve(problem, clock=late)

    back = result_from_json(result_to_json(result))
    assert back.stopped is True
    assert back == dataclasses.replace(result, seconds=round(result.seconds, 4))
