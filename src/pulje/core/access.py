"""Every view states who may use it, with one of these decorators.

``tests/test_routes.py`` walks the URL configuration and fails for any view that has not
made that decision explicit. Object-level checks (may this user see this pool?) happen in
the ``get_<thing>_for_<role>_or_404`` loaders of each app's ``permissions.py``, on top of the
decision made here.
"""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    # Only the static type: core sits below accounts and knows the user model at run time
    # through AUTH_USER_MODEL, as Django's own apps do.
    from pulje.accounts.models import User

View = TypeVar("View", bound=Callable[..., Any])


def public(view: View) -> View:
    """Anyone, logged in or not, may use this view."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def logged_in(view: View) -> View:
    """Any logged-in user; the view narrows further by object (a ``…_or_404`` loader)."""
    wrapped = login_required(view)
    wrapped.access = "logged_in"  # type: ignore[attr-defined]
    return wrapped


def staff_only(
    *, open_when: Callable[[], bool] | None = None
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Staff users only: others are sent to log in, or refused (403) when logged in already.

    ``open_when`` opens the view to anyone while it returns true (the outbox in the demo).
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if open_when is None or not open_when():
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                if not request.user.is_staff:
                    raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.access = "staff_only"  # type: ignore[attr-defined]
        return wrapped

    return decorate


def request_user(request: HttpRequest) -> "User":
    """The logged-in user of a request that an access decorator has let through."""
    assert isinstance(request.user, get_user_model())
    return request.user
