from django import forms
from django.utils.translation import gettext_lazy as _

from pulje.core.forms import MoneyField


class FastTrackForm(forms.Form):
    max_amount = MoneyField(
        label=_("Largest automatic grant"),
        help_text=_("In kroner, e.g. 15.000. An application asking for more goes to a caseworker."),
    )
