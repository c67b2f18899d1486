"""pulje's hooks into django-allauth: who may sign up, where a login leads, and that every
user is created through ``accounts.services.users`` so the audit trail records it; and
that the second factor's secrets are stored encrypted (``MFAAdapter``)."""

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
from django.urls import reverse
from django.utils.encoding import force_bytes
from stdnum.dk.cvr import is_valid as is_valid_cvr

from pulje.accounts.models import User
from pulje.accounts.services.memberships import PROVEN_CVR_KEY, prove_by_identity_provider
from pulje.accounts.services.users import register_user


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


def proven_cvr(extra_data: dict[str, Any]) -> str:
    """The CVR number the identity provider vouches for (``settings.OIDC_CVR_CLAIM`` in its
    user info or ID token), as 8 digits; empty when it gives none or one that is not valid."""
    for part in ("userinfo", "id_token"):
        claims = extra_data.get(part)
        if isinstance(claims, dict) and claims.get(settings.OIDC_CVR_CLAIM):
            cvr = "".join(str(claims[settings.OIDC_CVR_CLAIM]).split())
            return cvr if is_valid_cvr(cvr) else ""
    return ""


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # The identity provider (MitID Erhverv through a broker) has proved who this is.
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """MitID Erhverv says which organisation the person logs in for: keep its CVR number
        for this session (a claim made later is proven by it) and prove the person's requests
        for it now."""
        super().pre_social_login(request, sociallogin)
        cvr = proven_cvr(sociallogin.account.extra_data or {})
        if not cvr:
            return
        request.session[PROVEN_CVR_KEY] = cvr
        if sociallogin.is_existing:
            prove_by_identity_provider(user=sociallogin.user, cvr=cvr)

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
