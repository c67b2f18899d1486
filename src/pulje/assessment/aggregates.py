"""Aggregates of assessors' scores: plain numbers in, plain numbers out (no Django), so
they are tested with hypothesis. docs/assessment.md explains the choices.

- An assessor's **weighted mean** for an application: Σ(weight × score) / Σ weight.
- An application's **mean**: the plain mean of its assessors' weighted means, so each
  assessor counts once however many criteria there are.
- Its **spread**: the largest minus the smallest of those means, in points of the scale. It
  reads directly ("one assessor gave 2 points more than another") where a standard deviation
  of two or three numbers would not; with fewer than two assessors there is none.
- **Normalisation** (optional per call): each assessor's weighted means across their
  applications in the call become z-scores, so a strict and a generous assessor count alike.
  An assessor with one application, or the same mean for all, says nothing about rank: their
  z-scores are 0.
- **Flagged** for moderation: the spread exceeds the call's threshold, until the caseworker
  records the moderation's outcome (a recommendation made after the last assessment came
  in). A third assessment can only widen the spread, so the spread alone never clears; a
  later assessment opens the question again.
"""

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
A = TypeVar("A", bound=Hashable)


def weighted_mean(scores: Iterable[tuple[int, int]]) -> float | None:
    """The weighted mean of (score, weight) pairs; None without any (or with zero weight)."""
    total = weight_sum = 0
    for value, weight in scores:
        total += value * weight
        weight_sum += weight
    if weight_sum == 0:
        return None
    return total / weight_sum


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def spread(values: Sequence[float]) -> float | None:
    """Largest minus smallest; None for fewer than two values."""
    if len(values) < 2:
        return None
    return max(values) - min(values)


def z_scores(values: Mapping[K, float]) -> dict[K, float]:
    """Each value as standard deviations (population) from the values' mean; all 0 for
    fewer than two values or no spread at all."""
    if len(values) < 2:
        return dict.fromkeys(values, 0.0)
    centre = math.fsum(values.values()) / len(values)
    deviation = math.sqrt(math.fsum((v - centre) ** 2 for v in values.values()) / len(values))
    # A spread this small is rounding, not judgement.
    if deviation < 1e-9:
        return dict.fromkeys(values, 0.0)
    return {key: (value - centre) / deviation for key, value in values.items()}


def normalise(by_assessor: Mapping[A, Mapping[K, float]]) -> dict[A, dict[K, float]]:
    """Every assessor's weighted means (by application) as z-scores across their own."""
    return {assessor: z_scores(means) for assessor, means in by_assessor.items()}


@dataclass(frozen=True)
class ScoreSummary:
    """An application's scores in brief. ``mean`` and ``spread`` are in points of the scale;
    ``normalised_mean`` is the mean of the assessors' z-scores (None unless asked for);
    ``flagged``: it needs moderation now; ``moderated``: its assessors disagree beyond the
    threshold, and the caseworker has recorded the outcome since."""

    mean: float | None
    spread: float | None
    count: int
    flagged: bool
    normalised_mean: float | None = None
    moderated: bool = False


def summarise(
    means: Sequence[float],
    *,
    threshold: float,
    normalised: Sequence[float] | None = None,
    outcome_recorded: bool = False,
) -> ScoreSummary:
    """The summary of one application from its assessors' weighted means;
    ``outcome_recorded``: the caseworker has recorded a recommendation since the last
    assessment was submitted."""
    gap = spread(means)
    disagree = gap is not None and gap > threshold
    return ScoreSummary(
        mean=mean(means),
        spread=gap,
        count=len(means),
        flagged=disagree and not outcome_recorded,
        normalised_mean=mean(normalised) if normalised is not None else None,
        moderated=disagree and outcome_recorded,
    )
