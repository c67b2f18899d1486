"""Logging in: by a one-time code sent by e-mail (first), by an identity provider (OpenID
Connect, when configured) or by password (staff). django-allauth runs the flows; these views
give them pulje's pages and register a first-time user."""

from typing import Any

from allauth.account import app_settings as allauth_account_settings
from allauth.account import views as allauth_views
from allauth.account.internal.stagekit import clear_login
from allauth.socialaccount import views as social_views
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from pulje.accounts.services.users import get_or_register_user
from pulje.core.access import public
from pulje.core.mail import outbox_is_the_mail_backend


def identity_providers(request: HttpRequest) -> list[tuple[str, str]]:
    """(name, login URL) of each configured OpenID Connect provider, for a login button."""
    return [
        (provider.name, provider.get_login_url(request))
        for provider in get_social_adapter(request).list_providers(request)
    ]


class _DkfdsFields(FormView):  # type: ignore[type-arg]
    """DKFDS shows a field's hint above it, never inside; allauth's fields bring placeholders."""

    def get_form(self, form_class: Any = None) -> forms.Form:
        form: forms.Form = super().get_form(form_class)
        for field in form.fields.values():
            field.widget.attrs.pop("placeholder", None)
        return form


def _demo_context() -> dict[str, Any]:
    return {"outbox_url": reverse("core:outbox") if outbox_is_the_mail_backend() else None}


class RequestCodeView(_DkfdsFields, allauth_views.RequestLoginCodeView):  # type: ignore[misc]
    """The login page: the e-mail address, to which a one-time code is sent."""

    template_name = "accounts/login.html"

    def form_valid(self, form: Any) -> HttpResponse:
        # allauth sends a code only to a known user. A first login registers the address
        # here, so known and new addresses see the same pages and get the same mail (no
        # account enumeration); an inactive user gets no code, and the same page all the same.
        if form._user is None:
            user, _created = get_or_register_user(actor=None, email=form.cleaned_data["email"])
            form._user = user if user.is_active else None
        return super().form_valid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(_demo_context(), providers=identity_providers(self.request))
        return context

    def _redirect_to_pending_stage(self, request: HttpRequest, stage: Any) -> None:
        # Back at the login page, a person starts again (another address, a lost e-mail)
        # rather than being sent on to the code asked for before, as allauth's own login does.
        clear_login(request)


class ConfirmCodeView(_DkfdsFields, allauth_views.ConfirmLoginCodeView):  # type: ignore[misc]
    """Where the code from the e-mail is typed."""

    template_name = "accounts/confirm_code.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        # allauth ends an expired login quietly, back at the login page; say why.
        if getattr(self, "_process", True) is None:
            messages.error(request, _("The code has expired. Ask for a new one."))
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(
            _demo_context(), minutes=allauth_account_settings.LOGIN_BY_CODE_TIMEOUT // 60
        )
        return context


class PasswordLoginView(_DkfdsFields, allauth_views.LoginView):  # type: ignore[misc]
    """Staff who have a password log in with it here."""

    template_name = "accounts/password_login.html"


class SocialSignupView(_DkfdsFields, social_views.SignupView):  # type: ignore[misc]
    """The rare case of an identity provider that did not give an e-mail address."""

    template_name = "socialaccount/signup.html"

    def get_authenticated_redirect_url(self) -> str:
        return str(settings.LOGIN_REDIRECT_URL)


login = public(RequestCodeView.as_view())
confirm_code = public(ConfirmCodeView.as_view())
password_login = public(PasswordLoginView.as_view())
logout = public(auth_views.LogoutView.as_view())
inactive = public(TemplateView.as_view(template_name="accounts/inactive.html"))
oidc_login = public(oidc_views.login)
oidc_callback = public(oidc_views.callback)
social_signup = public(SocialSignupView.as_view())
social_login_cancelled = public(
    social_views.LoginCancelledView.as_view(template_name="socialaccount/login_cancelled.html")
)
social_login_error = public(
    social_views.LoginErrorView.as_view(template_name="socialaccount/authentication_error.html")
)
