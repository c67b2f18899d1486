"""The exact method: the problem as a mixed-integer programme, built sparse with NumPy and
solved by HiGHS.

Variables: ``x_i`` ∈ {0, 1} for every eligible candidate (granted or not) and, where
reductions are allowed, an integer ``r_i`` ≥ 0: whole kroner taken off the amount asked for,
at most ``R_i = ⌊(asked − lowest) / 100⌋`` and only when granted (``r_i − R_i x_i ≤ 0``). The
amount granted is ``asked_i x_i − r_i`` kroner, so full amounts (øre included) are exact.

Every rule of ``rules.Compiled`` is one row over the money in kroner or the count. The
objective is scaled so its largest coefficient is 1, and every candidate gets a tiny bonus by
its rank (score, submission time, id) far below the solver's gap, so equally good selections
are broken in the published order rather than by accident.
"""

from dataclasses import dataclass

import highspy
import numpy as np

from pulje.allocation.solver.problem import Objective
from pulje.allocation.solver.rules import Compiled, FloatArray, IntArray, Row

_TIE_BREAK = 1e-7
# Integrality and row feasibility far below one øre on amounts in kroner up to 10¹⁰, so a
# solution rounded to whole variables keeps every rule (and it is checked exactly afterwards).
_FEASIBILITY = 1e-9


@dataclass(frozen=True)
class MipAnswer:
    status: str  # "optimal", "feasible", "infeasible", "time_limit"
    granted: IntArray | None  # øre per candidate (canonical order), 0 = not granted
    bound: float | None  # on the objective, in its own units
    gap: float | None


def _costs(compiled: Compiled, columns: IntArray) -> tuple[FloatArray, FloatArray, float]:
    """Objective coefficients of x and of r (per krone reduced), scaled to at most 1, and
    the scale: the objective in its own units is the scaled one times the scale."""
    objective = compiled.problem.objective
    if objective == Objective.SCORE:
        x_cost = compiled.score[columns] * (compiled.amount[columns] / 100.0)
        r_cost = -compiled.score[columns]
    elif objective == Objective.PARTICIPANTS:
        x_cost = compiled.participants[columns].copy()
        r_cost = np.zeros(len(columns))
    else:
        x_cost = np.ones(len(columns))
        r_cost = np.zeros(len(columns))
    scale = float(np.max(np.abs(x_cost))) if len(columns) else 1.0
    scale = scale or 1.0
    n = max(compiled.n, 1)
    # Canonical position: index 0 is the best ranked and gets the largest bonus.
    bonus = _TIE_BREAK * (n - columns) / n
    # A reduction costs a little too, so an amount is only cut when that gains something.
    reducible = np.maximum(compiled.amount[columns] - compiled.lowest[columns], 1) / 100.0
    return x_cost / scale + bonus, r_cost / scale - _TIE_BREAK / reducible, scale


def objective_value(compiled: Compiled, granted: IntArray) -> float:
    """The objective of a selection in its own units: score × kroner, participants or
    grants."""
    chosen = granted > 0
    objective = compiled.problem.objective
    if objective == Objective.SCORE:
        return float(np.dot(compiled.score[chosen], granted[chosen]) / 100.0)
    if objective == Objective.PARTICIPANTS:
        return float(compiled.participants[chosen].sum())
    return float(np.count_nonzero(chosen))


@dataclass(frozen=True)
class _Variables:
    """Which candidates have an x column (the eligible) and an r column (the reducible)."""

    columns: IntArray  # candidate index of each x column
    position: IntArray  # candidate index → x column, -1 for none
    reducible: IntArray  # candidate indices with an r column
    r_position: IntArray  # candidate index → r column, -1 for none
    reduction_kr: FloatArray  # R_i per candidate
    total: int  # the column of T, the total granted in kroner (continuous)

    @classmethod
    def of(cls, compiled: Compiled) -> "_Variables":
        columns = np.flatnonzero(compiled.eligible).astype(np.int64)
        position = np.full(compiled.n, -1, dtype=np.int64)
        position[columns] = np.arange(len(columns))
        reduction_kr = np.floor((compiled.amount - compiled.lowest) / 100.0)
        reducible = columns[reduction_kr[columns] > 0]
        r_position = np.full(compiled.n, -1, dtype=np.int64)
        r_position[reducible] = len(columns) + np.arange(len(reducible))
        total = len(columns) + len(reducible)
        return cls(columns, position, reducible, r_position, reduction_kr, total)


def _row(
    compiled: Compiled, variables: _Variables, row: Row
) -> tuple[IntArray, FloatArray, float, float]:
    """One rule as (columns, coefficients, lower, upper), money in kroner."""
    amount_kr = compiled.amount / 100.0
    members = row.members[compiled.eligible[row.members]]
    if row.share:
        # Σ members − share × T, with T the total granted (its own column): a few nonzeros per
        # member instead of one for every candidate in every share rule.
        with_r = members[variables.r_position[members] >= 0]
        cols = np.concatenate(
            [variables.position[members], variables.r_position[with_r], [variables.total]]
        )
        values = np.concatenate([amount_kr[members], -np.ones(len(with_r)), [-row.limit]])
        lower, upper = (0.0, np.inf) if row.sense == "ge" else (-np.inf, 0.0)
        return cols, values, lower, upper
    if row.measure == "count":
        cols, values = variables.position[members], np.ones(len(members))
        limit = float(row.limit)
    else:
        with_r = members[variables.r_position[members] >= 0]
        cols = np.concatenate([variables.position[members], variables.r_position[with_r]])
        values = np.concatenate([amount_kr[members], -np.ones(len(with_r))])
        limit = row.limit / 100.0
    lower, upper = (limit, np.inf) if row.sense == "ge" else (-np.inf, limit)
    return cols, values, lower, upper


def _matrix(
    compiled: Compiled, variables: _Variables, rows: list[Row]
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    """The rows as a row-wise sparse matrix (starts, indices, values) with row bounds. After
    the rules come the rows linking each reduction to its grant (r_i − R_i x_i ≤ 0), then the
    one defining T: Σ amount_i x_i − Σ r_i − T = 0."""
    parts = [_row(compiled, variables, row) for row in rows]
    columns = variables.columns
    definition = (
        np.arange(variables.total + 1),
        np.concatenate(
            [compiled.amount[columns] / 100.0, -np.ones(len(variables.reducible)), [-1.0]]
        ),
        0.0,
        0.0,
    )
    reducible = variables.reducible
    k = len(reducible)
    link_cols = np.column_stack(
        [variables.r_position[reducible], variables.position[reducible]]
    ).ravel()
    link_values = np.column_stack([np.ones(k), -variables.reduction_kr[reducible]]).ravel()
    cols = [part[0] for part in parts] + [link_cols, definition[0]]
    values = [part[1] for part in parts] + [link_values, definition[1]]
    lengths = [len(part[0]) for part in parts] + [2] * k + [len(definition[0])]
    indices = np.concatenate(cols).astype(np.int64)
    coefficients = np.concatenate(values).astype(np.float64)
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    lower = np.array([part[2] for part in parts] + [-np.inf] * k + [0.0], dtype=np.float64)
    upper = np.array([part[3] for part in parts] + [0.0] * k + [0.0], dtype=np.float64)
    return starts[:-1], indices, coefficients, lower, upper


def solve_mip(
    compiled: Compiled,
    *,
    rows: list[Row] | None = None,
    feasibility_only: bool = False,
) -> MipAnswer:
    """Solve with ``rows`` (default: all the problem's rules). ``feasibility_only`` asks only
    whether any selection meets them (used to find which rules conflict)."""
    problem = compiled.problem
    rows = compiled.rows if rows is None else rows
    variables = _Variables.of(compiled)
    columns, reducible = variables.columns, variables.reducible
    m, k = len(columns), len(reducible)
    starts, indices, coefficients, row_lower, row_upper = _matrix(compiled, variables, rows)
    x_cost, r_cost, scale = _costs(compiled, columns)
    cost = np.concatenate([x_cost, r_cost[variables.position[reducible]], [0.0]])
    if feasibility_only:
        cost = np.zeros(m + k + 1)

    highs = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships no annotations here
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", problem.gap)
    highs.setOptionValue("time_limit", float(problem.time_limit))
    highs.setOptionValue("mip_feasibility_tolerance", _FEASIBILITY)
    highs.setOptionValue("primal_feasibility_tolerance", _FEASIBILITY)
    highs.passModel(
        m + k + 1,
        len(row_lower),
        len(coefficients),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMaximize),
        0.0,
        cost,
        np.concatenate([compiled.locked_in[columns].astype(np.float64), np.zeros(k + 1)]),
        np.concatenate([np.ones(m), variables.reduction_kr[reducible], [np.inf]]),
        row_lower,
        row_upper,
        starts.astype(np.int32),
        indices.astype(np.int32),
        coefficients,
        # x and r integer (1 = kInteger), T continuous (0).
        np.concatenate([np.ones(m + k, dtype=np.int32), np.zeros(1, dtype=np.int32)]),
    )
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        return MipAnswer("infeasible", None, None, None)
    if info.primal_solution_status != 2:  # no feasible solution (kSolutionStatusFeasible)
        return MipAnswer("time_limit", None, None, None)
    solution = np.asarray(highs.getSolution().col_value)
    chosen = np.rint(solution[:m]).astype(np.int64) == 1
    granted = np.zeros(compiled.n, dtype=np.int64)
    granted[columns[chosen]] = compiled.amount[columns[chosen]]
    if k:
        cut = np.rint(solution[m : m + k]).astype(np.int64) * 100
        granted[reducible] -= np.where(granted[reducible] > 0, cut, 0)
    if feasibility_only:
        return MipAnswer("feasible", granted, None, None)
    bound = float(info.mip_dual_bound) * scale
    gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
    proven = status == highspy.HighsModelStatus.kOptimal
    return MipAnswer("optimal" if proven else "feasible", granted, bound, gap)
