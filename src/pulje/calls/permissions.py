"""Who may do what with a call's applications.

- The **secretariat** (caseworkers) are the members of the organisation that administers the
  call's pool: they screen, assign assessors and decide (``can_work_call``).
- The **funder** above it (e.g. the ministry over BL's pool) reads everything below its pool
  but changes nothing (``can_oversee_call``, which caseworkers have too).
- **Assessors** see only what they are assigned and have not declared a conflict for
  (``pulje.assessment.permissions``); **applicants** only their organisation's applications
  (``pulje.applications.selectors.applications_for``).
"""

from pulje.accounts.models import User
from pulje.calls.models import Call
from pulje.funds.permissions import can_manage_pool, can_view_pool


def can_work_call(user: User, call: Call) -> bool:
    return can_manage_pool(user, call.pool)


def can_oversee_call(user: User, call: Call) -> bool:
    return can_view_pool(user, call.pool)
