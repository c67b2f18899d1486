"""The call a secretariat page is about: found for the views of casework and allocation."""

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from pulje.calls.models import Call
from pulje.calls.permissions import can_oversee_call, can_work_call
from pulje.core.access import request_user


def get_call_for_secretariat_or_404(request: HttpRequest, code: str) -> tuple[Call, bool]:
    """The call (with its pool) if the user works or oversees it, and whether they may act
    on it; anyone else gets a 404, as if the call had no such page."""
    call = get_object_or_404(Call.objects.select_related("pool"), code=code)
    user = request_user(request)
    if not can_oversee_call(user, call):
        raise Http404
    return call, can_work_call(user, call)
