"""The registry listens to logins through an identity provider (allauth's
``pre_social_login`` signal): MitID Erhverv says which organisation the person logs in for.

Accounts (users, logins) sit below the registry (organisations and who acts for them), so the
login adapter cannot call the registry; the registry connects this receiver in its
``AppConfig.ready`` instead.
"""

from typing import Any

from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.http import HttpRequest
from stdnum.dk.cvr import is_valid as is_valid_cvr

from pulje.registry.services.proof import PROVEN_CVR_KEY, prove_by_identity_provider


def proven_cvr(extra_data: dict[str, Any]) -> str:
    """The CVR number the identity provider vouches for (``settings.OIDC_CVR_CLAIM`` in its
    user info or ID token), as 8 digits; empty when it gives none or one that is not valid."""
    for part in ("userinfo", "id_token"):
        claims = extra_data.get(part)
        if isinstance(claims, dict) and claims.get(settings.OIDC_CVR_CLAIM):
            cvr = "".join(str(claims[settings.OIDC_CVR_CLAIM]).split())
            return cvr if is_valid_cvr(cvr) else ""
    return ""


def prove_on_identity_provider_login(
    sender: object, *, request: HttpRequest, sociallogin: SocialLogin, **kwargs: Any
) -> None:
    """Keep the CVR number the identity provider vouches for in this session (a claim made
    later is proven by it) and prove the person's requests for it now."""
    cvr = proven_cvr(sociallogin.account.extra_data or {})
    if not cvr:
        return
    request.session[PROVEN_CVR_KEY] = cvr
    if sociallogin.is_existing:
        prove_by_identity_provider(user=sociallogin.user, cvr=cvr)
