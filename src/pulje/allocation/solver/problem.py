"""An allocation problem as plain data (docs/allocation.md); its JSON form is
``problem_json``.

Everything here is pure Python: no Django, no database.
"""

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

FORMAT_VERSION = 1
# The defaults of a problem, for ``Problem`` and for a JSON problem that leaves them out.
DEFAULT_GAP = 1e-4  # relative optimality gap at which the solver may stop (0.01 %)
DEFAULT_TIME_LIMIT = 60.0  # seconds, for the whole solve
DEFAULT_ENVELOPE_UNIT_ORE = 100_000  # envelopes are whole multiples of this (1.000 kr.)
DEFAULT_REDUCTION_UNIT_ORE = 100  # a reduced grant is a whole multiple of this (1 kr.)


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
    # A reduced grant is a whole multiple of this, and at least the lowest amount; a grant in
    # full is the amount asked, whatever it is.
    reduction_unit_ore: int = DEFAULT_REDUCTION_UNIT_ORE
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
    envelope_unit_ore: int = DEFAULT_ENVELOPE_UNIT_ORE
    lottery: LotteryRule | None = None
    gap: float = DEFAULT_GAP
    time_limit: float = DEFAULT_TIME_LIMIT
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


def exact_share(share: float) -> Fraction:
    """A share as the exact decimal it is written as: 0.08 is 8/100, not the binary float
    nearest to it. Every share rule is held exactly to this (docs/allocation.md)."""
    return Fraction(repr(float(share)))


class ProblemError(ValueError):
    """The problem cannot be read; ``errors`` says every reason, in Danish."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)
