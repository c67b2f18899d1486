"""Invitations: an administrator invites an address, and the person logged in with that
address accepts the link before it expires (``INVITATION_DAYS``). Tokens are stored hashed."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import (
    Invitation,
    Membership,
    MembershipRole,
    Proof,
    User,
)
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.mail import queue_mail, single_line
from pulje.registry.models import Organisation
from pulje.registry.permissions import (
    APPLICANT_KINDS,
    membership_of,
    works_for_a_pool,
)
from pulje.registry.services.memberships import (
    MEMBERSHIP_FIELDS,
    MembershipRefused,
    lock_organisation,
    prove_membership,
    refuse_unless_administrator,
    site_url,
)

INVITATION_FIELDS = ("organisation", "email", "role", "expires_at")


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    url: str


@transaction.atomic
def invite_member(
    *,
    actor: User,
    organisation: Organisation,
    email: str,
    role: MembershipRole = MembershipRole.MEMBER,
) -> SentInvitation:
    """An administrator invites the person with this address. The invitation gives access
    only when that person, logged in with the address, accepts it (``accept_invitation``)
    within ``settings.INVITATION_DAYS``. Inviting the same address again replaces the open
    invitation (the old link stops working).

    Side effects: an ``Invitation`` (a hash of its token only); one audit event
    ``accounts.invitation.sent``; after commit, the e-mail with the link.
    Raises MembershipRefused: not a proven administrator; the address acts for the
    organisation already; more than ``settings.INVITATIONS_PER_HOUR`` in the last hour.
    """
    lock_organisation(organisation)
    refuse_unless_administrator(actor, organisation)
    email = email.strip().lower()
    if organisation.memberships.filter(user__email__iexact=email).exists():
        raise MembershipRefused(
            _("%(email)s already acts for %(name)s.")
            % {"email": email, "name": single_line(organisation.name)},
            code="already_member",
        )
    now = timezone.now()
    recent = organisation.invitations.filter(created_at__gte=now - timedelta(hours=1)).count()
    if recent >= settings.INVITATIONS_PER_HOUR:
        raise MembershipRefused(
            _("%(count)s invitations were sent in the last hour. Try again later.")
            % {"count": recent},
            code="too_many",
        )
    organisation.invitations.filter(
        email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=actor,
        token_hash=_token_digest(token),
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    record_event(
        actor=actor,
        action=AuditAction.ACCOUNTS_INVITATION_SENT,
        obj=invitation,
        after=snapshot(invitation, INVITATION_FIELDS),
    )
    url = site_url(reverse("registry:invitation", kwargs={"token": token}))
    with override("da"):
        subject = _("Invitation to work for %(organisation)s in pulje") % {
            "organisation": single_line(organisation.name)
        }
        body = _(
            "%(inviter)s invites you to work for %(organisation)s (CVR %(cvr)s) in pulje, "
            "where you can work on the organisation's applications together.\n\n"
            "Open the link and log in with this e-mail address, %(email)s, to accept. The "
            "link works until %(expires)s. If you do not know the organisation, ignore this "
            "e-mail.\n\n%(url)s\n"
        ) % {
            "inviter": single_line(actor.name) or actor.email,
            "organisation": single_line(organisation.name),
            "cvr": organisation.cvr,
            "email": email,
            "expires": timezone.localtime(invitation.expires_at).strftime("%d.%m.%Y"),
            "url": url,
        }
    queue_mail(subject=subject, body=body, to=[email])
    return SentInvitation(invitation=invitation, url=url)


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=_token_digest(token))
        .first()
    )


@transaction.atomic
def accept_invitation(*, actor: User, token: str) -> Membership:
    """The invitee accepts: a proven membership with the invitation's role. A person who
    works for a pool secretariat joins an applicant organisation only as a request that the
    secretariat's administrator must approve.

    Side effects: the invitation marked accepted; one audit event
    ``accounts.invitation.accepted`` and one for the membership.
    Raises MembershipRefused: unknown, expired, used or withdrawn link; another address.
    """
    found = invitation_for_token(token)
    if found is None:
        raise MembershipRefused(_("The invitation link is not valid."), code="unknown")
    lock_organisation(found.organisation)
    invitation = Invitation.objects.select_related("organisation").get(pk=found.pk)
    if invitation.accepted_at is not None:
        raise MembershipRefused(_("The invitation has been used already."), code="used")
    if invitation.revoked_at is not None:
        raise MembershipRefused(_("The invitation was withdrawn."), code="revoked")
    if not invitation.is_open:
        raise MembershipRefused(_("The invitation has expired. Ask for a new one."), code="expired")
    if actor.email.lower() != invitation.email.lower():
        raise MembershipRefused(
            _("The invitation is for %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email},
            code="wrong_address",
        )
    organisation = invitation.organisation
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record_event(
        actor=actor,
        action=AuditAction.ACCOUNTS_INVITATION_ACCEPTED,
        obj=invitation,
        after={"accepted_at": invitation.accepted_at},
    )
    held = organisation.kind in APPLICANT_KINDS and works_for_a_pool(actor)
    membership = membership_of(actor, organisation)
    if membership is None:
        membership = Membership.objects.create(
            user=actor, organisation=organisation, role=invitation.role, needs_secretariat=held
        )
        record_event(
            actor=actor,
            action=AuditAction.ACCOUNTS_MEMBERSHIP_ADDED,
            obj=membership,
            after=snapshot(membership, MEMBERSHIP_FIELDS),
        )
    if not membership.is_proven and not held:
        prove_membership(actor=actor, membership=membership, proof=Proof.INVITATION)
    return membership


@transaction.atomic
def revoke_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    """An administrator withdraws an open invitation; its link stops working.

    Side effects: one audit event ``accounts.invitation.revoked``.
    Raises MembershipRefused when ``actor`` is not an administrator.
    """
    refuse_unless_administrator(actor, invitation.organisation)
    if invitation.is_open:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record_event(
            actor=actor,
            action=AuditAction.ACCOUNTS_INVITATION_REVOKED,
            obj=invitation,
            after={"revoked_at": invitation.revoked_at},
        )
    return invitation
