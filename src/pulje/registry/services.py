"""Writes to the registry. Each writes an audit event in the same transaction."""

from typing import Any, TypeVar

from django.db import transaction

from pulje.accounts.models import User
from pulje.core.audit import record_event, snapshot
from pulje.registry.models import HousingDepartment, Municipality, Organisation

ORGANISATION_FIELDS = (
    "cvr",
    "name",
    "kind",
    "housing_number",
    "address",
    "postal_code",
    "city",
    "municipality",
)
M = TypeVar("M", Organisation, HousingDepartment)

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
) -> Organisation:
    """Create an organisation after validating it (CVR modulus 11, postal code).

    Side effects: one audit event ``registry.organisation.registered``.
    Raises ValidationError naming the field that is wrong.
    """
    organisation = Organisation(
        cvr=cvr,
        name=name,
        kind=kind,
        housing_number=housing_number,
        address=address,
        postal_code=postal_code,
        city=city,
        municipality=municipality,
    )
    organisation.full_clean()
    organisation.save()
    record_event(
        actor=actor,
        action="registry.organisation.registered",
        obj=organisation,
        after=snapshot(organisation, ORGANISATION_FIELDS),
    )
    return organisation


@transaction.atomic
def update_organisation(
    *, actor: User | None, organisation: Organisation, **changes: Any
) -> Organisation:
    """Change an organisation's fields; writes nothing (and no event) when nothing differs.

    Side effects: one audit event ``registry.organisation.updated`` with before and after.
    """
    return _update(actor, organisation, ORGANISATION_FIELDS, "registry.organisation.updated", changes)


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
    """Create a housing department of a housing organisation.

    Side effects: one audit event ``registry.department.registered``.
    """
    department = HousingDepartment(
        organisation=organisation, number=number, name=name, municipality=municipality, homes=homes
    )
    department.full_clean()
    department.save()
    record_event(
        actor=actor,
        action="registry.department.registered",
        obj=department,
        after=snapshot(department, DEPARTMENT_FIELDS),
    )
    return department


@transaction.atomic
def update_department(
    *, actor: User | None, department: HousingDepartment, **changes: Any
) -> HousingDepartment:
    """Change a department's fields; writes nothing (and no event) when nothing differs.

    Side effects: one audit event ``registry.department.updated`` with before and after.
    """
    return _update(actor, department, DEPARTMENT_FIELDS, "registry.department.updated", changes)


def _update(
    actor: User | None, instance: M, fields: tuple[str, ...], action: str, changes: dict[str, Any]
) -> M:
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"Cannot change {sorted(unknown)} here.")
    before = snapshot(instance, fields)
    for name, value in changes.items():
        setattr(instance, name, value)
    after = snapshot(instance, fields)
    if after == before:
        return instance
    instance.full_clean()
    instance.save()
    record_event(actor=actor, action=action, obj=instance, before=before, after=after)
    return instance
