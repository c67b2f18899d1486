"""From a call's facts and the caseworker's options to the solver's ``Problem``: pure, no
database (the selectors fetch the facts), so every default and option is tested exactly.

The defaults come from the pool's rules: the budget is what the call's pool has available,
each band's budget what that band has, and every target group gets at least one grant (the
political demand for breadth). The rest is what the caseworker chooses on the form.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pulje.allocation.models import DEFAULT_REDUCTION_UNIT_ORE
from pulje.allocation.selectors import AllocationFacts, CandidateFacts
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
)
from pulje.applications.models import TargetGroup
from pulje.core.money import format_dkk

# The web waits for the solver at most this long (seconds); it then returns the best
# proposal found so far, or says it found none.
TIME_LIMIT = 20.0
# Every target group gets at least this many grants unless the caseworker says otherwise.
DEFAULT_GROUP_MIN = 1


def _default_groups() -> dict[str, int]:
    return dict.fromkeys(TargetGroup.values, DEFAULT_GROUP_MIN)


@dataclass(frozen=True)
class AllocationOptions:
    """What the caseworker chooses for a run; None means "no such rule"."""

    method: Method = Method.OPTIMAL
    objective: Objective = Objective.SCORE
    budget_ore: int | None = None  # None: all the call's pool has available
    min_score: float | None = None
    # Grants may be reduced down to this percentage of the amount applied for (and never
    # below the band's smallest grant); None: no reductions.
    reduce_to_percent: int | None = None
    # A reduced grant is a whole multiple of this (øre).
    reduction_unit_ore: int = DEFAULT_REDUCTION_UNIT_ORE
    # Each region gets at least / at most this percentage of its share of the money in
    # proportion to its social-housing homes.
    region_floor_percent: int | None = None
    region_cap_percent: int | None = None
    # At least this many grants to projects for each target group (0: no rule).
    group_min_counts: Mapping[str, int] = field(default_factory=_default_groups)
    max_grants_per_organisation: int | None = None
    apportionment: Apportionment = Apportionment.SAINTE_LAGUE
    lottery_seed: str = ""
    lottery_threshold: float = 0.0
    locked_in: frozenset[str] = frozenset()
    locked_out: frozenset[str] = frozenset()
    # Applications the expert group did not recommend that the caseworker brought back into
    # the run (the others are left out: ``selectors.allocation_facts``).
    brought_back: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            data[item.name] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AllocationOptions":
        """The options a run stored; unknown keys are ignored, missing ones default."""
        known = {item.name for item in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for key in ("locked_in", "locked_out", "brought_back"):
            if key in values:
                values[key] = frozenset(values[key])
        if "method" in values:
            values["method"] = Method(values["method"])
        if "objective" in values:
            values["objective"] = Objective(values["objective"])
        if "apportionment" in values:
            values["apportionment"] = Apportionment(values["apportionment"])
        return cls(**values)


def lowest_amount(candidate: CandidateFacts, percent: int | None) -> int | None:
    """The smallest grant the candidate may get: ``percent`` of its amount rounded up to
    whole øre, but not below its band's smallest grant nor above the amount; None without
    reductions."""
    if percent is None:
        return None
    lowest = -(-candidate.amount_ore * percent // 100)
    if candidate.band_min_ore is not None:
        lowest = max(lowest, candidate.band_min_ore)
    return min(lowest, candidate.amount_ore)


def region_shares(homes: Mapping[str, int]) -> dict[str, float]:
    """Each region's share (0–1) of the social-housing homes."""
    total = sum(homes.values())
    if total == 0:
        return dict.fromkeys(homes, 0.0)
    return {region: count / total for region, count in homes.items()}


def _share(percent: int, share: float) -> float:
    # Rounded so the stored problem reads plainly; a millionth of the money is below an øre
    # for any pool this size.
    return round(min(1.0, percent / 100 * share), 6)


def region_limits(
    homes: Mapping[str, int], floor_percent: int | None, cap_percent: int | None
) -> dict[str, Limit]:
    """The region rules: a floor and/or a cap as a share of the money granted, the given
    percentage of each region's share of the homes. Regions without homes get no rule."""
    limits: dict[str, Limit] = {}
    for region, share in sorted(region_shares(homes).items()):
        if share == 0:
            continue
        limit = Limit(
            floor_share=None if floor_percent is None else _share(floor_percent, share),
            cap_share=None if cap_percent is None else _share(cap_percent, share),
        )
        if not limit.is_empty:
            limits[region] = limit
    return limits


def labels(facts: AllocationFacts) -> dict[str, str]:
    """Danish names for the solver's explanations: regions, bands, target groups and the
    candidates' organisations."""
    found = {f"region:{code}": name for code, name in facts.region_names.items()}
    found |= {f"band:{band.code}": band.name for band in facts.money.bands}
    found |= {f"group:{group}": name for group, name in facts.group_names.items()}
    found |= {
        f"organisation:{candidate.organisation_cvr}": candidate.organisation_name
        for candidate in facts.candidates
    }
    return found


def candidate(facts: CandidateFacts, reduce_to_percent: int | None = None) -> Candidate:
    return Candidate(
        id=facts.reference,
        score=facts.score,
        amount_ore=facts.amount_ore,
        min_amount_ore=lowest_amount(facts, reduce_to_percent),
        band=facts.band,
        region=facts.region,
        municipality=facts.municipality,
        organisation=facts.organisation_cvr,
        target_groups=facts.target_groups,
        participants=facts.participants,
        submitted_at=facts.submitted_at,
    )


def lock_errors(
    references: set[str], locked_in: frozenset[str], locked_out: frozenset[str]
) -> dict[str, str]:
    """What is wrong with the locks, by field: references that are not candidates, and
    references both locked in and out."""
    errors = {}
    unknown = sorted((locked_in | locked_out) - references)
    if unknown:
        errors["locked_in"] = _("These are not candidates in this allocation: %(refs)s.") % {
            "refs": ", ".join(unknown)
        }
    both = sorted(locked_in & locked_out)
    if both:
        errors["locked_out"] = _("These are both locked in and locked out: %(refs)s.") % {
            "refs": ", ".join(both)
        }
    return errors


def seed_errors(method: Method, seed: str) -> dict[str, str]:
    """A lottery without a seed, by field (the run form shows it with its other errors)."""
    if method == Method.LOTTERY and not seed.strip():
        return {"lottery_seed": _("A lottery needs a seed that is published with the draw.")}
    return {}


def compose_problem(facts: AllocationFacts, options: AllocationOptions) -> Problem:
    """The solver's problem for these facts and options.

    Raises ValidationError, on the option's field: a budget above what the pool has
    available, a lottery without a seed, locks of applications that are not candidates or
    both locked in and out.
    """
    errors: dict[str, str] = {}
    available = facts.money.available_ore
    budget = available if options.budget_ore is None else options.budget_ore
    if budget > available:
        errors["budget"] = _(
            "The budget can be at most the %(available)s the pool has available"
        ) % {"available": format_dkk(available)}
    errors |= seed_errors(options.method, options.lottery_seed)
    errors |= lock_errors(
        {candidate.reference for candidate in facts.candidates},
        options.locked_in,
        options.locked_out,
    )
    if errors:
        raise ValidationError(errors)
    groups = {
        group: GroupRule(min_count=count)
        for group, count in sorted(options.group_min_counts.items())
        if count > 0
    }
    return Problem(
        budget_ore=budget,
        candidates=tuple(candidate(c, options.reduce_to_percent) for c in facts.candidates),
        objective=options.objective,
        method=options.method,
        allow_reductions=options.reduce_to_percent is not None,
        reduction_unit_ore=options.reduction_unit_ore,
        band_budgets={band.code: band.available_ore for band in facts.money.bands},
        regions=region_limits(
            facts.homes, options.region_floor_percent, options.region_cap_percent
        ),
        target_groups=groups,
        organisation=OrganisationRule(max_grants=options.max_grants_per_organisation),
        min_score=options.min_score,
        locked_in=options.locked_in,
        locked_out=options.locked_out,
        region_weights={region: float(count) for region, count in sorted(facts.homes.items())},
        apportionment=options.apportionment,
        lottery=(
            LotteryRule(seed=options.lottery_seed.strip(), threshold=options.lottery_threshold)
            if options.method == Method.LOTTERY
            else None
        ),
        time_limit=TIME_LIMIT,
        labels=labels(facts),
    )


def comparable(candidate: Candidate) -> tuple[Any, ...]:
    """A candidate's facts from the applications, without what the options derive from them
    (the lowest amount): equal for the same application unchanged."""
    return (
        candidate.id,
        candidate.score,
        candidate.amount_ore,
        candidate.band,
        candidate.region,
        candidate.municipality,
        candidate.organisation,
        candidate.target_groups,
        candidate.participants,
        candidate.submitted_at,
    )
