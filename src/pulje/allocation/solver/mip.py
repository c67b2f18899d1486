"""The exact method: the programme of ``model`` solved by HiGHS, started from the selection
``start`` finds in its relaxation."""

import time
from dataclasses import dataclass

import highspy
import numpy as np
from highspy import _core

from pulje.allocation.solver.model import Programme, programme
from pulje.allocation.solver.problem import Problem
from pulje.allocation.solver.rules import Compiled, FloatArray, IntArray, Row
from pulje.allocation.solver.start import first_selection


@dataclass(frozen=True)
class MipAnswer:
    status: str  # "optimal", "feasible", "infeasible", "time_limit"
    granted: IntArray | None  # øre per candidate (canonical order), 0 = not granted
    bound: float | None  # on the objective, in its own units
    gap: float | None


def _highs(model: Programme, problem: Problem, *, integer: bool, seconds: float) -> _core._Highs:
    """HiGHS with the programme, quiet; ``integer`` False solves its relaxation."""
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
    highs.setOptionValue("time_limit", max(seconds, 0.001))
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
    return highs


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
    rows: list[Row] | None = None,
    feasibility_only: bool = False,
    seconds: float | None = None,
) -> MipAnswer:
    """Solve with ``rows`` (default: all the problem's rules). ``feasibility_only`` asks only
        whether any selection meets them (used to find which rules conflict). ``holding`` is the
        tie-break: the objective held at least at that value (the programme's units) while the
        grants' ranks are maximised, from the selection ``start`` (øre per candidate), which
        meets that. ``seconds`` bounds the whole call (default: the problem's time limit);
    ``search`` False stops after the relaxation and its first selection, with the best of that
    and ``start`` (status "feasible" unless proven).

        The relaxation is solved first: its optimum bounds every selection's, so when the start
        found from it is within the problem's gap of that bound it is the answer, proven, and
        otherwise it is where HiGHS's search starts."""
    started = time.perf_counter()
    problem = compiled.problem
    limit = problem.time_limit if seconds is None else seconds
    model = programme(
        compiled, compiled.rows if rows is None else rows, feasibility_only=feasibility_only
    )
    values = None
    if not feasibility_only:
        relaxation = _highs(model, problem, integer=False, seconds=limit)
        relaxation.run()
        if relaxation.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            return MipAnswer("infeasible", None, None, None)
        if relaxation.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            solution = relaxation.getSolution()
            bound = _proven_bound(model, float(relaxation.getInfo().objective_function_value))
            # A selection worth this is within the gap of the bound: (bound − v) / v ≤ gap.
            enough = bound / (1.0 + problem.gap)
            values = first_selection(
                model, np.asarray(solution.col_value), np.asarray(solution.col_dual), enough
            )
            value = _value(model, values) if values is not None else 0.0
            if values is not None and value > 0 and value >= enough:
                return _answer(
                    compiled,
                    model,
                    values,
                    status="optimal",
                    bound=bound * model.scale,
                    gap=_gap(value, bound),
                )
    remaining = limit - (time.perf_counter() - started)
    highs = _highs(model, problem, integer=True, seconds=remaining)
    if values is not None:
        highs.setSolution(model.columns, np.arange(model.columns, dtype=np.int32), values)
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        return MipAnswer("infeasible", None, None, None)
    if info.primal_solution_status != 2:  # no feasible solution (kSolutionStatusFeasible)
        return MipAnswer("time_limit", None, None, None)
    solved = np.asarray(highs.getSolution().col_value)
    if feasibility_only:
        return _answer(compiled, model, solved, status="feasible", bound=None, gap=None)
    proven = status == highspy.HighsModelStatus.kOptimal
    bound = _proven_bound(model, float(info.mip_dual_bound))
    value = _value(model, solved)
    return _answer(
        compiled,
        model,
        solved,
        status="optimal" if proven else "feasible",
        bound=bound * model.scale,
        gap=_gap(value, bound),
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
    columns, reducible = variables.columns, variables.reducible
    m, k = len(columns), len(reducible)
    chosen = np.rint(values[:m]).astype(np.int64) == 1
    granted = np.zeros(compiled.n, dtype=np.int64)
    granted[columns[chosen]] = compiled.amount[columns[chosen]]
    if k:
        cut = np.rint(values[m : m + k]).astype(np.int64) * 100
        granted[reducible] -= np.where(granted[reducible] > 0, cut, 0)
    return MipAnswer(status, granted, bound, gap)
