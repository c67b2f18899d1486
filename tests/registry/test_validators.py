import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pulje.registry.validators import clean_cvr, validate_postal_code


@pytest.mark.parametrize(
    ("value", "cvr"),
    [("12345674", "12345674"), ("1234 5674", "12345674"), (" 29000018 ", "29000018")],
)
def test_clean_cvr_returns_eight_digits(value: str, cvr: str) -> None:
    assert clean_cvr(value) == cvr


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        (
            "12345678",
            "cvr_checksum",
            "“12345678” is not a valid CVR number (the check digit does not match).",
        ),
        ("1234567", "cvr_format", "A CVR number has 8 digits; “1234567” does not."),
        ("123456789", "cvr_format", "A CVR number has 8 digits; “123456789” does not."),
        ("1234567A", "cvr_format", "A CVR number has 8 digits; “1234567A” does not."),
        ("", "cvr_format", "A CVR number has 8 digits; “” does not."),
        ("01234567", "cvr_format", "A CVR number cannot start with 0."),
    ],
)
def test_clean_cvr_says_what_is_wrong(value: str, code: str, message: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        clean_cvr(value)
    assert error.value.code == code
    assert error.value.messages == [message]


@pytest.mark.parametrize("value", ["230", "23000", "23a0", ""])
def test_validate_postal_code_refuses_anything_but_four_digits(value: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_postal_code(value)
    assert error.value.messages == ["A postal code has 4 digits."]
