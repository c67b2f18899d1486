from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pulje.applications.models import BudgetKind
from pulje.casework.models import ScreeningRules
from pulje.core.forms import MoneyField, WholeNumberField


class ScreeningRulesForm(forms.Form):
    """A call's screening rules as the secretariat sets them, the salary cap in kroner."""

    require_eligible_applicant = forms.BooleanField(
        label=_("The applicant must be of a kind the call is open to, with a valid CVR number"),
        required=False,
    )
    require_partner = forms.BooleanField(
        label=_("A partner of the call's required kinds with a valid CVR number"), required=False
    )
    check_amount_band = forms.BooleanField(
        label=_("The amount must be within one of the call's grant sizes"), required=False
    )
    check_budget_sum = forms.BooleanField(
        label=_("The budget lines must add up to the amount"), required=False
    )
    check_period = forms.BooleanField(
        label=_("The project period must lie within the call's window and the spend-by date"),
        required=False,
    )
    salary_cap_monthly_ore = MoneyField(
        label=_("Salary cap a month"),
        required=False,
        help_text=_(
            "Salaries may be at most this a month of the project period, in kroner, e.g. "
            "34.000 or 34.000,50. Empty: no cap."
        ),
    )
    excluded_cost_kinds = forms.MultipleChoiceField(
        label=_("Kinds of cost the call does not cover"),
        choices=BudgetKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    duplicate_similarity_percent = WholeNumberField(
        label=_("Duplicate title similarity (%)"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_(
            "An application on the same housing department with a title at least this similar "
            "to an earlier one is a duplicate. Empty: no duplicate check."
        ),
    )

    @classmethod
    def for_rules(cls, rules: ScreeningRules, data: Any = None) -> "ScreeningRulesForm":
        return cls(data, initial={name: getattr(rules, name) for name in cls.base_fields})

    def as_rules(self, rules: ScreeningRules) -> ScreeningRules:
        """``rules`` (unsaved) with the form's values: what the preview screens by."""
        preview = ScreeningRules(call=rules.call)
        for name, value in self.cleaned_data.items():
            setattr(preview, name, value)
        return preview
