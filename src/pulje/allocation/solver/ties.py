"""Equal applications in the published order, exactly.

Two candidates are *alike* when nothing the rules or the objective see tells them apart:
the same amount asked and lowest amount, the same rows (band, region, target groups,
organisation), the same lock and eligibility, and the same score (score objective) or
participants (participants objective). Swapping what two alike candidates are granted
changes no row's sum and not the objective, so among alike candidates the better ranked
(score, then submission time, then id) are granted first, and get the larger amount. This
holds whatever the search found: it does not rest on a tie-break weighed in floating point.
"""

from collections import defaultdict

import numpy as np
import numpy.typing as npt

from pulje.allocation.solver.problem import Objective
from pulje.allocation.solver.rules import Compiled, IntArray


def in_rank_order(compiled: Compiled, granted: IntArray) -> IntArray:
    """``granted`` (øre per candidate in canonical order) with the amounts of every set of
    alike candidates handed out again in rank order, largest first."""
    problem = compiled.problem
    columns: list[npt.NDArray[np.generic]] = [
        compiled.amount,
        compiled.lowest,
        compiled.locked_in,
        compiled.eligible,
    ]
    if problem.objective == Objective.SCORE:
        columns.append(compiled.score)
    elif problem.objective == Objective.PARTICIPANTS:
        columns.append(compiled.participants)
    if compiled.n < 2:
        return granted
    keys = np.stack([np.asarray(column, dtype=np.float64) for column in columns], axis=1)
    _unique, group, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    group = group.reshape(-1)
    maybe = counts[group] > 1
    if not maybe.any():
        return granted
    # Only candidates alike in amount, lock and worth can be alike at all; for those, the
    # rows each is a member of.
    rows_of: dict[int, list[int]] = defaultdict(list)
    for number, row in enumerate(compiled.rows):
        for i in row.members[maybe[row.members]].tolist():
            rows_of[i].append(number)
    alike: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)
    for i in np.flatnonzero(maybe).tolist():
        alike[(int(group[i]), tuple(rows_of[i]))].append(i)
    result = granted.copy()
    for members in alike.values():
        if len(members) > 1:
            # Members are in canonical order already: the best ranked first.
            result[members] = np.sort(granted[members])[::-1]
    return result
