"""The pure plan arithmetic, checked by independent exact arithmetic (fractions)."""

import itertools
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from pulje.core.money import kr
from pulje.payments.plans import DEFAULT_RULES, Part, Trigger, parts_problem, rule_for, split


@st.composite
def percents(draw: st.DrawFn) -> list[int]:
    """Whole percentages summing to 100, in 1–6 parts."""
    cuts = sorted(draw(st.lists(st.integers(1, 99), max_size=5, unique=True)))
    bounds = [0, *cuts, 100]
    return [b - a for a, b in itertools.pairwise(bounds)]


@given(total=st.integers(0, 10**12), shares=percents())
def test_split_sums_exactly_and_stays_within_one_ore_of_each_share(
    total: int, shares: list[int]
) -> None:
    amounts = split(total, shares)
    assert sum(amounts) == total
    for amount, share in zip(amounts, shares, strict=True):
        exact = Fraction(total * share, 100)
        assert abs(amount - exact) < 1
        assert amount >= 0


def test_split_gives_the_odd_ore_to_the_largest_remainder_then_the_earlier_part() -> None:
    assert split(101, [80, 20]) == [81, 20]  # 80.8 and 20.2
    assert split(1, [50, 50]) == [1, 0]
    assert split(kr(150_000), [80, 20]) == [kr(120_000), kr(30_000)]


def test_the_default_rule_pays_up_to_100_000_kr_in_full_and_above_it_80_20() -> None:
    assert rule_for(DEFAULT_RULES, kr(100_000)).parts == (Part(100, Trigger.ACCEPTANCE),)
    assert rule_for(DEFAULT_RULES, kr(100_000) + 1).parts == (
        Part(80, Trigger.ACCEPTANCE),
        Part(20, Trigger.FINAL_REPORT),
    )


def test_parts_must_be_positive_whole_percentages_summing_to_100() -> None:
    assert parts_problem([]) == "empty"
    assert parts_problem([Part(0, Trigger.ACCEPTANCE), Part(100, Trigger.ACCEPTANCE)]) == "percent"
    assert parts_problem([Part(60, Trigger.ACCEPTANCE), Part(30, Trigger.FINAL_REPORT)]) == "sum"
    assert parts_problem([Part(60, Trigger.ACCEPTANCE), Part(40, Trigger.FINAL_REPORT)]) is None
