"""Who may do what with decisions.

Caseworkers of the call decide (``pulje.calls.permissions.can_work_call``), the funder above
reads; the members of the applying organisation read their decision and accept a grant.
"""

from pulje.accounts.models import User
from pulje.registry.models import Organisation


def is_member(user: User, organisation: Organisation) -> bool:
    return bool(
        user.is_authenticated and user.memberships.filter(organisation=organisation).exists()
    )
