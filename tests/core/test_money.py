import pytest

from pulje.core.money import MoneyParseError, format_dkk, kr, parse_dkk


@pytest.mark.parametrize(
    ("text", "ore"),
    [
        ("12.500,50 kr.", 1_250_050),
        ("12.500,50", 1_250_050),
        ("12500,5", 1_250_050),
        ("12500", 1_250_000),
        ("kr. 12.500", 1_250_000),
        ("12.500,- kr.", 1_250_000),
        ("12 500 kr", 1_250_000),
        ("15.000.000 kr.", 1_500_000_000),
        ("DKK 0,01", 1),
        ("1.000.000,00", 100_000_000),
        ("\u00a012.500\u00a0kr.", 1_250_000),
    ],
)
def test_parse_dkk_reads_danish_notation(text: str, ore: int) -> None:
    assert parse_dkk(text) == ore


@pytest.mark.parametrize(
    "text", ["", "kr.", "12.5", "12,500.50", "1,2,3", "12.50.000", "abc", "12,505", "1.2345"]
)
def test_parse_dkk_refuses_what_it_cannot_read_unambiguously(text: str) -> None:
    with pytest.raises(MoneyParseError):
        parse_dkk(text)


def test_parse_dkk_refuses_negative_unless_allowed() -> None:
    with pytest.raises(MoneyParseError):
        parse_dkk("-100")
    assert parse_dkk("-1.000,25", allow_negative=True) == -100_025


@pytest.mark.parametrize(
    ("ore", "text"),
    [
        (1_250_050, "12.500,50 kr."),
        (1_250_000, "12.500 kr."),
        (kr(15_000_000), "15.000.000 kr."),
        (5, "0,05 kr."),
        (0, "0 kr."),
        (-100_025, "-1.000,25 kr."),
    ],
)
def test_format_dkk(ore: int, text: str) -> None:
    assert format_dkk(ore) == text


def test_format_dkk_can_always_show_ore() -> None:
    assert format_dkk(kr(10), always_ore=True) == "10,00 kr."


@pytest.mark.parametrize("ore", [0, 1, 99, 100, 1_250_050, 123_456_789_012])
def test_format_then_parse_round_trips(ore: int) -> None:
    assert parse_dkk(format_dkk(ore)) == ore
