from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.dk import cvr as stdnum_cvr
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError


def clean_cvr(value: str) -> str:
    """Return the CVR number as 8 digits, or raise a Danish ValidationError saying what is wrong."""
    compact = stdnum_cvr.compact(value or "")
    if not compact.isdigit() or len(compact) != 8:
        raise ValidationError(
            _("A CVR number has 8 digits; “%(value)s” does not."),
            code="cvr_format",
            params={"value": value},
        )
    if compact.startswith("0"):
        raise ValidationError(_("A CVR number cannot start with 0."), code="cvr_format")
    try:
        stdnum_cvr.validate(compact)
    except InvalidChecksum:
        raise ValidationError(
            _("“%(value)s” is not a valid CVR number (the check digit does not match)."),
            code="cvr_checksum",
            params={"value": value},
        ) from None
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a valid CVR number."), code="cvr_invalid", params={"value": value}
        ) from None
    return compact


def validate_cvr(value: str) -> None:
    clean_cvr(value)


def validate_postal_code(value: str) -> None:
    if not (len(value) == 4 and value.isdigit()):
        raise ValidationError(_("A postal code has 4 digits."), code="postal_code")
