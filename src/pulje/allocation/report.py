"""A stored run as its page shows it: the proposal in sentences a caseworker reads (what it
does, how good it is, what holds it down, a warning when much of the budget is left), the
proposal as rows, the charts of the money and the grants by region, band and target group
against their floors and caps, and the comparison with the greedy ranking. Plain data from
the run's JSON; one query for the applications' titles and links."""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pulje.allocation.models import AllocationRun, RunMethod
from pulje.allocation.selectors import applications_by_reference
from pulje.allocation.solver import (
    Objective,
    Outcome,
    Problem,
    ReasonCode,
    Result,
    RuleUsage,
    Status,
    problem_from_json,
    result_from_json,
)
from pulje.applications.models import Application
from pulje.core.money import format_dkk

# A proposal that leaves more than this share of the run's budget unspent while it refuses
# applications is worth a warning: a rule is probably holding it down.
UNSPENT_WARNING_SHARE = 0.25


@dataclass(frozen=True)
class Row:
    rank: int
    reference: str
    application: Application | None
    organisation: str
    region: str
    band: str
    score: float
    requested_ore: int
    proposed_ore: int | None  # None: not in the proposal
    reduced: bool
    reason: str
    locked_in: bool
    locked_out: bool
    baseline_ore: int | None


@dataclass(frozen=True)
class Bar:
    """One row of a chart. ``value`` is measured in the chart's unit (øre or grants); the
    percentages place the bar, the floor and the cap on a scale of 0–100, as text with a
    decimal point for the SVG."""

    label: str
    count: int
    amount_ore: int
    value: int
    floor: int | None
    cap: int | None
    met: bool
    value_pct: str
    floor_pct: str | None
    cap_pct: str | None


@dataclass(frozen=True)
class Chart:
    key: str  # "region", "band" or "group"
    title: str
    unit: str  # "ore" or "count": what the bar measures and the floors and caps are in
    bars: list[Bar]

    @property
    def has_floors(self) -> bool:
        return any(bar.floor is not None for bar in self.bars)

    @property
    def has_caps(self) -> bool:
        return any(bar.cap is not None for bar in self.bars)


@dataclass(frozen=True)
class Summary:
    """A result in brief, for the side-by-side comparison."""

    objective: float
    total_ore: int
    grants: int
    met_all_rules: bool
    broken: list[str]


@dataclass(frozen=True)
class Difference:
    reference: str
    proposed_ore: int | None
    baseline_ore: int | None


@dataclass(frozen=True)
class Comparison:
    proposal: Summary
    baseline: Summary
    differences: list[Difference] = field(default_factory=list)


@dataclass(frozen=True)
class Reading:
    """A proposal in sentences for a caseworker who has never seen an optimiser: what it
    does, how good it is, the rules that hold it down (each with its figure), what the rules
    for fairness cost (only when that is a figure), and a warning when much of the run's
    budget is left while applications are refused."""

    does: str
    quality: str
    bounds: list[str]
    price: str | None
    warning: str | None


@dataclass(frozen=True)
class RunReport:
    problem: Problem
    result: Result | None
    rows: list[Row]
    charts: list[Chart]
    comparison: Comparison | None
    reading: Reading | None = None

    @property
    def locked_in(self) -> list[str]:
        return sorted(self.problem.locked_in)

    @property
    def locked_out(self) -> list[str]:
        return sorted(self.problem.locked_out)

    @property
    def price_percent(self) -> float | None:
        """The price of fairness as a percentage of the objective without the rules."""
        price = self.result.price_of_fairness if self.result else None
        return 100 * price.share if price else None

    @property
    def gap_percent(self) -> float | None:
        """The solver's gap as a percentage of the proposal's value."""
        gap = self.result.gap if self.result else None
        return None if gap is None else 100 * gap

    @property
    def locked(self) -> bool:
        return bool(self.problem.locked_in or self.problem.locked_out)


def _sentence(text: str) -> str:
    """``text`` ending with one full stop, also when it ends with "kr."."""
    return text if text.endswith(".") else f"{text}."


def _percent(share: float, digits: int = 0) -> str:
    # Rounded here: number_format cuts the digits off.
    return f"{number_format(round(100 * share, digits), digits)} %"


def _asked(problem: Problem) -> dict[str, int]:
    return {candidate.id: candidate.amount_ore for candidate in problem.candidates}


def _does(problem: Problem, result: Result) -> str:
    """What the proposal gives, how many are refused and how many get less than asked."""
    asked = _asked(problem)
    grants = len(result.selected)
    refused = len(result.outcomes) - grants
    reduced = sum(1 for outcome in result.selected if outcome.amount_ore < asked[outcome.id])
    parts = [
        ngettext(
            "The proposal gives %(count)d grant for %(amount)s of the run's budget of %(budget)s",
            "The proposal gives %(count)d grants for %(amount)s of the run's budget of %(budget)s",
            grants,
        )
        % {
            "count": grants,
            "amount": format_dkk(result.total_ore),
            "budget": format_dkk(problem.budget_ore),
        }
    ]
    if refused:
        parts.append(
            ngettext(
                "%(count)d application is refused",
                "%(count)d applications are refused",
                refused,
            )
            % {"count": refused}
        )
    if reduced:
        parts.append(
            ngettext(
                "%(count)d gets a smaller amount than asked for",
                "%(count)d get a smaller amount than asked for",
                reduced,
            )
            % {"count": reduced}
        )
    return _sentence("; ".join(parts))


def _quality(result: Result) -> str:
    """How good the proposal is, in words: proven best (within how much), stopped before it
    was proven, or made by a method's own rule."""
    gap = result.gap
    # The gap rounded up to hundredths of a percent, so "at most" is never less than it is.
    gap_text = _percent(math.ceil(round(gap * 10_000, 6)) / 10_000, 2) if gap else ""
    if result.status == Status.OPTIMAL:
        if not gap:
            return _("The best proposal within the rules – proven.")
        return _("At most %(gap)s from the best proposal within the rules – proven.") % {
            "gap": gap_text
        }
    if result.status == Status.FEASIBLE:
        if gap is None:
            return _(
                "The computation stopped before the best proposal was found: this one keeps "
                "every rule, but how far it is from the best is not known."
            )
        return _(
            "The computation stopped before the best proposal was found: this one keeps "
            "every rule and is at most %(gap)s from the best."
        ) % {"gap": gap_text}
    method = RunMethod(result.method.value).label
    if result.met_all_rules:
        return _(
            "Made by the method's own rule (%(method)s), without searching for the best "
            "proposal; it keeps every rule."
        ) % {"method": method}
    return _(
        "Made by the method's own rule (%(method)s), without searching for the best "
        "proposal; it breaks %(rules)s."
    ) % {"method": method, "rules": ", ".join(rule.label for rule in result.broken_rules)}


def _refused_for(result: Result, key: str) -> list[Outcome]:
    return [outcome for outcome in result.outcomes if not outcome.selected and outcome.rule == key]


def _held_back(
    problem: Problem, result: Result, refused: list[Outcome], granted: list[Outcome]
) -> int:
    """The most more a floor's applications could be given without it: those ``refused`` for
    it in full, less those ``granted`` only to meet it (whose money would be free), no more
    than what each band and the run's budget would then have left."""
    asked = _asked(problem)
    bands = {candidate.id: candidate.band for candidate in problem.candidates}
    left = {
        usage.key.removeprefix("band:"): max(usage.limit - usage.used, 0)
        for usage in result.rules
        if usage.key.startswith("band:")
    }
    freed: dict[str, int] = defaultdict(int)
    for outcome in granted:
        freed[bands[outcome.id]] += outcome.amount_ore
    wanted: dict[str, int] = defaultdict(int)
    for outcome in refused:
        wanted[bands[outcome.id]] += asked[outcome.id]
    addable = sum(
        min(amount, left[band] + freed[band]) if band in left else amount
        for band, amount in wanted.items()
    )
    released = sum(freed.values())
    unspent = max(problem.budget_ore - result.total_ore, 0)
    return max(min(addable, unspent + released) - released, 0)


def _money_bound(usage: RuleUsage, result: Result, asked: Mapping[str, int]) -> str:
    """The run's budget or a band's: spent or nearly, and what did not fit."""
    if usage.key == "budget":
        name = _("the run's budget of %(amount)s") % {"amount": format_dkk(usage.limit)}
    else:
        name = _("%(rule)s of %(amount)s") % {
            "rule": usage.label,
            "amount": format_dkk(usage.limit),
        }
    left = max(usage.limit - usage.used, 0)
    if left:
        state = _("%(name)s has only %(left)s left") % {"name": name, "left": format_dkk(left)}
    else:
        state = _("%(name)s is spent") % {"name": name}
    refused = _refused_for(result, usage.key)
    if not refused:
        return _sentence(capfirst(state))
    wanted = sum(asked[outcome.id] for outcome in refused)
    did_not_fit = ngettext(
        "%(count)d application for %(amount)s did not fit",
        "%(count)d applications for %(amount)s in all did not fit",
        len(refused),
    ) % {"count": len(refused), "amount": format_dkk(wanted)}
    return _sentence(f"{capfirst(state)}: {did_not_fit}")


def _cap_bound(usage: RuleUsage, result: Result, asked: Mapping[str, int]) -> str:
    """A region's or an organisation's cap, with its figure and what it keeps out."""
    name = usage.label
    if usage.unit == "ore":
        name = _("%(rule)s of %(amount)s") % {"rule": name, "amount": format_dkk(usage.limit)}
    refused = _refused_for(result, usage.key)
    if not refused:
        return _sentence(_("%(rule)s is reached") % {"rule": capfirst(name)})
    wanted = sum(asked[outcome.id] for outcome in refused)
    return _sentence(
        ngettext(
            "%(rule)s keeps %(count)d application out, which asks for %(amount)s",
            "%(rule)s keeps %(count)d applications out, which ask for %(amount)s in all",
            len(refused),
        )
        % {"rule": capfirst(name), "count": len(refused), "amount": format_dkk(wanted)}
    )


def _floor_bound(usage: RuleUsage, problem: Problem, result: Result) -> str | None:
    """A floor for fairness that changed the proposal: it holds the proposal down when
    applications it refused could have had money that is now left; otherwise it moves
    money, granting some to meet it and refusing others."""
    refused = _refused_for(result, usage.key)
    granted = [
        outcome
        for outcome in result.selected
        if outcome.rule == usage.key and outcome.reason == ReasonCode.SELECTED_FOR_RULE
    ]
    held = _held_back(problem, result, refused, granted)
    if held:
        return _(
            "%(rule)s holds the proposal down: without it up to %(amount)s more could be granted."
        ) % {"rule": capfirst(usage.label), "amount": format_dkk(held)}
    effects = []
    if granted:
        effects.append(
            ngettext(
                "%(count)d application is granted to meet it",
                "%(count)d applications are granted to meet it",
                len(granted),
            )
            % {"count": len(granted)}
        )
    if refused:
        effects.append(
            ngettext(
                "%(count)d is refused for it",
                "%(count)d are refused for it",
                len(refused),
            )
            % {"count": len(refused)}
        )
    if not effects:
        return None
    return _("%(rule)s changes the proposal: %(effects)s.") % {
        "rule": capfirst(usage.label),
        "effects": _(" and ").join(effects),
    }


def _fairness_measured(result: Result) -> bool:
    """Whether the rules for fairness cost anything the solver can tell: a price within the
    gap is no reason to name a floor as holding the proposal down."""
    price = result.price_of_fairness
    return price is None or not price.below_gap


def _bounds(problem: Problem, result: Result) -> list[str]:
    """A sentence for each rule that binds, with its figure."""
    asked = _asked(problem)
    sentences = []
    for usage in result.rules:
        if not usage.binding:
            continue
        if usage.key == "budget" or usage.key.startswith("band:"):
            sentences.append(_money_bound(usage, result, asked))
        elif usage.sense == "le":
            sentences.append(_cap_bound(usage, result, asked))
        elif usage.fairness and _fairness_measured(result):
            floor = _floor_bound(usage, problem, result)
            if floor is not None:
                sentences.append(floor)
    return sentences


def _price(result: Result) -> str | None:
    """What the rules for fairness cost, when it is a figure: in grants or participants for
    those objectives, as a percentage of score × amount for the score."""
    price = result.price_of_fairness
    if price is None or price.below_gap or price.unproven or price.lost <= 0:
        return None
    lost = round(price.lost)
    if result.objective_kind == Objective.COUNT:
        return ngettext(
            "Without the rules for regions, target groups and organisations the proposal "
            "could give %(count)d grant more.",
            "Without the rules for regions, target groups and organisations the proposal "
            "could give %(count)d grants more.",
            lost,
        ) % {"count": lost}
    if result.objective_kind == Objective.PARTICIPANTS:
        return ngettext(
            "Without the rules for regions, target groups and organisations the proposal "
            "could reach %(count)d participant more.",
            "Without the rules for regions, target groups and organisations the proposal "
            "could reach %(count)d participants more.",
            lost,
        ) % {"count": lost}
    return _(
        "Without the rules for regions, target groups and organisations the proposal could "
        "be %(percent)s better, counted as score times amount."
    ) % {"percent": _percent(price.share, 1)}


# What refuses an application before any rule is weighed, named in the warning.
_EXCLUSIONS = {
    ReasonCode.BELOW_MIN_SCORE: gettext_lazy("the minimum score"),
    ReasonCode.BELOW_THRESHOLD: gettext_lazy("the lottery's lowest score"),
    ReasonCode.LOCKED_OUT: gettext_lazy("the applications locked out"),
}


def _warning(problem: Problem, result: Result) -> str | None:
    """When more than a quarter of the run's budget is left while applications are refused:
    how much, and what refused them: the rules named in their reasons (not the run's budget,
    which is not spent), the minimum score, the lottery's threshold, the locks out."""
    unspent = problem.budget_ore - result.total_ore
    refused = len(result.outcomes) - len(result.selected)
    if not refused or unspent <= UNSPENT_WARNING_SHARE * problem.budget_ore:
        return None
    left_out = [outcome for outcome in result.outcomes if not outcome.selected]
    keys = {outcome.rule for outcome in left_out}
    names = [usage.label for usage in result.rules if usage.key in keys and usage.key != "budget"]
    reasons = {outcome.reason for outcome in left_out}
    names += [str(name) for code, name in _EXCLUSIONS.items() if code in reasons]
    left = ngettext(
        "%(percent)s of the run's budget, %(amount)s, is not granted, although %(count)d "
        "application is refused.",
        "%(percent)s of the run's budget, %(amount)s, is not granted, although %(count)d "
        "applications are refused.",
        refused,
    ) % {
        "percent": _percent(unspent / problem.budget_ore),
        "amount": format_dkk(unspent),
        "count": refused,
    }
    if not names:
        too_big = _("The applications refused ask for more than is left.")
        return f"{left} {too_big}"
    because = _("What holds it back: %(rules)s.") % {"rules": "; ".join(names)}
    return f"{left} {because}"


def reading(problem: Problem, result: Result) -> Reading:
    """The proposal in sentences (``Reading``)."""
    return Reading(
        does=_does(problem, result),
        quality=_quality(result),
        bounds=_bounds(problem, result),
        price=_price(result),
        warning=_warning(problem, result),
    )


def summary(result: Result) -> Summary:
    return Summary(
        objective=result.objective,
        total_ore=result.total_ore,
        grants=len(result.selected),
        met_all_rules=result.met_all_rules,
        broken=[rule.label for rule in result.broken_rules],
    )


def compare(result: Result, baseline: Result) -> Comparison:
    """The two results in brief, and every application they treat differently, by
    reference."""
    ours, theirs = result.amounts, baseline.amounts
    differences = [
        Difference(reference, ours.get(reference), theirs.get(reference))
        for reference in sorted(set(ours) | set(theirs))
        if ours.get(reference) != theirs.get(reference)
    ]
    return Comparison(summary(result), summary(baseline), differences)


def _pct(value: int | None, scale: int) -> str | None:
    if value is None:
        return None
    return f"{min(100.0, 100 * value / scale):.1f}"


def _bars(
    groups: Iterable[tuple[str, str]],
    chosen: Mapping[str, list[tuple[int, int]]],
    rules: Mapping[str, list[RuleUsage]],
    unit: str,
) -> list[Bar]:
    """A bar for each (key, label) in ``groups``: the grants ``chosen`` for it (pairs of
    1 and amount) against its rules' floor and cap in ``unit``."""
    rows = []
    for key, label in groups:
        count = len(chosen.get(key, []))
        amount = sum(amount for _one, amount in chosen.get(key, []))
        usages = [usage for usage in rules.get(key, []) if usage.unit == unit]
        floors = [usage.limit for usage in usages if usage.sense == "ge"]
        caps = [usage.limit for usage in usages if usage.sense == "le"]
        rows.append(
            (
                label,
                count,
                amount,
                count if unit == "count" else amount,
                max(floors) if floors else None,
                min(caps) if caps else None,
                all(usage.met for usage in rules.get(key, [])),
            )
        )
    scale = max([1, *(max(row[3], row[4] or 0, row[5] or 0) for row in rows)])
    return [
        Bar(
            label=label,
            count=count,
            amount_ore=amount,
            value=value,
            floor=floor,
            cap=cap,
            met=met,
            value_pct=_pct(value, scale) or "0.0",
            floor_pct=_pct(floor, scale),
            cap_pct=_pct(cap, scale),
        )
        for label, count, amount, value, floor, cap, met in rows
    ]


def charts(problem: Problem, result: Result) -> list[Chart]:
    """The grants by region and by band (money, against the regions' floors and caps and the
    bands' budgets) and by target group (grants, against the minimum count)."""
    candidates = {candidate.id: candidate for candidate in problem.candidates}
    by_region: dict[str, list[tuple[int, int]]] = defaultdict(list)
    by_band: dict[str, list[tuple[int, int]]] = defaultdict(list)
    by_group: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for outcome in result.selected:
        candidate = candidates[outcome.id]
        by_region[candidate.region].append((1, outcome.amount_ore))
        by_band[candidate.band].append((1, outcome.amount_ore))
        for group in candidate.target_groups:
            by_group[group].append((1, outcome.amount_ore))
    rules: dict[str, dict[str, list[RuleUsage]]] = defaultdict(lambda: defaultdict(list))
    for usage in result.rules:
        kind, _sep, rest = usage.key.partition(":")
        if kind in ("region", "band", "group"):
            rules[kind][rest.rsplit(":", 1)[0] if kind != "band" else rest].append(usage)

    def named(kind: str) -> list[tuple[str, str]]:
        prefix = f"{kind}:"
        return sorted(
            (key.removeprefix(prefix), label)
            for key, label in problem.labels.items()
            if key.startswith(prefix)
        )

    regions = named("region")
    if by_region.get(""):
        regions.append(("", _("No region")))
    found = [
        Chart("region", _("By region"), "ore", _bars(regions, by_region, rules["region"], "ore"))
    ]
    bands = [(key, label) for key, label in named("band") if key in problem.band_budgets]
    if bands:
        found.append(
            Chart("band", _("By grant band"), "ore", _bars(bands, by_band, rules["band"], "ore"))
        )
    groups = named("group")
    if groups:
        found.append(
            Chart(
                "group",
                _("By target group"),
                "count",
                _bars(groups, by_group, rules["group"], "count"),
            )
        )
    return found


def _rows(
    run: AllocationRun, problem: Problem, result: Result | None, baseline: Result | None
) -> list[Row]:
    outcomes: dict[str, Outcome] = {o.id: o for o in result.outcomes} if result else {}
    baseline_amounts = baseline.amounts if baseline else {}
    applications = applications_by_reference(
        run.call, [candidate.id for candidate in problem.candidates]
    )
    labels = problem.labels
    rows = []
    for candidate in problem.candidates:
        outcome = outcomes.get(candidate.id)
        rows.append(
            Row(
                rank=outcome.rank if outcome else 0,
                reference=candidate.id,
                application=applications.get(candidate.id),
                organisation=labels.get(
                    f"organisation:{candidate.organisation}", candidate.organisation
                ),
                region=labels.get(f"region:{candidate.region}", candidate.region),
                band=labels.get(f"band:{candidate.band}", candidate.band),
                score=candidate.score,
                requested_ore=candidate.amount_ore,
                proposed_ore=outcome.amount_ore if outcome and outcome.selected else None,
                # A lock in may be granted reduced too: the amounts say it, not the reason.
                reduced=bool(
                    outcome and outcome.selected and outcome.amount_ore < candidate.amount_ore
                ),
                reason=outcome.text if outcome else "",
                locked_in=candidate.id in problem.locked_in,
                locked_out=candidate.id in problem.locked_out,
                baseline_ore=baseline_amounts.get(candidate.id),
            )
        )
    rows.sort(key=lambda row: (row.rank == 0, row.rank, row.reference))
    return rows


def run_report(run: AllocationRun) -> RunReport:
    """Everything the run's page shows (one query)."""
    problem = problem_from_json(run.problem)
    result = result_from_json(run.result) if run.result else None
    baseline = result_from_json(run.baseline) if run.baseline else None
    solved = result is not None and run.confirmable
    return RunReport(
        problem=problem,
        result=result,
        rows=_rows(run, problem, result, baseline),
        charts=charts(problem, result) if solved and result else [],
        comparison=compare(result, baseline) if solved and result and baseline else None,
        reading=reading(problem, result) if solved and result else None,
    )
