from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.allocation.models import RunMethod, RunObjective
from pulje.allocation.problems import DEFAULT_GROUP_MIN, AllocationOptions, seed_errors
from pulje.allocation.solver import Apportionment, Method, Objective
from pulje.applications.models import TargetGroup
from pulje.core.forms import LimitedTextField, MoneyField, ScoreField, WholeNumberField
from pulje.core.money import format_dkk

APPORTIONMENTS = [
    (Apportionment.SAINTE_LAGUE.value, gettext_lazy("Sainte-Laguë (as the Folketing's seats)")),
    (Apportionment.LARGEST_REMAINDER.value, gettext_lazy("Largest remainder")),
]


def _group_field(name: str) -> str:
    return f"group_{name}"


class RunForm(forms.Form):
    """The caseworker's options for a run; ``options()`` gives them to the service."""

    method = forms.ChoiceField(
        label=gettext_lazy("Method"),
        choices=RunMethod.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "The best proposal finds the selection with the most of what counts as best that "
            "meets every rule. The ranking takes the best scores first while the money lasts; "
            "first come takes them in the order they were submitted; envelopes give each region "
            "its share and rank within it; the lottery draws among those above a score."
        ),
        error_messages={"required": gettext_lazy("Choose a method.")},
    )
    objective = forms.ChoiceField(
        label=gettext_lazy("What counts as best"),
        choices=RunObjective.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("For the best proposal; the other methods follow their own order."),
        error_messages={"required": gettext_lazy("Choose what counts as best.")},
    )
    budget = MoneyField(label=gettext_lazy("Budget"), required=False)
    min_score = ScoreField(
        label=gettext_lazy("Lowest score"),
        required=False,
        localize=True,
        min_value=0,
        help_text=gettext_lazy("Applications with a lower mean score get no grant. Empty: none."),
    )
    reduce_to_percent = WholeNumberField(
        label=gettext_lazy("Grants may be reduced to (%)"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=gettext_lazy(
            "For example 80: a grant may be as small as 80 per cent of the amount applied for, "
            "never below its band's smallest grant. Empty: a grant is the amount applied for or "
            "none."
        ),
    )
    reduction_unit = MoneyField(
        label=gettext_lazy("Reduced grants are rounded to whole"),
        help_text=gettext_lazy(
            "For example 500 kr.: a reduced grant is 500 kr., 1.000 kr., 1.500 kr. and so on, "
            "and never below the lowest amount allowed. A grant in full is the amount applied "
            "for."
        ),
        error_messages={"required": gettext_lazy("Give the unit reduced grants are rounded to.")},
    )
    region_floor_percent = WholeNumberField(
        label=gettext_lazy("Each region gets at least (%)"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=gettext_lazy(
            "Of its share of the money in proportion to its social-housing homes. For example "
            "50: a region with 20 per cent of the homes gets at least 10 per cent of the money. "
            "Empty: no floor."
        ),
    )
    region_cap_percent = WholeNumberField(
        label=gettext_lazy("Each region gets at most (%)"),
        required=False,
        min_value=100,
        max_value=1000,
        help_text=gettext_lazy(
            "Of its share of the money in proportion to its social-housing homes. For example "
            "200: a region with 20 per cent of the homes gets at most 40 per cent of the money. "
            "Empty: no cap."
        ),
    )
    max_grants_per_organisation = WholeNumberField(
        label=gettext_lazy("Most grants to one organisation"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=gettext_lazy("Empty: no limit."),
    )
    apportionment = forms.ChoiceField(
        label=gettext_lazy("How the envelopes are shared among the regions"),
        choices=APPORTIONMENTS,
        help_text=gettext_lazy(
            "For envelopes and the lottery: in proportion to the regions' social-housing homes."
        ),
    )
    lottery_seed = forms.CharField(
        label=gettext_lazy("The lottery's seed"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "For the lottery: any text, published with the result, so anyone can repeat the draw."
        ),
    )
    lottery_threshold = ScoreField(
        label=gettext_lazy("The lottery's lowest score"),
        required=False,
        localize=True,
        min_value=0,
        help_text=gettext_lazy("For the lottery: only applications with at least this score."),
    )

    def __init__(self, *args: Any, available_ore: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["budget"].help_text = _("Empty: all the pool has available, %(available)s") % {
            "available": format_dkk(available_ore)
        }
        for value, label in TargetGroup.choices:
            self.fields[_group_field(value)] = WholeNumberField(
                label=_("Fewest grants to projects for %(group)s") % {"group": str(label).lower()},
                min_value=0,
                max_value=1000,
                initial=DEFAULT_GROUP_MIN,
                help_text=_("0: no minimum."),
                error_messages={"required": _("Write a number; 0 for no minimum.")},
            )
        for field in self.fields.values():
            if isinstance(field, ScoreField | WholeNumberField):
                field.widget.attrs["class"] = "input-width-xs"

    @property
    def group_fields(self) -> list[forms.BoundField]:
        return [self[_group_field(value)] for value in TargetGroup.values]

    @staticmethod
    def initial_from(options: AllocationOptions) -> dict[str, Any]:
        """The form's fields filled in from a run's options (or the defaults)."""
        initial: dict[str, Any] = {
            "method": options.method.value,
            "objective": options.objective.value,
            "budget": options.budget_ore,
            "min_score": options.min_score,
            "reduce_to_percent": options.reduce_to_percent,
            "reduction_unit": options.reduction_unit_ore,
            "region_floor_percent": options.region_floor_percent,
            "region_cap_percent": options.region_cap_percent,
            "max_grants_per_organisation": options.max_grants_per_organisation,
            "apportionment": options.apportionment.value,
            "lottery_seed": options.lottery_seed,
            "lottery_threshold": options.lottery_threshold or None,
        }
        for value in TargetGroup.values:
            initial[_group_field(value)] = options.group_min_counts.get(value, 0)
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        method = data.get("method")
        if method:
            for field, message in seed_errors(
                Method(method), data.get("lottery_seed") or ""
            ).items():
                self.add_error(field, message)
        return data

    def options(self) -> AllocationOptions:
        data = self.cleaned_data
        return AllocationOptions(
            method=Method(data["method"]),
            objective=Objective(data["objective"]),
            budget_ore=data["budget"],
            min_score=data["min_score"],
            reduce_to_percent=data["reduce_to_percent"],
            reduction_unit_ore=data["reduction_unit"],
            region_floor_percent=data["region_floor_percent"],
            region_cap_percent=data["region_cap_percent"],
            group_min_counts={value: data[_group_field(value)] for value in TargetGroup.values},
            max_grants_per_organisation=data["max_grants_per_organisation"],
            apportionment=Apportionment(data["apportionment"]),
            lottery_seed=(data["lottery_seed"] or "").strip(),
            lottery_threshold=data["lottery_threshold"] or 0.0,
        )


class LocksForm(forms.Form):
    """The run page's lock-in and lock-out ticks, for "Run again"."""

    locked_in = forms.MultipleChoiceField(label=gettext_lazy("Lock in"), required=False)
    locked_out = forms.MultipleChoiceField(label=gettext_lazy("Lock out"), required=False)

    def __init__(self, *args: Any, references: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(reference, reference) for reference in sorted(references)]
        for name in ("locked_in", "locked_out"):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = choices
            field.error_messages["invalid_choice"] = _(
                "%(value)s is not one of this run's applications."
            )


class BringBackForm(forms.Form):
    """The run page's ticks for the not-recommended applications to bring back into a new
    run."""

    brought_back = forms.MultipleChoiceField(
        label=gettext_lazy("Bring back into the run"),
        error_messages={
            "required": gettext_lazy("Choose the applications to bring back into the run."),
            "invalid_choice": gettext_lazy(
                "%(value)s is not an application the run left out as not recommended."
            ),
        },
    )

    def __init__(self, *args: Any, references: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["brought_back"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(reference, reference) for reference in sorted(references)]


class ConfirmForm(forms.Form):
    reduction_reason = LimitedTextField(
        label=gettext_lazy("Why the reduced grants are reduced"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Stated in the decision letter of each reduced grant."),
    )
