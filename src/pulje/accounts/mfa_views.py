"""The second factor's pages: django-allauth's MFA views with pulje's templates
(``templates/mfa/``), access decisions, and the session's state (``pulje.accounts.mfa``) kept
up to date when an authenticator app is set up or removed."""

from typing import Any

from allauth.account import views as allauth_account_views
from allauth.mfa.base import views as base_views
from allauth.mfa.base.internal.flows import post_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes import views as recovery_views
from allauth.mfa.totp import views as totp_views
from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

from pulje.accounts import mfa
from pulje.accounts.views import _DkfdsFields
from pulje.core.access import logged_in, public, request_user


class AuthenticateView(base_views.AuthenticateView):  # type: ignore[misc]
    """The login's second step: a code from the app or a recovery code."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        form: forms.Form = context["form"]
        for field in form.fields.values():
            field.widget.attrs.pop("placeholder", None)
        return context


class ReauthenticateView(_DkfdsFields, base_views.ReauthenticateView):  # type: ignore[misc]
    """A code again, before a change to the second factor, or once in a session that has not
    used it yet (``SecondFactorMiddleware``)."""


class PasswordReauthenticateView(_DkfdsFields, allauth_account_views.ReauthenticateView):  # type: ignore[misc]
    """The password again, before a user who has one sets up their second factor."""


class ActivateTOTPView(_DkfdsFields, totp_views.ActivateTOTPView):  # type: ignore[misc]
    """Set up an authenticator app: scan the QR code (or type the secret), type a code."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if mfa.state_of(request) is mfa.SecondFactor.SET_UP and mfa.has_authenticator_app(
            request_user(request)
        ):
            # Set up in another session meanwhile: this one has not used it yet.
            mfa.set_state(request, mfa.SecondFactor.VERIFY)
            return HttpResponseRedirect(reverse("mfa_reauthenticate"))
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["required"] = mfa.state_of(self.request) is mfa.SecondFactor.SET_UP
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_valid(form)
        # The code just typed came from the new app: on record as the session's second factor
        # (``SecondFactorMiddleware`` reads it), and as a fresh confirmation, so the recovery
        # codes made with it can be shown next without asking for a code again.
        app = Authenticator.objects.get(
            user=request_user(self.request), type=Authenticator.Type.TOTP
        )
        post_authentication(self.request, app, reauthenticated=True)
        return response


class DeactivateTOTPView(totp_views.DeactivateTOTPView):  # type: ignore[misc]
    """Remove the authenticator app; one who needs a second factor sets up another at once."""

    def form_valid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_valid(form)
        if mfa.needs_second_factor(request_user(self.request)):
            mfa.set_state(self.request, mfa.SecondFactor.SET_UP)
        return response


index = logged_in(base_views.index)
authenticate = public(AuthenticateView.as_view())
reauthenticate = logged_in(ReauthenticateView.as_view())
password_reauthenticate = logged_in(PasswordReauthenticateView.as_view())
activate_totp = logged_in(ActivateTOTPView.as_view())
deactivate_totp = logged_in(DeactivateTOTPView.as_view())
recovery_codes = logged_in(recovery_views.view_recovery_codes)
generate_recovery_codes = logged_in(recovery_views.generate_recovery_codes)
download_recovery_codes = logged_in(recovery_views.download_recovery_codes)
