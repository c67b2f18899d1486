"""Who may use allocation: the call's secretariat makes runs, runs them again and confirms
them (``can_allocate``); the funder above reads the runs (``can_read_allocation``); anyone
else gets a 404, as if the call had no allocation."""

from pulje.accounts.models import User
from pulje.calls.models import Call
from pulje.calls.permissions import can_oversee_call, can_work_call


def can_read_allocation(user: User, call: Call) -> bool:
    return can_oversee_call(user, call)


def can_allocate(user: User, call: Call) -> bool:
    return can_work_call(user, call)
