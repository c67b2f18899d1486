"""The rules a row of an associations file must meet (docs/registry-import.md, "Partner
organisations"): one partner organisation a line, by CVR number and name, optionally its
kind and address. Like ``checking``, nothing here touches the database: the registry's facts
come in as plain data.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pulje.registry.imports.checking import MAX_LENGTHS, clean_email, clean_postal_code, clean_row
from pulje.registry.imports.reading import Columns, Rejection, SourceTable
from pulje.registry.models import Organisation, OrganisationKind
from pulje.registry.validators import clean_cvr

ASSOCIATION_COLUMNS = Columns(
    required=("cvr", "navn"), optional=("type", "adresse", "postnummer", "by", "email")
)
# The words the "type" column may hold (Danish, or pulje's own values); empty: an association.
KIND_WORDS = {
    "forening": OrganisationKind.ASSOCIATION,
    "bibliotek": OrganisationKind.LIBRARY,
    "social": OrganisationKind.SOCIAL,
    "social organisation": OrganisationKind.SOCIAL,
    **{kind.value: kind for kind in (OrganisationKind.ASSOCIATION, OrganisationKind.LIBRARY)},
}
LIMITS = {
    "navn": Organisation._meta.get_field("name").max_length or 0,
    **{column: MAX_LENGTHS[column] for column in ("adresse", "by", "email")},
}


@dataclass(frozen=True)
class AssociationRow:
    """A row that passed every check. An optional column the file lacks is None, which
    leaves that field as it is in the register."""

    line: int
    cvr: str
    name: str
    kind: str
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class CheckedAssociations:
    good: tuple[AssociationRow, ...]
    rejected: tuple[Rejection, ...]


def _clean_kind(value: str) -> str:
    kind = KIND_WORDS.get(" ".join(value.lower().split()))
    if kind is None:
        raise ValidationError(
            _("Unknown type “%(value)s”: write forening, bibliotek or social.") % {"value": value}
        )
    return kind.value


CLEANERS = {
    "cvr": clean_cvr,
    "type": _clean_kind,
    "postnummer": clean_postal_code,
    "email": clean_email,
}


def check_associations(table: SourceTable, other_kinds: Mapping[str, str]) -> CheckedAssociations:
    """Check every row on its own, against the other rows (a CVR number on one line only) and
    against ``other_kinds`` (CVR → the label of its kind, for the registry's organisations
    that are not partner organisations: a housing organisation is not imported as one)."""
    reasons: dict[int, list[str]] = defaultdict(list)
    cleaned = []
    lines_by_cvr: dict[str, list[int]] = defaultdict(list)
    for row in table.rows:
        values, problems = clean_row(
            row,
            table.columns,
            required=ASSOCIATION_COLUMNS.required,
            limits=LIMITS,
            cleaners=CLEANERS,
        )
        cvr = values.get("cvr")
        if cvr is not None:
            lines_by_cvr[cvr].append(row.line)
            if cvr in other_kinds:
                problems.append(
                    _("CVR %(cvr)s is registered as “%(kind)s”, not as a partner organisation.")
                    % {"cvr": cvr, "kind": other_kinds[cvr]}
                )
        reasons[row.line].extend(problems)
        cleaned.append((row, values))
    for cvr, lines in lines_by_cvr.items():
        if len(lines) > 1:
            message = _("CVR %(cvr)s appears on more than one line: %(lines)s.") % {
                "cvr": cvr,
                "lines": ", ".join(map(str, lines)),
            }
            for line in lines:
                reasons[line].append(message)

    good: list[AssociationRow] = []
    rejected: list[Rejection] = []
    for row, values in cleaned:
        if reasons[row.line]:
            rejected.append(Rejection(row=row, reasons=tuple(reasons[row.line])))
            continue

        def optional(column: str, values: Mapping[str, str] = values) -> str | None:
            return values[column] if column in table.columns else None

        good.append(
            AssociationRow(
                line=row.line,
                cvr=values["cvr"],
                name=values["navn"],
                kind=values.get("type") or OrganisationKind.ASSOCIATION.value,
                address=optional("adresse"),
                postal_code=optional("postnummer"),
                city=optional("by"),
                email=optional("email"),
            )
        )
    return CheckedAssociations(good=tuple(good), rejected=tuple(rejected))
