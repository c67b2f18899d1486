from collections.abc import Callable
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse

from pulje.accounts import mfa
from pulje.accounts.models import User

# What a user who still owes the second factor may open: setting it up or typing a code (and
# the password check allauth asks for before a set-up), logging out, the language switch and
# the health check.
OPEN_BEFORE_SECOND_FACTOR = frozenset(
    {
        "mfa_activate_totp",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "accounts:logout",
        "set_language",
        "core:health",
    }
)


class SecondFactorMiddleware:
    """Holds users who need a second factor (``pulje.accounts.mfa``) to it on every page.

    One who has none set up is sent to set up an authenticator app; one who has it but has not
    used it in this session is asked for a code. The decision was made at login and is read
    from the session, so a user who has given it costs no query here. Must come after the
    session, authentication and allauth's middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = request.user
        if not isinstance(user, User):
            return None
        state = mfa.state_of(request)
        if state is None:
            state = mfa.assess_login(request, user)
        if state in {mfa.SecondFactor.NOT_NEEDED, mfa.SecondFactor.GIVEN}:
            return None
        if mfa.used_second_factor(request, user, since=mfa.asked_at(request)):
            mfa.set_state(request, mfa.SecondFactor.GIVEN)
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if state is mfa.SecondFactor.SET_UP:
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        query = QueryDict(mutable=True)
        query[REDIRECT_FIELD_NAME] = request.get_full_path()
        return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query.urlencode(safe='/')}")
