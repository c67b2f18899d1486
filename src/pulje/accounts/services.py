"""Writes to users and memberships. Each writes an audit event in the same transaction."""

from django.db import transaction

from pulje.accounts.models import Membership, User
from pulje.core.audit import record_event, snapshot
from pulje.registry.models import Organisation


@transaction.atomic
def register_user(
    *,
    actor: User | None,
    email: str,
    name: str = "",
    password: str | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a user; without a password the user cannot log in with one.

    Side effects: one audit event ``accounts.user.registered`` (never with the password).
    """
    user = User.objects.create_user(
        email, password, name=name, is_staff=is_staff, is_superuser=is_superuser
    )
    record_event(
        actor=actor,
        action="accounts.user.registered",
        obj=user,
        after=snapshot(user, ("email", "name", "is_staff", "is_superuser")),
    )
    return user


@transaction.atomic
def add_membership(*, actor: User | None, user: User, organisation: Organisation) -> Membership:
    """Let ``user`` act for ``organisation``; adding an existing membership changes nothing.

    Side effects: one audit event ``accounts.membership.added`` when it is new.
    """
    membership, created = Membership.objects.get_or_create(user=user, organisation=organisation)
    if created:
        record_event(
            actor=actor,
            action="accounts.membership.added",
            obj=membership,
            after=snapshot(membership, ("user", "organisation")),
        )
    return membership
