"""A problem compiled to arrays: the candidates as NumPy vectors and every rule as a row.

Every method reads the same rows: the exact solver turns them into a sparse matrix, the
ranking methods check caps against them, and the explanations and checks measure a selection
against them. A row is "amount" (øre) or "count", a cap ("le") or a floor ("ge"), absolute
or a share of the total granted (for money: Σ members − share × Σ all, compared with 0).

A selection is measured against the rules exactly: amounts are whole øre and a share is the
exact decimal it is written as (``problem.exact_share``), so a floor share s of the total T is
met only if Σ members ≥ s·T holds in rational arithmetic, with no tolerance.
"""

import copy
import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np
import numpy.typing as npt

from pulje.allocation.solver.problem import Candidate, Problem, exact_share

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    members: IntArray  # indices of candidates in canonical order
    measure: str  # "amount" or "count"
    sense: str  # "le" or "ge"
    limit: int | Fraction  # øre or a count; an exact share (0–1) when ``share``
    share: bool
    fairness: bool
    # How much the programme's row is tightened beyond the rule (øre or grants), after a
    # selection within HiGHS's tolerance broke the rule in whole øre (solve._solve_exact).
    margin: int = 0


def arrival(candidate: Candidate) -> tuple[bool, float, str]:
    """First submitted first, then by id; a candidate with no submission time comes last."""
    submitted = candidate.submitted_at
    return (submitted is None, submitted.timestamp() if submitted else 0.0, candidate.id)


def canonical_order(candidates: tuple[Candidate, ...]) -> list[Candidate]:
    """Best score first, then first submitted, then id: the order every tie is broken in."""
    return sorted(candidates, key=lambda candidate: (-candidate.score, *arrival(candidate)))


class Compiled:
    """The candidates in canonical order as arrays, with the problem's rules as rows."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.candidates = canonical_order(problem.candidates)
        self.index = {candidate.id: i for i, candidate in enumerate(self.candidates)}
        self.n = len(self.candidates)
        self.amount = np.array([c.amount_ore for c in self.candidates], dtype=np.int64)
        # The least each can be granted: its amount asked, or where reductions are allowed
        # the least whole multiple of the reduction unit at or above its lowest amount.
        if problem.allow_reductions:
            unit = problem.reduction_unit_ore
            asked = np.array([c.lowest_ore for c in self.candidates], dtype=np.int64)
            least = -(-asked // unit) * unit
            self.lowest = np.where(least < self.amount, least, self.amount)
        else:
            self.lowest = self.amount.copy()
        self.score = np.array([c.score for c in self.candidates], dtype=np.float64)
        self.participants = np.array([c.participants for c in self.candidates], dtype=np.float64)
        self.locked_in = np.zeros(self.n, dtype=np.bool_)
        self.locked_out = np.zeros(self.n, dtype=np.bool_)
        for candidate_id in problem.locked_in:
            self.locked_in[self.index[candidate_id]] = True
        for candidate_id in problem.locked_out:
            self.locked_out[self.index[candidate_id]] = True
        self.below_min = (
            self.score < problem.min_score
            if problem.min_score is not None
            else np.zeros(self.n, dtype=np.bool_)
        )
        # A caseworker's lock in overrides the minimum score: it is an explicit decision.
        self.eligible = ~self.locked_out & (~self.below_min | self.locked_in)
        self.rows = self._rows()

    def without_fairness(self) -> "Compiled":
        """The problem without the rules for fairness (``Problem.without_fairness``): the
        same candidates, order, locks and eligibility, so only the rows are built again (at
        100,000 sorting and reading the candidates again cost about half a second)."""
        free = copy.copy(self)
        free.problem = self.problem.without_fairness()
        free.rows = free._rows()
        return free

    def label(self, key: str, fallback: str) -> str:
        return self.problem.labels.get(key, fallback)

    def region_name(self, region: str) -> str:
        return self.label(f"region:{region}", f"region {region}")

    def _groups(self, attribute: str) -> dict[str, IntArray]:
        members: dict[str, list[int]] = defaultdict(list)
        for i, candidate in enumerate(self.candidates):
            if attribute == "target_groups":
                for group in candidate.target_groups:
                    members[group].append(i)
            else:
                members[getattr(candidate, attribute)].append(i)
        return {key: np.array(value, dtype=np.int64) for key, value in members.items()}

    @cached_property
    def by_region(self) -> dict[str, IntArray]:
        return self._groups("region")

    def _rows(self) -> list[Row]:
        problem = self.problem
        everyone = np.arange(self.n, dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        rows = [
            Row("budget", "budgettet", everyone, "amount", "le", problem.budget_ore, False, False)
        ]
        by_band = self._groups("band") if problem.band_budgets else {}
        for band, budget in sorted(problem.band_budgets.items()):
            label = f"budgettet for {self.label(f'band:{band}', band)}"
            members = by_band.get(band, empty)
            rows.append(Row(f"band:{band}", label, members, "amount", "le", budget, False, False))
        for region, limit in sorted(problem.regions.items()):
            members = self.by_region.get(region, empty)
            name = self.region_name(region)
            for kind, sense, value, share in (
                ("floor", "ge", limit.floor_ore, False),
                ("cap", "le", limit.cap_ore, False),
                ("floor_share", "ge", limit.floor_share, True),
                ("cap_share", "le", limit.cap_share, True),
            ):
                if value is not None:
                    exact: int | Fraction = exact_share(value) if share else int(value)
                    word = "gulvet" if sense == "ge" else "loftet"
                    rows.append(
                        Row(
                            f"region:{region}:{kind}",
                            f"{word} for {name}",
                            members,
                            "amount",
                            sense,
                            exact,
                            share,
                            True,
                        )
                    )
        by_group = self._groups("target_groups")
        for group, rule in sorted(problem.target_groups.items()):
            members = by_group.get(group, empty)
            name = self.label(f"group:{group}", group)
            if rule.min_count is not None:
                label = f"mindst {rule.min_count} bevilling(er) til {name}"
                rows.append(
                    Row(
                        f"group:{group}:count",
                        label,
                        members,
                        "count",
                        "ge",
                        rule.min_count,
                        False,
                        True,
                    )
                )
            if rule.min_share is not None:
                # The share itself is added where the rule is shown (explain.rule_usage).
                label = f"gulvet for andelen til {name}"
                rows.append(
                    Row(
                        f"group:{group}:share",
                        label,
                        members,
                        "amount",
                        "ge",
                        exact_share(rule.min_share),
                        True,
                        True,
                    )
                )
        organisation = problem.organisation
        if organisation.max_grants is not None or organisation.max_ore is not None:
            for org, members in sorted(self._groups("organisation").items()):
                if not org:
                    continue  # no organisation given: no organisation's limit applies
                name = self.label(f"organisation:{org}", org)
                # A row that can never bind is left out: it would only make the model bigger.
                if organisation.max_grants is not None and len(members) > organisation.max_grants:
                    rows.append(
                        Row(
                            f"organisation:{org}:grants",
                            f"højst {organisation.max_grants} bevilling(er) til {name}",
                            members,
                            "count",
                            "le",
                            organisation.max_grants,
                            False,
                            True,
                        )
                    )
                if (
                    organisation.max_ore is not None
                    and int(self.amount[members].sum()) > organisation.max_ore
                ):
                    rows.append(
                        Row(
                            f"organisation:{org}:amount",
                            f"loftet for {name}",
                            members,
                            "amount",
                            "le",
                            organisation.max_ore,
                            False,
                            True,
                        )
                    )
        return rows

    def usage(self, row: Row, granted: IntArray) -> tuple[int, int]:
        """(used, limit) of a row for amounts ``granted`` (0 = not selected), exactly. For a
        share row the limit is in øre: the least whole amount that meets s·T for a floor
        (⌈s·T⌉), the most for a cap (⌊s·T⌋), so ``used`` meets the rule exactly when it
        meets this limit."""
        if row.measure == "count":
            used = int(np.count_nonzero(granted[row.members]))
        else:
            used = int(granted[row.members].sum())
        if row.share:
            exact = row.limit * int(granted.sum())
            return used, math.ceil(exact) if row.sense == "ge" else math.floor(exact)
        return used, int(row.limit)

    def meets(self, row: Row, granted: IntArray) -> bool:
        used, limit = self.usage(row, granted)
        return used >= limit if row.sense == "ge" else used <= limit
