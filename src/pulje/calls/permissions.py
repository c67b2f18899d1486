"""Who may do what with a call's applications.

- The **secretariat** (caseworkers) are the members of the organisation that administers the
  call's pool: they screen, assign assessors and decide (``can_work_call``).
- The **funder** above it (e.g. the ministry over BL's pool) reads everything below its pool
  but changes nothing (``can_oversee_call``, which caseworkers have too).
- **Assessors** see only what they are assigned and have not declared a conflict for
  (``pulje.assessment.permissions``); **applicants** only their organisation's applications
  (``pulje.applications.selectors.applications_for``).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from pulje.accounts.models import User
from pulje.calls.models import Call
from pulje.funds.permissions import can_manage_pool, can_view_pool


def can_work_call(user: User, call: Call) -> bool:
    return can_manage_pool(user, call.pool)


def can_oversee_call(user: User, call: Call) -> bool:
    return can_view_pool(user, call.pool)


def get_call_or_404(code: str) -> Call:
    """Any call, for anyone: calls are public from the moment they are created, so the
    secretariat can preview one before it opens."""
    return get_object_or_404(Call.objects.select_related("pool"), code=code)


def get_call_for_caseworker_or_404(user: User, code: str) -> Call:
    """A call ``user`` works (``can_work_call``): its secretariat sets it up and acts on it."""
    call = get_call_or_404(code)
    if not can_work_call(user, call):
        raise Http404
    return call


def get_call_for_overseer_or_404(user: User, code: str) -> tuple[Call, bool]:
    """A call ``user`` oversees (``can_oversee_call``: its caseworkers and the funder above),
    and whether they may act on it too; anyone else gets a 404, as if the page did not
    exist."""
    call = get_call_or_404(code)
    if not can_oversee_call(user, call):
        raise Http404
    return call, can_work_call(user, call)
