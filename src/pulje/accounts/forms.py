"""allauth's forms where pulje needs its own words."""

from typing import Any

from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from django import forms
from django.utils.translation import gettext_lazy as _


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):  # type: ignore[misc]
    """Asking for a login code too often is refused with allauth's message for failed
    logins ("too_many_login_attempts"), although nothing failed: say what happened."""

    def clean_email(self) -> Any:
        try:
            return super().clean_email()
        except forms.ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            raise forms.ValidationError(
                _("Too many login codes have been asked for. Wait a few minutes and try again."),
                code="too_many_code_requests",
            ) from error
