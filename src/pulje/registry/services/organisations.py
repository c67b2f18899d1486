"""Writes to the registry. Each writes an audit event in the same transaction."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import User
from pulje.core.audit import apply_changes, create_recorded
from pulje.core.audit_actions import AuditAction
from pulje.core.mail import queue_mail
from pulje.registry.imports import (
    HousingRow,
    ImportRefused,
    RegistryFacts,
    Rejection,
    SourceTable,
    check_rows,
)
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
) -> Organisation:
    """Create an organisation after validating it (CVR modulus 11, postal code).

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
        ),
        recorded=REGISTER_FIELDS,
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


@dataclass
class ChangeCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class HousingImport:
    organisations: ChangeCounts = field(default_factory=ChangeCounts)
    departments: ChangeCounts = field(default_factory=ChangeCounts)
    rejected: tuple[Rejection, ...] = ()


@transaction.atomic
def import_housing_registry(
    *, actor: User | None, table: SourceTable, partial: bool = False, dry_run: bool = False
) -> HousingImport:
    """Create or update the housing organisations and departments of an import file.

    Every row is checked first (``imports.check_rows``) against the register as this
    transaction sees it. By default one bad row refuses the whole file; with ``partial`` the
    good rows are written and the bad ones returned as ``rejected``. Organisations are matched
    by CVR number, departments by CVR and department number; those not in the file are left
    alone, and so is a field whose optional column the file lacks. Importing the same file
    again writes nothing.

    Side effects: through ``register_organisation``, ``update_organisation``,
    ``register_department`` and ``update_department``, one audit event for each organisation
    or department created or changed, none for those unchanged. With ``dry_run`` all of it is
    rolled back at the end, so the counts are exact and nothing is kept.
    Raises ImportRefused, having written nothing, when a row is bad and ``partial`` is false,
    or when a model refuses a row that passed the checks.
    """
    checked = check_rows(table, _registry_facts())
    if checked.rejected and not partial:
        raise ImportRefused(checked.rejected, code="rows_rejected")
    result = HousingImport(rejected=checked.rejected)
    municipalities = {
        municipality.code: municipality for municipality in Municipality.objects.all()
    }
    organisations = {
        organisation.cvr: organisation
        for organisation in Organisation.objects.filter(cvr__in={row.cvr for row in checked.good})
    }
    departments = {
        (department.organisation_id, department.number): department
        for department in HousingDepartment.objects.filter(
            organisation__in=list(organisations.values())
        ).select_related("municipality")
    }
    imported: dict[str, Organisation] = {}
    sources = {row.line: row for row in table.rows}
    for row in checked.good:
        try:
            if row.cvr not in imported:
                imported[row.cvr] = _import_organisation(
                    actor=actor,
                    row=row,
                    existing=organisations.get(row.cvr),
                    counts=result.organisations,
                )
            organisation = imported[row.cvr]
            _import_department(
                actor=actor,
                row=row,
                organisation=organisation,
                existing=departments.get((organisation.pk, row.department_number)),
                municipality=municipalities[row.municipality_code],
                counts=result.departments,
            )
        except ValidationError as error:
            # The checks mirror the models' rules, so this means they have drifted apart; the
            # row is named all the same, and the whole file refused rather than half written.
            rejection = Rejection(row=sources[row.line], reasons=tuple(error.messages))
            raise ImportRefused([rejection], code="row_refused") from error
    if dry_run:
        transaction.set_rollback(True)
    return result


def _registry_facts() -> RegistryFacts:
    return RegistryFacts(
        municipality_codes=frozenset(Municipality.objects.values_list("code", flat=True)),
        housing_number_owners=dict(
            Organisation.objects.exclude(housing_number="").values_list("housing_number", "cvr")
        ),
        other_kinds={
            cvr: str(OrganisationKind(kind).label)
            for cvr, kind in Organisation.objects.exclude(
                kind=OrganisationKind.HOUSING
            ).values_list("cvr", "kind")
        },
    )


def _import_organisation(
    *, actor: User | None, row: HousingRow, existing: Organisation | None, counts: ChangeCounts
) -> Organisation:
    if existing is None:
        counts.created += 1
        return register_organisation(
            actor=actor,
            cvr=row.cvr,
            name=row.organisation_name,
            kind=OrganisationKind.HOUSING,
            housing_number=row.housing_number,
            address=row.address or "",
            postal_code=row.postal_code or "",
            city=row.city or "",
            registry_email=row.email or "",
        )
    wanted = {"name": row.organisation_name, "housing_number": row.housing_number}
    # An optional column the file lacks (None) leaves the field as it is.
    optional = {
        "address": row.address,
        "postal_code": row.postal_code,
        "city": row.city,
        "registry_email": row.email,
    }
    wanted.update({name: value for name, value in optional.items() if value is not None})
    changes = {name: value for name, value in wanted.items() if getattr(existing, name) != value}
    if not changes:
        counts.unchanged += 1
        return existing
    counts.updated += 1
    return update_organisation(actor=actor, organisation=existing, **changes)


def _import_department(
    *,
    actor: User | None,
    row: HousingRow,
    organisation: Organisation,
    existing: HousingDepartment | None,
    municipality: Municipality,
    counts: ChangeCounts,
) -> None:
    if existing is None:
        counts.created += 1
        register_department(
            actor=actor,
            organisation=organisation,
            number=row.department_number,
            name=row.department_name,
            municipality=municipality,
            homes=row.homes,
        )
        return
    wanted: dict[str, Any] = {
        "name": row.department_name,
        "municipality": municipality,
        "homes": row.homes,
    }
    changes = {name: value for name, value in wanted.items() if getattr(existing, name) != value}
    if not changes:
        counts.unchanged += 1
        return
    counts.updated += 1
    update_department(actor=actor, department=existing, **changes)
