"""Fields that refuse, with a Danish message, whatever the database could not hold or the
writer would not recognise: amounts, whole numbers, scores and text with a limit."""

import math
import re
from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pulje.core.errors import Refused
from pulje.core.money import MAX_AMOUNT_ORE, MoneyParseError, format_dkk, parse_dkk

# PostgreSQL's integer, the column of a PositiveIntegerField there: the most a whole number
# typed into pulje may be, unless its form bounds it tighter.
MAX_WHOLE_NUMBER = 2_147_483_647
# A rubric's scale ends at most here (PositiveSmallIntegerField), so no score lies above it.
MAX_SCORE = 32_767

_WHOLE_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)")
_SCORE = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")
# The largest id a BigAutoField holds.
MAX_ID = 2**63 - 1
_ID = re.compile(r"[0-9]{1,19}")
# Longer than any number within the bounds above, however it is grouped.
_MAX_NUMBER_TEXT = 20


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


class MoneyField(forms.Field):
    """An amount typed in Danish notation (``12.500,50 kr.``), cleaned to integer øre, between
    ``min_ore`` and ``max_ore`` (by default ``MAX_AMOUNT_ORE``, see ``core.money``)."""

    widget = forms.TextInput
    max_text_length = 40

    def __init__(
        self, *, min_ore: int | None = 1, max_ore: int = MAX_AMOUNT_ORE, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.min_ore = min_ore
        self.max_ore = max_ore

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
        if value is not None and value > self.max_ore:
            raise forms.ValidationError(
                _("The amount can be at most %(max)s") % {"max": format_dkk(self.max_ore)},
                code="max_value",
            )


class WholeNumberField(forms.IntegerField):
    """A whole number typed the Danish way (``1.200`` is twelve hundred, where Django's own
    field would read it as 1.2 and refuse it, or ``1.000`` as 1), with the digits 0-9 only,
    between ``min_value`` (0 unless given) and ``max_value`` (at most ``MAX_WHOLE_NUMBER``)."""

    widget = forms.TextInput

    def __init__(
        self, *, min_value: int = 0, max_value: int = MAX_WHOLE_NUMBER, **kwargs: Any
    ) -> None:
        # Checked in validate(), with the bounds written the Danish way in the message.
        super().__init__(**kwargs)
        self.least = max(min_value, -MAX_WHOLE_NUMBER)
        self.most = min(max_value, MAX_WHOLE_NUMBER)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "numeric"
        return attrs

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, int):
            return value
        text = str(value).strip().replace("\u00a0", "").replace(" ", "") if value else ""
        if not text:
            return None
        if not _WHOLE_NUMBER.fullmatch(text):
            raise forms.ValidationError(
                _("Write a whole number with the digits 0-9, for example 1.200."),
                code="invalid",
            )
        if len(text) > _MAX_NUMBER_TEXT:
            # Beyond any bound, and beyond what int() reads (4,300 digits).
            self._out_of_range(below=text.startswith("-"))
        return int(text.replace(".", ""))

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not self.least <= value <= self.most:
            self._out_of_range(below=value < self.least)

    def _out_of_range(self, *, below: bool) -> None:
        if below:
            raise forms.ValidationError(
                _("The number must be at least %(min)s.") % {"min": _number(self.least)},
                code="min_value",
            )
        raise forms.ValidationError(
            _("The number can be at most %(max)s.") % {"max": _number(self.most)},
            code="max_value",
        )


class ScoreField(forms.Field):
    """A score or a threshold on one, such as ``3,5`` (a decimal comma or point: a score has no
    thousands to group), with the digits 0-9 only, between ``min_value`` (0 unless given) and
    ``MAX_SCORE``."""

    widget = forms.TextInput

    def __init__(self, *, min_value: float = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.least = min_value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "decimal"
        return attrs

    def to_python(self, value: Any) -> float | None:
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip() if value else ""
        if not text:
            return None
        if not _SCORE.fullmatch(text):
            raise forms.ValidationError(
                _("Write a number with the digits 0-9, for example 3,5."), code="invalid"
            )
        # A number too long for a float is infinite, and refused as too large.
        return float(text.replace(",", "."))

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        if not math.isfinite(value) or value > MAX_SCORE:
            raise forms.ValidationError(
                _("The number can be at most %(max)s.") % {"max": _number(MAX_SCORE)},
                code="max_value",
            )
        if value < self.least:
            raise forms.ValidationError(
                _("The number must be at least %(min)s.") % {"min": number_format(self.least)},
                code="min_value",
            )


class RowsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Rows ticked by id (checkboxes), each of which must be one of the choices: an id that
    is not (withdrawn meanwhile, typed into the request, too large for any database id) is
    refused with the form's ``invalid_choice`` message naming it, never skipped silently."""

    def clean(self, value: Any) -> Any:
        for pk in value or ():
            # Django would ask the database, and SQLite fails on an id beyond 64 bits.
            if not (_ID.fullmatch(str(pk)) and int(pk) <= MAX_ID):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super().clean(value)


class LimitedBoundField(forms.BoundField):
    """A ``LimitedTextField`` on the page: DKFDS's character limit (``forms/field.html``)."""

    @property
    def character_limit(self) -> int:
        assert isinstance(self.field, LimitedTextField)
        return self.field.character_limit

    @property
    def limit_text(self) -> str:
        return _("You can write up to %(limit)s characters") % {
            "limit": _number(self.character_limit)
        }

    @property
    def count_text(self) -> str:
        """What DKFDS's script would say now (it says the same in Danish as it counts)."""
        left = self.character_limit - _length(self.value())
        if left >= 0:
            return ngettext(
                "You have %(count)s character left", "You have %(count)s characters left", left
            ) % {"count": _number(left)}
        return ngettext(
            "You have %(count)s character too many",
            "You have %(count)s characters too many",
            -left,
        ) % {"count": _number(-left)}

    @property
    def over_limit(self) -> bool:
        return _length(self.value()) > self.character_limit

    @property
    def aria_describedby(self) -> str | None:
        described = super().aria_describedby
        if described is None:
            return None
        return " ".join(filter(None, [described, f"{self.auto_id}_limit"]))


def _length(value: Any) -> int:
    # A browser counts a line break as one character but sends it as two (CRLF); it is one
    # here too, so the count the writer saw is the count the server checks.
    return len(str(value or "").replace("\r\n", "\n"))


class LimitedTextField(forms.CharField):
    """Text with a limit the writer sees as they type (DKFDS's character limit, read out by
    screen readers) and the server refuses with a message when it is passed.

    There is no ``maxlength`` attribute: with one, a browser cuts a pasted text at the limit
    without a word, and the writer would never know their answer lost its end."""

    bound_field_class = LimitedBoundField

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        # Without max_length, Django adds neither its validator nor the maxlength attribute.
        super().__init__(**kwargs)
        self.max_length = self.character_limit = max_length

    def to_python(self, value: Any) -> str:
        return (super().to_python(value) or "").replace("\r\n", "\n")

    def validate(self, value: Any) -> None:
        super().validate(value)
        limit = self.character_limit
        if _length(value) > limit:
            raise forms.ValidationError(
                _(
                    "Write at most %(limit)s characters. The text has %(length)s, "
                    "%(excess)s too many."
                )
                % {
                    "limit": _number(limit),
                    "length": _number(_length(value)),
                    "excess": _number(_length(value) - limit),
                },
                code="max_length",
            )


def add_service_error(
    form: forms.Form, error: Refused | forms.ValidationError, *, field: str | None = None
) -> None:
    """Show a service's refusal on the form: a ValidationError on its fields, a ``Refused``
    on its own field, else on ``field``, else at the top of the form."""
    if isinstance(error, Refused):
        name = error.field or field
        form.add_error(name if name in form.fields else None, error.message)
    elif hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(field, error.messages)


class DkfdsFormRenderer(TemplatesSetting):
    """Renders fields and widgets with Det Fælles Designsystem's markup and classes."""

    field_template_name = "forms/field.html"
