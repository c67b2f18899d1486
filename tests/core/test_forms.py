import pytest
from django import forms
from django.utils import translation

from pulje.core.forms import MoneyField


class AmountForm(forms.Form):
    amount = MoneyField(label="Beløb")
    optional = MoneyField(label="Valgfrit", required=False, min_ore=None)


@pytest.fixture(autouse=True)
def _danish() -> object:
    with translation.override("da"):
        yield


@pytest.mark.parametrize(
    ("typed", "ore"), [("12.500,50 kr.", 1_250_050), ("1.000", 100_000), ("0,01", 1)]
)
def test_money_field_cleans_danish_amounts_to_ore(typed: str, ore: int) -> None:
    form = AmountForm(data={"amount": typed, "optional": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"amount": ore, "optional": None}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Dette felt er påkrævet."),
        (
            "12.5",
            "“12.5” er ikke et beløb. Skriv det på dansk med punktum mellem tusinder og "
            "komma før øre, for eksempel 12.500,50 kr.",
        ),
        ("0", "Beløbet skal være mindst 0,01 kr."),
        ("-5", "Beløbet kan ikke være negativt."),
        ("1" * 41, "Skriv beløbet med højst 40 tegn."),
    ],
)
def test_money_field_explains_what_is_wrong_in_danish(typed: str, message: str) -> None:
    form = AmountForm(data={"amount": typed})
    assert form.errors["amount"] == [message]


def test_money_field_shows_a_stored_amount_in_danish_notation() -> None:
    form = AmountForm(initial={"amount": 1_250_050})
    html = str(form["amount"])
    assert 'value="12.500,50 kr."' in html
    assert 'inputmode="decimal"' in html
    assert 'maxlength="40"' in html
