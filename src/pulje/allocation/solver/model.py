"""The problem as a mixed-integer programme, built sparse with NumPy (no Python loop over
candidates or matrix entries); ``mip`` hands it to HiGHS and ``start`` finds a first
selection for it.

Variables: ``x_i`` ∈ {0, 1} for every eligible candidate (granted or not) and, where
reductions are allowed, an integer ``r_i`` ≥ 0: whole reduction units ``u`` (the problem's
``reduction_unit_ore``) taken off. A reduced grant is a whole multiple of ``u`` of at least
the candidate's lowest amount; ``l_i`` is the least such multiple (``rules.Compiled.lowest``).
When the amount asked ``a_i`` is itself a multiple of ``u``, the grant is ``a_i x_i − u r_i``
with ``r_i ≤ R_i x_i``, ``R_i = (a_i − l_i) / u``. Otherwise a binary ``y_i`` (reduced) first
takes off the odd part ``f_i = a_i mod u``: the grant is ``a_i x_i − f_i y_i − u r_i`` with
``y_i ≤ x_i`` and ``r_i ≤ R_i y_i``, ``R_i = (a_i − f_i − l_i) / u``. Every grant is thus
exact in øre: the full amount, or a multiple of the unit. One continuous column ``T`` is the
total granted.

Every rule of ``rules.Compiled`` is one row over the money or the count; money is measured
in the largest amount asked for, so coefficients lie in (0, 1] and HiGHS's default tolerances
fit (an answer is checked in whole øre afterwards, and a rule it broke is tightened by its
row's ``margin``). The objective is the problem's own, with no bonus for rank: a bonus that
decides ties can also outweigh a difference of one øre, and with gap 0 the answer must be the
optimum. Ties among alike candidates are decided exactly afterwards (``ties``). A reduction
has no cost of its own beyond the objective: ``solve`` gives back every krone cut that no
rule needed.
"""

from dataclasses import dataclass

import numpy as np

from pulje.allocation.solver.problem import Objective
from pulje.allocation.solver.rules import Compiled, FloatArray, IntArray, Row

# The score objective's largest coefficient in the programme when the gap asked for is 0.
# HiGHS prunes with an absolute tolerance of about 10⁻⁶ on the objective, so with 1 it cannot
# see a difference of a few øre in a pool of millions (test_solver.py), and at gap 0 the
# answer must be the optimum itself; with 10⁶ it sees 10⁻¹² of it. With a gap, the gap is far
# coarser than that tolerance, and the finer scale only makes HiGHS weigh every krone of a
# reduction (ten times slower on 135 candidates with reductions: bench/allocate.py), so the
# largest coefficient is then 1.
_EXACT_SCORE_RANGE = 1e6


def _costs(compiled: Compiled, columns: IntArray) -> tuple[FloatArray, FloatArray, float]:
    """Objective coefficients of x and of r (per unit reduced) and their scale: the
    objective in its own units is the programme's times the scale. The score objective is
    scaled so its largest coefficient is 1 (10⁶ at gap 0), the participants so theirs is 1,
    grants are 1 each."""
    objective = compiled.problem.objective
    if objective == Objective.SCORE:
        x_cost = compiled.score[columns] * (compiled.amount[columns] / 100.0)
        r_cost = -compiled.score[columns] * (compiled.problem.reduction_unit_ore / 100.0)
        scale = float(np.max(np.abs(x_cost))) if len(columns) else 1.0
        scale = (scale or 1.0) / (_EXACT_SCORE_RANGE if compiled.problem.gap == 0 else 1.0)
        return x_cost / scale, r_cost / scale, scale
    if objective == Objective.PARTICIPANTS:
        # Scaled to at most 1 like the score (raw counts of people make HiGHS's search ten
        # times slower on 135 candidates with reductions: bench/allocate.py); ``step`` keeps
        # that the objective is whole.
        people = compiled.participants[columns]
        scale = float(people.max()) if len(people) else 1.0
        scale = scale or 1.0
        return people / scale, np.zeros(len(columns)), scale
    return np.ones(len(columns)), np.zeros(len(columns)), 1.0


def _step(compiled: Compiled, columns: IntArray, scale: float) -> float | None:
    """The smallest difference between two selections' objectives, in the programme's
    units, when the objective is whole: one grant, or the participants' greatest common
    divisor (with 10 participants each, a bound of 2,469 proves 2,460). None for the score."""
    objective = compiled.problem.objective
    if objective == Objective.COUNT:
        return 1.0
    if objective == Objective.PARTICIPANTS:
        divisor = int(np.gcd.reduce(compiled.participants[columns].astype(np.int64)))
        return (divisor or 1) / scale
    return None


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
class Variables:
    """Which candidates have an x column (the eligible), an r column (the reducible) and a y
    column (the reducible whose amount asked is not a multiple of the reduction unit)."""

    columns: IntArray  # candidate index of each x column
    position: IntArray  # candidate index → x column, -1 for none
    reducible: IntArray  # candidate indices with an r column
    r_position: IntArray  # candidate index → r column, -1 for none
    reduction_steps: FloatArray  # R_i per candidate
    odd: IntArray  # candidate indices with a y column, a subset of ``reducible``
    odd_ore: FloatArray  # f_i per candidate: the amount asked less its multiple of the unit
    total: int  # the column of T, the total granted (continuous)
    unit_ore: float  # money in the rows is in this unit: the largest amount asked
    reduction_unit_ore: int  # u

    @classmethod
    def of(cls, compiled: Compiled) -> "Variables":
        # A candidate whose lowest amount is more than the whole budget can never be granted
        # (unless locked in, which the lock's own check refuses): leaving it out keeps its
        # size from setting the scale of money and of the objective.
        fits = compiled.lowest <= compiled.problem.budget_ore
        columns = np.flatnonzero(compiled.eligible & (fits | compiled.locked_in)).astype(np.int64)
        position = np.full(compiled.n, -1, dtype=np.int64)
        position[columns] = np.arange(len(columns))
        step = compiled.problem.reduction_unit_ore
        odd_ore = compiled.amount % step
        reducible = columns[compiled.lowest[columns] < compiled.amount[columns]]
        reduction_steps = ((compiled.amount - odd_ore - compiled.lowest) // step).astype(np.float64)
        odd = reducible[odd_ore[reducible] > 0]
        r_position = np.full(compiled.n, -1, dtype=np.int64)
        r_position[reducible] = len(columns) + np.arange(len(reducible))
        total = len(columns) + len(reducible) + len(odd)
        unit = float(compiled.amount[columns].max()) if len(columns) else 1.0
        return cls(
            columns,
            position,
            reducible,
            r_position,
            reduction_steps,
            odd,
            odd_ore.astype(np.float64),
            total,
            unit,
            step,
        )

    @property
    def step(self) -> float:
        """One reduction unit (a unit of r) in the rows' unit of money."""
        return self.reduction_unit_ore / self.unit_ore

    @property
    def r_link(self) -> IntArray:
        """The column each r is bound by: its candidate's y where it has one, else its x."""
        link = self.position[self.reducible]
        link[np.searchsorted(self.reducible, self.odd)] = self.y_columns
        return link

    @property
    def y_columns(self) -> IntArray:
        """The column of each y, in the order of ``odd``."""
        return len(self.columns) + len(self.reducible) + np.arange(len(self.odd))


def _matrix(
    compiled: Compiled, variables: Variables, rows: list[Row]
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    """The rows as a row-wise sparse matrix (starts, indices, values) with row bounds, built
    as triplets in whole arrays (no Python loop over candidates or matrix entries).

    A rule on money sums ``a_i x_i − f_i y_i − u r_i`` over its members, on a count ``x_i``;
    a share rule is ``Σ members − share × T ≷ 0`` with T the total granted (its own column),
    a few nonzeros per member instead of one for every candidate; a row's ``margin`` tightens
    it. After the rules come the rows linking each reduction to its grant (``r_i − R_i x_i ≤
    0``, or ``r_i − R_i y_i ≤ 0`` and ``y_i − x_i ≤ 0``) and the one defining T (``Σ a_i x_i −
    Σ f_i y_i − u Σ r_i − T = 0``)."""
    money = compiled.amount / variables.unit_ore
    number = len(rows)
    sizes = np.array([len(row.members) for row in rows], dtype=np.int64)
    member = np.concatenate([row.members for row in rows] + [np.zeros(0, dtype=np.int64)])
    owner = np.repeat(np.arange(number), sizes)
    keep = variables.position[member] >= 0
    member, owner = member[keep], owner[keep]
    is_count = np.array([row.measure == "count" for row in rows], dtype=np.bool_)
    is_share = np.array([row.share for row in rows], dtype=np.bool_)
    shares = np.array([float(row.limit) if row.share else 0.0 for row in rows])
    # A rule on a small amount of money (a floor of a few kroner) is measured in that amount
    # instead, so the solver's absolute tolerance stays below one øre of it.
    small = np.array(
        [
            variables.unit_ore / max(min(float(row.limit), variables.unit_ore), 1.0)
            if row.measure == "amount" and not row.share
            else 1.0
            for row in rows
        ]
    )
    x_values = np.where(is_count[owner], 1.0, money[member] * small[owner])
    with_r = ~is_count[owner] & (variables.r_position[member] >= 0)
    share_rows = np.flatnonzero(is_share)

    reducible, odd = variables.reducible, variables.odd
    k, k2 = len(reducible), len(odd)
    columns = variables.columns
    y_position = np.full(compiled.n, -1, dtype=np.int64)
    y_position[odd] = variables.y_columns
    with_y = ~is_count[owner] & (y_position[member] >= 0)
    odd_money = variables.odd_ore / variables.unit_ore
    triplets = [
        (owner, variables.position[member], x_values),
        (
            owner[with_r],
            variables.r_position[member[with_r]],
            -variables.step * small[owner[with_r]],
        ),
        (
            owner[with_y],
            y_position[member[with_y]],
            -odd_money[member[with_y]] * small[owner[with_y]],
        ),
        (share_rows, np.full(len(share_rows), variables.total), -shares[share_rows]),
        (number + np.arange(k), variables.r_position[reducible], np.ones(k)),
        (number + np.arange(k), variables.r_link, -variables.reduction_steps[reducible]),
        (number + k + np.arange(k2), variables.y_columns, np.ones(k2)),
        (number + k + np.arange(k2), variables.position[odd], -np.ones(k2)),
        (
            np.full(variables.total + 1, number + k + k2),
            np.arange(variables.total + 1),
            np.concatenate([money[columns], np.full(k, -variables.step), -odd_money[odd], [-1.0]]),
        ),
    ]
    row_of = np.concatenate([triplet[0] for triplet in triplets]).astype(np.int64)
    order = np.argsort(row_of, kind="stable")
    indices = np.concatenate([triplet[1] for triplet in triplets]).astype(np.int64)[order]
    values = np.concatenate([triplet[2] for triplet in triplets]).astype(np.float64)[order]
    starts = np.zeros(number + k + k2 + 2, dtype=np.int64)
    np.cumsum(np.bincount(row_of, minlength=number + k + k2 + 1), out=starts[1:])

    unit = np.array([1.0 if row.measure == "count" else variables.unit_ore for row in rows])
    limits = np.array([0.0 if row.share else float(row.limit) for row in rows]) / unit * small
    margins = np.array([float(row.margin) for row in rows]) / unit * small
    floors = np.array([row.sense == "ge" for row in rows], dtype=np.bool_)
    lower = np.where(floors, limits + margins, -np.inf)
    upper = np.where(floors, np.inf, limits - margins)
    return (
        starts[:-1],
        indices,
        values,
        np.concatenate([lower, np.full(k + k2, -np.inf), [0.0]]),
        np.concatenate([upper, np.zeros(k + k2), [0.0]]),
    )


@dataclass(frozen=True)
class Programme:
    """The programme as HiGHS takes it: columns x (one per eligible candidate), r (one per
    reducible candidate), y (one per reducible candidate with an odd part) and T, in that
    order; the rules, then the rows linking r to x or y, then those linking y to x, then the
    row defining T (the last row); the matrix row-wise."""

    variables: Variables
    cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    starts: IntArray
    indices: IntArray
    values: FloatArray
    scale: float  # the objective in its own units is the programme's times this
    # Every selection's objective (in the programme's units) is a whole number of this, for
    # grants and participants; None for the score.
    step: float | None

    @property
    def columns(self) -> int:
        return len(self.cost)

    @property
    def integer(self) -> int:
        """x, r and y are integer, T is not: the first ``integer`` columns."""
        return self.columns - 1


def programme(compiled: Compiled, rows: list[Row], *, feasibility_only: bool) -> Programme:
    """``rows`` (the problem's rules, or some of them) as a programme; ``feasibility_only``
    leaves out the objective."""
    variables = Variables.of(compiled)
    columns, reducible, odd = variables.columns, variables.reducible, variables.odd
    m, k, k2 = len(columns), len(reducible), len(odd)
    starts, indices, values, row_lower, row_upper = _matrix(compiled, variables, rows)
    x_cost, r_cost, scale = _costs(compiled, columns)
    # y_i costs what its odd part is worth: r's cost per unit, in proportion.
    y_cost = r_cost[variables.position[odd]] * (
        variables.odd_ore[odd] / variables.reduction_unit_ore
    )
    cost = np.concatenate([x_cost, r_cost[variables.position[reducible]], y_cost, [0.0]])
    if feasibility_only:
        cost = np.zeros(m + k + k2 + 1)
    return Programme(
        variables=variables,
        cost=cost,
        col_lower=np.concatenate(
            [compiled.locked_in[columns].astype(np.float64), np.zeros(k + k2 + 1)]
        ),
        col_upper=np.concatenate(
            [np.ones(m), variables.reduction_steps[reducible], np.ones(k2), [np.inf]]
        ),
        row_lower=row_lower,
        row_upper=row_upper,
        starts=starts,
        indices=indices,
        values=values,
        scale=scale,
        step=_step(compiled, columns, scale),
    )
