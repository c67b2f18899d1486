import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pulje.core.forms import MoneyField
from pulje.funds.models import Pool
from pulje.registry.models import Organisation, OrganisationKind


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class SubPoolForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_("Short and unique, letters, digits and hyphens, e.g. bl-2021-band-1."),
    )
    administrator = forms.ModelChoiceField(
        label=_("Administering organisation"),
        # Funders and intermediaries mostly, but e.g. KFUM's social work runs a pool too.
        queryset=Organisation.objects.exclude(kind=OrganisationKind.HOUSING).order_by("name"),
        empty_label=_("Choose an organisation"),
    )
    purpose = forms.CharField(
        label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    period_start = forms.DateField(label=_("Period start"), widget=DateInput())
    period_end = forms.DateField(label=_("Period end"), widget=DateInput())
    spend_by = forms.DateField(
        label=_("Spend by"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty to use the parent pool's date."),
    )
    grant_min_ore = MoneyField(
        label=_("Smallest grant"),
        required=False,
        help_text=_("Only for a grant band, e.g. 10.000 kr."),
    )
    grant_max_ore = MoneyField(label=_("Largest grant"), required=False)
    delegate_ore = MoneyField(
        label=_("Delegate now"),
        required=False,
        help_text=_("Money moved from this pool to the new sub-pool, e.g. 5.000.000 kr."),
    )

    def __init__(self, *args: Any, parent: Pool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["administrator"].initial = parent.administrator_id
        self.fields["period_start"].initial = parent.period_start
        self.fields["period_end"].initial = parent.period_end


class AppropriationForm(forms.Form):
    amount_ore = MoneyField(label=_("Amount"), help_text=_("For example 50.000.000 kr."))
    text = forms.CharField(
        label=_("Basis"),
        max_length=300,
        help_text=_("The decision behind the money, e.g. Aktstykke nr. 41 of 12/11/2020."),
    )


class DelegationForm(forms.Form):
    to = forms.ModelChoiceField(
        label=_("To sub-pool"), queryset=Pool.objects.none(), empty_label=_("Choose a sub-pool")
    )
    amount_ore = MoneyField(label=_("Amount"))
    text = forms.CharField(label=_("Text"), max_length=300, required=False)

    def __init__(self, *args: Any, pool: Pool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        to = self.fields["to"]
        assert isinstance(to, forms.ModelChoiceField)
        to.queryset = pool.children.order_by("code")


class SecondApprovalForm(forms.Form):
    second_approval_above_ore = MoneyField(
        label=_("Second approval of grants above"),
        required=False,
        help_text=_(
            "A grant above this amount is final only when a second caseworker approves it, "
            "e.g. 500.000 kr. Empty: no second approval."
        ),
    )


class TransferForm(forms.Form):
    """Where to move a pool's uncommitted money, how much and why. ``key`` is made when the
    form is first shown, so a confirmation sent twice moves the money once."""

    to = forms.ModelChoiceField(
        label=_("Move to"), queryset=Pool.objects.none(), empty_label=None, widget=forms.RadioSelect
    )
    amount_ore = MoneyField(label=_("Amount"), help_text=_("For example 100.000 kr."))
    text = forms.CharField(
        label=_("Why is the money moved?"),
        max_length=300,
        help_text=_("For example: Band 3 has more good applications than money."),
    )
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, pool: Pool, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        assert pool.parent is not None
        to = self.fields["to"]
        assert isinstance(to, forms.ModelChoiceField)
        # The parent first, then the siblings in the tree's order.
        to.queryset = (
            Pool.objects.filter(pk=pool.parent.pk)
            | Pool.objects.filter(parent=pool.parent).exclude(pk=pool.pk)
        ).order_by("depth", "code")
        to.label_from_instance = lambda target: (  # type: ignore[assignment]
            _("Back to %(pool)s") % {"pool": target.name}
            if target.pk == pool.parent_id
            else target.name
        )
