"""pulje's hooks into django-allauth: who may sign up, where a login leads, and that every
user is created through ``accounts.services`` so the audit trail records it."""

from typing import Any

from allauth.account import app_settings as allauth_account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from pulje.accounts.models import User
from pulje.accounts.services import register_user


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        context = {**context, "minutes": allauth_account_settings.LOGIN_BY_CODE_TIMEOUT // 60}
        super().send_mail(template_prefix, email, context)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # There is no sign-up form: a first login by code registers the user
        # (accounts.views.RequestCodeView), and staff are created in the admin.
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """An applicant who acts for no organisation yet is asked to register one first."""
        user = request.user
        if isinstance(user, User) and not user.is_staff and not user.memberships.exists():
            return reverse("registry:onboarding")
        return str(super().get_login_redirect_url(request))


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # The identity provider (MitID Erhverv through a broker) has proved who this is.
        return True

    def populate_user(
        self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]
    ) -> User:
        user: User = super().populate_user(request, sociallogin, data)
        full_name = " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        )
        user.name = str(data.get("name") or full_name)[:200]
        return user

    @transaction.atomic
    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        """Register the provider's user through ``register_user`` (with its audit event),
        without a password, then let allauth link the provider's account to it."""
        proposed = sociallogin.user
        assert proposed is not None
        if form is not None:
            proposed.email = form.cleaned_data["email"]
        user = register_user(actor=None, email=proposed.email, name=proposed.name)
        sociallogin.user = user
        sociallogin.save(request)
        return user
