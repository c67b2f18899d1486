"""Problems for the solver's tests: hypothesis strategies, shaped instances, a fake clock, and
a rule checker written from docs/allocation.md (not the solver's own acceptance code)."""

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pulje.allocation.solver import (
    Apportionment,
    Candidate,
    GroupRule,
    Limit,
    LotteryRule,
    Method,
    Objective,
    OrganisationRule,
    Problem,
    mip,
)
from pulje.allocation.solver.deadline import Deadline
from pulje.core.money import kr

IntMatrix = npt.NDArray[np.int64]


REGIONS = ("1081", "1082", "1083", "1084")


BANDS = ("1", "2", "3")


ORGANISATIONS = ("A", "B", "C", "D")


GROUPS = ("adults", "children", "elderly")


START = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


# This oracle compares shares in floating point, so it allows them this slack; the solver
# meets them exactly, which test_solver_exact.py checks in integer øre and fractions.
SHARE_SLACK = 1e-6


THOROUGH = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


quarters = st.integers(0, 20).map(lambda n: n / 4)  # scores 0–5 with ties


amounts = st.one_of(
    st.integers(1, 40).map(lambda n: n * 25_000_00),  # 25.000 kr. steps: many equal amounts
    st.integers(1_000_00, 1_000_000_00),  # any amount in øre from 1.000 to 1.000.000 kr.
)


@st.composite
def candidate_lists(
    draw: st.DrawFn, *, min_size: int = 0, max_size: int = 10, reductions: bool = True
) -> tuple[Candidate, ...]:
    size = draw(st.integers(min_size, max_size))
    candidates = []
    for number in range(size):
        amount = draw(amounts)
        lowest = draw(st.none() | st.integers(1, amount)) if reductions else None
        minutes = draw(st.none() | st.integers(0, 60 * 24 * 30))
        candidates.append(
            Candidate(
                id=f"c{number:02d}",
                score=draw(quarters),
                amount_ore=amount,
                min_amount_ore=lowest,
                band=draw(st.sampled_from(BANDS)),
                region=draw(st.sampled_from((*REGIONS, ""))),
                municipality=draw(st.sampled_from(("", "101", "751"))),
                organisation=draw(st.sampled_from(ORGANISATIONS)),
                target_groups=tuple(sorted(draw(st.sets(st.sampled_from(GROUPS))))),
                participants=draw(st.integers(0, 60)),
                submitted_at=None if minutes is None else START + dt.timedelta(minutes=minutes),
            )
        )
    return tuple(candidates)


def _optional(draw: st.DrawFn, strategy: st.SearchStrategy[Any]) -> Any:
    return draw(st.none() | strategy)


def _share(draw: st.DrawFn, low: float, high: float) -> float:
    """A share in steps of 5 % between ``low`` and ``high`` (rounded inwards)."""
    steps = draw(st.integers(int(np.ceil(low * 20 - 1e-9)), int(np.floor(high * 20 + 1e-9))))
    return float(steps / 20)


class _Rules:
    """Limits drawn around a witness: a selection that, in a *loose* problem, meets every
    rule drawn (so most problems have a solution worth finding, often with rules that bind);
    in a *wild* problem the limits are drawn at random and many problems have none."""

    def __init__(self, draw: st.DrawFn, witness: list[Candidate], loose: bool) -> None:
        self.draw = draw
        self.witness = witness
        self.loose = loose
        self.total = sum(candidate.amount_ore for candidate in witness)

    def used(self, attribute: str, value: str) -> tuple[int, int]:
        """Money and grants of the witness's candidates whose ``attribute`` is (or, for the
        target groups, holds) ``value``."""
        members = [
            candidate
            for candidate in self.witness
            if (
                value in candidate.target_groups
                if attribute == "target_groups"
                else getattr(candidate, attribute) == value
            )
        ]
        return sum(candidate.amount_ore for candidate in members), len(members)

    def cap(self, used: int, top: int) -> int:
        return self.draw(st.integers(used, max(used, top)) if self.loose else st.integers(0, top))

    def floor(self, used: int, top: int) -> int:
        return self.draw(st.integers(0, used) if self.loose else st.integers(0, top))

    def share(self, used: int) -> float:
        return used / self.total if self.total else 0.0

    def floor_share(self, used: int, top: float) -> float:
        return _share(self.draw, 0.0, min(self.share(used), top) if self.loose else top)

    def cap_share(self, used: int, low: float) -> float:
        return _share(self.draw, max(self.share(used), low) if self.loose else low, 1.0)

    def region(self, region: str, budget: int) -> Limit:
        used, _count = self.used("region", region)
        draw = self.draw
        limit = Limit(
            floor_ore=self.floor(used, budget // 2) if draw(st.booleans()) else None,
            cap_ore=self.cap(used, budget) if draw(st.booleans()) else None,
            floor_share=self.floor_share(used, 0.6) if draw(st.booleans()) else None,
            cap_share=self.cap_share(used, 0.2) if draw(st.booleans()) else None,
        )
        return Limit(cap_ore=max(used, budget)) if limit.is_empty else limit

    def group(self, group: str) -> GroupRule:
        used, count = self.used("target_groups", group)
        return GroupRule(
            min_count=self.floor(count, 3) if self.draw(st.booleans()) else None,
            min_share=self.floor_share(used, 0.5) if self.draw(st.booleans()) else None,
        )

    def organisation(self, asked: int) -> OrganisationRule:
        most = [self.used("organisation", o) for o in ORGANISATIONS]
        money = max(amount for amount, _count in most)
        grants = max(count for _amount, count in most)
        return OrganisationRule(
            max_grants=self.cap(max(grants, 1), 3) or 1 if self.draw(st.booleans()) else None,
            max_ore=self.cap(max(money, 1), asked) or 1 if self.draw(st.booleans()) else None,
        )


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    methods: Iterable[Method] = tuple(Method),
    min_candidates: int = 0,
    max_candidates: int = 10,
    reductions: bool = True,
    gap: float | None = 0.0,
) -> Problem:
    """A problem with every kind of rule, any of them possibly absent."""
    candidates = draw(
        candidate_lists(min_size=min_candidates, max_size=max_candidates, reductions=reductions)
    )
    ids = [candidate.id for candidate in candidates]
    asked = sum(candidate.amount_ore for candidate in candidates)
    witness = [candidate for candidate in candidates if draw(st.booleans())]
    rules = _Rules(draw, witness, loose=draw(st.integers(0, 4)) > 0)
    budget = rules.cap(rules.total, max(rules.total + (asked - rules.total) // 2, 1))
    chosen = [candidate.id for candidate in witness]
    others = [candidate_id for candidate_id in ids if candidate_id not in chosen]
    if rules.loose:
        locked_in = draw(st.sets(st.sampled_from(chosen), max_size=2)) if chosen else set()
        locked_out = draw(st.sets(st.sampled_from(others), max_size=2)) if others else set()
        lowest = min((candidate.score for candidate in witness), default=5.0)
        min_score = _optional(draw, st.integers(0, int(lowest * 4)).map(lambda n: n / 4))
    else:
        locked_in = draw(st.sets(st.sampled_from(ids), max_size=2)) if ids else set()
        free = [candidate_id for candidate_id in ids if candidate_id not in locked_in]
        locked_out = draw(st.sets(st.sampled_from(free), max_size=2)) if free else set()
        min_score = _optional(draw, quarters)
    method = draw(st.sampled_from(tuple(methods)))
    has_lottery = method == Method.LOTTERY or draw(st.booleans())
    return Problem(
        budget_ore=budget,
        candidates=candidates,
        objective=draw(st.sampled_from(Objective)),
        method=method,
        allow_reductions=reductions and draw(st.booleans()),
        band_budgets={
            band: rules.cap(rules.used("band", band)[0], asked)
            for band in sorted(draw(st.sets(st.sampled_from(BANDS))))
        },
        regions={
            region: rules.region(region, budget)
            for region in sorted(draw(st.sets(st.sampled_from(REGIONS), max_size=3)))
        },
        target_groups={
            group: rules.group(group)
            for group in sorted(draw(st.sets(st.sampled_from(GROUPS), max_size=2)))
        },
        organisation=rules.organisation(asked) if draw(st.booleans()) else OrganisationRule(),
        min_score=min_score,
        locked_in=frozenset(locked_in),
        locked_out=frozenset(locked_out),
        region_weights=draw(
            st.just({})
            | st.dictionaries(st.sampled_from(REGIONS), st.integers(0, 5000).map(float), min_size=1)
        ),
        apportionment=draw(st.sampled_from(Apportionment)),
        envelope_unit_ore=draw(st.sampled_from((100, 100_000, 1_000_000))),
        lottery=(
            LotteryRule(seed=draw(st.text(min_size=1, max_size=12)), threshold=draw(quarters))
            if has_lottery
            else None
        ),
        gap=draw(st.sampled_from((0.0, 1e-4))) if gap is None else gap,
    )


def meets_every_rule(
    problem: Problem, granted: IntMatrix, *, slack: float = SHARE_SLACK
) -> npt.NDArray[np.bool_]:
    """For each row of ``granted`` (øre per candidate, columns in the order of
    ``problem.candidates``, 0 = not granted): whether the selection meets every rule of the
    problem, with rules on shares met up to ``slack`` of the total."""
    candidates = problem.candidates
    chosen = granted > 0
    total = granted.sum(axis=1)
    ok = total <= problem.budget_ore

    def column(attribute: str) -> npt.NDArray[np.str_]:
        return np.array([getattr(c, attribute) for c in candidates], dtype=np.str_)

    def money(members: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        summed: npt.NDArray[np.int64] = granted[:, members].sum(axis=1)
        return summed

    def share_at_least(used: npt.NDArray[np.int64], share: float) -> npt.NDArray[np.bool_]:
        met: npt.NDArray[np.bool_] = used - share * total >= -slack * np.maximum(total, 1)
        return met

    def share_at_most(used: npt.NDArray[np.int64], share: float) -> npt.NDArray[np.bool_]:
        met: npt.NDArray[np.bool_] = share * total - used >= -slack * np.maximum(total, 1)
        return met

    ids, score = column("id"), np.array([c.score for c in candidates], dtype=np.float64)
    locked_in = np.isin(ids, list(problem.locked_in))
    below = score < (-np.inf if problem.min_score is None else problem.min_score)
    shut = np.isin(ids, list(problem.locked_out)) | (below & ~locked_in)
    ok &= chosen[:, locked_in].all(axis=1) & ~chosen[:, shut].any(axis=1)
    for band, budget in problem.band_budgets.items():
        ok &= money(column("band") == band) <= budget
    for region, limit in problem.regions.items():
        used = money(column("region") == region)
        if limit.floor_ore is not None:
            ok &= used >= limit.floor_ore
        if limit.cap_ore is not None:
            ok &= used <= limit.cap_ore
        if limit.floor_share is not None:
            ok &= share_at_least(used, limit.floor_share)
        if limit.cap_share is not None:
            ok &= share_at_most(used, limit.cap_share)
    for group, rule in problem.target_groups.items():
        members = np.array([group in c.target_groups for c in candidates], dtype=np.bool_)
        if rule.min_count is not None:
            ok &= chosen[:, members].sum(axis=1) >= rule.min_count
        if rule.min_share is not None:
            ok &= share_at_least(money(members), rule.min_share)
    for organisation in set(column("organisation").tolist()):
        members = column("organisation") == organisation
        if problem.organisation.max_grants is not None:
            ok &= chosen[:, members].sum(axis=1) <= problem.organisation.max_grants
        if problem.organisation.max_ore is not None:
            ok &= money(members) <= problem.organisation.max_ore
    met: npt.NDArray[np.bool_] = ok
    return met


def meets_every_rule_by_id(problem: Problem, amounts: Mapping[str, int]) -> bool:
    """``meets_every_rule`` for one selection given as id → øre."""
    granted = np.array([[amounts.get(c.id, 0) for c in problem.candidates]], dtype=np.int64)
    return bool(meets_every_rule(problem, granted)[0])


LABELS = {
    "region:1081": "Region Nordjylland",
    "region:1082": "Region Midtjylland",
    "region:1083": "Region Syddanmark",
    "region:1084": "Region Hovedstaden",
    "region:1085": "Region Sjælland",
    "band:1": "Bånd 1",
    "group:children": "børn og unge",
    "group:elderly": "ældre",
    "organisation:11111111": "Boligselskabet Nord",
}


def candidate(candidate_id: str, score: float, kroner: int, **fields: Any) -> Candidate:
    return Candidate(id=candidate_id, score=score, amount_ore=kr(kroner), **fields)


def solver_only_conflict() -> Problem:
    """Each region floor can be met, and together they fit the budget, but only ``a`` can
    meet Nordjylland's and only ``b`` Hovedstaden's (``d`` is under the minimum score), and
    the two are the same organisation's, which may have one grant. The target group, the cap
    on Midtjylland and the lock out have nothing to do with it: the deletion filter drops
    them and keeps exactly the three rules that conflict."""
    return Problem(
        budget_ore=kr(1_300_000),
        candidates=(
            candidate("a", 4.0, 500_000, region="1081", organisation="11111111"),
            candidate("b", 3.0, 500_000, region="1084", organisation="11111111"),
            candidate("c", 5.0, 300_000, region="1082", target_groups=("elderly",)),
            candidate("d", 1.0, 500_000, region="1084", organisation="22222222"),
            candidate("e", 2.0, 100_000, region="1082", organisation="33333333"),
        ),
        regions={
            "1081": Limit(floor_ore=kr(400_000)),
            "1082": Limit(cap_ore=kr(300_000)),
            "1084": Limit(floor_ore=kr(400_000)),
        },
        target_groups={"elderly": GroupRule(min_count=1)},
        organisation=OrganisationRule(max_grants=1),
        min_score=2.0,
        locked_out=frozenset({"e"}),
        labels=LABELS,
    )


def bl_shaped(n: int, *, gap: float) -> Problem:
    """n applications like BL's: three bands, five regions with floors by homes, three
    target groups with a minimum count, at most two grants per organisation, half the money
    asked for."""
    rng = np.random.default_rng(n)
    regions = ("1081", "1082", "1083", "1084", "1085")
    homes = np.array([60, 115, 105, 245, 65]) / 590
    kroner = rng.choice([25_000, 40_000, 75_000, 150_000, 400_000], size=n)
    groups = ("children", "adults", "elderly")
    candidates = tuple(
        Candidate(
            id=f"a{i:05d}",
            score=float(np.round(rng.uniform(1, 5), 2)),
            amount_ore=kr(int(kroner[i])),
            band="1" if kroner[i] < 50_000 else "2" if kroner[i] < 100_000 else "3",
            region=regions[rng.choice(5, p=homes)],
            organisation=f"org{rng.integers(n // 4)}",
            target_groups=(groups[rng.choice(3, p=(0.5, 0.42, 0.08))],),
        )
        for i in range(n)
    )
    asked = sum(c.amount_ore for c in candidates)
    return Problem(
        budget_ore=asked // 2,
        candidates=candidates,
        regions={
            r: Limit(floor_share=round(0.6 * h, 4)) for r, h in zip(regions, homes, strict=True)
        },
        target_groups={g: GroupRule(min_count=n // 40) for g in groups},
        organisation=OrganisationRule(max_grants=2),
        gap=gap,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclasses.dataclass
class Calls:
    """What each HiGHS call of the solve was given: (search or relaxation, seconds left)."""

    given: list[tuple[bool, float]] = dataclasses.field(default_factory=list)


def hard(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, uses: Callable[[bool, float], float]
) -> Calls:
    """Every HiGHS call takes ``uses(integer, seconds left)`` seconds of the fake clock."""
    calls = Calls()
    build = mip._highs

    def timed(*args: Any, integer: bool, deadline: Deadline, **kwargs: Any) -> Any:
        left = deadline.left()
        calls.given.append((integer, left))
        highs = build(*args, integer=integer, deadline=deadline, **kwargs)
        clock.now += uses(integer, left)
        return highs

    monkeypatch.setattr(mip, "_highs", timed)
    return calls
