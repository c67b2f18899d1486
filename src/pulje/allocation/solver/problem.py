"""An allocation problem as plain data, and its JSON form (docs/allocation.md).

Everything here is pure Python: no Django, no database. A problem is read from JSON with
``problem_from_json`` (which refuses bad input with every error found, in Danish) and written
back with ``problem_to_json``; the round trip is exact, so a stored run can be solved again.
"""

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

FORMAT_VERSION = 1


class Objective(StrEnum):
    """What "best" means. Ties are broken by score, then submission time, then id."""

    SCORE = "score"  # total score weighted by amount: sum of score × amount granted
    PARTICIPANTS = "participants"  # expected participants reached
    COUNT = "count"  # number of grants


class Method(StrEnum):
    OPTIMAL = "optimal"  # mixed-integer programme solved exactly by HiGHS
    GREEDY = "greedy"  # the simple ranking: best score first, while the money lasts
    FIRST_COME = "first_come"  # first come, first served (a rolling small-grants band)
    LOTTERY = "lottery"  # a draw among candidates above a score, stratified by region
    ENVELOPES = "envelopes"  # regional envelopes by apportionment, ranking within each


class Apportionment(StrEnum):
    LARGEST_REMAINDER = "largest_remainder"
    SAINTE_LAGUE = "sainte_lague"


@dataclass(frozen=True)
class Candidate:
    id: str
    score: float
    amount_ore: int
    band: str = ""
    region: str = ""
    municipality: str = ""
    organisation: str = ""
    target_groups: tuple[str, ...] = ()
    participants: int = 0
    submitted_at: dt.datetime | None = None
    # The lowest amount the applicant can accept; equal to amount_ore when it cannot be reduced.
    min_amount_ore: int | None = None

    @property
    def lowest_ore(self) -> int:
        return self.amount_ore if self.min_amount_ore is None else self.min_amount_ore


@dataclass(frozen=True)
class Limit:
    """A floor and/or a cap on money, as an amount in øre or as a share (0–1) of the money
    granted in all. Any field may be None (no limit of that kind)."""

    floor_ore: int | None = None
    cap_ore: int | None = None
    floor_share: float | None = None
    cap_share: float | None = None

    @property
    def is_empty(self) -> bool:
        return all(
            value is None
            for value in (self.floor_ore, self.cap_ore, self.floor_share, self.cap_share)
        )


@dataclass(frozen=True)
class GroupRule:
    """At least ``min_count`` grants, and/or at least ``min_share`` of the money granted, to
    projects for a target group."""

    min_count: int | None = None
    min_share: float | None = None


@dataclass(frozen=True)
class OrganisationRule:
    """At most ``max_grants`` grants and/or ``max_ore`` in all to any one organisation."""

    max_grants: int | None = None
    max_ore: int | None = None


@dataclass(frozen=True)
class LotteryRule:
    """A draw among the candidates with a score of at least ``threshold``. ``seed`` is
    published: anyone can repeat the draw (docs/allocation.md says how)."""

    seed: str
    threshold: float = 0.0


@dataclass(frozen=True)
class Problem:
    budget_ore: int
    candidates: tuple[Candidate, ...]
    objective: Objective = Objective.SCORE
    method: Method = Method.OPTIMAL
    allow_reductions: bool = False
    band_budgets: Mapping[str, int] = field(default_factory=dict)
    regions: Mapping[str, Limit] = field(default_factory=dict)
    target_groups: Mapping[str, GroupRule] = field(default_factory=dict)
    organisation: OrganisationRule = OrganisationRule()
    min_score: float | None = None
    locked_in: frozenset[str] = frozenset()
    locked_out: frozenset[str] = frozenset()
    # Weights of the regions for envelopes and lottery strata, e.g. social-housing homes.
    # Empty: in proportion to the amounts the eligible candidates ask for.
    region_weights: Mapping[str, float] = field(default_factory=dict)
    apportionment: Apportionment = Apportionment.SAINTE_LAGUE
    envelope_unit_ore: int = 100_000  # envelopes are whole multiples of this (1.000 kr.)
    lottery: LotteryRule | None = None
    gap: float = 1e-4  # relative optimality gap at which the solver may stop (0.01 %)
    time_limit: float = 60.0  # seconds
    # Names for the explanations: "region:1081" → "Region Nordjylland", "band:1" → "Bånd 1",
    # "group:children" → "børn og unge", "organisation:<id>" → its name.
    labels: Mapping[str, str] = field(default_factory=dict)

    def without_fairness(self) -> "Problem":
        """The same problem without the rules for fairness (regions, target groups,
        organisations): what the price of fairness is measured against."""
        return dataclasses.replace(
            self, regions={}, target_groups={}, organisation=OrganisationRule()
        )

    @property
    def has_fairness(self) -> bool:
        return bool(
            any(not limit.is_empty for limit in self.regions.values())
            or self.target_groups
            or self.organisation != OrganisationRule()
        )


class ProblemError(ValueError):
    """The problem cannot be read; ``errors`` says every reason, in Danish."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


class _Reader:
    """Collects every error in a problem rather than stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def integer(self, data: Mapping[str, Any], key: str, where: str, *, minimum: int = 0) -> Any:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(f"{where}: «{key}» skal være et helt tal på mindst {minimum}.")
            return None
        return value

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        where: str,
        *,
        low: float = -math.inf,
        high: float = math.inf,
    ) -> Any:
        value = data.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            self.fail(f"{where}: «{key}» skal være et tal mellem {low:g} og {high:g}.")
            return None
        return float(value)

    def share(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        return self.number(data, key, where, low=0.0, high=1.0)

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.fail(f"{where}: «{key}» skal være en tekst.")
            return ""
        return str(value)

    def mapping(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key) or {}
        if not isinstance(value, Mapping):
            self.fail(f"«{key}» skal være et objekt.")
            return {}
        return value

    def choice(self, data: Mapping[str, Any], key: str, kind: type[StrEnum], default: Any) -> Any:
        value = data.get(key, default.value)
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self.fail(f"«{key}» skal være en af: {allowed} (ikke «{value}»).")
            return default

    def candidate(self, data: Any, index: int) -> Candidate | None:
        where = f"Ansøger nr. {index + 1}"
        if not isinstance(data, Mapping):
            self.fail(f"{where} skal være et objekt.")
            return None
        candidate_id = self.text(data, "id", where)
        if candidate_id:
            where = f"Ansøger «{candidate_id}»"
        else:
            self.fail(f"{where} mangler et id.")
        errors_before = len(self.errors)
        score = self.number(data, "score", where)
        amount = self.integer(data, "amount_ore", where, minimum=1)
        if amount is None:
            self.fail(f"{where}: «amount_ore» (det ansøgte beløb i øre) skal angives.")
        lowest = self.integer(data, "min_amount_ore", where, minimum=1)
        if lowest is not None and amount is not None and lowest > amount:
            self.fail(f"{where}: det laveste beløb er større end det ansøgte beløb.")
        groups = data.get("target_groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            self.fail(f"{where}: «target_groups» skal være en liste af tekster.")
            groups = []
        submitted = data.get("submitted_at")
        submitted_at = None
        if submitted is not None:
            try:
                submitted_at = dt.datetime.fromisoformat(str(submitted))
            except ValueError:
                self.fail(f"{where}: «submitted_at» skal være et tidspunkt i ISO 8601-format.")
            else:
                if submitted_at.tzinfo is None:
                    self.fail(f"{where}: «submitted_at» skal have en tidszone.")
                    submitted_at = None
        participants = self.integer(data, "participants", where)
        if len(self.errors) > errors_before or not candidate_id:
            return None
        return Candidate(
            id=candidate_id,
            score=score or 0.0,
            amount_ore=amount,
            min_amount_ore=lowest,
            band=self.text(data, "band", where),
            region=self.text(data, "region", where),
            municipality=self.text(data, "municipality", where),
            organisation=self.text(data, "organisation", where),
            target_groups=tuple(sorted(set(groups))),
            participants=participants or 0,
            submitted_at=submitted_at,
        )

    def limit(self, data: Any, where: str) -> Limit:
        if not isinstance(data, Mapping):
            self.fail(f"{where} skal være et objekt.")
            return Limit()
        limit = Limit(
            floor_ore=self.integer(data, "floor_ore", where),
            cap_ore=self.integer(data, "cap_ore", where),
            floor_share=self.share(data, "floor_share", where),
            cap_share=self.share(data, "cap_share", where),
        )
        unknown = set(data) - {"floor_ore", "cap_ore", "floor_share", "cap_share"}
        if unknown:
            self.fail(f"{where}: ukendte felter {', '.join(sorted(unknown))}.")
        return limit


def _read_rules(reader: _Reader, data: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    """The rules of a problem: band budgets, regions, target groups, organisations, locks and
    region weights, as keyword arguments for ``Problem``."""
    bands: dict[str, int] = {}
    for band, value in reader.mapping(data, "band_budgets").items():
        amount = reader.integer({"budget_ore": value}, "budget_ore", f"Båndet «{band}»")
        if amount is not None:
            bands[str(band)] = amount
    regions = {
        str(region): reader.limit(value, f"Regionen «{region}»")
        for region, value in reader.mapping(data, "regions").items()
    }
    groups: dict[str, GroupRule] = {}
    for group, value in reader.mapping(data, "target_groups").items():
        where = f"Målgruppen «{group}»"
        if not isinstance(value, Mapping):
            reader.fail(f"{where} skal være et objekt.")
            continue
        groups[str(group)] = GroupRule(
            min_count=reader.integer(value, "min_count", where),
            min_share=reader.share(value, "min_share", where),
        )
    organisation = reader.mapping(data, "organisation")
    organisation_rule = OrganisationRule(
        max_grants=reader.integer(organisation, "max_grants", "Organisationsgrænsen", minimum=1),
        max_ore=reader.integer(organisation, "max_ore", "Organisationsgrænsen", minimum=1),
    )
    locks: dict[str, frozenset[str]] = {}
    for key in ("locked_in", "locked_out"):
        value = data.get(key, [])
        if not isinstance(value, list):
            reader.fail(f"«{key}» skal være en liste af id'er.")
            value = []
        unknown = sorted({str(item) for item in value} - known)
        if unknown:
            reader.fail(f"«{key}» nævner ansøgere, der ikke findes: {', '.join(unknown)}.")
        locks[key] = frozenset(str(item) for item in value) & known
    both = sorted(locks["locked_in"] & locks["locked_out"])
    if both:
        reader.fail(f"Disse ansøgere er både låst ind og låst ude: {', '.join(both)}.")
    weights: dict[str, float] = {}
    for region, value in reader.mapping(data, "region_weights").items():
        weight = reader.number({"weight": value}, "weight", f"Vægten for «{region}»", low=0.0)
        if weight is not None:
            weights[str(region)] = weight
    return {
        "band_budgets": bands,
        "regions": {region: limit for region, limit in regions.items() if not limit.is_empty},
        "target_groups": groups,
        "organisation": organisation_rule,
        "locked_in": locks["locked_in"],
        "locked_out": locks["locked_out"],
        "region_weights": weights,
    }


def problem_from_json(data: Any) -> Problem:
    """Read a problem from parsed JSON; raises ProblemError listing every error."""
    reader = _Reader()
    if not isinstance(data, Mapping):
        raise ProblemError(["Problemet skal være et JSON-objekt."])
    if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        reader.fail(f"Formatet har version {FORMAT_VERSION}, ikke «{data.get('version')}».")
    budget = reader.integer(data, "budget_ore", "Problemet")
    if budget is None:
        reader.fail("«budget_ore» (budgettet i øre) skal angives.")
    raw_candidates = data.get("candidates", [])
    if not isinstance(raw_candidates, list):
        reader.fail("«candidates» skal være en liste.")
        raw_candidates = []
    read = [reader.candidate(item, index) for index, item in enumerate(raw_candidates)]
    candidates = tuple(candidate for candidate in read if candidate is not None)
    ids = [candidate.id for candidate in candidates]
    repeated = sorted({candidate_id for candidate_id in ids if ids.count(candidate_id) > 1})
    if repeated:
        reader.fail(f"Disse id'er optræder flere gange: {', '.join(repeated)}.")
    known = set(ids)

    rules = _read_rules(reader, data, known)
    lottery = None
    raw_lottery = data.get("lottery")
    if raw_lottery is not None:
        if not isinstance(raw_lottery, Mapping) or not reader.text(
            raw_lottery, "seed", "Lodtrækningen"
        ):
            reader.fail("Lodtrækningen skal have et offentliggjort «seed».")
        else:
            lottery = LotteryRule(
                seed=reader.text(raw_lottery, "seed", "Lodtrækningen"),
                threshold=reader.number(raw_lottery, "threshold", "Lodtrækningen") or 0.0,
            )
    method = reader.choice(data, "method", Method, Method.OPTIMAL)
    if method == Method.LOTTERY and lottery is None and "lottery" not in data:
        reader.fail("Metoden «lottery» kræver «lottery» med et «seed».")
    gap = reader.number(data, "gap", "Problemet", low=0.0, high=1.0)
    time_limit = reader.number(data, "time_limit", "Problemet", low=0.001)
    unit = reader.integer(data, "envelope_unit_ore", "Problemet", minimum=1)
    labels = {str(key): str(value) for key, value in reader.mapping(data, "labels").items()}
    if reader.errors:
        raise ProblemError(reader.errors)
    return Problem(
        budget_ore=budget,
        candidates=candidates,
        objective=reader.choice(data, "objective", Objective, Objective.SCORE),
        method=method,
        allow_reductions=bool(data.get("allow_reductions", False)),
        **rules,
        min_score=reader.number(data, "min_score", "Problemet"),
        apportionment=reader.choice(
            data, "apportionment", Apportionment, Apportionment.SAINTE_LAGUE
        ),
        envelope_unit_ore=unit or 100_000,
        lottery=lottery,
        gap=1e-4 if gap is None else gap,
        time_limit=60.0 if time_limit is None else time_limit,
        labels=labels,
    )


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def candidate_to_json(candidate: Candidate) -> dict[str, Any]:
    return _drop_none(
        {
            "id": candidate.id,
            "score": candidate.score,
            "amount_ore": candidate.amount_ore,
            "min_amount_ore": candidate.min_amount_ore,
            "band": candidate.band,
            "region": candidate.region,
            "municipality": candidate.municipality,
            "organisation": candidate.organisation,
            "target_groups": list(candidate.target_groups),
            "participants": candidate.participants,
            "submitted_at": (
                candidate.submitted_at.isoformat() if candidate.submitted_at else None
            ),
        }
    )


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """The problem as JSON-ready data; ``problem_from_json`` reads it back unchanged."""
    organisation = _drop_none(
        {"max_grants": problem.organisation.max_grants, "max_ore": problem.organisation.max_ore}
    )
    return _drop_none(
        {
            "version": FORMAT_VERSION,
            "method": problem.method.value,
            "objective": problem.objective.value,
            "budget_ore": problem.budget_ore,
            "allow_reductions": problem.allow_reductions,
            "band_budgets": dict(problem.band_budgets),
            "regions": {
                region: _drop_none(
                    {
                        "floor_ore": limit.floor_ore,
                        "cap_ore": limit.cap_ore,
                        "floor_share": limit.floor_share,
                        "cap_share": limit.cap_share,
                    }
                )
                for region, limit in problem.regions.items()
            },
            "target_groups": {
                group: _drop_none({"min_count": rule.min_count, "min_share": rule.min_share})
                for group, rule in problem.target_groups.items()
            },
            "organisation": organisation,
            "min_score": problem.min_score,
            "locked_in": sorted(problem.locked_in),
            "locked_out": sorted(problem.locked_out),
            "region_weights": dict(problem.region_weights),
            "apportionment": problem.apportionment.value,
            "envelope_unit_ore": problem.envelope_unit_ore,
            "lottery": (
                {"seed": problem.lottery.seed, "threshold": problem.lottery.threshold}
                if problem.lottery
                else None
            ),
            "gap": problem.gap,
            "time_limit": problem.time_limit,
            "labels": dict(problem.labels),
            "candidates": [candidate_to_json(candidate) for candidate in problem.candidates],
        }
    )
