"""Who needs a second factor, and whether this session has given it.

Staff, superusers and the people of an organisation that administers a pool (caseworkers
administer a call's pool, funders one above it) handle other people's money and data: they
log in with a second factor, an authenticator app (TOTP), after the password, the e-mail
code or the identity provider. django-allauth's login stage asks for it from everyone who has
one set up; this module decides who must have one.

The decision is made once, when the user logs in (``assess_login``, on Django's
``user_logged_in``), and kept in the session, so ``SecondFactorMiddleware`` reads only the
session on each request. The states:

- ``NOT_NEEDED``: the user's role does not call for a second factor.
- ``GIVEN``: needed, and given in this session (allauth's record of the login says so).
- ``SET_UP``: needed, and the user has no authenticator app yet: they set one up first.
- ``VERIFY``: needed, the user has one, but this session did not use it (a session from
  before the requirement, or an app set up elsewhere meanwhile): they type a code first.

A role gained during a session (a new membership of a pool's organisation) counts from the
next login; a session lasts at most ``SESSION_IDLE_SECONDS`` without use.
"""

import enum
import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt, encrypt
from django.db import transaction
from django.http import HttpRequest

from pulje.accounts.models import Membership, User

SESSION_KEY = "pulje_second_factor"
ASKED_AT_SESSION_KEY = "pulje_second_factor_asked_at"


class SecondFactor(enum.StrEnum):
    NOT_NEEDED = "not_needed"
    GIVEN = "given"
    SET_UP = "set_up"
    VERIFY = "verify"


def needs_second_factor(user: User) -> bool:
    """Staff and superusers, and members of an organisation that administers any pool: the
    caseworkers of a call's pool and the funders above it. Any membership counts, proven or
    not: the requirement is never weaker than the powers the membership may give."""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, organisation__administered_pools__isnull=False
    ).exists()


def has_authenticator_app(user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


def used_second_factor(request: HttpRequest, user: User, *, since: float = 0.0) -> bool:
    """Whether this session has a second factor of ``user`` on record, used at ``since`` (a
    Unix time) or later: allauth records one when a code from the app or a recovery code is
    typed at login or to confirm it is them, and pulje when an app is set up."""
    return any(
        record.get("method") == "mfa" and float(record.get("at", 0)) >= since
        for record in get_authentication_records(request, user)
    )


# The fields in which allauth stores a secret through the adapter's encrypt().
_ENCRYPTED_FIELDS = {
    Authenticator.Type.TOTP: ("secret",),
    Authenticator.Type.RECOVERY_CODES: ("seed",),
}


@transaction.atomic
def reencrypt_secrets() -> int:
    """Encrypt every stored TOTP secret and recovery-code seed again with the current key
    (``MFAAdapter``): after a new key is put first in MFA_ENCRYPTION_KEY, so the old one can
    go. Returns how many authenticators were rewritten.

    Side effects: rewrites ``Authenticator.data`` under a row lock; no audit event (the
    secrets do not change, only the key that guards them).
    """
    count = 0
    for authenticator in Authenticator.objects.select_for_update().filter(
        type__in=list(_ENCRYPTED_FIELDS)
    ):
        data = dict(authenticator.data)
        for field in _ENCRYPTED_FIELDS[authenticator.type]:
            data[field] = encrypt(decrypt(data[field]))
        if "migrated_codes" in data:
            data["migrated_codes"] = [encrypt(decrypt(code)) for code in data["migrated_codes"]]
        authenticator.data = data
        authenticator.save(update_fields=["data"])
        count += 1
    return count


def assess_login(request: HttpRequest, user: User) -> SecondFactor:
    """Decide and keep in the session what ``user`` still owes this session.

    Side effects: writes the state to ``request.session``.
    """
    if not needs_second_factor(user):
        state = SecondFactor.NOT_NEEDED
    elif used_second_factor(request, user):
        state = SecondFactor.GIVEN
    elif has_authenticator_app(user):
        state = SecondFactor.VERIFY
    else:
        state = SecondFactor.SET_UP
    set_state(request, state)
    return state


def asked_at(request: HttpRequest) -> float:
    """When the session was told what it owes: only a second factor used since then pays it
    (one used before an app was removed does not)."""
    return float(request.session.get(ASKED_AT_SESSION_KEY, 0.0))


def state_of(request: HttpRequest) -> SecondFactor | None:
    """The session's state; None for a session from before pulje asked for a second factor."""
    raw = request.session.get(SESSION_KEY)
    try:
        return SecondFactor(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def set_state(request: HttpRequest, state: SecondFactor) -> None:
    request.session[SESSION_KEY] = state.value
    request.session[ASKED_AT_SESSION_KEY] = time.time()


def on_user_logged_in(
    sender: object, request: HttpRequest | None, user: User, **kwargs: object
) -> None:
    """Django's ``user_logged_in``: every login, by any path, is assessed."""
    if request is not None:
        assess_login(request, user)
