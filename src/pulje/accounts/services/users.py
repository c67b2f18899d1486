"""Writes to users and memberships. Each writes an audit event in the same transaction."""

from django.db import IntegrityError, transaction

from pulje.accounts.models import User
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction


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
        action=AuditAction.ACCOUNTS_USER_REGISTERED,
        obj=user,
        after=snapshot(user, ("email", "name", "is_staff", "is_superuser")),
    )
    return user


def get_or_register_user(*, actor: User | None, email: str, name: str = "") -> tuple[User, bool]:
    """The user with this address (in any case), registered without a password if there is
    none yet; the boolean says whether it was registered now.

    Side effects: through ``register_user``, its audit event when the user is new.
    """
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing, False
    try:
        # A savepoint, so a concurrent first login of the same address loses cleanly.
        with transaction.atomic():
            return register_user(actor=actor, email=email, name=name), True
    except IntegrityError:
        return User.objects.get(email__iexact=email), False
