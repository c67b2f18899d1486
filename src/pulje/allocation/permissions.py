"""Who may see and run a call's allocation: its secretariat acts, the funder above reads
(``calls.permissions.get_call_for_overseer_or_404``); anyone else gets a 404."""

from django.shortcuts import get_object_or_404

from pulje.accounts.models import User
from pulje.allocation.models import AllocationRun
from pulje.calls.permissions import get_call_for_overseer_or_404


def get_run_for_overseer_or_404(user: User, code: str, pk: int) -> tuple[AllocationRun, bool]:
    """One run of the call ``code`` that ``user`` oversees, and whether they may act on it."""
    call, works = get_call_for_overseer_or_404(user, code)
    run = get_object_or_404(
        AllocationRun.objects.select_related("created_by", "confirmed_by"), pk=pk, call=call
    )
    run.call = call
    return run, works
