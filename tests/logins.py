"""Logging in in tests as the login pages would, second factor included.

``Client.force_login`` skips the login pages, and so the second factor that allauth's login
stage asks for: a caseworker logged in with it alone would be sent to set up an authenticator
app (``SecondFactorMiddleware``). ``force_login_with_second_factor`` stands in for it in every
test (``tests/conftest.py``): a user who needs a second factor gets an authenticator app if
they have none, and the session gets the record allauth writes when its code is typed. The
protection stays on; tests of the second factor itself log in through the real pages.
"""

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.http import HttpRequest
from django.test import Client

from pulje.accounts import mfa
from pulje.accounts.models import User

force_login_without_second_factor = Client.force_login


def give_authenticator_app(user: User, secret: str | None = None) -> Authenticator:
    """The user's authenticator app (TOTP), set up with ``secret`` (a new one if None) unless
    they have one already."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return existing
    instance: Authenticator = TOTP.activate(user, secret or generate_totp_secret()).instance
    return instance


def force_login_with_second_factor(self: Client, user: User, backend: str | None = None) -> None:
    force_login_without_second_factor(self, user, backend)
    if not mfa.needs_second_factor(user):
        return
    authenticator = give_authenticator_app(user)
    session = self.session
    request = HttpRequest()
    request.session = session
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    mfa.assess_login(request, user)
    session.save()
