"""Grant bands as plain data: the one test of which band an amount falls in, and the bands as
the applicant reads them. Pure: no database."""

from collections.abc import Iterable

from pulje.core.money import format_dkk

# A band's smallest and largest grant in øre, both included; None on a pool that is no band.
Limits = tuple[int | None, int | None]


def holds(limits: Limits, amount_ore: int) -> bool:
    """Whether a band with ``limits`` holds ``amount_ore`` (both limits included)."""
    low, high = limits
    return low is not None and high is not None and low <= amount_ore <= high


def bands_text(bands: Iterable[Limits]) -> str:
    """The bands as one line, smallest first as given: "10.000 kr. – 49.999 kr.; …"."""
    return "; ".join(
        f"{format_dkk(low)} – {format_dkk(high)}"
        for low, high in bands
        if low is not None and high is not None
    )
