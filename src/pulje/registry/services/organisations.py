"""Writes to the registry. Each writes an audit event in the same transaction."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import User
from pulje.core.audit import apply_changes, create_recorded
from pulje.core.audit_actions import AuditAction
from pulje.core.mail import queue_mail
from pulje.registry.models import HousingDepartment, Municipality, Organisation, OrganisationKind
from pulje.registry.permissions import (
    is_member,
    is_organisation_administrator,
    is_proven_member,
)

ORGANISATION_FIELDS = (
    "cvr",
    "name",
    "kind",
    "housing_number",
    "address",
    "postal_code",
    "city",
    "municipality",
    "payment_iban",
    "contact_name",
    "contact_email",
    "contact_phone",
    "finance_name",
    "finance_email",
    "finance_phone",
)
# With the register's own e-mail address, which applications do not copy (it is not theirs).
REGISTER_FIELDS = (*ORGANISATION_FIELDS, "registry_email")
# Who vouches for the organisation's CVR number: changed only by ``verification``.
VERIFICATION_FIELDS = ("verified_at", "verified_by")
DEPARTMENT_FIELDS = ("organisation", "number", "name", "municipality", "homes")


@transaction.atomic
def register_organisation(
    *,
    actor: User | None,
    cvr: str,
    name: str,
    kind: str,
    housing_number: str = "",
    address: str = "",
    postal_code: str = "",
    city: str = "",
    municipality: Municipality | None = None,
    registry_email: str = "",
    verified: bool = True,
) -> Organisation:
    """Create an organisation after validating it (CVR modulus 11, postal code).

    ``verified``: whoever registers it vouches that the CVR number is this organisation's
    (the register's imports, pulje's administrators, a caseworker); ``verified_by`` is then
    ``actor``. An organisation that registers itself is not verified.
    Side effects: one audit event ``registry.organisation.registered``.
    Raises ValidationError naming the field that is wrong.
    """
    return create_recorded(
        actor=actor,
        instance=Organisation(
            cvr=cvr,
            name=name,
            kind=kind,
            housing_number=housing_number,
            address=address,
            postal_code=postal_code,
            city=city,
            municipality=municipality,
            registry_email=registry_email,
            verified_at=timezone.now() if verified else None,
            verified_by=actor if verified else None,
        ),
        recorded=(*REGISTER_FIELDS, *VERIFICATION_FIELDS),
        action=AuditAction.REGISTRY_ORGANISATION_REGISTERED,
        validate=Organisation.full_clean,
    )


@transaction.atomic
def update_organisation(
    *, actor: User | None, organisation: Organisation, **changes: Any
) -> Organisation:
    """Change an organisation's fields; writes nothing (and no event) when nothing differs.

    Side effects: one audit event ``registry.organisation.updated`` with before and after.
    """
    return apply_changes(
        actor=actor,
        instance=organisation,
        changes=changes,
        changeable=REGISTER_FIELDS,
        recorded=REGISTER_FIELDS,
        action=AuditAction.REGISTRY_ORGANISATION_UPDATED,
        validate=Organisation.full_clean,
    )


# What the organisation's own people may change of it: the rest (CVR number, name, kind,
# address, the register's e-mail address) comes from the register and pulje's administrators.
PROFILE_FIELDS = (
    "payment_iban",
    "contact_name",
    "contact_email",
    "contact_phone",
    "finance_name",
    "finance_email",
    "finance_phone",
)


@transaction.atomic
def update_profile(*, actor: User, organisation: Organisation, **changes: Any) -> Organisation:
    """A proven member changes the organisation's profile (contacts); a proven administrator
    also its payment account. A request not yet proven changes nothing: the finance contact
    is told of a changed account, so a claimant must not be able to set it.

    A changed payment account is where grants will be paid, so everyone who acts for the
    organisation and its finance contact are told by e-mail, after commit: a change they did
    not make is seen at once.
    Side effects: through ``update_organisation``, its audit event; the e-mail.
    Raises PermissionDenied unless ``actor`` is a proven member, ValidationError
    for a field outside the profile or a payment account changed by someone who is not a
    proven administrator; in both cases having written nothing.
    """
    if not is_proven_member(actor, organisation):
        raise PermissionDenied(
            _("Only those proven to act for the organisation change its profile.")
        )
    outside = sorted(set(changes) - set(PROFILE_FIELDS))
    if outside:
        raise ValidationError(
            _("These facts come from the register and cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(outside)},
            code="not_in_profile",
        )
    before = organisation.payment_iban
    if changes.get("payment_iban", before) != before and not is_organisation_administrator(
        actor, organisation
    ):
        raise ValidationError(
            {
                "iban": ValidationError(
                    _(
                        "Only a proven administrator of the organisation may change its payment "
                        "account."
                    ),
                    code="not_administrator",
                )
            }
        )
    organisation = update_organisation(actor=actor, organisation=organisation, **changes)
    if organisation.payment_iban != before:
        recipients = sorted(
            {
                *organisation.memberships.values_list("user__email", flat=True),
                organisation.finance_email,
            }
            - {""}
        )
        with override("da"):
            subject = _("The payment account of %(name)s has been changed") % {
                "name": organisation.name
            }
            body = _(
                "%(person)s changed the account that grants to %(name)s are paid to, so it "
                "now ends in %(last)s. If that was not agreed, tell your pool secretariat at "
                "once."
            ) % {
                "person": actor,
                "name": organisation.name,
                "last": organisation.payment_iban[-4:] or "–",
            }
        queue_mail(subject=subject, body=body, to=recipients)
    return organisation


@transaction.atomic
def add_own_department(
    *,
    actor: User,
    organisation: Organisation,
    number: str,
    name: str,
    municipality: Municipality,
    homes: int,
) -> HousingDepartment:
    """A member adds a housing department the register lacks to their housing organisation.

    Side effects: through ``register_department``, its audit event.
    Raises PermissionDenied unless ``actor`` acts for the organisation (a request not yet
    proven included: it may prepare applications), ValidationError for a department that is
    not right or an organisation that is not a housing organisation.
    """
    if not is_member(actor, organisation):
        raise PermissionDenied(
            _("Only the people who act for the organisation add its departments.")
        )
    if organisation.kind != OrganisationKind.HOUSING:
        raise ValidationError(
            _("Only a housing organisation has housing departments."), code="not_housing"
        )
    return register_department(
        actor=actor,
        organisation=organisation,
        number=number,
        name=name,
        municipality=municipality,
        homes=homes,
    )


@transaction.atomic
def register_department(
    *,
    actor: User | None,
    organisation: Organisation,
    number: str,
    name: str,
    municipality: Municipality,
    homes: int,
) -> HousingDepartment:
    """Create a housing department of a housing organisation: pulje itself (the import, the
    demo) or, through ``add_own_department``, one of its members.

    Side effects: one audit event ``registry.department.registered``.
    """
    return create_recorded(
        actor=actor,
        instance=HousingDepartment(
            organisation=organisation,
            number=number,
            name=name,
            municipality=municipality,
            homes=homes,
        ),
        recorded=DEPARTMENT_FIELDS,
        action=AuditAction.REGISTRY_DEPARTMENT_REGISTERED,
        validate=HousingDepartment.full_clean,
    )


@transaction.atomic
def update_department(
    *, actor: User | None, department: HousingDepartment, **changes: Any
) -> HousingDepartment:
    """Change a department's fields; writes nothing (and no event) when nothing differs.

    Side effects: one audit event ``registry.department.updated`` with before and after.
    """
    return apply_changes(
        actor=actor,
        instance=department,
        changes=changes,
        changeable=DEPARTMENT_FIELDS,
        recorded=DEPARTMENT_FIELDS,
        action=AuditAction.REGISTRY_DEPARTMENT_UPDATED,
        validate=HousingDepartment.full_clean,
    )
