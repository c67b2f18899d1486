"""Where to take a user back to after a detour (first registering their organisation, say)."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

_KEY = "pulje_return_to"


def remember_return(request: HttpRequest, path: str) -> None:
    """Come back to ``path`` (a path on this site) when the detour is done."""
    request.session[_KEY] = path


def _on_this_site(request: HttpRequest, path: object) -> str | None:
    if isinstance(path, str) and url_has_allowed_host_and_scheme(
        path, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return path
    return None


def pop_return(request: HttpRequest) -> str | None:
    """The remembered path, once; None if there is none or it is not on this site."""
    return _on_this_site(request, request.session.pop(_KEY, None))


def next_path(request: HttpRequest) -> str | None:
    """The page a link or form asked to come back to (``next``, in the query or the form),
    if it is on this site."""
    return _on_this_site(request, request.POST.get("next") or request.GET.get("next"))
