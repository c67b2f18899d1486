from typing import Any, TypedDict

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.applications.models import BudgetKind
from pulje.core.forms import LimitedTextField, MoneyField
from pulje.core.money import format_dkk
from pulje.decisions.models import RejectionReason


class DecisionArguments(TypedDict):
    """What a decision form gives ``decide_applications`` for one application."""

    outcome: str
    reason_code: str
    reason_text: str
    amount_ore: int | None


class GrantForm(forms.Form):
    """Grant the amount requested: nothing to fill in."""

    def arguments(self) -> DecisionArguments:
        return {"outcome": "grant", "reason_code": "", "reason_text": "", "amount_ore": None}


class ReduceForm(forms.Form):
    amount_ore = MoneyField(
        label=gettext_lazy("Amount granted"),
        help_text=gettext_lazy("Less than the amount requested, in kroner, e.g. 40.000"),
    )
    reason_text = LimitedTextField(
        label=gettext_lazy("Why the grant is reduced"),
        help_text=gettext_lazy("The reason is stated in the letter to the applicant."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args: Any, requested_ore: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requested_ore = requested_ore

    def clean_amount_ore(self) -> int:
        amount: int = self.cleaned_data["amount_ore"]
        if amount >= self.requested_ore:
            raise forms.ValidationError(
                _("A reduced grant must be less than the %(requested)s requested.")
                % {"requested": format_dkk(self.requested_ore)},
                code="not_reduced",
            )
        return amount

    def arguments(self) -> DecisionArguments:
        """A grant of less than requested, with the reason."""
        return {
            "outcome": "grant",
            "reason_code": "",
            "reason_text": self.cleaned_data["reason_text"],
            "amount_ore": self.cleaned_data["amount_ore"],
        }


class RejectForm(forms.Form):
    reason_code = forms.ChoiceField(
        label=gettext_lazy("Reason for the rejection"),
        choices=RejectionReason.choices,
        widget=forms.RadioSelect,
    )
    reason_text = LimitedTextField(
        label=gettext_lazy("Explanation"),
        help_text=gettext_lazy("Required for “Other reason”. Stated in the letter."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        assert data is not None
        if data.get("reason_code") == RejectionReason.OTHER and not data.get("reason_text"):
            self.add_error("reason_text", _("Describe the reason for the rejection."))
        return data

    def arguments(self) -> DecisionArguments:
        return {
            "outcome": "reject",
            "reason_code": self.cleaned_data["reason_code"],
            "reason_text": self.cleaned_data["reason_text"],
            "amount_ore": None,
        }


class AcceptForm(forms.Form):
    """The grantee's acceptance; ``budget_<kind>`` fields only for a reduced grant."""

    confirm_account = forms.BooleanField(
        label=gettext_lazy("The payment account above is correct"),
        template_name="forms/checkbox.html",
    )
    public_summary = LimitedTextField(
        label=gettext_lazy("Summary for publication"),
        help_text=gettext_lazy(
            "The pool publishes this summary of the project with the grant. Correct it if needed."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )

    def __init__(self, *args: Any, granted_ore: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.granted_ore = granted_ore
        if granted_ore is not None:
            for kind, label in BudgetKind.choices:
                self.fields[f"budget_{kind}"] = MoneyField(label=label, required=False)

    def budget_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("budget_")]

    def budget(self) -> dict[str, int] | None:
        if self.granted_ore is None:
            return None
        return {kind: self.cleaned_data.get(f"budget_{kind}") or 0 for kind in BudgetKind.values}

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        assert data is not None
        budget = self.budget() if not self.errors else None
        if budget is not None and self.granted_ore is not None:
            total = sum(budget.values())
            if total != self.granted_ore:
                raise forms.ValidationError(
                    _(
                        "The revised budget must add up to the %(granted)s granted; "
                        "it adds up to %(total)s"
                    )
                    % {"granted": format_dkk(self.granted_ore), "total": format_dkk(total)},
                    code="budget_sum",
                )
        return data


class ReturnForm(forms.Form):
    """A grant proposal sent back by the second caseworker (or taken back by its proposer)."""

    reason = forms.CharField(
        label=gettext_lazy("Why the grant is returned"),
        help_text=gettext_lazy("For the caseworkers; the applicant does not see it."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": gettext_lazy("Write why the grant is returned.")},
    )


class DeclineForm(forms.Form):
    """The grantee's confirmation that they decline the grant for good."""

    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the grant cannot be restored once declined"),
        template_name="forms/checkbox.html",
        error_messages={
            "required": gettext_lazy("Tick the box to confirm that you decline the grant.")
        },
    )


class ConfirmDecisionsForm(forms.Form):
    """The second step of deciding: the token of the confirmation page (what it listed and
    warned of) and the tick that its warnings were seen. The decision service checks both."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    seen = forms.BooleanField(label=gettext_lazy("I have seen the warnings"), required=False)

    def arguments(self) -> dict[str, Any]:
        return {"shown": self.cleaned_data["token"], "warnings_seen": self.cleaned_data["seen"]}


class UndoDecisionsForm(forms.Form):
    """The caseworker's confirmation that the decisions listed are undone."""

    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that these decisions are undone and no letters are sent"),
        template_name="forms/checkbox.html",
        error_messages={
            "required": gettext_lazy("Tick the box to confirm that the decisions are undone.")
        },
    )
