"""Money in pulje: integer øre everywhere, parsed from and formatted to Danish notation here only.

Amounts are never floats. ``12.500,50 kr.`` is 1,250,050 øre. Danish notation uses "." to group
thousands and "," for decimals; input that could mean something else (``12.5``, ``1,2,3``) is
refused with a message that says what to write instead, rather than guessed. Only the digits
0-9 count as digits: another script's digits (``٣``) are refused rather than read.

No single amount may exceed ``MAX_AMOUNT_ORE``, 10 mia. kr.: far above any pool or grant, and
small enough that the sums of millions of such amounts fit in a ``BigIntegerField`` (at most
9.2 × 10^18 øre) and the sums of thousands stay exact as the floating-point numbers the
allocation solver (HiGHS) computes with (exact up to 2^53, about 9 × 10^15).
"""

import re

from django.utils.translation import gettext as _

from pulje.core.dkk import ORE_PER_KRONE, format_dkk

__all__ = ["MAX_AMOUNT_ORE", "ORE_PER_KRONE", "MoneyParseError", "format_dkk", "kr", "parse_dkk"]

MAX_AMOUNT_ORE = 10**12


_CURRENCY = re.compile(r"^(?:kr\.?|dkk)\s*|\s*(?:kr\.?|dkk|,-)$", re.IGNORECASE)
_GROUPED = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]{1,2})?$")
_PLAIN = re.compile(r"^[0-9]+(?:,[0-9]{1,2})?$")


class MoneyParseError(ValueError):
    """Raised with a Danish, user-facing message when an amount cannot be read."""


def kr(kroner: int) -> int:
    """Whole kroner as øre: ``kr(15_000_000)`` is the 15 mio. kr. pool."""
    return kroner * ORE_PER_KRONE


def parse_dkk(text: str, *, allow_negative: bool = False) -> int:
    """Read a Danish amount such as ``12.500,50 kr.`` and return it in øre."""
    cleaned = text.strip().replace("\u00a0", " ")
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = _CURRENCY.sub("", cleaned).strip()
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:].strip()
    cleaned = cleaned.replace(" ", "")
    if not cleaned:
        raise MoneyParseError(_("Enter an amount, for example 12.500,50 kr."))
    if not (_GROUPED.match(cleaned) or _PLAIN.match(cleaned)):
        raise MoneyParseError(
            _(
                "“%(text)s” is not an amount. Write it in Danish notation, with a full stop "
                "between thousands and a comma before øre, for example 12.500,50 kr."
            )
            % {"text": text.strip()}
        )
    kroner, _sep, ore = cleaned.replace(".", "").partition(",")
    amount = int(kroner) * ORE_PER_KRONE + int(ore.ljust(2, "0"))
    if negative:
        if not allow_negative:
            raise MoneyParseError(_("The amount cannot be negative."))
        amount = -amount
    return amount
