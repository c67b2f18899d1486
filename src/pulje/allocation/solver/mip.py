"""The exact method: the programme of ``model`` solved by HiGHS, started from the selection
``start`` finds in its relaxation."""

from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
from highspy import _core

from pulje.allocation.solver.deadline import Deadline
from pulje.allocation.solver.model import Programme, programme
from pulje.allocation.solver.problem import Problem
from pulje.allocation.solver.rules import Compiled, FloatArray, IntArray, Row
from pulje.allocation.solver.start import first_selection


@dataclass(frozen=True)
class MipAnswer:
    # "optimal"; "feasible" (stopped at the time limit, with the bound and gap reached);
    # "infeasible"; "time_limit" (nothing found in the time)
    status: str
    granted: IntArray | None  # øre per candidate (canonical order), 0 = not granted
    bound: float | None  # on the objective, in its own units
    gap: float | None


def _highs(
    model: Programme, problem: Problem, *, integer: bool, deadline: Deadline
) -> _core._Highs:
    """HiGHS with the programme, quiet, given what is left of ``deadline``; ``integer``
    False solves its relaxation."""
    # The core class, not ``highspy.Highs``: that wrapper enables callbacks on construction,
    # which prints HiGHS's banner to standard output before any option can switch it off
    # (and ``manage.py allocate`` writes its JSON there).
    highs = _core._Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", problem.gap)
    # HiGHS's default absolute gap (10⁻⁶) could stop short of the best selection among small
    # coefficients; the relative gap is the rule. But where the objective moves in whole
    # steps, a bound less than one step above the incumbent proves it optimal.
    highs.setOptionValue("mip_abs_gap", 0.0 if model.step is None else model.step * (1.0 - 1e-6))
    highs.setOptionValue("time_limit", max(deadline.left(), 0.001))
    # Presolve finds almost nothing to remove in these knapsack-like models, and its probing
    # of 10⁵ binaries costs minutes (measured in bench/allocate.py); the root LP is the work.
    highs.setOptionValue("presolve", "off")
    kind = np.zeros(model.columns, dtype=np.int32)
    if integer:
        kind[: model.integer] = 1  # x and r integer (1 = kInteger), T continuous (0)
    highs.passModel(
        model.columns,
        len(model.row_lower),
        len(model.values),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMaximize),
        0.0,
        model.cost,
        model.col_lower,
        model.col_upper,
        model.row_lower,
        model.row_upper,
        model.starts.astype(np.int32),
        model.indices.astype(np.int32),
        model.values,
        kind,
    )
    if deadline.can_stop:
        _interrupt_when_stopped(highs, deadline)
    return highs


def _interrupt_when_stopped(highs: _core._Highs, deadline: Deadline) -> None:
    """Ask the deadline while HiGHS works, so a stop asked for ends the search with the
    best selection found so far (HiGHS keeps to its own time limit without this)."""

    def interrupt(kind: Any, message: Any, data_out: Any, data_in: Any, user_data: Any) -> None:
        if deadline.passed:
            data_in.user_interrupt = True

    highs.setCallback(interrupt, None)
    highs.startCallback(_core.cb.HighsCallbackType.kCallbackSimplexInterrupt)
    highs.startCallback(_core.cb.HighsCallbackType.kCallbackMipInterrupt)


def _proven_bound(model: Programme, bound: float) -> float:
    """A bound on the programme's objective from HiGHS's: a whole number of the objective's
    step when it has one (grants, participants), so 48.7 grants prove 48."""
    if model.step is not None:
        steps = np.floor(bound / model.step + 1e-6 * max(1.0, abs(bound / model.step)))
        return float(steps * model.step)
    return bound


def _value(model: Programme, values: FloatArray) -> float:
    """The programme's objective of ``values``; a whole number of steps when it has them (a
    sum of floats such as 10/60 is that only to within its rounding)."""
    value = float(model.cost @ values)
    return value if model.step is None else round(value / model.step) * model.step


def _gap(value: float, bound: float) -> float | None:
    if value > 0:
        return max(bound - value, 0.0) / value
    return 0.0 if bound <= 0 else None


def solve_mip(
    compiled: Compiled,
    *,
    deadline: Deadline,
    rows: list[Row] | None = None,
    feasibility_only: bool = False,
) -> MipAnswer:
    """Solve with ``rows`` (default: all the problem's rules) in what is left of
    ``deadline``. ``feasibility_only`` asks only whether any selection meets them (used to
    find which rules conflict).

    The relaxation is solved first: its optimum bounds every selection's, so when the start
    found from it is within the problem's gap of that bound it is the answer, proven, and
    otherwise it is where HiGHS's search starts. When the time runs out the answer is the
    best selection found (the start, if the search found none better) with status
    "feasible" and the bound and gap reached."""
    problem = compiled.problem
    model = programme(
        compiled, compiled.rows if rows is None else rows, feasibility_only=feasibility_only
    )
    values = relaxed = None
    if not feasibility_only and not deadline.passed:
        answer, values, relaxed = _from_relaxation(compiled, model, deadline)
        if answer is not None:
            return answer
    if deadline.passed:
        return _stopped(compiled, model, values, relaxed)
    highs = _highs(model, problem, integer=True, deadline=deadline)
    if values is not None:
        highs.setSolution(model.columns, np.arange(model.columns, dtype=np.int32), values)
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        return MipAnswer("infeasible", None, None, None)
    if info.primal_solution_status != 2:  # no feasible solution (kSolutionStatusFeasible)
        return _stopped(compiled, model, values, relaxed)
    solved = np.asarray(highs.getSolution().col_value)
    if feasibility_only:
        return _answer(compiled, model, solved, status="feasible", bound=None, gap=None)
    proven = status == highspy.HighsModelStatus.kOptimal
    bound = _proven_bound(model, float(info.mip_dual_bound))
    if relaxed is not None:
        bound = min(bound, relaxed)  # the relaxation's bound holds as well
    value = _value(model, solved)
    return _answer(
        compiled,
        model,
        solved,
        status="optimal" if proven else "feasible",
        bound=bound * model.scale,
        gap=_gap(value, bound),
    )


def _from_relaxation(
    compiled: Compiled, model: Programme, deadline: Deadline
) -> tuple[MipAnswer | None, FloatArray | None, float | None]:
    """The relaxation and the first selection found from it: the answer when that settles
    it (infeasible, or the selection proven within the gap), else the selection (if any)
    and the relaxation's bound (if solved) for the search."""
    problem = compiled.problem
    relaxation = _highs(model, problem, integer=False, deadline=deadline)
    relaxation.run()
    if relaxation.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        return MipAnswer("infeasible", None, None, None), None, None
    if relaxation.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, None, None
    solution = relaxation.getSolution()
    relaxed = _proven_bound(model, float(relaxation.getInfo().objective_function_value))
    # A selection worth this is within the gap of the bound: (bound − v) / v ≤ gap.
    enough = relaxed / (1.0 + problem.gap)
    values = first_selection(
        model, np.asarray(solution.col_value), np.asarray(solution.col_dual), enough
    )
    value = _value(model, values) if values is not None else 0.0
    if values is not None and value > 0 and value >= enough:
        answer = _answer(
            compiled,
            model,
            values,
            status="optimal",
            bound=relaxed * model.scale,
            gap=_gap(value, relaxed),
        )
        return answer, values, relaxed
    return None, values, relaxed


def _stopped(
    compiled: Compiled, model: Programme, values: FloatArray | None, relaxed: float | None
) -> MipAnswer:
    """Out of time before the search found a selection: the first selection, bounded by the
    relaxation, if there is one."""
    if values is None or relaxed is None:
        return MipAnswer("time_limit", None, None, None)
    return _answer(
        compiled,
        model,
        values,
        status="feasible",
        bound=relaxed * model.scale,
        gap=_gap(_value(model, values), relaxed),
    )


def _answer(
    compiled: Compiled,
    model: Programme,
    values: FloatArray,
    *,
    status: str,
    bound: float | None,
    gap: float | None,
) -> MipAnswer:
    """The answer for the programme's column ``values``: øre granted per candidate."""
    variables = model.variables
    columns, reducible, odd = variables.columns, variables.reducible, variables.odd
    m, k = len(columns), len(reducible)
    chosen = np.rint(values[:m]).astype(np.int64) == 1
    granted = np.zeros(compiled.n, dtype=np.int64)
    granted[columns[chosen]] = compiled.amount[columns[chosen]]
    if k:
        cut = np.rint(values[m : m + k]).astype(np.int64) * variables.reduction_unit_ore
        granted[reducible] -= np.where(granted[reducible] > 0, cut, 0)
    if len(odd):
        reduced = np.rint(values[variables.y_columns]).astype(np.int64) == 1
        cut_odd = np.where(reduced & (granted[odd] > 0), variables.odd_ore[odd], 0.0)
        granted[odd] -= cut_odd.astype(np.int64)
    return MipAnswer(status, granted, bound, gap)
