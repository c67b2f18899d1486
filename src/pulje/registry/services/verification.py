"""Vouching for organisations' CVR numbers: a caseworker verifies a partner once, and every
pool's screening counts it as known from then on (``selectors.verified_cvrs``)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.core.audit import apply_changes
from pulje.core.audit_actions import AuditAction
from pulje.core.errors import Refused
from pulje.core.mail import single_line
from pulje.registry.models import PARTNER_KINDS, Organisation
from pulje.registry.permissions import is_caseworker
from pulje.registry.services.organisations import VERIFICATION_FIELDS, register_organisation
from pulje.registry.signals import organisations_verified
from pulje.registry.validators import clean_cvr


class VerificationRefused(Refused):
    """A verification that is not allowed; it wrote nothing."""


def mark_verified(*, actor: User | None, organisation: Organisation) -> Organisation:
    """Record that ``actor`` (None: pulje itself) vouches for ``organisation``'s CVR number,
    in the caller's transaction; nothing when it is verified already.

    Side effects: audit event ``registry.organisation.verified``.
    """
    if organisation.is_verified:
        return organisation
    return apply_changes(
        actor=actor,
        instance=organisation,
        changes={"verified_at": timezone.now(), "verified_by": actor},
        changeable=VERIFICATION_FIELDS,
        recorded=VERIFICATION_FIELDS,
        action=AuditAction.REGISTRY_ORGANISATION_VERIFIED,
        validate=Organisation.full_clean,
    )


@transaction.atomic
def verify_partner_organisation(*, actor: User, cvr: str, name: str, kind: str) -> Organisation:
    """A caseworker has checked that ``cvr`` is the partner organisation ``name`` (an
    association, a library or a social organisation) and vouches for it in the registry.

    An organisation the registry lacks is registered (of ``kind``, named ``name``); one it
    has keeps its name and kind and is marked verified. Verifying one that is verified
    already changes nothing.
    Side effects: ``registry.organisation.registered`` for a new one, then
    ``registry.organisation.verified``; the signal ``signals.organisations_verified``, on
    which casework screens again the applications whose screening found the partner unknown,
    in this transaction.
    Raises VerificationRefused (``not_caseworker``: ``actor`` works no call's applications;
    ``not_partner_kind``; ``cvr``: not a valid CVR number; ``name``: empty), having written
    nothing.
    """
    if not is_caseworker(actor):
        raise VerificationRefused(
            _("Only a caseworker of a call verifies partner organisations."),
            code="not_caseworker",
        )
    if kind not in PARTNER_KINDS:
        raise VerificationRefused(
            _("Only an association, a library or a social organisation is verified as a partner."),
            code="not_partner_kind",
            field="kind",
        )
    try:
        cvr = clean_cvr(cvr)
    except ValidationError as error:
        raise VerificationRefused(" ".join(error.messages), code="cvr", field="cvr") from None
    name = single_line(name).strip()
    if not name:
        raise VerificationRefused(
            _("Give the organisation's name as the CVR register has it."),
            code="name",
            field="name",
        )
    organisation = Organisation.objects.select_for_update().filter(cvr=cvr).first()
    if organisation is not None and organisation.is_verified:
        return organisation
    if organisation is None:
        organisation = register_organisation(
            actor=actor, cvr=cvr, name=name, kind=kind, verified=False
        )
    mark_verified(actor=actor, organisation=organisation)
    organisations_verified.send(sender=Organisation, actor=actor, cvrs=frozenset({cvr}))
    return organisation
