import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.accounts.models import MembershipRole
from pulje.core.forms import WholeNumberField
from pulje.core.iban import clean_iban, dk_iban, format_iban
from pulje.registry.cvr import lookup_cvr
from pulje.registry.models import Municipality, Organisation, OrganisationKind
from pulje.registry.validators import clean_cvr, validate_postal_code

PHONE = re.compile(r"^\+?[0-9][0-9 ]{6,18}[0-9]$")


class CvrField(forms.CharField):
    """A CVR number typed with or without spaces, cleaned to 8 digits (modulus 11)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", gettext_lazy("CVR number"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update(inputmode="numeric", autocomplete="off", size="10")
        return attrs

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        return clean_cvr(text) if text else text


class CvrLookupForm(forms.Form):
    cvr = CvrField(help_text=gettext_lazy("The organisation's 8-digit CVR number."))


# What an organisation that registers itself may be, in the order the form asks.
REGISTRATION_KINDS = (
    OrganisationKind.HOUSING,
    OrganisationKind.ASSOCIATION,
    OrganisationKind.LIBRARY,
    OrganisationKind.SOCIAL,
    OrganisationKind.OTHER,
)


class NewOrganisationForm(forms.Form):
    cvr = CvrField(widget=forms.HiddenInput)
    name = forms.CharField(label=gettext_lazy("Name of the organisation"), max_length=200)
    kind = forms.ChoiceField(
        label=gettext_lazy("What kind of organisation is it?"),
        choices=[(kind.value, kind.label) for kind in REGISTRATION_KINDS],
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "A housing organisation is an almen boligorganisation with housing departments. "
            "An association is a local association (forening) with its own CVR number. "
            "The calls say which kinds may apply."
        ),
        error_messages={"required": gettext_lazy("Choose what kind of organisation it is.")},
    )
    address = forms.CharField(
        label=gettext_lazy("Address"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postal_code = forms.CharField(
        label=gettext_lazy("Postal code"),
        max_length=4,
        validators=[validate_postal_code],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "postal-code", "size": "4"}
        ),
    )
    city = forms.CharField(label=gettext_lazy("City"), max_length=100)

    @classmethod
    def for_cvr(cls, cvr: str) -> "NewOrganisationForm":
        """The empty form for ``cvr``, with what the CVR register says of it (name, address,
        the kind its company form implies) filled in where the provider knows it."""
        initial: dict[str, str] = {"cvr": cvr}
        record = lookup_cvr(cvr)
        if record is not None:
            found = {
                "name": record.name,
                "address": record.address,
                "postal_code": record.postal_code,
                "city": record.city,
                "kind": record.kind or "",
            }
            initial.update({name: value for name, value in found.items() if value})
        return cls(initial=initial)


class PartnerVerificationForm(forms.Form):
    """A caseworker vouches for a partner organisation's CVR number."""

    name = forms.CharField(
        label=gettext_lazy("Name of the organisation"),
        max_length=200,
        help_text=gettext_lazy("As the CVR register has it."),
        error_messages={
            "required": gettext_lazy("Give the organisation's name as the CVR register has it.")
        },
    )
    checked = forms.BooleanField(
        label=gettext_lazy(
            "I have checked in the CVR register that the number is this organisation's"
        ),
        template_name="forms/checkbox.html",
        error_messages={
            "required": gettext_lazy("Tick the box to confirm that you have checked it.")
        },
    )


class AssociationImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File of partner organisations"),
        help_text=gettext_lazy(
            "A .csv or .xlsx file with the columns cvr and navn, and if you like type "
            "(forening, bibliotek or social), adresse, postnummer, by and email."
        ),
        error_messages={"required": gettext_lazy("Choose the file to import.")},
    )


class OrganisationProfileForm(forms.Form):
    """The organisation's payment account and contacts. The account is given either as an
    IBAN (Danish or foreign) or as a Danish reg.nr. and account number, which become the
    Danish IBAN."""

    iban = forms.CharField(
        label=gettext_lazy("IBAN"),
        required=False,
        max_length=50,
        help_text=gettext_lazy("For example DK50 0040 0440 1162 43."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reg_no = forms.CharField(
        label=gettext_lazy("Reg.nr."),
        required=False,
        max_length=10,
        help_text=gettext_lazy("4 digits, e.g. 0400."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": "4"}),
    )
    account_no = forms.CharField(
        label=gettext_lazy("Account number"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("Up to 10 digits, e.g. 4011 6243."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    contact_name = forms.CharField(
        label=gettext_lazy("Contact person"), required=False, max_length=200
    )
    contact_email = forms.EmailField(label=gettext_lazy("Contact person's e-mail"), required=False)
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact person's phone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    finance_name = forms.CharField(
        label=gettext_lazy("Finance contact"), required=False, max_length=200
    )
    finance_email = forms.EmailField(label=gettext_lazy("Finance contact's e-mail"), required=False)
    finance_phone = forms.CharField(
        label=gettext_lazy("Finance contact's phone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    CONTACT_FIELDS = (
        "contact_name",
        "contact_email",
        "contact_phone",
        "finance_name",
        "finance_email",
        "finance_phone",
    )

    ACCOUNT_FIELDS = ("iban", "reg_no", "account_no")

    # What an application needs (``selectors.missing_profile_facts``): the profile may be saved
    # without them, but they are not shown as optional. The account is the IBAN or the reg.nr.
    # and account number.
    NEEDED_FIELDS = (*ACCOUNT_FIELDS, *CONTACT_FIELDS[:5])

    def __init__(self, *args: Any, with_account: bool = True, **kwargs: Any) -> None:
        """``with_account`` false leaves the payment account out: only a proven administrator
        changes it."""
        super().__init__(*args, **kwargs)
        if not with_account:
            for name in self.ACCOUNT_FIELDS:
                del self.fields[name]
        for name in self.NEEDED_FIELDS:
            if name in self.fields:
                self.fields[name].needed = True  # type: ignore[attr-defined]

    @property
    def with_account(self) -> bool:
        return "iban" in self.fields

    @classmethod
    def for_organisation(
        cls, organisation: Organisation, **kwargs: Any
    ) -> "OrganisationProfileForm":
        initial = {name: getattr(organisation, name) for name in cls.CONTACT_FIELDS}
        initial["iban"] = format_iban(organisation.payment_iban)
        return cls(initial=initial, **kwargs)

    def clean_iban(self) -> str:
        return clean_iban(self.cleaned_data["iban"])

    def clean_reg_no(self) -> str:
        value = "".join(self.cleaned_data["reg_no"].split())
        if value and not (len(value) == 4 and value.isdigit()):
            raise ValidationError(_("The reg.nr. must be 4 digits."), code="reg_no")
        return value

    def clean_account_no(self) -> str:
        value = "".join(self.cleaned_data["account_no"].replace("-", " ").split())
        if value and not (len(value) <= 10 and value.isdigit()):
            raise ValidationError(
                _("The account number must be digits only, at most 10."), code="account_no"
            )
        return value

    def _clean_phone(self, name: str) -> str:
        value = " ".join(self.cleaned_data[name].split())
        if value and not PHONE.match(value):
            raise ValidationError(
                _("Write the phone number with digits, e.g. 12 34 56 78."), code="phone"
            )
        return value

    def clean_contact_phone(self) -> str:
        return self._clean_phone("contact_phone")

    def clean_finance_phone(self) -> str:
        return self._clean_phone("finance_phone")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.with_account:
            return cleaned
        iban, reg_no, account_no = (
            cleaned.get("iban"),
            cleaned.get("reg_no"),
            cleaned.get("account_no"),
        )
        if self.has_error("iban") or self.has_error("reg_no") or self.has_error("account_no"):
            return cleaned
        if iban and (reg_no or account_no):
            raise ValidationError(
                _("Give either an IBAN or a reg.nr. and account number, not both."),
                code="both",
            )
        if reg_no and not account_no:
            self.add_error("account_no", _("Give the account number as well as the reg.nr."))
        elif account_no and not reg_no:
            self.add_error("reg_no", _("Give the reg.nr. as well as the account number."))
        elif reg_no and account_no:
            cleaned["iban"] = dk_iban(reg_no, account_no)
        return cleaned

    def changes(self) -> dict[str, str]:
        """The organisation's fields as the form sets them."""
        values = {name: self.cleaned_data[name] for name in self.CONTACT_FIELDS}
        if self.with_account:
            values["payment_iban"] = self.cleaned_data["iban"]
        return values


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your colleague's e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=MembershipRole.choices,
        initial=MembershipRole.MEMBER,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "An administrator can also invite and remove people and change the payment account."
        ),
    )


class ProofCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("The code from the e-mail"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": "10"}
        ),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=MembershipRole.choices)


class DepartmentForm(forms.Form):
    """A housing department the registry does not have yet (e.g. for an organisation that
    registered itself); the secretariat sees it in the application and the audit trail."""

    number = forms.CharField(
        label=gettext_lazy("Department number"),
        max_length=10,
        widget=forms.TextInput(attrs={"class": "input-width-xs"}),
    )
    name = forms.CharField(label=gettext_lazy("Name of the department"), max_length=200)
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Municipality"),
        queryset=Municipality.objects.order_by("name"),
        empty_label=gettext_lazy("Choose"),
    )
    homes = WholeNumberField(
        label=gettext_lazy("Number of homes"),
        min_value=1,
        max_value=100_000,
        widget=forms.TextInput(attrs={"class": "input-width-xs"}),
    )
