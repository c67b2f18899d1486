"""Payment plans as plain data: which share of a grant is paid when, and the exact split.

Pure, free of the database, so hypothesis can test it: ``split`` divides a commitment in øre
by whole-percent shares with the largest-remainder method, so the instalments always sum to
the commitment exactly and no instalment is more than one øre from its exact share.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Trigger(StrEnum):
    """What an instalment waits for before it is due."""

    ACCEPTANCE = "acceptance"
    FINAL_REPORT = "final_report"


@dataclass(frozen=True)
class Part:
    """A share (whole percent) of the grant, paid when ``on`` has happened."""

    percent: int
    on: Trigger


@dataclass(frozen=True)
class Rule:
    """From ``from_amount_ore`` upward (until the next rule), the grant is paid in ``parts``."""

    from_amount_ore: int
    parts: tuple[Part, ...]


# "Up to 100.000 kr. in full on acceptance; above, 80 % on acceptance and 20 % when the final
# report is approved": the pools' common rule, used where no pool up the tree sets its own.
DEFAULT_RULES = (
    Rule(0, (Part(100, Trigger.ACCEPTANCE),)),
    Rule(10_000_001, (Part(80, Trigger.ACCEPTANCE), Part(20, Trigger.FINAL_REPORT))),
)


def parts_problem(parts: Sequence[Part]) -> str | None:
    """Why ``parts`` cannot be a plan (in English, for the caller to word), or None."""
    if not parts:
        return "empty"
    if any(type(p.percent) is not int or p.percent <= 0 for p in parts):
        return "percent"
    if sum(p.percent for p in parts) != 100:
        return "sum"
    return None


def rule_for(rules: Sequence[Rule], amount_ore: int) -> Rule:
    """The rule with the highest ``from_amount_ore`` not above ``amount_ore``."""
    fitting = [rule for rule in rules if rule.from_amount_ore <= amount_ore]
    return max(fitting, key=lambda rule: rule.from_amount_ore) if fitting else DEFAULT_RULES[0]


def split(total_ore: int, percents: Sequence[int]) -> list[int]:
    """``total_ore`` divided by ``percents`` (summing to 100), largest remainder first; ties
    go to the earlier part, so the split is the same every time."""
    floors = [total_ore * p // 100 for p in percents]
    remainders = [total_ore * p % 100 for p in percents]
    missing = total_ore - sum(floors)
    order = sorted(range(len(percents)), key=lambda i: (-remainders[i], i))
    for i in order[:missing]:
        floors[i] += 1
    return floors
