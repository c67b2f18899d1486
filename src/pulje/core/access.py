"""Every view states who may use it, with one of these decorators.

``tests/test_routes.py`` walks the URL configuration and fails for any view that has not
made that decision explicit. Object-level checks (may this user see this pool?) happen in
the view's ``get_…_for_user_or_404`` helper on top of the decision made here.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required

View = TypeVar("View", bound=Callable[..., Any])


def public(view: View) -> View:
    """Anyone, logged in or not, may use this view."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def logged_in(view: View) -> View:
    """Any logged-in user; the view narrows further by object (its ``…_for_user_or_404``)."""
    wrapped = login_required(view)
    wrapped.access = "logged_in"  # type: ignore[attr-defined]
    return wrapped
