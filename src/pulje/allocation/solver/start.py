"""A first selection for the exact method: the relaxation's optimum rounded, mended and
filled greedily.

On BL-shaped problems of 10,000 candidates HiGHS's own rounding at the root stays about
0.02 % below the best selection, and its sub-MIP search then needs one to three seconds to
come within 0.01 % (bench/allocate.py). A knapsack's LP optimum has all but a few candidates
whole. With those rounded to the nearest, the rules that broke are mended (by taking back
the grants worth least per krone, or by adding those worth most) and the money left is
filled with the candidates worth most that break nothing; the selection is then typically
within a few hundred-thousandths of the LP's bound, which proves it. When it is not within
the gap asked for, other roundings and rankings are tried, and the best start goes to HiGHS.
HiGHS checks a start against every row and ignores one that breaks any, so a start never
decides an answer that is not proven.
"""

from dataclasses import dataclass

import numpy as np

from pulje.allocation.solver.model import Programme
from pulje.allocation.solver.rules import FloatArray, IntArray

# Nearly whole values of the relaxation count as whole; a row is met within the tolerance.
_WHOLE = 1e-6
_TOLERANCE = 1e-9
# Passes of filling: a later pass can add what an earlier grant made room for.
_PASSES = 4
# The attempts, in order: a candidate the relaxation grants at least this much is granted,
# and the candidates are ranked by their objective or their reduced cost per krone (the
# objective less what the binding rules, a budget or a region's floor, charge for a grant).
_ATTEMPTS = ((0.5, "objective"), (0.5, "reduced"), (1.0, "reduced"))


@dataclass(frozen=True)
class _Columns:
    """The programme's candidate columns, each with what its grant changes: its own rows
    and, through T, the share rules. Row 0 is the budget, which every candidate is in; the
    last row defines T (Σ money − T = 0)."""

    programme: Programme
    m: int
    row_of: IntArray
    # Column j's rows and what granting it adds to each, T's part included:
    # ``rows[starts[j]:starts[j + 1]]`` and ``changes[...]`` (worked out once for all
    # columns, not at every move).
    starts: IntArray
    rows: IntArray
    changes: FloatArray
    total_rows: IntArray
    total_coefficients: FloatArray
    money: FloatArray
    budget: FloatArray

    @classmethod
    def of(cls, programme: Programme) -> "_Columns":
        m = len(programme.variables.columns)
        count = len(programme.row_lower)
        ends = np.append(programme.starts, len(programme.indices))
        row_of = np.repeat(np.arange(count), np.diff(ends))
        indices, coefficients = programme.indices, programme.values

        def dense(row: int) -> FloatArray:
            values = np.zeros(m)
            entries = slice(ends[row], ends[row + 1])
            mine = indices[entries] < m
            values[indices[entries][mine]] = coefficients[entries][mine]
            return values

        on_x = indices < m
        on_total = indices == programme.columns - 1
        total_rows, total_coefficients = row_of[on_total], coefficients[on_total]
        money = dense(count - 1)
        # Every (column, row) a grant changes: the column's own entries and, through T, the
        # share rules and T's row; summed per pair, in column then row order.
        every = np.arange(m)
        column_of = np.concatenate([indices[on_x], np.repeat(every, len(total_rows))]).astype(
            np.int64
        )
        row_at = np.concatenate([row_of[on_x], np.tile(total_rows, m)]).astype(np.int64)
        change = np.concatenate(
            [coefficients[on_x], np.outer(money, total_coefficients).reshape(-1)]
        )
        pairs, pair_of = np.unique(column_of * count + row_at, return_inverse=True)
        starts = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(pairs // count, minlength=m), out=starts[1:])

        return cls(
            programme=programme,
            m=m,
            row_of=row_of,
            starts=starts,
            rows=pairs % count,
            changes=np.bincount(pair_of.reshape(-1), weights=change, minlength=len(pairs)).astype(
                np.float64
            ),
            total_rows=total_rows,
            total_coefficients=total_coefficients,
            money=money,
            budget=dense(0),
        )

    def violation(self, rows: IntArray, activity: FloatArray) -> FloatArray:
        """How far each of ``rows`` at ``activity`` is outside its bounds (0 when met)."""
        below = self.programme.row_lower[rows] - activity
        above = activity - self.programme.row_upper[rows]
        return np.maximum(below, 0.0) + np.maximum(above, 0.0)


class _Search:
    """A selection (values of every column) with its row activities, changed one candidate
    at a time."""

    def __init__(self, columns: _Columns, relaxed: FloatArray, round_up_from: float) -> None:
        self.columns = columns
        programme = columns.programme
        variables = programme.variables
        m, k = columns.m, len(variables.reducible)
        self.total = programme.columns - 1
        values = np.zeros(programme.columns)
        rounded = (relaxed[:m] >= round_up_from - _WHOLE).astype(np.float64)
        values[:m] = np.clip(rounded, programme.col_lower[:m], programme.col_upper[:m])
        # Reductions as deep as the relaxation's, in whole units, only on candidates kept;
        # an odd part taken off (y) wherever the relaxation took off any of it.
        y = variables.y_columns
        values[y] = np.clip(
            np.ceil(relaxed[y] - _WHOLE), 0.0, values[variables.position[variables.odd]]
        )
        cut = np.ceil(relaxed[m : m + k] - _WHOLE)
        link = values[variables.r_link]
        values[m : m + k] = np.clip(cut, 0.0, programme.col_upper[m : m + k] * link)
        self.uncut = np.ones(m, dtype=np.bool_)
        self.uncut[variables.position[variables.reducible]] = values[m : m + k] == 0
        self.uncut[variables.position[variables.odd]] &= values[y] == 0
        count = len(programme.row_lower)
        self.activity: FloatArray = np.bincount(
            columns.row_of, weights=values[programme.indices] * programme.values, minlength=count
        ).astype(np.float64)
        # With T still 0, the last row's activity is the total.
        values[self.total] = self.activity[count - 1]
        np.add.at(
            self.activity, columns.total_rows, values[self.total] * columns.total_coefficients
        )
        self.values = values
        self.broken = float(columns.violation(np.arange(count), self.activity).sum())

    def move(self, j: int, sign: float, *, strict: bool = True) -> bool:
        """Grant candidate j (sign 1) or take its grant back (−1), if that keeps every rule
        met or, while any is broken, mends some; ``strict`` also refuses to break a rule that
        is met to mend another. True when it did."""
        columns = self.columns
        room = columns.programme.row_upper[0] - self.activity[0]
        if sign > 0 and columns.budget[j] > room:
            return False  # the usual no, answered without building the change
        start, end = columns.starts[j], columns.starts[j + 1]
        touched = columns.rows[start:end]
        change = sign * columns.changes[start:end]
        after = self.activity[touched] + change
        before_broken = columns.violation(touched, self.activity[touched])
        after_broken = columns.violation(touched, after)
        newly = np.any((before_broken <= _TOLERANCE) & (after_broken > _TOLERANCE))
        mended = float(before_broken.sum() - after_broken.sum())
        if self.broken > _TOLERANCE:
            if mended <= _TOLERANCE or (strict and newly):
                return False
        elif newly:
            return False
        self.broken -= mended
        self.activity[touched] = after
        self.values[j] += sign
        self.values[self.total] += sign * columns.money[j]
        return True

    def run(self, worth: FloatArray) -> FloatArray | None:
        """Mend by adding the candidates worth most per krone and by taking back the grants
        worth least, then fill; should a rule stay broken, take back grants that mend it even
        if they break another (a region's floor, say), and mend and fill again. The values,
        or None when a rule stays broken."""
        columns = self.columns
        m = columns.m
        best_first = np.lexsort((np.arange(m), -worth / np.maximum(columns.money, _TOLERANCE)))
        fixed = columns.programme.col_lower[:m] > 0.5
        for strict in (True, False):
            chosen = self.values[:m] > 0.5
            for j in best_first[~chosen[best_first]].tolist():
                if self.broken <= _TOLERANCE:
                    break
                chosen[j] = self.move(j, 1.0)
            keep = fixed[best_first] | ~self.uncut[best_first]
            worst_first = best_first[chosen[best_first] & ~keep][::-1]
            for j in worst_first.tolist():
                if self.broken <= _TOLERANCE:
                    break
                chosen[j] = not self.move(j, -1.0, strict=strict)
            for _pass in range(_PASSES):
                added = False
                for j in best_first[~chosen[best_first]].tolist():
                    if self.move(j, 1.0):
                        chosen[j] = added = True
                if not added:
                    break
            if self.broken <= _TOLERANCE:
                break
        return self.values if self._meets_every_bound() else None

    def _meets_every_bound(self) -> bool:
        """The last word, since a start this meets is taken as proven without HiGHS: every
        row, recomputed from the values, and every column's bounds are met."""
        programme = self.columns.programme
        activity: FloatArray = np.bincount(
            self.columns.row_of,
            weights=self.values[programme.indices] * programme.values,
            minlength=len(programme.row_lower),
        ).astype(np.float64)
        rows = np.arange(len(programme.row_lower))
        integer = self.values[: programme.integer]
        return bool(
            np.all(self.columns.violation(rows, activity) <= _TOLERANCE)
            and np.all(self.values >= programme.col_lower)
            and np.all(self.values <= programme.col_upper)
            and np.all(integer == np.round(integer))
        )


def first_selection(
    programme: Programme, relaxed: FloatArray, reduced_costs: FloatArray, enough: float
) -> FloatArray | None:
    """Values for every column that meet every row, found from the relaxation's optimum
    ``relaxed`` and its ``reduced_costs``: the first attempt whose objective reaches
    ``enough``, else the best; None when no attempt could mend what rounding broke."""
    columns = _Columns.of(programme)
    best: FloatArray | None = None
    for round_up_from, ranking in _ATTEMPTS:
        worth = programme.cost if ranking == "objective" else reduced_costs
        values = _Search(columns, relaxed, round_up_from).run(worth[: columns.m])
        if values is None:
            continue
        if best is None or programme.cost @ values > programme.cost @ best:
            best = values
        if programme.cost @ best >= enough:
            break
    return best
