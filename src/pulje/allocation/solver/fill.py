"""The rule-based methods: go through the candidates in an order and grant each one that still
fits under every cap (budget, bands, region caps, organisation limits). Floors cannot be
promised by an order; the result says which ones a method left unmet.

- greedy ranking: best score first (the simple ranking the exact method is compared with);
- first come, first served: by submission time (a rolling small-grants band);
- envelopes: each region first gets an envelope of the budget by apportionment and is filled
  by ranking within it; money a region cannot use then goes by ranking across the country;
- lottery: the same as envelopes, but in the order of a published, reproducible draw among
  the candidates scoring at least the threshold.

Locked-in candidates are granted first, whatever the order.
"""

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from pulje.allocation.solver.apportion import apportion
from pulje.allocation.solver.problem import Method
from pulje.allocation.solver.rules import Compiled, IntArray, arrival


@dataclass(frozen=True)
class Filled:
    granted: IntArray  # øre per candidate in canonical order
    envelopes: dict[str, int] | None
    draw_position: dict[int, int] | None  # candidate index → place in the draw (1 = first)


def draw_key(seed: str, candidate_id: str) -> str:
    """A candidate's place in the draw: SHA-256 of the seed, a line break and the id, sorted
    as hexadecimal text. Anyone can repeat it, e.g.
    ``printf '%s\\n%s' SEED ID | sha256sum``."""
    return hashlib.sha256(f"{seed}\n{candidate_id}".encode()).hexdigest()


class _Caps:
    """Running totals of the cap rows, to ask whether one more grant fits. A cap on a share
    of the money counts against the share of the budget: an order cannot know the final total
    (and the very first grant would be 100 % of it); the result says if the share was kept."""

    def __init__(self, compiled: Compiled) -> None:
        budget = compiled.problem.budget_ore
        rows = compiled.rows
        # Whole øre (or grants): a share cap allows ⌊s × budget⌋, exactly.
        self.limit = [
            math.floor(row.limit * budget) if row.share else int(row.limit) for row in rows
        ]
        self.counts = [row.measure == "count" for row in rows]
        self.used = [0] * len(rows)
        self.rows_of: list[list[int]] = [[] for _ in range(compiled.n)]
        for i, row in enumerate(rows):
            if row.sense == "le":
                for member in row.members.tolist():
                    self.rows_of[member].append(i)

    def fits(self, candidate: int, amount: int) -> bool:
        return all(
            self.used[i] + (1 if self.counts[i] else amount) <= self.limit[i]
            for i in self.rows_of[candidate]
        )

    def take(self, candidate: int, amount: int) -> None:
        for i in self.rows_of[candidate]:
            self.used[i] += 1 if self.counts[i] else amount


def _pass(compiled: Compiled, caps: _Caps, granted: IntArray, order: list[int]) -> None:
    for i in order:
        amount = int(compiled.amount[i])
        if granted[i] == 0 and caps.fits(i, amount):
            caps.take(i, amount)
            granted[i] = amount


def _envelopes(compiled: Compiled, eligible: list[int], money: int) -> dict[str, int]:
    problem = compiled.problem
    weights = dict(problem.region_weights)
    if not weights:
        for i in eligible:
            region = compiled.candidates[i].region
            weights[region] = weights.get(region, 0.0) + float(compiled.amount[i])
    unit = problem.envelope_unit_ore
    seats = apportion(weights, max(money, 0) // unit, problem.apportionment)
    return {region: count * unit for region, count in seats.items()}


def fill(compiled: Compiled) -> Filled:
    """Run the problem's rule-based method."""
    problem = compiled.problem
    caps = _Caps(compiled)
    granted = np.zeros(compiled.n, dtype=np.int64)
    for i in np.flatnonzero(compiled.locked_in).tolist():
        amount = int(compiled.amount[i])
        caps.take(i, amount)
        granted[i] = amount
    eligible = [i for i in range(compiled.n) if compiled.eligible[i]]
    draw_position = None
    if problem.method == Method.FIRST_COME:
        eligible.sort(key=lambda i: arrival(compiled.candidates[i]))
    elif problem.method == Method.LOTTERY:
        assert problem.lottery is not None
        lottery = problem.lottery
        eligible = [i for i in eligible if compiled.score[i] >= lottery.threshold]
        eligible.sort(key=lambda i: draw_key(lottery.seed, compiled.candidates[i].id))
        draw_position = {i: place for place, i in enumerate(eligible, start=1)}
    if problem.method not in (Method.ENVELOPES, Method.LOTTERY):
        _pass(compiled, caps, granted, eligible)
        return Filled(granted, None, draw_position)

    envelopes = _envelopes(compiled, eligible, problem.budget_ore - int(granted.sum()))
    for region, envelope in sorted(envelopes.items()):
        spent = 0
        for i in eligible:
            amount = int(compiled.amount[i])
            if (
                compiled.candidates[i].region == region
                and granted[i] == 0
                and spent + amount <= envelope
                and caps.fits(i, amount)
            ):
                caps.take(i, amount)
                granted[i] = amount
                spent += amount
    _pass(compiled, caps, granted, eligible)
    return Filled(granted, envelopes, draw_position)
