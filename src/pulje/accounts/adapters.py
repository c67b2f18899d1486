"""pulje's hooks into django-allauth: who may sign up (where a login leads is
``LOGIN_REDIRECT_URL``, the start page of the user's roles), and that every user is created
through ``accounts.services.users`` so the audit trail records it; and that the second
factor's secrets are stored encrypted (``MFAAdapter``). What an identity provider's login
proves about an organisation is the registry's (``registry.receivers``)."""

import base64
from typing import Any

from allauth.account import app_settings as allauth_account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest
from django.utils.encoding import force_bytes

from pulje.accounts.models import User
from pulje.accounts.services.users import register_user


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        context = {**context, "minutes": allauth_account_settings.LOGIN_BY_CODE_TIMEOUT // 60}
        super().send_mail(template_prefix, email, context)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # There is no sign-up form: a first login by code registers the user
        # (accounts.views.RequestCodeView), and staff are created in the admin.
        return False


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


def _key_from_secret_key(secret_key: str | bytes) -> bytes:
    """A Fernet key derived from a Django SECRET_KEY, for this purpose only (HKDF's info)."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"pulje.accounts.mfa-secrets"
    ).derive(force_bytes(secret_key))
    return base64.urlsafe_b64encode(derived)


def mfa_fernet() -> MultiFernet:
    """Encrypts with the first key and decrypts with any: MFA_ENCRYPTION_KEY's keys, then keys
    derived from SECRET_KEY and its fallbacks, which encrypt only when MFA_ENCRYPTION_KEY is
    empty and otherwise still read what they encrypted (docs/production.md, rotation)."""
    own = [key.encode() for key in settings.MFA_ENCRYPTION_KEYS]
    derived = [
        _key_from_secret_key(secret)
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    ]
    return MultiFernet([Fernet(key) for key in [*own, *derived]])


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    """allauth stores each TOTP secret and recovery-code seed through ``encrypt``: a copy of
    the database alone gives nobody a second factor."""

    def encrypt(self, text: str) -> str:
        return mfa_fernet().encrypt(text.encode()).decode("ascii")

    def decrypt(self, encrypted_text: str) -> str:
        try:
            return mfa_fernet().decrypt(encrypted_text.encode("ascii")).decode()
        except InvalidToken:
            # Not a key problem to hide behind "wrong code": say which setting is wrong.
            raise ImproperlyConfigured(
                "A stored second-factor secret cannot be decrypted with MFA_ENCRYPTION_KEY (or "
                "SECRET_KEY and SECRET_KEY_FALLBACKS): a key it was encrypted with is missing."
            ) from None
