"""``solve``: run a problem's method, check the answer against every rule, and explain it."""

import dataclasses
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from pulje.allocation.solver.deadline import Clock, Deadline, StopRequested
from pulje.allocation.solver.explain import explain, rule_usage
from pulje.allocation.solver.fill import fill
from pulje.allocation.solver.mip import solve_mip
from pulje.allocation.solver.model import objective_value
from pulje.allocation.solver.problem import Method, Objective, Problem, exact_share
from pulje.allocation.solver.result import (
    Conflict,
    Outcome,
    PriceOfFairness,
    ReasonCode,
    Result,
    RuleUsage,
    Status,
)
from pulje.allocation.solver.rules import Compiled, IntArray, Row
from pulje.allocation.solver.ties import in_rank_order
from pulje.core.dkk import format_dkk


def solve(
    problem: Problem, *, clock: Clock = time.monotonic, stop: StopRequested | None = None
) -> Result:
    """Solve ``problem`` with its method. Never raises for a problem that was read: a problem
    no selection can meet comes back with status "infeasible" and the conflicting rules.

    The whole solve keeps to the problem's ``time_limit`` on ``clock`` (model building, the
    selection, the price of fairness and the conflicts' reasons): each HiGHS call gets what
    is left (the price of fairness no longer than the selection took, or a second). When the
    time runs out, or ``stop`` says a person stopped it, the result is the
    best selection proven so far with the bound and gap it reached (status "feasible"), a
    price of fairness not proven in the time is marked ``unproven``, and ``stopped`` says
    the limit was reached."""
    started = time.perf_counter()
    deadline = Deadline(problem.time_limit, clock=clock, stop=stop)
    compiled = Compiled(problem)
    conflicts = _lock_conflicts(compiled)
    if problem.method == Method.OPTIMAL:
        conflicts += _fairness_conflicts(compiled)
    if conflicts:
        return _unsolved(compiled, Status.INFEASIBLE, conflicts, started)

    bound = gap = None
    draw_position = envelopes = None
    if problem.method == Method.OPTIMAL:
        answer = _solve_exact(compiled, deadline)
        if answer is None:
            return _unsolved(compiled, Status.TIME_LIMIT, [], started, stopped=True)
        if isinstance(answer, _Diagnosis):
            return _unsolved(
                compiled, Status.INFEASIBLE, answer.conflicts, started, stopped=not answer.complete
            )
        granted, status, bound, gap = answer.granted, answer.status, answer.bound, answer.gap
    else:
        filled = fill(compiled)
        granted, status = filled.granted, Status.DONE
        draw_position, envelopes = filled.draw_position, filled.envelopes

    objective = objective_value(compiled, granted)
    # The price of fairness is a figure beside the answer: it gets what is left, but no longer
    # than the selection took (at least a second), so a search without the rules that stalls
    # (the count objective at 10,000 did, bench/allocate.py) does not hold the answer back.
    price_deadline = deadline.sooner(max(_PRICE_SECONDS, deadline.elapsed()))
    price, free, unproven = _price_of_fairness(compiled, objective, price_deadline)
    usages = rule_usage(compiled, granted, free)
    outcomes, cutoff = explain(compiled, granted, usages, free=free, draw_position=draw_position)
    return Result(
        method=problem.method,
        objective_kind=problem.objective,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        total_ore=int(granted.sum()),
        cutoff_score=cutoff,
        outcomes=tuple(outcomes),
        rules=tuple(usages),
        price_of_fairness=price,
        envelopes=envelopes,
        seed=_seed(problem),
        seconds=time.perf_counter() - started,
        stopped=status == Status.FEASIBLE or unproven,
    )


_PRICE_SECONDS = 1.0


def _price_of_fairness(
    compiled: Compiled, objective: float, deadline: Deadline
) -> tuple[PriceOfFairness | None, IntArray | None, bool]:
    """What the rules for fairness cost: the same method without them, in the time left;
    with the selection without them, and whether the time ran out before it was proven."""
    problem = compiled.problem
    if not problem.has_fairness:
        return None, None, False
    free_compiled = compiled.without_fairness()
    if problem.method != Method.OPTIMAL:
        free = fill(free_compiled).granted
    else:
        answer = _solve_exact(free_compiled, deadline)
        if not isinstance(answer, _Exact) or answer.status != Status.OPTIMAL:
            # Not proven within the gap in the time left: no figure, and no reasons that
            # rest on the selection without the rules.
            return PriceOfFairness(None, lost=0.0, share=0.0, unproven=True), None, True
        free = answer.granted
    without = objective_value(free_compiled, free)
    lost = without - objective
    # Both objectives are proven only within the gap: a smaller price (or a negative one) is
    # no figure, only "below the gap".
    tolerance = problem.gap * without if problem.method == Method.OPTIMAL else 0.0
    below_gap = lost <= tolerance and problem.method == Method.OPTIMAL
    if below_gap:
        lost = 0.0
    price = PriceOfFairness(
        objective_without=without,
        lost=lost,
        share=lost / without if without else 0.0,
        below_gap=below_gap,
    )
    return price, free, False


def _seed(problem: Problem) -> str | None:
    """The lottery's published seed, with every result of a lottery, solved or not."""
    return problem.lottery.seed if problem.lottery and problem.method == Method.LOTTERY else None


def broken_rules(problem: Problem, amounts: Mapping[str, int]) -> list[RuleUsage]:
    """The rules a selection (candidate id → øre granted) breaks; empty when it meets all."""
    compiled = Compiled(problem)
    granted = np.zeros(compiled.n, dtype=np.int64)
    for candidate_id, amount in amounts.items():
        granted[compiled.index[candidate_id]] = amount
    return [usage for usage in rule_usage(compiled, granted) if not usage.met]


@dataclass(frozen=True)
class _Exact:
    granted: IntArray
    status: Status  # optimal (within the gap), or feasible (stopped at the time limit)
    bound: float | None
    gap: float | None


@dataclass(frozen=True)
class _Diagnosis:
    conflicts: list[Conflict]
    # Whether the deletion filter finished in the time; else the rules conflict, but may not
    # all be needed.
    complete: bool


# Tries at a selection that meets every rule exactly: each tightens what broke ten times
# more than the last.
_ATTEMPTS = 6


def _shortfall(compiled: Compiled, row: Row, granted: IntArray) -> int:
    """How far ``granted`` is from meeting ``row``, exactly, in øre or grants (0 if met)."""
    used, limit = compiled.usage(row, granted)
    return max(limit - used, 0) if row.sense == "ge" else max(used - limit, 0)


def _solve_exact(compiled: Compiled, deadline: Deadline) -> "_Exact | _Diagnosis | None":
    """The exact selection; the conflicting rules when there is none; None when the solver
    found nothing in the time left of ``deadline``.

    The programme's objective is the problem's own, with no bonus for rank in it, so with
    gap 0 the answer is the optimum itself and bound and gap are the objective's. HiGHS's
    tolerances may let a selection break a rule by a few øre of a share or of the budget, so
    the answer is checked against every rule exactly in whole øre (shares as exact fractions
    of the total), and each rule that broke is tightened by what was missing, ten times more
    on each try, and the problem solved again. Then candidates alike in everything the rules
    and the objective see are granted in rank order (``ties``), and every krone cut that no
    rule needs is given back."""
    most = _most_grants(compiled)
    if most is not None:
        count = float(np.count_nonzero(most))
        granted = in_rank_order(compiled, _give_back_cuts(compiled, most))
        return _Exact(granted, Status.OPTIMAL, count, 0.0)
    rows = list(compiled.rows)
    for attempt in range(_ATTEMPTS):
        if deadline.passed:
            return None
        answer = solve_mip(compiled, rows=rows, deadline=deadline)
        if answer.status == "infeasible":
            return _diagnose(compiled, deadline)
        if answer.granted is None:
            return None
        granted = answer.granted
        short = [_shortfall(compiled, row, granted) for row in compiled.rows]
        if not any(short):
            status = Status.OPTIMAL if answer.status == "optimal" else Status.FEASIBLE
            granted = in_rank_order(compiled, _give_back_cuts(compiled, granted))
            return _Exact(granted, status, answer.bound, answer.gap)
        rows = [
            dataclasses.replace(row, margin=row.margin + (missing + 1) * 10**attempt)
            if missing
            else row
            for row, missing in zip(rows, short, strict=True)
        ]
    return None


def _most_grants(compiled: Compiled) -> IntArray | None:
    """The most grants the budget and the bands' budgets allow, exactly in whole øre and
    without a search, when those are the only rules (the count objective without the rules
    for fairness, as the price of fairness solves it; HiGHS's search for it could stall at
    10,000 until the limit, bench/allocate.py); None for any other problem, or when the locks
    do not fit.

    Each candidate costs the least it can be granted (``Compiled.lowest``: where reductions
    are allowed, the least multiple of the reduction unit at or above its lowest amount).
    Some selection with the most grants takes, in each band, that band's cheapest candidates
    (swapping a granted one for a cheaper one of its band breaks no budget), and taking the
    cheapest candidates across all bands one at a time, skipping those whose band's budget
    is spent, gives for every number of grants the least money that number can cost (the
    cost of a band's k cheapest grows faster with each k): so the greedy fill cheapest first
    is optimal. Equal costs go in rank order."""
    problem = compiled.problem
    if problem.objective != Objective.COUNT or problem.method != Method.OPTIMAL:
        return None
    if any(row.key != "budget" and not row.key.startswith("band:") for row in compiled.rows):
        return None
    cost = compiled.lowest
    room = {row.key: int(row.limit) for row in compiled.rows}
    band_of = [f"band:{candidate.band}" for candidate in compiled.candidates]
    granted = np.zeros(compiled.n, dtype=np.int64)
    forced = np.flatnonzero(compiled.locked_in & compiled.eligible)
    free = np.flatnonzero(compiled.eligible & ~compiled.locked_in)
    order = np.concatenate([forced, free[np.argsort(cost[free], kind="stable")]])
    for i in order.tolist():
        price = int(cost[i])
        band = band_of[i]
        if price > room["budget"] or price > room.get(band, price):
            if compiled.locked_in[i]:
                return None
            continue
        room["budget"] -= price
        if band in room:
            room[band] -= price
        granted[i] = price
    return granted


def _give_back_cuts(compiled: Compiled, granted: IntArray) -> IntArray:
    """Raise every reduced grant, best ranked first, as far as every rule allows: a cut only
    stands where one reduction unit more (or the full amount) would break a rule. The
    objectives participants and count do not see the amounts, and the solver's answer may
    cut more than it needs to."""
    reduced = np.flatnonzero((granted > 0) & (granted < compiled.amount))
    if not len(reduced):
        return granted
    granted = granted.copy()
    wanted = set(reduced.tolist())
    caps_of: dict[int, list[Row]] = defaultdict(list)
    for row in compiled.rows:
        if row.sense == "le" and row.measure == "amount" and not row.share:
            for member in wanted.intersection(row.members.tolist()):
                caps_of[member].append(row)
    shares = [row for row in compiled.rows if row.share]
    unit = compiled.problem.reduction_unit_ore
    for i in reduced.tolist():
        caps = caps_of[i]
        room = min(
            (int(row.limit) - compiled.usage(row, granted)[0] for row in caps),
            default=int(compiled.amount[i] - granted[i]),
        )
        # The full amount if it fits, else the most multiple of the reduction unit that does.
        asked = int(compiled.amount[i])
        raised = asked if granted[i] + room >= asked else (granted[i] + room) // unit * unit
        step = int(raised - granted[i])
        if step <= 0:
            continue
        granted[i] += step
        if not all(compiled.meets(row, granted) for row in shares):
            granted[i] -= step
    return granted


def _unsolved(
    compiled: Compiled,
    status: Status,
    conflicts: list[Conflict],
    started: float,
    *,
    stopped: bool = False,
) -> Result:
    text = (
        "Ingen fordeling kan opfylde alle reglerne; se konflikterne."
        if status == Status.INFEASIBLE
        else "Løseren fandt ingen fordeling inden for tidsgrænsen."
    )
    granted = np.zeros(compiled.n, dtype=np.int64)
    return Result(
        method=compiled.problem.method,
        objective_kind=compiled.problem.objective,
        status=status,
        objective=0.0,
        bound=None,
        gap=None,
        total_ore=0,
        cutoff_score=None,
        outcomes=tuple(
            Outcome(
                id=candidate.id,
                selected=False,
                amount_ore=0,
                rank=i + 1,
                reason=ReasonCode.UNSOLVED,
                text=text,
            )
            for i, candidate in enumerate(compiled.candidates)
        ),
        rules=tuple(rule_usage(compiled, granted)),
        conflicts=tuple(conflicts),
        seed=_seed(compiled.problem),
        seconds=time.perf_counter() - started,
        stopped=stopped,
    )


def _lock_conflicts(compiled: Compiled) -> list[Conflict]:
    """Candidates locked in that together break a cap on money or grants: no method can keep
    them all. The exact method may cut a lock to its lowest amount, the others grant it in
    full. A cap on a share is left to the methods: grants to others can bring the share down."""
    exact = compiled.problem.method == Method.OPTIMAL
    granted = np.where(compiled.locked_in, compiled.lowest if exact else compiled.amount, 0)
    if not compiled.locked_in.any():
        return []
    conflicts = []
    for row in compiled.rows:
        if row.sense == "le" and not row.share and not compiled.meets(row, granted):
            used, limit = compiled.usage(row, granted)
            if row.measure == "count":  # the only caps on a count are an organisation's
                organisation = row.key.split(":")[1]
                name = compiled.label(f"organisation:{organisation}", organisation)
                what = f"{used} bevillinger til {name}"
                but = f"en organisation kan højst få {limit}."
            else:  # "kr." ends the sentence itself
                what = format_dkk(used)
                but = f"{row.label} tillader højst {format_dkk(limit)}"
            locks = ", ".join(
                compiled.candidates[i].id for i in row.members[compiled.locked_in[row.members]]
            )
            conflicts.append(
                Conflict(
                    rules=("locked_in", row.key),
                    text=(
                        f"De ansøgninger, der er låst ind ({locks}), giver tilsammen {what}, "
                        f"men {but}"
                    ),
                )
            )
    return conflicts


def _fairness_conflicts(compiled: Compiled) -> list[Conflict]:
    """Conflicts that can be seen without solving, said the way a caseworker would."""
    problem = compiled.problem
    conflicts = []
    floors = {region: limit.floor_ore for region, limit in problem.regions.items()}
    floor_total = sum(value for value in floors.values() if value is not None)
    if floor_total > problem.budget_ore:
        conflicts.append(
            Conflict(
                rules=("budget", *(f"region:{r}:floor" for r, v in floors.items() if v)),
                text=(
                    f"Gulvene for regionerne er tilsammen {format_dkk(floor_total)}, men "
                    f"budgettet er kun {format_dkk(problem.budget_ore)}"
                ),
            )
        )
    share_total = sum(
        (exact_share(limit.floor_share or 0.0) for limit in problem.regions.values()), Fraction(0)
    )
    if share_total > 1:
        conflicts.append(
            Conflict(
                rules=tuple(
                    f"region:{r}:floor_share" for r, v in problem.regions.items() if v.floor_share
                ),
                text=(
                    f"Gulvene for regionerne udgør tilsammen {float(share_total) * 100:.0f} % af "
                    "pengene, men de kan højst udgøre 100 %."
                ),
            )
        )
    eligible_amount: dict[str, int] = defaultdict(int)
    for i in np.flatnonzero(compiled.eligible).tolist():
        eligible_amount[compiled.candidates[i].region] += int(compiled.amount[i])
    for region, limit in sorted(problem.regions.items()):
        name = compiled.region_name(region)
        if (
            limit.floor_ore is not None
            and limit.cap_ore is not None
            and limit.floor_ore > limit.cap_ore
        ):
            conflicts.append(
                Conflict(
                    rules=(f"region:{region}:floor", f"region:{region}:cap"),
                    text=f"Gulvet for {name} er højere end loftet.",
                )
            )
        if limit.floor_share and not eligible_amount[region]:
            conflicts.append(
                Conflict(
                    rules=(f"region:{region}:floor_share",),
                    text=(
                        f"Ingen ansøgning fra {name} kan vælges, men mindst "
                        f"{_percent(limit.floor_share)} af pengene skal gå dertil."
                    ),
                )
            )
        if (limit.floor_share or 0) > (1.0 if limit.cap_share is None else limit.cap_share):
            conflicts.append(
                Conflict(
                    rules=(f"region:{region}:floor_share", f"region:{region}:cap_share"),
                    text=f"Andelen, der mindst skal gå til {name}, er højere end loftet.",
                )
            )
        if limit.floor_ore and limit.floor_ore > eligible_amount[region]:
            conflicts.append(
                Conflict(
                    rules=(f"region:{region}:floor",),
                    text=(
                        f"Ansøgerne fra {name} søger tilsammen "
                        f"{format_dkk(eligible_amount[region])}, men gulvet er "
                        f"{format_dkk(limit.floor_ore)}"
                    ),
                )
            )
    for group, rule in sorted(problem.target_groups.items()):
        members = [
            i
            for i in np.flatnonzero(compiled.eligible).tolist()
            if group in compiled.candidates[i].target_groups
        ]
        name = compiled.label(f"group:{group}", group)
        if rule.min_share and not members:
            conflicts.append(
                Conflict(
                    rules=(f"group:{group}:share",),
                    text=(
                        f"Ingen ansøgning til {name} kan vælges, men mindst "
                        f"{_percent(rule.min_share)} af pengene skal gå dertil."
                    ),
                )
            )
        if rule.min_count and rule.min_count > len(members):
            conflicts.append(
                Conflict(
                    rules=(f"group:{group}:count",),
                    text=(
                        f"Kun {len(members)} ansøgning(er) kan vælges til {name}, men reglen "
                        f"kræver mindst {rule.min_count}."
                    ),
                )
            )
    return conflicts


def _percent(share: float) -> str:
    return f"{share * 100:g} %".replace(".", ",")


def _rule_of(row: Row) -> str:
    """The rule a row belongs to when looking for conflicts: one per floor or cap, and the
    organisation limits as one."""
    return "organisation" if row.key.startswith("organisation:") else row.key


def _diagnose(compiled: Compiled, deadline: Deadline) -> _Diagnosis:
    """A smallest set of rules that cannot be met together (deletion filter): drop each rule
    in turn and keep it dropped if the rest still cannot be met. Each lock is a rule of its
    own, so the conflict names the locks that cause it. A rule whose check does not finish
    in the time left is kept: the set still conflicts, but may then not be the smallest
    (``False`` with it)."""
    problem = compiled.problem
    rules = list(dict.fromkeys(_rule_of(row) for row in compiled.rows if row.fairness))
    locks = [f"locked_in:{i}" for i in sorted(problem.locked_in)]
    locks += [f"locked_out:{i}" for i in sorted(problem.locked_out)]
    needed = rules + locks

    def infeasible(kept: list[str]) -> bool:
        relaxed = dataclasses.replace(
            problem,
            locked_in=frozenset(i for i in problem.locked_in if f"locked_in:{i}" in kept),
            locked_out=frozenset(i for i in problem.locked_out if f"locked_out:{i}" in kept),
        )
        trial = Compiled(relaxed)
        rows = [row for row in trial.rows if not row.fairness or _rule_of(row) in kept]
        answer = solve_mip(trial, rows=rows, feasibility_only=True, deadline=deadline)
        return answer.status == "infeasible"

    complete = True
    for rule in list(needed):
        if deadline.passed:
            complete = False
            break
        without = [kept for kept in needed if kept != rule]
        if infeasible(without):
            needed = without
    labels = {row.key: row.label for row in compiled.rows}
    labels.update(organisation="grænserne for organisationerne", budget="budgettet")
    kinds = [rule for rule in needed if not rule.startswith("locked_")]
    named = [labels.get(rule, rule) for rule in kinds]
    for kind, words in (("locked_in", "låst ind"), ("locked_out", "låst ude")):
        ids = [rule.split(":", 1)[1] for rule in needed if rule.startswith(f"{kind}:")]
        if ids:
            kinds.append(kind)
            named.append(f"de ansøgninger, der er {words} ({', '.join(ids)})")
    text = (
        "Inden for budgettet (og båndenes budgetter) kan dette ikke opfyldes: "
        f"{'; '.join(named) or 'reglerne'}."
    )
    if not complete:
        text += " Tidsgrænsen nåede før det var afgjort, hvilke af reglerne der er nødvendige."
    return _Diagnosis([Conflict(rules=tuple(kinds), text=text)], complete)
