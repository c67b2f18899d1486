"""Where to take a user back to after a detour (first registering their organisation, say)."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

_KEY = "pulje_return_to"


def remember_return(request: HttpRequest, path: str) -> None:
    """Come back to ``path`` (a path on this site) when the detour is done."""
    request.session[_KEY] = path


def pop_return(request: HttpRequest) -> str | None:
    """The remembered path, once; None if there is none or it is not on this site."""
    path = request.session.pop(_KEY, None)
    if isinstance(path, str) and url_has_allowed_host_and_scheme(
        path, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return path
    return None
