"""A stored run as its page shows it: the proposal as rows, the charts of the money and the
grants by region, band and target group against their floors and caps, and the comparison
with the greedy ranking. Plain data from the run's JSON; one query for the applications'
titles and links."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from pulje.allocation.models import AllocationRun
from pulje.allocation.selectors import applications_by_reference
from pulje.allocation.solver import (
    Outcome,
    Problem,
    Result,
    RuleUsage,
    problem_from_json,
    result_from_json,
)
from pulje.applications.models import Application


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
class RunReport:
    problem: Problem
    result: Result | None
    rows: list[Row]
    charts: list[Chart]
    comparison: Comparison | None

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
    def locked(self) -> bool:
        return bool(self.problem.locked_in or self.problem.locked_out)


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
    )
