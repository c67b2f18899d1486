"""Importing partner organisations (associations, libraries, social organisations) from a CSV
or XLSX file (docs/registry-import.md): every row checked first
(``imports.check_associations``), then all written in one transaction, or nothing. Each
organisation imported is verified: the register vouches for it, as a caseworker would."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.registry.imports import (
    AssociationRow,
    ImportRefused,
    Rejection,
    SourceTable,
    check_associations,
)
from pulje.registry.models import PARTNER_KINDS, Organisation, OrganisationKind
from pulje.registry.permissions import is_caseworker
from pulje.registry.services.housing_import import ChangeCounts
from pulje.registry.services.organisations import register_organisation, update_organisation
from pulje.registry.services.verification import VerificationRefused, mark_verified
from pulje.registry.signals import organisations_verified


@dataclass
class AssociationImport:
    organisations: ChangeCounts = field(default_factory=ChangeCounts)
    verified: int = 0  # of those updated or unchanged: verified by this import


@transaction.atomic
def import_associations(
    *, actor: User | None, table: SourceTable, dry_run: bool = False
) -> AssociationImport:
    """Create, update and verify the partner organisations of an import file.

    Organisations are matched by CVR number: one the registry lacks is registered, verified
    by ``actor`` (None: pulje itself); one it has gets the file's name, kind and the
    optional columns the file has, and is verified if it was not. Those not in the file are
    left alone. Importing the same file again writes nothing.

    Side effects: for each organisation created or changed, ``registry.organisation.
    registered`` or ``…updated``, and ``…verified`` for one verified now; then one signal
    ``signals.organisations_verified`` naming all verified now, on which casework screens
    again the applications that found them unknown. With ``dry_run`` all of it is rolled
    back, so the counts are exact and nothing is kept.
    Raises VerificationRefused (``not_caseworker``) for an actor who works no call, and
    ImportRefused, having written nothing, when any row is bad.
    """
    if actor is not None and not is_caseworker(actor):
        raise VerificationRefused(
            _("Only a caseworker of a call imports partner organisations."),
            code="not_caseworker",
        )
    checked = check_associations(table, _other_kinds())
    if checked.rejected:
        raise ImportRefused(checked.rejected, code="rows_rejected")
    existing = {
        organisation.cvr: organisation
        for organisation in Organisation.objects.select_for_update().filter(
            cvr__in={row.cvr for row in checked.good}
        )
    }
    result = AssociationImport()
    verified: set[str] = set()
    sources = {row.line: row for row in table.rows}
    for row in checked.good:
        try:
            organisation = existing.get(row.cvr)
            if organisation is None:
                _register(actor, row)
                result.organisations.created += 1
                verified.add(row.cvr)
                continue
            changed = _update(actor, row, organisation)
            if not organisation.is_verified:
                mark_verified(actor=actor, organisation=organisation)
                result.verified += 1
                verified.add(row.cvr)
            if changed:
                result.organisations.updated += 1
            else:
                result.organisations.unchanged += 1
        except ValidationError as error:
            # The checks mirror the models' rules, so this means they have drifted apart; the
            # row is named all the same, and the whole file refused rather than half written.
            rejection = Rejection(row=sources[row.line], reasons=tuple(error.messages))
            raise ImportRefused([rejection], code="row_refused") from error
    if verified:
        organisations_verified.send(sender=Organisation, actor=actor, cvrs=frozenset(verified))
    if dry_run:
        transaction.set_rollback(True)
    return result


def _other_kinds() -> dict[str, str]:
    return {
        cvr: str(OrganisationKind(kind).label)
        for cvr, kind in Organisation.objects.exclude(kind__in=PARTNER_KINDS).values_list(
            "cvr", "kind"
        )
    }


def _optional(row: AssociationRow) -> dict[str, str | None]:
    return {
        "address": row.address,
        "postal_code": row.postal_code,
        "city": row.city,
        "registry_email": row.email,
    }


def _register(actor: User | None, row: AssociationRow) -> Organisation:
    return register_organisation(
        actor=actor,
        cvr=row.cvr,
        name=row.name,
        kind=row.kind,
        address=row.address or "",
        postal_code=row.postal_code or "",
        city=row.city or "",
        registry_email=row.email or "",
        verified=True,
    )


def _update(actor: User | None, row: AssociationRow, organisation: Organisation) -> bool:
    """Give ``organisation`` the row's facts; whether any changed."""
    wanted: dict[str, str | None] = {"name": row.name, "kind": row.kind, **_optional(row)}
    # An optional column the file lacks (None) leaves the field as it is.
    changes = {
        name: value
        for name, value in wanted.items()
        if value is not None and getattr(organisation, name) != value
    }
    if changes:
        update_organisation(actor=actor, organisation=organisation, **changes)
    return bool(changes)
