"""The answer to an allocation problem as plain data, and its JSON form (docs/allocation.md)."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pulje.allocation.solver.problem import FORMAT_VERSION, Method, Objective


class Status(StrEnum):
    OPTIMAL = "optimal"  # proven optimal within the problem's gap
    FEASIBLE = "feasible"  # a selection meeting every rule; not proven optimal (time limit)
    INFEASIBLE = "infeasible"  # no selection meets every rule: see ``conflicts``
    TIME_LIMIT = "time_limit"  # the solver found no selection in the time allowed
    DONE = "done"  # a rule-based method (greedy, first come, lottery, envelopes) ran


class ReasonCode(StrEnum):
    LOCKED_IN = "locked_in"
    SELECTED = "selected"
    SELECTED_REDUCED = "selected_reduced"
    SELECTED_FOR_RULE = "selected_for_rule"  # chosen over better-scored ones to meet a floor
    DRAWN = "drawn"
    LOCKED_OUT = "locked_out"
    BELOW_MIN_SCORE = "below_min_score"
    BELOW_THRESHOLD = "below_threshold"
    BLOCKED = "blocked"  # would break a rule (budget, band, region cap, organisation limit)
    DISPLACED_BY_RULE = "displaced_by_rule"  # left out so that a floor can be met
    BELOW_CUTOFF = "below_cutoff"
    NOT_REACHED = "not_reached"  # the money ran out before its turn (first come, lottery)
    UNSOLVED = "unsolved"  # the problem has no solution


SELECTING = frozenset(
    {
        ReasonCode.LOCKED_IN,
        ReasonCode.SELECTED,
        ReasonCode.SELECTED_REDUCED,
        ReasonCode.SELECTED_FOR_RULE,
        ReasonCode.DRAWN,
    }
)


@dataclass(frozen=True)
class Outcome:
    """One candidate's result: granted or not, the amount, and why, in plain Danish."""

    id: str
    selected: bool
    amount_ore: int
    rank: int  # 1 = first by score, then submission time, then id
    reason: ReasonCode
    text: str
    rule: str = ""  # the key of the rule that decided, when one did


@dataclass(frozen=True)
class RuleUsage:
    """How much of a rule the selection uses. ``unit`` is "ore" or "count"; for a share rule
    ``limit`` and ``used`` are in the same unit and ``limit`` is the share of the total."""

    key: str
    label: str
    sense: str  # "le" (a cap) or "ge" (a floor)
    unit: str
    limit: int
    used: int
    binding: bool
    met: bool
    fairness: bool

    @property
    def slack(self) -> int:
        return self.limit - self.used if self.sense == "le" else self.used - self.limit


@dataclass(frozen=True)
class Conflict:
    """Rules that cannot all be met together, and why, in Danish."""

    rules: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class PriceOfFairness:
    # The best objective with no rules for regions/groups/orgs; None when not proven in time.
    objective_without: float | None
    lost: float
    share: float  # lost / objective_without, 0–1
    # The exact method's price is within its gap of nothing (lost and share are then 0): no
    # figure can be told from the solver's tolerance.
    below_gap: bool = False
    # The solve without the rules was not proven within its gap before the time limit (lost
    # and share are then 0): no figure.
    unproven: bool = False


@dataclass(frozen=True)
class Result:
    method: Method
    objective_kind: Objective
    status: Status
    objective: float
    bound: float | None  # the solver's proven bound on the objective (optimal method only)
    gap: float | None  # relative gap between objective and bound
    total_ore: int
    cutoff_score: float | None
    outcomes: tuple[Outcome, ...]
    rules: tuple[RuleUsage, ...]
    conflicts: tuple[Conflict, ...] = ()
    price_of_fairness: PriceOfFairness | None = None
    envelopes: Mapping[str, int] | None = None  # region → øre (envelopes and lottery)
    seed: str | None = None
    seconds: float = 0.0
    # The time limit (or a person's stop) cut the solve short: the selection is the best
    # found, with the bound and gap reached; a price of fairness or a conflict may be
    # unfinished.
    stopped: bool = False

    @property
    def selected(self) -> tuple[Outcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.selected)

    @property
    def amounts(self) -> dict[str, int]:
        return {outcome.id: outcome.amount_ore for outcome in self.outcomes if outcome.selected}

    @property
    def met_all_rules(self) -> bool:
        return self.status != Status.INFEASIBLE and all(rule.met for rule in self.rules)

    @property
    def broken_rules(self) -> tuple[RuleUsage, ...]:
        return tuple(rule for rule in self.rules if not rule.met)


def result_to_json(result: Result) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "method": result.method.value,
        "objective_kind": result.objective_kind.value,
        "status": result.status.value,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "total_ore": result.total_ore,
        "cutoff_score": result.cutoff_score,
        "met_all_rules": result.met_all_rules,
        "seconds": round(result.seconds, 4),
        "stopped": result.stopped,
        "seed": result.seed,
        "envelopes": dict(result.envelopes) if result.envelopes is not None else None,
        "price_of_fairness": (
            {
                "objective_without": result.price_of_fairness.objective_without,
                "lost": result.price_of_fairness.lost,
                "share": result.price_of_fairness.share,
                "below_gap": result.price_of_fairness.below_gap,
                "unproven": result.price_of_fairness.unproven,
            }
            if result.price_of_fairness
            else None
        ),
        "conflicts": [
            {"rules": list(conflict.rules), "text": conflict.text} for conflict in result.conflicts
        ],
        "rules": [
            {
                "key": rule.key,
                "label": rule.label,
                "sense": rule.sense,
                "unit": rule.unit,
                "limit": rule.limit,
                "used": rule.used,
                "binding": rule.binding,
                "met": rule.met,
                "fairness": rule.fairness,
            }
            for rule in result.rules
        ],
        "candidates": [
            {
                "id": outcome.id,
                "selected": outcome.selected,
                "amount_ore": outcome.amount_ore,
                "rank": outcome.rank,
                "reason": outcome.reason.value,
                "rule": outcome.rule,
                "text": outcome.text,
            }
            for outcome in result.outcomes
        ],
    }


def result_from_json(data: Mapping[str, Any]) -> Result:
    """Read back what ``result_to_json`` wrote (a stored run)."""
    fairness = data.get("price_of_fairness")
    envelopes = data.get("envelopes")
    return Result(
        method=Method(data["method"]),
        objective_kind=Objective(data["objective_kind"]),
        status=Status(data["status"]),
        objective=data["objective"],
        bound=data.get("bound"),
        gap=data.get("gap"),
        total_ore=data["total_ore"],
        cutoff_score=data.get("cutoff_score"),
        seconds=data.get("seconds", 0.0),
        stopped=data.get("stopped", False),
        seed=data.get("seed"),
        envelopes=dict(envelopes) if envelopes is not None else None,
        price_of_fairness=PriceOfFairness(**fairness) if fairness else None,
        conflicts=tuple(
            Conflict(rules=tuple(item["rules"]), text=item["text"])
            for item in data.get("conflicts", [])
        ),
        rules=tuple(
            RuleUsage(
                key=item["key"],
                label=item["label"],
                sense=item["sense"],
                unit=item["unit"],
                limit=item["limit"],
                used=item["used"],
                binding=item["binding"],
                met=item["met"],
                fairness=item["fairness"],
            )
            for item in data.get("rules", [])
        ),
        outcomes=tuple(
            Outcome(
                id=item["id"],
                selected=item["selected"],
                amount_ore=item["amount_ore"],
                rank=item["rank"],
                reason=ReasonCode(item["reason"]),
                rule=item.get("rule", ""),
                text=item["text"],
            )
            for item in data.get("candidates", [])
        ),
    )
