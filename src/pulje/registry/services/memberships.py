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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import (
    Membership,
    MembershipRole,
    Proof,
    User,
)
from pulje.core.audit import apply_changes, record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.errors import Refused
from pulje.core.mail import queue_mail, single_line
from pulje.registry.models import Organisation
from pulje.registry.permissions import (
    APPLICANT_KINDS,
    is_claimable,
    is_organisation_administrator,
    may_approve_membership,
    membership_of,
    needs_secretariat,
    works_for_a_pool,
)
from pulje.registry.services.organisations import register_organisation

MEMBERSHIP_FIELDS = ("user", "organisation", "role", "proven_at", "proof", "needs_secretariat")


class MembershipRefused(Refused):
    """A change to who acts for an organisation that is not allowed; ``message`` is for the
    person, ``code`` for the code that reacts to it."""


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def lock_organisation(organisation: Organisation) -> None:
    """Lock the organisation's row: of two people changing its members at once, the second
    sees what the first did."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def not_claimable_message(organisation: Organisation) -> str:
    return _(
        "%(name)s cannot be registered here. If you work for it, ask its administrators or "
        "pulje's administrators to give you access."
    ) % {"name": single_line(organisation.name)}


def change_membership(
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


def prove_membership(
    *, actor: User | None, membership: Membership, proof: Proof, **also: object
) -> Membership:
    """Prove ``membership``, unless its person works for a pool now and the proof is not a
    secretariat's (or pulje's staff's): then it is held for the secretariat's approval instead
    (``accounts.membership.held``), whenever the person began to work for the pool."""
    if proof not in {Proof.SECRETARIAT, Proof.STAFF} and needs_secretariat(membership):
        return change_membership(
            actor=actor,
            membership=membership,
            action=AuditAction.ACCOUNTS_MEMBERSHIP_HELD,
            needs_secretariat=True,
        )
    return change_membership(
        actor=actor,
        membership=membership,
        action=AuditAction.ACCOUNTS_MEMBERSHIP_PROVEN,
        proven_at=timezone.now(),
        proof=proof,
        needs_secretariat=False,
        **also,
    )


def refuse_unless_administrator(actor: User, organisation: Organisation) -> None:
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
    lock_organisation(organisation)
    membership = membership_of(user, organisation)
    if membership is not None:
        if not membership.is_proven:
            prove_membership(actor=actor, membership=membership, proof=Proof.STAFF)
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
    lock_organisation(organisation)
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
    *, actor: User, cvr: str, name: str, kind: str, address: str, postal_code: str, city: str
) -> Membership:
    """Register an organisation the register does not know, of the applicant ``kind`` the
    person says it is, with ``actor``'s request to act for it (to be proven like any claim).
    It is not verified: a caseworker may verify it as a partner later.

    Side effects: through ``register_organisation`` and ``request_membership``, their audit
    events, in one transaction.
    Raises ValidationError naming the field that is wrong (e.g. a CVR number already there,
    a kind that is not an applicant's).
    """
    if kind not in APPLICANT_KINDS:
        raise ValidationError({"kind": _("Choose what kind of organisation it is.")}, code="kind")
    organisation = register_organisation(
        actor=actor,
        cvr=cvr,
        name=name,
        kind=kind,
        address=address,
        postal_code=postal_code,
        city=city,
        verified=False,
    )
    return request_membership(actor=actor, organisation=organisation)


def _tell_the_person(membership: Membership, *, approved: bool) -> None:
    name = single_line(membership.organisation.name)
    with override("da"):
        if approved:
            subject = _("You now act for %(name)s in pulje") % {"name": name}
            body = _(
                "Your request to act for %(name)s is approved. You can now submit its "
                "applications.\n\n%(url)s\n"
            ) % {"name": name, "url": site_url(reverse("applications:dashboard"))}
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
        prove_membership(
            actor=actor, membership=locked, proof=Proof.ADMINISTRATOR, role=MembershipRole.MEMBER
        )
    else:
        prove_membership(actor=actor, membership=locked, proof=Proof.SECRETARIAT)
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
    lock_organisation(membership.organisation)
    locked = Membership.objects.select_related("organisation").get(pk=membership.pk)
    if locked.user_id != actor.pk:
        refuse_unless_administrator(actor, locked.organisation)
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
    lock_organisation(membership.organisation)
    locked = Membership.objects.select_related("organisation").get(pk=membership.pk)
    refuse_unless_administrator(actor, locked.organisation)
    if not locked.is_proven:
        raise MembershipRefused(
            _("Approve the request before you change the person's role."), code="unproven"
        )
    if locked.role == role:
        return locked
    if role != MembershipRole.ADMINISTRATOR:
        _refuse_if_last_administrator(locked)
    return change_membership(
        actor=actor,
        membership=locked,
        action=AuditAction.ACCOUNTS_MEMBERSHIP_ROLE_CHANGED,
        role=role,
    )
