"""The JSON form of an allocation problem (docs/allocation.md, "The JSON format").

``problem_from_json`` refuses bad input with every error found, in Danish;
``problem_to_json`` writes a problem back. The round trip is exact, so a stored run can be
solved again.
"""

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pulje.allocation.solver.problem import (
    DEFAULT_ENVELOPE_UNIT_ORE,
    DEFAULT_GAP,
    DEFAULT_REDUCTION_UNIT_ORE,
    DEFAULT_TIME_LIMIT,
    FORMAT_VERSION,
    Apportionment,
    Candidate,
    GroupRule,
    Limit,
    LotteryRule,
    Method,
    Objective,
    OrganisationRule,
    Problem,
    ProblemError,
)

# The keys each level of the JSON form may have; any other key is refused by name, so a
# misspelt rule ("floor_shares") is an error, never a rule silently left out.
_PROBLEM_KEYS = frozenset(
    {
        "version",
        "method",
        "objective",
        "budget_ore",
        "allow_reductions",
        "reduction_unit_ore",
        "band_budgets",
        "regions",
        "target_groups",
        "organisation",
        "min_score",
        "locked_in",
        "locked_out",
        "region_weights",
        "apportionment",
        "envelope_unit_ore",
        "lottery",
        "gap",
        "time_limit",
        "labels",
        "candidates",
    }
)
_CANDIDATE_KEYS = frozenset(
    {
        "id",
        "score",
        "amount_ore",
        "min_amount_ore",
        "band",
        "region",
        "municipality",
        "organisation",
        "target_groups",
        "participants",
        "submitted_at",
    }
)
_LIMIT_KEYS = frozenset({"floor_ore", "cap_ore", "floor_share", "cap_share"})
_GROUP_KEYS = frozenset({"min_count", "min_share"})
_ORGANISATION_KEYS = frozenset({"max_grants", "max_ore"})
_LOTTERY_KEYS = frozenset({"seed", "threshold"})


def _shown(value: Any) -> str:
    """A value as the JSON had it, short enough for a message."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    return text if len(text) <= 40 else f"{text[:37]}…"


def _decimal(value: float) -> str:
    return f"{value:g}".replace(".", ",")


class _Reader:
    """Collects every error in a problem rather than stopping at the first. A key that is
    absent or null takes its default; a key that is there with a wrong value is an error,
    never read as its default. Each bad value gets one message, naming the key."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def known(self, data: Mapping[str, Any], keys: frozenset[str], where: str) -> None:
        for key in data:
            if key not in keys:
                self.fail(f"{where}: ukendt felt «{key}».")

    def integer(self, data: Mapping[str, Any], key: str, where: str, *, minimum: int = 0) -> Any:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(
                f"{where}: «{key}» skal være et helt tal på mindst {minimum}, ikke {_shown(value)}."
            )
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
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(f"{where}: «{key}» skal være et tal, ikke {_shown(value)}.")
            return None
        if isinstance(value, int) and not -_EXACT_INT <= value <= _EXACT_INT:
            self.fail(f"{where}: «{key}» er for stort et tal: {_shown(value)}.")
            return None
        if not math.isfinite(value):
            self.fail(f"{where}: «{key}» skal være et endeligt tal, ikke {_shown(value)}.")
            return None
        if not low <= value <= high:
            if math.isfinite(high):
                bounds = f"mellem {_decimal(low)} og {_decimal(high)}"
            else:
                bounds = f"på mindst {_decimal(low)}"
            self.fail(f"{where}: «{key}» skal være et tal {bounds}, ikke {_shown(value)}.")
            return None
        return float(value)

    def share(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        return self.number(data, key, where, low=0.0, high=1.0)

    def flag(self, data: Mapping[str, Any], key: str, where: str) -> bool:
        value = data.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail(f"{where}: «{key}» skal være true eller false, ikke {_shown(value)}.")
            return False
        return value

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        """A text; a whole number is read as its digits (a region's code written 1081)."""
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.fail(f"{where}: «{key}» skal være en tekst, ikke {_shown(value)}.")
            return ""
        return str(value)

    def mapping(self, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(f"{where}: «{key}» skal være et objekt, ikke {_shown(value)}.")
            return {}
        return value

    def ids(self, data: Mapping[str, Any], key: str) -> list[str]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(
            isinstance(item, str | int) and not isinstance(item, bool) for item in value
        ):
            self.fail(f"Problemet: «{key}» skal være en liste af id'er, ikke {_shown(value)}.")
            return []
        return [str(item) for item in value]

    def choice(self, data: Mapping[str, Any], key: str, kind: type[StrEnum], default: Any) -> Any:
        value = data.get(key)
        if value is None:
            return default
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self.fail(f"Problemet: «{key}» skal være en af: {allowed}, ikke {_shown(value)}.")
            return default

    def candidate(self, data: Any, index: int) -> Candidate | None:
        where = f"Ansøger nr. {index + 1}"
        if not isinstance(data, Mapping):
            self.fail(f"{where} skal være et objekt, ikke {_shown(data)}.")
            return None
        errors_before = len(self.errors)
        candidate_id = self.text(data, "id", where)
        if candidate_id:
            where = f"Ansøger «{candidate_id}»"
        elif len(self.errors) == errors_before:
            self.fail(f"{where} mangler et id.")
        self.known(data, _CANDIDATE_KEYS, where)
        score = self.number(data, "score", where)
        if data.get("amount_ore") is not None:
            amount = self.integer(data, "amount_ore", where, minimum=1)
        else:
            amount = None
            self.fail(f"{where}: «amount_ore» (det ansøgte beløb i øre) skal angives.")
        lowest = self.integer(data, "min_amount_ore", where, minimum=1)
        if lowest is not None and amount is not None and lowest > amount:
            self.fail(f"{where}: det laveste beløb er større end det ansøgte beløb.")
        groups = data.get("target_groups")
        if groups is None:
            groups = []
        elif not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            self.fail(f"{where}: «target_groups» skal være en liste af tekster.")
            groups = []
        submitted_at = self.moment(data, "submitted_at", where)
        participants = self.integer(data, "participants", where)
        band = self.text(data, "band", where)
        region = self.text(data, "region", where)
        municipality = self.text(data, "municipality", where)
        organisation = self.text(data, "organisation", where)
        if len(self.errors) > errors_before or amount is None:
            return None
        return Candidate(
            id=candidate_id,
            score=score or 0.0,
            amount_ore=amount,
            min_amount_ore=lowest,
            band=band,
            region=region,
            municipality=municipality,
            organisation=organisation,
            target_groups=tuple(sorted(set(groups))),
            participants=participants or 0,
            submitted_at=submitted_at,
        )

    def moment(self, data: Mapping[str, Any], key: str, where: str) -> dt.datetime | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            self.fail(f"{where}: «{key}» skal være et tidspunkt i ISO 8601-format.")
            return None
        if moment.tzinfo is None:
            self.fail(f"{where}: «{key}» skal have en tidszone.")
            return None
        return moment

    def limit(self, data: Any, where: str) -> Limit:
        if not isinstance(data, Mapping):
            self.fail(f"{where} skal være et objekt, ikke {_shown(data)}.")
            return Limit()
        self.known(data, _LIMIT_KEYS, where)
        return Limit(
            floor_ore=self.integer(data, "floor_ore", where),
            cap_ore=self.integer(data, "cap_ore", where),
            floor_share=self.share(data, "floor_share", where),
            cap_share=self.share(data, "cap_share", where),
        )

    def group(self, data: Any, where: str) -> GroupRule | None:
        if not isinstance(data, Mapping):
            self.fail(f"{where} skal være et objekt, ikke {_shown(data)}.")
            return None
        self.known(data, _GROUP_KEYS, where)
        return GroupRule(
            min_count=self.integer(data, "min_count", where),
            min_share=self.share(data, "min_share", where),
        )


# The integers a float holds exactly; a larger whole score goes to the reader.
_EXACT_INT = 2**53


def _text(value: Any) -> str | None:
    """A text as ``_Reader.text`` reads it, or None where that would be an error."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    return str(value) if kind is int else None


def _plain_moment(value: Any) -> dt.datetime | None:
    """A submission time as ``_Reader.moment`` reads it; ValueError where that is an error."""
    if value is None:
        return None
    if type(value) is not str:
        raise ValueError(value)
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment


def _plain_candidate(data: Any) -> Candidate | None:
    """The candidate when every field of it is plainly right, in one pass and without the
    reader's messages; None sends it to ``_Reader.candidate``, which names each error. Most
    candidates are plain, so this keeps reading 100,000 of them near the cost of building
    them (bench/allocate.py). ``type(...) is int`` is the reader's rule "an integer, not a
    bool"."""
    if type(data) is not dict or not data.keys() <= _CANDIDATE_KEYS:
        return None
    candidate_id = _text(data.get("id"))
    amount = data.get("amount_ore")
    score = data.get("score", 0.0)
    lowest = data.get("min_amount_ore")
    participants = data.get("participants", 0)
    groups = data.get("target_groups", ())
    moment = data.get("submitted_at")
    if (
        not candidate_id
        or type(amount) is not int
        or amount < 1
        or not ((type(score) is float and math.isfinite(score)) or type(score) is int)
        or not -_EXACT_INT <= score <= _EXACT_INT
        or (lowest is not None and (type(lowest) is not int or not 1 <= lowest <= amount))
        or type(participants) is not int
        or participants < 0
        or (type(groups) is not list and groups != ())
        or not all(type(group) is str for group in groups)
    ):
        return None
    try:
        submitted_at = _plain_moment(moment)
    except ValueError:
        return None
    texts = [_text(data.get(key)) for key in ("band", "region", "municipality", "organisation")]
    if None in texts:
        return None
    band, region, municipality, organisation = texts
    return Candidate(
        id=candidate_id,
        score=float(score),
        amount_ore=amount,
        min_amount_ore=lowest,
        band=band or "",
        region=region or "",
        municipality=municipality or "",
        organisation=organisation or "",
        target_groups=tuple(sorted(set(groups))),
        participants=participants,
        submitted_at=submitted_at,
    )


def _read_rules(reader: _Reader, data: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    """The rules of a problem: band budgets, regions, target groups, organisations, locks and
    region weights, as keyword arguments for ``Problem``."""
    bands: dict[str, int] = {}
    for band, value in reader.mapping(data, "band_budgets", "Problemet").items():
        amount = reader.integer({"budget_ore": value}, "budget_ore", f"Båndet «{band}»")
        if amount is not None:
            bands[str(band)] = amount
    regions = {
        str(region): reader.limit(value, f"Regionen «{region}»")
        for region, value in reader.mapping(data, "regions", "Problemet").items()
    }
    groups: dict[str, GroupRule] = {}
    for group, value in reader.mapping(data, "target_groups", "Problemet").items():
        rule = reader.group(value, f"Målgruppen «{group}»")
        if rule is not None:
            groups[str(group)] = rule
    organisation = reader.mapping(data, "organisation", "Problemet")
    reader.known(organisation, _ORGANISATION_KEYS, "Organisationsgrænsen")
    organisation_rule = OrganisationRule(
        max_grants=reader.integer(organisation, "max_grants", "Organisationsgrænsen", minimum=1),
        max_ore=reader.integer(organisation, "max_ore", "Organisationsgrænsen", minimum=1),
    )
    locks: dict[str, frozenset[str]] = {}
    for key in ("locked_in", "locked_out"):
        value = set(reader.ids(data, key))
        unknown = sorted(value - known)
        if unknown:
            reader.fail(f"«{key}» nævner ansøgere, der ikke findes: {', '.join(unknown)}.")
        locks[key] = frozenset(value & known)
    both = sorted(locks["locked_in"] & locks["locked_out"])
    if both:
        reader.fail(f"Disse ansøgere er både låst ind og låst ude: {', '.join(both)}.")
    weights: dict[str, float] = {}
    for region, value in reader.mapping(data, "region_weights", "Problemet").items():
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


def _read_lottery(reader: _Reader, data: Mapping[str, Any]) -> LotteryRule | None:
    raw = reader.mapping(data, "lottery", "Problemet")
    if not isinstance(data.get("lottery"), Mapping):
        return None
    reader.known(raw, _LOTTERY_KEYS, "Lodtrækningen")
    seed = reader.text(raw, "seed", "Lodtrækningen")
    threshold = reader.number(raw, "threshold", "Lodtrækningen")
    if not seed:
        reader.fail("Lodtrækningen skal have et offentliggjort «seed».")
        return None
    return LotteryRule(seed=seed, threshold=threshold or 0.0)


def _read_labels(reader: _Reader, data: Mapping[str, Any]) -> dict[str, str]:
    labels = {}
    for key, value in reader.mapping(data, "labels", "Problemet").items():
        if isinstance(value, str):
            labels[str(key)] = value
        else:
            reader.fail(f"Navnet «{key}» skal være en tekst, ikke {_shown(value)}.")
    return labels


def problem_from_json(data: Any) -> Problem:
    """Read a problem from parsed JSON; raises ProblemError listing every error. Linear in
    the size of the problem (100,000 candidates read in about ten times the time of 10,000:
    bench/allocate.py)."""
    reader = _Reader()
    if not isinstance(data, Mapping):
        raise ProblemError(["Problemet skal være et JSON-objekt."])
    reader.known(data, _PROBLEM_KEYS, "Problemet")
    version = data.get("version", FORMAT_VERSION)
    if isinstance(version, bool) or version != FORMAT_VERSION:
        reader.fail(f"Formatet har version {FORMAT_VERSION}, ikke {_shown(version)}.")
    if "budget_ore" in data and data["budget_ore"] is not None:
        budget = reader.integer(data, "budget_ore", "Problemet")
    else:
        budget = None
        reader.fail("«budget_ore» (budgettet i øre) skal angives.")
    raw_candidates = data.get("candidates")
    if raw_candidates is None:
        raw_candidates = []
    elif not isinstance(raw_candidates, list):
        reader.fail(f"Problemet: «candidates» skal være en liste, ikke {_shown(raw_candidates)}.")
        raw_candidates = []
    read = [
        _plain_candidate(item) or reader.candidate(item, index)
        for index, item in enumerate(raw_candidates)
    ]
    candidates = tuple(candidate for candidate in read if candidate is not None)
    seen = Counter(candidate.id for candidate in candidates)
    repeated = sorted(candidate_id for candidate_id, times in seen.items() if times > 1)
    if repeated:
        reader.fail(f"Disse id'er optræder flere gange: {', '.join(repeated)}.")

    rules = _read_rules(reader, data, set(seen))
    lottery = _read_lottery(reader, data)
    method = reader.choice(data, "method", Method, Method.OPTIMAL)
    if method == Method.LOTTERY and lottery is None and data.get("lottery") is None:
        reader.fail("Metoden «lottery» kræver «lottery» med et «seed».")
    objective = reader.choice(data, "objective", Objective, Objective.SCORE)
    apportionment = reader.choice(data, "apportionment", Apportionment, Apportionment.SAINTE_LAGUE)
    allow_reductions = reader.flag(data, "allow_reductions", "Problemet")
    min_score = reader.number(data, "min_score", "Problemet")
    gap = reader.number(data, "gap", "Problemet", low=0.0, high=1.0)
    time_limit = reader.number(data, "time_limit", "Problemet", low=0.001)
    unit = reader.integer(data, "envelope_unit_ore", "Problemet", minimum=1)
    reduction_unit = reader.integer(data, "reduction_unit_ore", "Problemet", minimum=1)
    labels = _read_labels(reader, data)
    if reader.errors:
        raise ProblemError(reader.errors)
    return Problem(
        budget_ore=budget,
        candidates=candidates,
        objective=objective,
        method=method,
        allow_reductions=allow_reductions,
        reduction_unit_ore=(
            DEFAULT_REDUCTION_UNIT_ORE if reduction_unit is None else reduction_unit
        ),
        **rules,
        min_score=min_score,
        apportionment=apportionment,
        envelope_unit_ore=DEFAULT_ENVELOPE_UNIT_ORE if unit is None else unit,
        lottery=lottery,
        gap=DEFAULT_GAP if gap is None else gap,
        time_limit=DEFAULT_TIME_LIMIT if time_limit is None else time_limit,
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
            "reduction_unit_ore": problem.reduction_unit_ore,
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
