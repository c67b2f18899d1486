"""The pure aggregates: weighted mean, spread, z-score normalisation, the flag."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulje.assessment.aggregates import (
    ScoreSummary,
    mean,
    normalise,
    spread,
    summarise,
    weighted_mean,
    z_scores,
)

scores = st.integers(min_value=1, max_value=5)
weights = st.integers(min_value=1, max_value=10)
pairs = st.lists(st.tuples(scores, weights), min_size=1, max_size=8)
means = st.lists(st.floats(min_value=1, max_value=5), max_size=6)
# Means in tenths: two differ by 0.1 at least, so "no spread" is never a rounding question.
tenths = st.integers(min_value=10, max_value=50).map(lambda n: n / 10)


def test_weighted_mean_weighs() -> None:
    assert weighted_mean([(5, 3), (1, 1)]) == 4.0
    assert weighted_mean([]) is None
    assert weighted_mean([(3, 0)]) is None


@given(pairs)
def test_weighted_mean_lies_within_the_scores(values: list[tuple[int, int]]) -> None:
    result = weighted_mean(values)
    assert result is not None
    assert min(v for v, _ in values) <= result <= max(v for v, _ in values)


@given(pairs, weights)
def test_weighted_mean_ignores_a_common_factor_of_the_weights(
    values: list[tuple[int, int]], factor: int
) -> None:
    scaled = weighted_mean([(v, w * factor) for v, w in values])
    assert scaled == pytest.approx(weighted_mean(values))


@given(st.lists(scores, min_size=1, max_size=8))
def test_equal_weights_give_the_plain_mean(values: list[int]) -> None:
    assert weighted_mean([(v, 1) for v in values]) == pytest.approx(sum(values) / len(values))


def test_spread_is_max_minus_min_and_needs_two() -> None:
    assert spread([2.0, 4.5, 3.0]) == 2.5
    assert spread([4.0]) is None
    assert spread([]) is None


@given(means)
def test_spread_is_never_negative_and_ignores_order(values: list[float]) -> None:
    gap = spread(values)
    if len(values) < 2:
        assert gap is None
    else:
        assert gap is not None
        assert gap >= 0
        assert spread(list(reversed(values))) == gap


@given(st.dictionaries(st.integers(), tenths, min_size=2))
def test_z_scores_have_mean_zero_and_unit_deviation_or_are_all_zero(
    values: dict[int, float],
) -> None:
    z = z_scores(values)
    assert set(z) == set(values)
    assert math.fsum(z.values()) == pytest.approx(0, abs=1e-6)
    squares = math.fsum(v**2 for v in z.values()) / len(z)
    if len(set(values.values())) == 1:
        assert set(z.values()) == {0.0}
    else:
        assert squares == pytest.approx(1)


@given(
    st.dictionaries(st.integers(), tenths, min_size=2),
    st.floats(min_value=0.1, max_value=3),
    st.floats(min_value=-2, max_value=2),
)
def test_z_scores_ignore_how_strict_an_assessor_is(
    values: dict[int, float], factor: float, shift: float
) -> None:
    stricter = {k: v * factor + shift for k, v in values.items()}
    assert z_scores(stricter) == pytest.approx(z_scores(values), abs=1e-6)


def test_z_scores_of_one_or_identical_values_are_zero() -> None:
    assert z_scores({7: 4.0}) == {7: 0.0}
    assert z_scores({1: 3.0, 2: 3.0}) == {1: 0.0, 2: 0.0}
    assert z_scores({}) == {}
    assert z_scores({1: 2.0, 2: 4.0}) == {1: -1.0, 2: 1.0}


def test_normalise_is_per_assessor() -> None:
    strict = {1: 1.0, 2: 3.0}
    generous = {1: 4.0, 2: 5.0}
    assert normalise({"a": strict, "b": generous}) == {
        "a": {1: -1.0, 2: 1.0},
        "b": {1: -1.0, 2: 1.0},
    }


def test_summarise_flags_a_spread_beyond_the_threshold_only() -> None:
    assert summarise([2.0, 3.5], threshold=1.5) == ScoreSummary(
        mean=2.75, spread=1.5, count=2, flagged=False
    )
    assert summarise([2.0, 3.75], threshold=1.5) == ScoreSummary(
        mean=2.875, spread=1.75, count=2, flagged=True
    )
    assert summarise([], threshold=1.5) == ScoreSummary(
        mean=None, spread=None, count=0, flagged=False
    )
    assert summarise([4.0], threshold=0, normalised=[0.5]) == ScoreSummary(
        mean=4.0, spread=None, count=1, flagged=False, normalised_mean=0.5
    )


@given(means, st.floats(min_value=0, max_value=4))
def test_summarise_flags_exactly_when_the_spread_exceeds(
    values: list[float], threshold: float
) -> None:
    summary = summarise(values, threshold=threshold)
    gap = spread(values)
    assert summary.flagged == (gap is not None and gap > threshold)
    assert summary.count == len(values)
    assert summary.mean == mean(values)
