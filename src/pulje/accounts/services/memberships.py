"""Writes to memberships, invitations and proofs: who acts for which organisation.

A person becomes a member of an applicant organisation in one of three ways, each with an
audit event in its own transaction:

- **Claim** (``request_membership``): a request, not yet proven, for an organisation nobody
  has proven to act for. Proven by MitID Erhverv's CVR number (``prove_by_identity_provider``),
  by a code sent to the organisation's own address in the register (``send_proof_code``,
  ``prove_by_code``), or by a secretariat's or the organisation's administrator's approval
  (``approve_membership``).
- **Invitation** (``invite_member``, ``accept_invitation``): an administrator invites an
  address; the person logged in with that address accepts the link before it expires.
- **pulje's administrators** (``add_membership``): the admin site, commands and the demo.

A person who works for a pool secretariat, or assesses for one, joins an applicant
organisation only with that secretariat's administrator's approval (``needs_secretariat``).
Mail goes only after the transaction commits (``core.mail.queue_mail``).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import (
    Invitation,
    Membership,
    MembershipRole,
    Proof,
    ProofCode,
    User,
)
from pulje.accounts.permissions import (
    APPLICANT_KINDS,
    is_claimable,
    is_organisation_administrator,
    may_approve_membership,
    membership_of,
    needs_secretariat,
    works_for_a_pool,
)
from pulje.core.audit import apply_changes, record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.errors import Refused
from pulje.core.mail import queue_mail, single_line
from pulje.registry.models import Organisation, OrganisationKind
from pulje.registry.services import register_organisation

MEMBERSHIP_FIELDS = ("user", "organisation", "role", "proven_at", "proof", "needs_secretariat")
INVITATION_FIELDS = ("organisation", "email", "role", "expires_at")
PROOF_CODE_MINUTES = 30
PROOF_CODE_ATTEMPTS = 5
PROOF_CODES_PER_HOUR = 3
# Where a login through the identity provider keeps the CVR number it proved (for a claim made
# after the login).
PROVEN_CVR_KEY = "pulje_proven_cvr"


class MembershipRefused(Refused):
    """A change to who acts for an organisation that is not allowed; ``message`` is for the
    person, ``code`` for the code that reacts to it."""


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _lock(organisation: Organisation) -> None:
    """Lock the organisation's row: of two people changing its members at once, the second
    sees what the first did."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def not_claimable_message(organisation: Organisation) -> str:
    return _(
        "%(name)s cannot be registered here. If you work for it, ask its administrators or "
        "pulje's administrators to give you access."
    ) % {"name": single_line(organisation.name)}


def _change(
    *, actor: User | None, membership: Membership, action: AuditAction, **changes: object
) -> Membership:
    """Set ``changes`` on the membership, with one audit event ``action`` (none when nothing
    differs); the database's constraints check the result."""
    return apply_changes(
        actor=actor,
        instance=membership,
        changes=changes,
        changeable=MEMBERSHIP_FIELDS,
        recorded=MEMBERSHIP_FIELDS,
        action=action,
        validate=lambda _membership: None,
    )


def _prove(
    *, actor: User | None, membership: Membership, proof: Proof, **also: object
) -> Membership:
    """Prove ``membership``, unless its person works for a pool now and the proof is not a
    secretariat's (or pulje's staff's): then it is held for the secretariat's approval instead
    (``accounts.membership.held``), whenever the person began to work for the pool."""
    if proof not in {Proof.SECRETARIAT, Proof.STAFF} and needs_secretariat(membership):
        return _change(
            actor=actor,
            membership=membership,
            action=AuditAction.ACCOUNTS_MEMBERSHIP_HELD,
            needs_secretariat=True,
        )
    return _change(
        actor=actor,
        membership=membership,
        action=AuditAction.ACCOUNTS_MEMBERSHIP_PROVEN,
        proven_at=timezone.now(),
        proof=proof,
        needs_secretariat=False,
        **also,
    )


def _refuse_unless_administrator(actor: User, organisation: Organisation) -> None:
    if not (actor.is_superuser or is_organisation_administrator(actor, organisation)):
        raise MembershipRefused(
            _("Only an administrator of %(name)s may do that.")
            % {"name": single_line(organisation.name)},
            code="not_administrator",
        )


@transaction.atomic
def add_membership(
    *,
    actor: User | None,
    user: User,
    organisation: Organisation,
    role: MembershipRole = MembershipRole.ADMINISTRATOR,
) -> Membership:
    """pulje's administrators (``actor`` is staff, or None for a command or the demo) let
    ``user`` act for ``organisation``, proven at once; a request already there is proven.

    Side effects: one audit event ``accounts.membership.added`` (or ``…proven``).
    Raises MembershipRefused, having written nothing, when ``actor`` is not staff.
    """
    if actor is not None and not (actor.is_staff or actor.is_superuser):
        raise MembershipRefused(
            _("Only pulje's administrators add members this way."), code="not_staff"
        )
    _lock(organisation)
    membership = membership_of(user, organisation)
    if membership is not None:
        if not membership.is_proven:
            _prove(actor=actor, membership=membership, proof=Proof.STAFF)
        return membership
    membership = Membership.objects.create(
        user=user, organisation=organisation, role=role, proven_at=timezone.now(), proof=Proof.STAFF
    )
    record_event(
        actor=actor,
        action=AuditAction.ACCOUNTS_MEMBERSHIP_ADDED,
        obj=membership,
        after=snapshot(membership, MEMBERSHIP_FIELDS),
    )
    return membership


@transaction.atomic
def request_membership(*, actor: User, organisation: Organisation) -> Membership:
    """``actor`` claims an applicant organisation that nobody has proven to act for yet.

    The membership is a request: ``actor`` may write drafts but not submit, accept or invite
    until it is proven. Claiming again returns the same request.

    Side effects: one audit event ``accounts.membership.requested``.
    Raises MembershipRefused (``not_claimable``: a funder's, an intermediary's or a pool's
    administrator; ``has_members``: someone has proven to act for it), having written nothing.
    """
    _lock(organisation)
    if not is_claimable(organisation):
        raise MembershipRefused(not_claimable_message(organisation), code="not_claimable")
    existing = membership_of(actor, organisation)
    if existing is not None:
        return existing
    if organisation.memberships.proven().exists():
        raise MembershipRefused(
            _(
                "Someone already acts for %(name)s in pulje. Ask one of its administrators "
                "to invite you from the organisation's page."
            )
            % {"name": single_line(organisation.name)},
            code="has_members",
        )
    membership = Membership.objects.create(
        user=actor,
        organisation=organisation,
        role=MembershipRole.ADMINISTRATOR,
        needs_secretariat=works_for_a_pool(actor),
    )
    record_event(
        actor=actor,
        action=AuditAction.ACCOUNTS_MEMBERSHIP_REQUESTED,
        obj=membership,
        after=snapshot(membership, MEMBERSHIP_FIELDS),
    )
    return membership


@transaction.atomic
def register_own_organisation(
    *, actor: User, cvr: str, name: str, address: str, postal_code: str, city: str
) -> Membership:
    """Register a housing organisation the register does not know, with ``actor``'s request
    to act for it (to be proven like any claim).

    Side effects: through ``register_organisation`` and ``request_membership``, their audit
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
    return request_membership(actor=actor, organisation=organisation)


def _code_digest(membership: Membership, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{membership.pk}:{code}".encode(), hashlib.sha256).hexdigest()


def mask_address(email: str) -> str:
    """An address as the claimant may see it: enough to recognise, not to learn (``b…@bl.dk``)."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


@transaction.atomic
def send_proof_code(*, actor: User, membership: Membership) -> ProofCode:
    """Send a one-time code to the organisation's own address in the register (never to an
    address the claimant types); typing it back proves the claim (``prove_by_code``).

    Side effects: a ``ProofCode`` (its hash only); one audit event
    ``accounts.membership.code_sent``; after commit, the mail with the code.
    Raises MembershipRefused: not the claimant's request, proven already, the register has no
    address, a secretariat must approve it, or too many codes in the last hour.
    """
    membership = (
        Membership.objects.select_for_update().select_related("organisation").get(pk=membership.pk)
    )
    organisation = membership.organisation
    if membership.user_id != actor.pk:
        raise MembershipRefused(_("Only the person who asked may prove it."), code="not_yours")
    if membership.is_proven:
        raise MembershipRefused(_("You already act for the organisation."), code="proven")
    if needs_secretariat(membership):
        raise MembershipRefused(
            _("Because you work for a pool secretariat, its administrator must approve this."),
            code="needs_secretariat",
        )
    if not organisation.registry_email:
        raise MembershipRefused(
            _("The register has no e-mail address for %(name)s, so no code can be sent.")
            % {"name": single_line(organisation.name)},
            code="no_address",
        )
    now = timezone.now()
    # Counted for the organisation, not the request: leaving and claiming again, or claiming
    # from several addresses, gets no more guesses and sends its address no more mail.
    if (
        ProofCode.objects.filter(
            organisation=organisation, created_at__gte=now - timedelta(hours=1)
        ).count()
        >= PROOF_CODES_PER_HOUR
    ):
        raise MembershipRefused(
            _("Three codes were sent in the last hour. Use the newest, or try again later."),
            code="too_many",
        )
    code = f"{secrets.randbelow(10**8):08d}"
    proof_code = ProofCode.objects.create(
        membership=membership,
        organisation=organisation,
        code_hash=_code_digest(membership, code),
        sent_to=organisation.registry_email,
        created_at=now,
        expires_at=now + timedelta(minutes=PROOF_CODE_MINUTES),
    )
    record_event(
        actor=actor,
        action=AuditAction.ACCOUNTS_MEMBERSHIP_CODE_SENT,
        obj=membership,
        after={"sent_to": organisation.registry_email},
    )
    with override("da"):
        subject = _("Code to confirm a person for %(name)s in pulje") % {
            "name": single_line(organisation.name)
        }
        body = _(
            "%(person)s asks to apply for grants on behalf of %(name)s (CVR %(cvr)s) in "
            "pulje. If that is right, give them this code:\n\n%(code)s\n\nThe code works for "
            "%(minutes)s minutes. If you do not know the person, ignore this e-mail: nothing "
            "happens without the code.\n"
        ) % {
            "person": single_line(actor.name) or actor.email,
            "name": single_line(organisation.name),
            "cvr": organisation.cvr,
            "code": code,
            "minutes": PROOF_CODE_MINUTES,
        }
    queue_mail(subject=subject, body=body, to=[organisation.registry_email])
    return proof_code


def prove_by_code(*, actor: User, membership: Membership, code: str) -> Membership:
    """Prove ``actor``'s claim by the code sent to the organisation's address.

    A wrong code counts as an attempt (kept even though the call is refused); the newest
    code allows five.
    Side effects: through ``_prove``, the audit event ``accounts.membership.proven``.
    Raises MembershipRefused (no code sent, expired, used up, wrong).
    """
    if membership.user_id != actor.pk:
        raise MembershipRefused(_("Only the person who asked may prove it."), code="not_yours")
    latest = membership.codes.filter(used_at__isnull=True).order_by("-created_at").first()
    if latest is None or latest.expires_at <= timezone.now():
        raise MembershipRefused(
            _("The code has expired, or none was sent. Send a new code."), code="expired"
        )
    # Counted by compare-and-swap, not from ``latest``: guesses sent at once would all have
    # read the same count and all been tried.
    counted = ProofCode.objects.filter(pk=latest.pk, attempts__lt=PROOF_CODE_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        raise MembershipRefused(
            _("The code was typed wrong too many times. Send a new code."), code="attempts"
        )
    if not hmac.compare_digest(latest.code_hash, _code_digest(membership, code.strip())):
        raise MembershipRefused(_("The code is not right. Check it and try again."), code="wrong")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        used = ProofCode.objects.filter(pk=latest.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if locked.is_proven or not used:
            return locked
        return _prove(actor=actor, membership=locked, proof=Proof.REGISTRY_EMAIL)


@transaction.atomic
def prove_by_identity_provider(*, user: User, cvr: str) -> list[Membership]:
    """MitID Erhverv (through the broker) says ``user`` acts for the organisation with this
    CVR number: prove their requests for it. A request that a secretariat must approve stays.

    Side effects: through ``_prove``, one audit event per membership proven.
    """
    pending = Membership.objects.select_for_update().filter(
        user=user, organisation__cvr=cvr, proven_at__isnull=True, needs_secretariat=False
    )
    proven = [
        _prove(actor=user, membership=membership, proof=Proof.IDENTITY_PROVIDER)
        for membership in pending
    ]
    return [membership for membership in proven if membership.is_proven]


def _tell_the_person(membership: Membership, *, approved: bool) -> None:
    name = single_line(membership.organisation.name)
    with override("da"):
        if approved:
            subject = _("You now act for %(name)s in pulje") % {"name": name}
            body = _(
                "Your request to act for %(name)s is approved. You can now submit its "
                "applications.\n\n%(url)s\n"
            ) % {"name": name, "url": _site_url(reverse("applications:dashboard"))}
        else:
            subject = _("Your request to act for %(name)s was not approved") % {"name": name}
            body = _(
                "Your request to act for %(name)s in pulje was not approved, and you no "
                "longer have access to its drafts. If you think this is a mistake, contact "
                "the organisation or your pool secretariat.\n"
            ) % {"name": name}
    queue_mail(subject=subject, body=body, to=[membership.user.email])


def _locked_request(actor: User, membership: Membership) -> Membership:
    locked = (
        Membership.objects.select_for_update()
        .select_related("organisation", "user")
        .get(pk=membership.pk)
    )
    if not may_approve_membership(actor, locked):
        raise MembershipRefused(
            _(
                "You may not decide on this request: it is your own, it is decided already, or "
                "it is not for you to decide."
            ),
            code="not_allowed",
        )
    return locked


@transaction.atomic
def approve_membership(*, actor: User, membership: Membership) -> Membership:
    """A secretariat's caseworker, or an administrator of the organisation, proves a request.

    Side effects: through ``_prove``, the audit event; after commit, a mail to the person.
    Raises MembershipRefused when ``actor`` may not (``may_approve_membership``).
    """
    locked = _locked_request(actor, membership)
    held = needs_secretariat(locked)
    if is_organisation_administrator(actor, locked.organisation) and not held:
        # One of the organisation's own administrators lets a colleague in: as a member; an
        # administrator makes them one of their own if they choose.
        _prove(
            actor=actor, membership=locked, proof=Proof.ADMINISTRATOR, role=MembershipRole.MEMBER
        )
    else:
        _prove(actor=actor, membership=locked, proof=Proof.SECRETARIAT)
    _tell_the_person(locked, approved=True)
    return locked


@transaction.atomic
def refuse_membership(*, actor: User, membership: Membership) -> None:
    """Refuse a request: the membership goes, and with it the access to the drafts.

    Side effects: one audit event ``accounts.membership.refused`` (with the request); after
    commit, a mail to the person.
    Raises MembershipRefused when ``actor`` may not.
    """
    locked = _locked_request(actor, membership)
    record_event(
        actor=actor,
        action=AuditAction.ACCOUNTS_MEMBERSHIP_REFUSED,
        obj=locked,
        before=snapshot(locked, MEMBERSHIP_FIELDS),
    )
    _tell_the_person(locked, approved=False)
    locked.delete()


def _refuse_if_last_administrator(membership: Membership) -> None:
    others = (
        Membership.objects.proven()
        .filter(organisation_id=membership.organisation_id, role=MembershipRole.ADMINISTRATOR)
        .exclude(pk=membership.pk)
    )
    if membership.is_proven and membership.is_administrator and not others.exists():
        raise MembershipRefused(
            _(
                "The organisation needs at least one administrator. Make someone else an "
                "administrator first."
            ),
            code="last_administrator",
        )


@transaction.atomic
def remove_member(*, actor: User, membership: Membership) -> None:
    """An administrator removes a member (or a request); anyone may leave.

    Side effects: one audit event ``accounts.membership.removed``.
    Raises MembershipRefused: not an administrator; the organisation's last administrator.
    """
    _lock(membership.organisation)
    locked = Membership.objects.select_related("organisation").get(pk=membership.pk)
    if locked.user_id != actor.pk:
        _refuse_unless_administrator(actor, locked.organisation)
    _refuse_if_last_administrator(locked)
    record_event(
        actor=actor,
        action=AuditAction.ACCOUNTS_MEMBERSHIP_REMOVED,
        obj=locked,
        before=snapshot(locked, MEMBERSHIP_FIELDS),
    )
    locked.delete()


@transaction.atomic
def change_role(*, actor: User, membership: Membership, role: MembershipRole) -> Membership:
    """An administrator makes a proven member an administrator, or an administrator a member.

    Side effects: one audit event ``accounts.membership.role_changed`` when it changes.
    Raises MembershipRefused: not an administrator; not proven; the last administrator.
    """
    _lock(membership.organisation)
    locked = Membership.objects.select_related("organisation").get(pk=membership.pk)
    _refuse_unless_administrator(actor, locked.organisation)
    if not locked.is_proven:
        raise MembershipRefused(
            _("Approve the request before you change the person's role."), code="unproven"
        )
    if locked.role == role:
        return locked
    if role != MembershipRole.ADMINISTRATOR:
        _refuse_if_last_administrator(locked)
    return _change(
        actor=actor,
        membership=locked,
        action=AuditAction.ACCOUNTS_MEMBERSHIP_ROLE_CHANGED,
        role=role,
    )


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
    _lock(organisation)
    _refuse_unless_administrator(actor, organisation)
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
    url = _site_url(reverse("registry:invitation", kwargs={"token": token}))
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
    _lock(found.organisation)
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
        _prove(actor=actor, membership=membership, proof=Proof.INVITATION)
    return membership


@transaction.atomic
def revoke_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    """An administrator withdraws an open invitation; its link stops working.

    Side effects: one audit event ``accounts.invitation.revoked``.
    Raises MembershipRefused when ``actor`` is not an administrator.
    """
    _refuse_unless_administrator(actor, invitation.organisation)
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
