"""Writes to users and memberships. Each writes an audit event in the same transaction."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from pulje.accounts.models import Membership, User
from pulje.core.audit import record_event, snapshot
from pulje.registry.models import Organisation, OrganisationKind
from pulje.registry.services import register_organisation


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


# Kinds of organisation that apply for grants; the others administer pools.
CLAIMABLE_KINDS = frozenset(
    {
        OrganisationKind.HOUSING,
        OrganisationKind.ASSOCIATION,
        OrganisationKind.LIBRARY,
        OrganisationKind.SOCIAL,
    }
)


@transaction.atomic
def claim_organisation(*, actor: User, organisation: Organisation) -> Membership:
    """Make ``actor`` the first member of an organisation the registry knows.

    Only the first: once someone acts for an organisation, others join when a member invites
    them (``invite_member``), so nobody can make themselves a member of an organisation that
    has people already. The organisation's row is locked, so of two people claiming it at
    once one gets it and the other the refusal.

    Only applicants' kinds of organisation can be claimed: a funder's or an intermediary's
    people (who administer pools) are added by pulje's administrators, never by themselves.

    Side effects: through ``add_membership``, its audit event.
    Raises ValidationError when the organisation has members already or is not a kind that
    applies.
    """
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if organisation.kind not in CLAIMABLE_KINDS:
        raise ValidationError(
            _(
                "%(name)s cannot be registered here. If you work for it, ask pulje's "
                "administrators to give you access."
            ),
            code="not_claimable",
            params={"name": organisation.name},
        )
    if organisation.memberships.exists():
        raise ValidationError(
            _(
                "Someone already acts for %(name)s in pulje. Ask a colleague to invite you "
                "from the organisation's page."
            ),
            code="has_members",
            params={"name": organisation.name},
        )
    return add_membership(actor=actor, user=actor, organisation=organisation)


@transaction.atomic
def register_own_organisation(
    *, actor: User, cvr: str, name: str, address: str, postal_code: str, city: str
) -> Organisation:
    """Register a housing organisation the registry does not know, with ``actor`` as its
    first member.

    Side effects: through ``register_organisation`` and ``add_membership``, their audit
    events, in one transaction.
    Raises ValidationError naming the field that is wrong (e.g. a CVR number already there).
    """
    organisation = register_organisation(
        actor=actor,
        cvr=cvr,
        name=name,
        kind=OrganisationKind.HOUSING,
        address=address,
        postal_code=postal_code,
        city=city,
    )
    add_membership(actor=actor, user=actor, organisation=organisation)
    return organisation


@dataclass(frozen=True)
class Invitation:
    user: User
    user_registered: bool
    already_member: bool


@transaction.atomic
def invite_member(*, actor: User, organisation: Organisation, email: str) -> Invitation:
    """Let the person with this address act for ``organisation``, registering them (without
    a password: they log in by code) if pulje does not know them.

    Side effects: through ``get_or_register_user`` and ``add_membership``, their audit
    events; after the transaction commits, an e-mail to the person with a link to the login
    page. Inviting someone who is a member already changes nothing and sends nothing.
    Raises PermissionDenied, having written nothing, when ``actor`` is not a member.
    """
    if not Membership.objects.filter(user=actor, organisation=organisation).exists():
        raise PermissionDenied("Only a member of an organisation may invite others to it.")
    user, registered = get_or_register_user(actor=actor, email=email)
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        return Invitation(user=user, user_registered=False, already_member=True)
    add_membership(actor=actor, user=user, organisation=organisation)
    subject = _("You can now work for %(organisation)s in pulje") % {
        "organisation": organisation.name
    }
    body = _(
        "%(inviter)s has given you access to %(organisation)s in pulje, where you can work on "
        "the organisation's applications together.\n\n"
        "Log in with your e-mail address, %(email)s: you get a code by e-mail, no password is "
        "needed.\n\n%(url)s\n"
    ) % {
        "inviter": actor.name or actor.email,
        "organisation": organisation.name,
        "email": user.email,
        "url": settings.SITE_URL.rstrip("/") + reverse("accounts:login"),
    }
    # robust: a mail server that fails is logged; the invitation itself stands.
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]), robust=True)
    return Invitation(user=user, user_registered=registered, already_member=False)
