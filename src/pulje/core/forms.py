from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext as _

from pulje.core.money import MoneyParseError, format_dkk, parse_dkk


class MoneyField(forms.Field):
    """An amount typed in Danish notation (``12.500,50 kr.``), cleaned to integer øre."""

    widget = forms.TextInput
    max_text_length = 40

    def __init__(self, *, min_ore: int | None = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_ore = min_ore

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update(inputmode="decimal", maxlength=str(self.max_text_length))
        return attrs

    def prepare_value(self, value: Any) -> Any:
        return format_dkk(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, int):
            return value
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if len(text) > self.max_text_length:
            raise forms.ValidationError(
                _("Write the amount with at most %(limit)d characters.")
                % {"limit": self.max_text_length},
                code="max_length",
            )
        try:
            return parse_dkk(text)
        except MoneyParseError as error:
            raise forms.ValidationError(str(error), code="money") from None

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and self.min_ore is not None and value < self.min_ore:
            # No full stop after the amount: it ends in "kr." already.
            raise forms.ValidationError(
                _("The amount must be at least %(min)s") % {"min": format_dkk(self.min_ore)},
                code="min_value",
            )


def add_service_error(form: forms.Form, error: Exception, *, field: str | None = None) -> None:
    """Show a service's refusal on the form: a ValidationError on its fields, any other
    error (such as the ledger's) on ``field`` or at the top of the form."""
    if isinstance(error, forms.ValidationError) and hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    elif isinstance(error, forms.ValidationError):
        form.add_error(field, error.messages)
    else:
        form.add_error(field, getattr(error, "message", str(error)))


class DkfdsFormRenderer(TemplatesSetting):
    """Renders fields and widgets with Det Fælles Designsystem's markup and classes."""

    field_template_name = "forms/field.html"
