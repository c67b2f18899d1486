"""Importing the housing register (CSV or XLSX, docs/registry-import.md): every row checked
first (``registry.imports``), then all written in one transaction or none."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pulje.accounts.models import User
from pulje.registry.imports import (
    HousingRow,
    ImportRefused,
    RegistryFacts,
    Rejection,
    SourceTable,
    check_rows,
)
from pulje.registry.models import HousingDepartment, Municipality, Organisation, OrganisationKind
from pulje.registry.services.organisations import (
    register_department,
    register_organisation,
    update_department,
    update_organisation,
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
