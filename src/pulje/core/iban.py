"""IBANs: the Danish one of a reg.nr. and account number, the printed form, and the check.

Pure, below every app: the organisation's profile validates with it, templates print with
it, and a payment file writer can hold what it is given to the same rule.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

IBAN_START = re.compile(r"^[A-Z]{2}[0-9]{2}")


def dk_iban(reg_no: str, account_no: str) -> str:
    """The Danish IBAN of a reg.nr. (4 digits) and account number (up to 10 digits)."""
    bban = reg_no + account_no.zfill(10)
    return "DK" + stdnum_iban.calc_check_digits("DK00" + bban) + bban


def format_iban(value: str) -> str:
    """An IBAN in groups of four, as it is printed on a bank statement."""
    return str(stdnum_iban.format(value)) if value else ""


def clean_iban(typed: str) -> str:
    """The compact IBAN of what a person typed (spaces and case as they like), or "" for
    nothing; a ``ValidationError`` with a specific code when it is not a valid IBAN."""
    value = stdnum_iban.compact(typed)
    if not value:
        return ""
    if not IBAN_START.match(value):
        raise ValidationError(
            _("An IBAN starts with a country code and two check digits, e.g. DK50."),
            code="iban_format",
        )
    try:
        return str(stdnum_iban.validate(value))
    except InvalidChecksum:
        raise ValidationError(
            _("“%(value)s” is not a valid IBAN: the check digits do not match."),
            code="iban_checksum",
            params={"value": typed},
        ) from None
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a valid IBAN."), code="iban_invalid", params={"value": typed}
        ) from None
