"""Who may use casework: the call's secretariat works its queue (``can_work_call``); the
funder above it reads the queue and the applications but acts on nothing
(``can_oversee_call``). Anyone else gets a 404, as if the call had no casework."""

from pulje.accounts.models import User
from pulje.calls.models import Call
from pulje.calls.permissions import can_oversee_call, can_work_call


def can_read_casework(user: User, call: Call) -> bool:
    return can_oversee_call(user, call)


def can_do_casework(user: User, call: Call) -> bool:
    return can_work_call(user, call)
