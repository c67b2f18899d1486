"""Why: how a selection uses every rule, and a reason in plain Danish for every candidate."""

import math
from fractions import Fraction

import numpy as np

from pulje.allocation.solver.problem import Method
from pulje.allocation.solver.result import Outcome, ReasonCode, RuleUsage
from pulje.allocation.solver.rules import BoolArray, Compiled, IntArray, Row
from pulje.core.dkk import format_dkk

# The rule named when several would block a candidate: the most specific one.
_PRIORITY = ("organisation:", "region:", "group:", "band:", "budget")


def _is_money(row: Row) -> bool:
    """The budget or a band's budget: rules on the money itself rather than its spread."""
    return row.key == "budget" or row.key.startswith("band:")


def score_text(score: float) -> str:
    return f"{score:.2f}".replace(".", ",")


def _share_text(share: float) -> str:
    return f"{share * 100:.1f} %".replace(".", ",")


def _money_text(row: Row, usage: RuleUsage) -> str:
    """The budget or a band's budget with its amount: the run's budget is the run's, never
    all the pool has."""
    name = "kørslens budget" if row.key == "budget" else usage.label
    return f"{name} på {format_dkk(usage.limit)}"


def rule_usage(
    compiled: Compiled, granted: IntArray, free: IntArray | None = None
) -> list[RuleUsage]:
    """Every rule with its limit, what the selection uses of it, whether it is met, and
    whether it binds: a cap binds when it keeps out a candidate that would otherwise fit; a
    floor binds when the selection without the fairness rules (``free``, when known) would
    break it — the rule changed the outcome — or else when taking away any one grant under it
    would break it."""
    chosen = granted > 0
    open_ = compiled.eligible & ~chosen
    total = int(granted.sum())
    usages = []
    for row in compiled.rows:
        used, limit = compiled.usage(row, granted)
        members = row.members
        if row.sense == "le":
            blocked = _blocked(compiled, row, members[open_[members]], granted)
            binding = bool(blocked.any())
        elif free is not None:
            binding = not compiled.meets(row, free)
        else:
            inside = members[chosen[members]]
            if not len(inside):
                binding = False
            elif row.measure == "count":
                binding = used - 1 < limit
            elif row.share:
                smallest = int(granted[inside].min())
                binding = used - smallest < row.limit * (total - smallest)
            else:
                binding = used - int(granted[inside].min()) < limit
        label = row.label
        if row.share:
            label = f"{label} ({_share_text(float(row.limit))})"
        usages.append(
            RuleUsage(
                key=row.key,
                label=label,
                sense=row.sense,
                unit="count" if row.measure == "count" else "ore",
                limit=limit,
                used=used,
                binding=binding,
                met=compiled.meets(row, granted),
                fairness=row.fairness,
            )
        )
    return usages


def _blocked(compiled: Compiled, row: Row, candidates: IntArray, granted: IntArray) -> BoolArray:
    """Which of ``candidates`` (not granted, all members of a cap ``row``) would break it if
    granted their lowest acceptable amount, exactly."""
    used, limit = compiled.usage(row, granted)
    if row.measure == "count":
        return np.full(len(candidates), used + 1 > limit)
    lowest = compiled.lowest[candidates]
    if row.share:
        # used + l > s (T + l)  ⇔  l (1 − s) > s T − used, in whole øre l.
        share = Fraction(row.limit)
        if share >= 1:
            return np.zeros(len(candidates), dtype=np.bool_)
        room = (share * int(granted.sum()) - used) / (1 - share)
        return lowest > math.floor(room)
    return lowest + used > limit


def _hurts_share_floor(
    compiled: Compiled, row: Row, others: IntArray, granted: IntArray
) -> BoolArray:
    """Which of ``others`` (outside a share floor's group) would break it if granted their
    lowest amount: used < s (T + l)  ⇔  s l > used − s T, exactly."""
    share = Fraction(row.limit)
    if share <= 0:
        return np.zeros(len(others), dtype=np.bool_)
    used, _limit = compiled.usage(row, granted)
    room = (used - share * int(granted.sum())) / share
    return compiled.lowest[others] > math.floor(room)


def _blocking_rows(compiled: Compiled, granted: IntArray) -> IntArray:
    """For every candidate, the index of the first rule (by _PRIORITY) that keeps it out given
    the selection, or -1."""
    open_ = compiled.eligible & (granted == 0)
    blocking = np.full(compiled.n, -1, dtype=np.int64)
    ordered = sorted(
        range(len(compiled.rows)),
        key=lambda i: next(
            place
            for place, prefix in enumerate(_PRIORITY)
            if compiled.rows[i].key.startswith(prefix)
        ),
    )
    for i in ordered:
        row = compiled.rows[i]
        if row.sense == "le":
            members = row.members[open_[row.members]]
            hit = members[_blocked(compiled, row, members, granted)]
        elif row.share:
            # Granting someone outside a share floor's group lowers the group's share.
            outside = np.ones(compiled.n, dtype=np.bool_)
            outside[row.members] = False
            others = np.flatnonzero(open_ & outside)
            hit = others[_hurts_share_floor(compiled, row, others, granted)]
        else:
            continue
        hit = hit[blocking[hit] == -1]
        blocking[hit] = i
    return blocking


class _Explainer:
    """The facts every reason is drawn from, worked out once for all candidates."""

    def __init__(
        self,
        compiled: Compiled,
        granted: IntArray,
        usages: list[RuleUsage],
        free: IntArray | None,
        draw_position: dict[int, int] | None,
    ) -> None:
        self.compiled = compiled
        self.problem = compiled.problem
        self.granted = granted
        self.free = free
        self.draw_position = draw_position
        self.chosen = granted > 0
        self.blocking = _blocking_rows(compiled, granted)
        # Per candidate as Python values and texts, read once: a reason is drawn for every
        # candidate, and NumPy's scalar indexing and the formatting were most of its time.
        self.chosen_at = self.chosen.tolist()
        self.granted_at = granted.tolist()
        self.locked_in_at = compiled.locked_in.tolist()
        self.blocking_at = self.blocking.tolist()
        self.free_at = None if free is None else free.tolist()
        self.score_at = [score_text(candidate.score) for candidate in compiled.candidates]
        self.asked_at = [format_dkk(candidate.amount_ore) for candidate in compiled.candidates]
        self.by_key = {usage.key: usage for usage in usages}
        self.floors = [
            usage.key
            for usage in usages
            if usage.binding and usage.sense == "ge" and usage.fairness
        ]
        self.floor_members = {
            row.key: set(row.members.tolist()) for row in compiled.rows if row.key in self.floors
        }
        # The cut-off is the lowest score granted on merit: not counting candidates locked in
        # or granted only to meet a floor.
        forced = np.zeros(compiled.n, dtype=np.bool_)
        if free is not None:
            for i in np.flatnonzero(self.chosen & (free == 0)).tolist():
                forced[i] = bool(self.floor_for(i))
        counted = self.chosen & ~compiled.locked_in & ~forced
        if not counted.any():
            counted = self.chosen & ~compiled.locked_in
        self.cutoff = float(compiled.score[counted].min()) if counted.any() else None
        self.cutoff_text = score_text(self.cutoff or 0.0)

    def floor_for(self, i: int) -> str:
        """The first binding fairness floor candidate ``i`` counts towards, or ""."""
        return next((key for key in self.floors if i in self.floor_members[key]), "")

    def asked_with_lowest(self, i: int) -> str:
        """What candidate ``i`` asks for, and the least it can be cut to when that is less."""
        lowest = int(self.compiled.lowest[i])
        if lowest < self.compiled.candidates[i].amount_ore:
            return f"{self.asked_at[i]} (og kan nedsættes til {format_dkk(lowest)})"
        return self.asked_at[i]

    def outcome(self, i: int) -> Outcome:
        chosen = self.chosen_at[i]
        code, text, rule = self.selected(i) if chosen else self.left_out(i)
        return Outcome(
            id=self.compiled.candidates[i].id,
            selected=chosen,
            amount_ore=self.granted_at[i],
            rank=i + 1,
            reason=code,
            text=text,
            rule=rule,
        )

    def selected(self, i: int) -> tuple[ReasonCode, str, str]:
        candidate = self.compiled.candidates[i]
        score = self.score_at[i]
        amount = self.granted_at[i]
        method = self.problem.method
        asked = self.asked_at[i]
        granted = f"{format_dkk(amount)} af de søgte {asked}"
        if amount == candidate.amount_ore:
            granted = f"de søgte {asked}"
        if self.locked_in_at[i]:
            text = f"Låst ind af sagsbehandleren: får {granted}"  # ends with "kr."
            if amount < candidate.amount_ore:
                text = f"Låst ind af sagsbehandleren – nedsat fra {asked} til {format_dkk(amount)}"
            return ReasonCode.LOCKED_IN, text, ""
        if self.free_at is not None and self.free_at[i] == 0 and (rule := self.floor_for(i)):
            text = (
                f"Får {granted} for at opfylde {self.by_key[rule].label}, selv om andre "
                f"ansøgninger har en højere score (scoren er {score})."
            )
            return ReasonCode.SELECTED_FOR_RULE, text, rule
        if amount < candidate.amount_ore:
            text = f"Får {granted}, så pengene rækker til flere gode projekter (scoren er {score})."
            return ReasonCode.SELECTED_REDUCED, text, ""
        if method == Method.LOTTERY and self.draw_position is not None:
            text = f"Trukket ved lodtrækningen som nr. {self.draw_position[i]}: får {granted}"
            return ReasonCode.DRAWN, text, ""
        if method == Method.FIRST_COME:
            text = f"Ansøgningen kom, mens der var penge: får {granted}"
            return ReasonCode.SELECTED, text, ""
        assert self.cutoff is not None  # a candidate is chosen and not locked in
        cutoff = self.cutoff_text
        text = f"Scoren {score} er på eller over grænsen for tilsagn ({cutoff}): får {granted}"
        return ReasonCode.SELECTED, text, ""

    def excluded(self, i: int) -> tuple[ReasonCode, str, str] | None:
        """Why a candidate could not be chosen at all, if it could not."""
        compiled, problem = self.compiled, self.problem
        score = self.score_at[i]
        asked = self.asked_at[i]
        if compiled.locked_out[i]:
            text = f"Låst ude af sagsbehandleren: afslag på de søgte {asked}"
            return ReasonCode.LOCKED_OUT, text, ""
        if compiled.below_min[i]:
            minimum = score_text(problem.min_score or 0.0)
            text = f"Scoren {score} er under minimumsscoren {minimum}: afslag på de søgte {asked}"
            return ReasonCode.BELOW_MIN_SCORE, text, ""
        drawn = self.draw_position or {}
        if problem.lottery is not None and problem.method == Method.LOTTERY and i not in drawn:
            threshold = score_text(problem.lottery.threshold)
            text = (
                f"Scoren {score} er under grænsen {threshold} for at komme med i "
                f"lodtrækningen: afslag på de søgte {asked}"
            )
            return ReasonCode.BELOW_THRESHOLD, text, ""
        return None

    def left_out(self, i: int) -> tuple[ReasonCode, str, str]:
        if (reason := self.excluded(i)) is not None:
            return reason
        candidate = self.compiled.candidates[i]
        score = self.score_at[i]
        below = self.cutoff is not None and candidate.score < self.cutoff
        # A rule of its own (an organisation limit, a region cap) is named first; an empty
        # purse only after a floor that pushed the candidate out.
        blocking = self.blocking_at[i]
        rule = self.compiled.rows[blocking] if blocking >= 0 else None
        if rule is not None and not _is_money(rule):
            return self.blocked(i, rule, below)
        if self.free_at is not None and self.free_at[i] > 0 and self.floors:
            floor = self.floors[0]
            text = (
                f"Afslag på de søgte {self.asked_at[i]} for at opfylde "
                f"{self.by_key[floor].label}: uden den regel havde ansøgningen fået "
                f"{format_dkk(self.free_at[i])} (scoren er {score})."
            )
            return ReasonCode.DISPLACED_BY_RULE, text, floor
        if rule is not None:
            return self.blocked(i, rule, below)
        asked = self.asked_at[i]
        if below:
            cutoff = self.cutoff_text
            text = (
                f"Scoren {score} er under grænsen for tilsagn ({cutoff}): afslag på de søgte "
                f"{asked}"
            )
            return ReasonCode.BELOW_CUTOFF, text, ""
        text = (
            f"Afslag på de søgte {asked}: en anden kombination af ansøgninger giver mere for "
            f"pengene (scoren er {score})."
        )
        return ReasonCode.BELOW_CUTOFF, text, ""

    def blocked(self, i: int, row: Row, below: bool) -> tuple[ReasonCode, str, str]:
        """Left out because granting it would break ``row``; for the money of the whole
        budget or a band, a low score is the reason, the empty purse only its consequence."""
        usage = self.by_key[row.key]
        score = self.score_at[i]
        asked = self.asked_with_lowest(i)
        if row.sense == "ge":
            text = f"Afslag på de søgte {asked}: med dem ville {usage.label} ikke være opfyldt."
            return ReasonCode.BLOCKED, text, row.key
        if row.measure == "count":
            text = f"Afslag på de søgte {asked}: reglen om {usage.label} er nået."
            return ReasonCode.BLOCKED, text, row.key
        left = format_dkk(max(usage.limit - usage.used, 0))
        money = _is_money(row)
        purse = _money_text(row, usage) if money else f"{usage.label} på {format_dkk(usage.limit)}"
        spent = (
            f"{purse} er brugt" if usage.used >= usage.limit else f"{purse} har kun {left} tilbage"
        )
        if money and self.problem.method in (Method.FIRST_COME, Method.LOTTERY):
            place = (
                f" (nr. {self.draw_position[i]} i lodtrækningen)"
                if self.draw_position is not None and i in self.draw_position
                else ""
            )
            text = (
                f"Pengene slap op, før det blev ansøgningens tur{place}: ansøgningen søger "
                f"{asked}, og {spent}."
            )
            return ReasonCode.NOT_REACHED, text, row.key
        if money and below:
            text = (
                f"Scoren {score} er under grænsen for tilsagn ({self.cutoff_text}): "
                f"pengene gik til ansøgninger med en højere score. Ansøgningen søger {asked}, "
                f"og {spent}."
            )
            return ReasonCode.BELOW_CUTOFF, text, row.key
        text = f"Afslag, selv om scoren er {score}: ansøgningen søger {asked}, og {spent}."
        return ReasonCode.BLOCKED, text, row.key


def explain(
    compiled: Compiled,
    granted: IntArray,
    usages: list[RuleUsage],
    *,
    free: IntArray | None = None,
    draw_position: dict[int, int] | None = None,
) -> tuple[list[Outcome], float | None]:
    """Every candidate's outcome and reason, in rank order, and the cut-off score (the lowest
    score granted, apart from candidates locked in). ``free`` is the same method's selection
    without the fairness rules: a candidate granted only with them was chosen to meet a floor,
    one granted only without them was displaced by one."""
    explainer = _Explainer(compiled, granted, usages, free, draw_position)
    return [explainer.outcome(i) for i in range(compiled.n)], explainer.cutoff
