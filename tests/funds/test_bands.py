"""The pure band helpers: the one test of which band holds an amount, and the bands' text."""

import pytest
from django.utils import translation

from pulje.core.money import kr
from pulje.funds.bands import Limits, bands_text, holds


@pytest.mark.parametrize(
    ("limits", "amount_ore", "held"),
    [
        ((kr(10_000), kr(49_999)), kr(10_000) - 1, False),
        ((kr(10_000), kr(49_999)), kr(10_000), True),
        ((kr(10_000), kr(49_999)), kr(49_999), True),
        ((kr(10_000), kr(49_999)), kr(49_999) + 1, False),
        ((kr(5), kr(5)), kr(5), True),
        ((None, None), kr(5), False),
    ],
)
def test_a_band_holds_an_amount_between_its_limits_both_included(
    limits: Limits, amount_ore: int, held: bool
) -> None:
    assert holds(limits, amount_ore) is held


def test_the_bands_text_lists_each_band_in_kroner() -> None:
    with translation.override("en"):
        assert bands_text([(kr(10_000), kr(49_999)), (kr(50_000), kr(149_999))]) == (
            "10.000 kr. – 49.999 kr.; 50.000 kr. – 149.999 kr."
        )
    assert bands_text([]) == ""
