"""Proving a claim: by the identity provider's CVR number, or by a code sent to the
organisation's own address in the register (never one the claimant types). Each proof is one
transaction with its audit event; the code mail goes after commit."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import (
    Membership,
    Proof,
    ProofCode,
    User,
)
from pulje.core.audit import record_event
from pulje.core.audit_actions import AuditAction
from pulje.core.mail import queue_mail, single_line
from pulje.registry.permissions import (
    needs_secretariat,
)
from pulje.registry.services.memberships import (
    MembershipRefused,
    prove_membership,
)

PROOF_CODE_MINUTES = 30
PROOF_CODE_ATTEMPTS = 5
PROOF_CODES_PER_HOUR = 3
# Where a login through the identity provider keeps the CVR number it proved (for a claim made
# after the login).
PROVEN_CVR_KEY = "pulje_proven_cvr"


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
        return prove_membership(actor=actor, membership=locked, proof=Proof.REGISTRY_EMAIL)


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
        prove_membership(actor=user, membership=membership, proof=Proof.IDENTITY_PROVIDER)
        for membership in pending
    ]
    return [membership for membership in proven if membership.is_proven]
