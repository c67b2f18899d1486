"""The rules a housing register row must meet, on its own, against the other rows and against
the register.

Nothing here touches the database: the facts a row is checked against (municipality codes,
organisation numbers already in use) come in as plain data, so every rule is quick to test.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pulje.core.errors import Refused
from pulje.registry.imports.reading import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    Rejection,
    SourceRow,
    SourceTable,
)
from pulje.registry.models import HousingDepartment, Organisation
from pulje.registry.validators import clean_cvr

# The organisation's data, repeated on each of its departments' lines; it must agree.
ORGANISATION_COLUMNS = ("organisation", "organisationsnummer", *OPTIONAL_COLUMNS)


def _max_length(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    assert isinstance(field, models.CharField)
    assert field.max_length is not None
    return field.max_length


# Checked here, against the models' own limits, so a value too long is reported with its line
# rather than refused by the model halfway through the import.
MAX_LENGTHS = {
    "organisationsnummer": _max_length(Organisation, "housing_number"),
    "organisation": _max_length(Organisation, "name"),
    "afdelingsnummer": _max_length(HousingDepartment, "number"),
    "afdeling": _max_length(HousingDepartment, "name"),
    "adresse": _max_length(Organisation, "address"),
    "by": _max_length(Organisation, "city"),
    "email": _max_length(Organisation, "registry_email"),
}

# Plain digits, or Danish thousands separators ("1.200" is one thousand two hundred).
_WHOLE_NUMBER = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+")


@dataclass(frozen=True)
class HousingRow:
    """A row that passed every check. An optional column the file lacks is None, which
    leaves that field as it is in the register."""

    line: int
    cvr: str
    housing_number: str
    organisation_name: str
    department_number: str
    department_name: str
    municipality_code: str
    homes: int
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    email: str | None = None


class ImportRefused(Refused):
    """The import wrote nothing because of these rows."""

    def __init__(self, rejected: Sequence[Rejection], *, code: str) -> None:
        super().__init__(f"{len(rejected)} rejected row(s)", code=code)
        self.rejected = tuple(rejected)

    def messages(self) -> list[str]:
        return [message for rejection in self.rejected for message in rejection.messages()]


@dataclass(frozen=True)
class RegistryFacts:
    """What the rows are checked against in the register."""

    municipality_codes: frozenset[str]
    housing_number_owners: Mapping[str, str]  # organisationsnummer → the CVR that has it
    other_kinds: Mapping[str, str]  # CVR → kind, for organisations that are not housing ones


@dataclass(frozen=True)
class CheckedRows:
    good: tuple[HousingRow, ...]
    rejected: tuple[Rejection, ...]


def check_rows(table: SourceTable, facts: RegistryFacts) -> CheckedRows:
    """Check every row on its own and against the other rows and the register.

    Returns the good rows and, for each bad one, every reason it is refused. A rule that
    involves several lines (a department listed twice, an organisation described differently)
    rejects each of those lines and names the others, since pulje cannot tell which is right.
    """
    reasons: dict[int, list[str]] = defaultdict(list)
    cleaned: list[tuple[SourceRow, dict[str, str]]] = []
    for row in table.rows:
        values, problems = _clean(row, table.columns, facts)
        reasons[row.line].extend(problems)
        cleaned.append((row, values))
    for line, problem in _conflicts(cleaned):
        reasons[line].append(problem)

    good: list[HousingRow] = []
    rejected: list[Rejection] = []
    for row, values in cleaned:
        if reasons[row.line]:
            rejected.append(Rejection(row=row, reasons=tuple(reasons[row.line])))
        else:
            good.append(_housing_row(row.line, values, table.columns))
    return CheckedRows(good=tuple(good), rejected=tuple(rejected))


def _clean(
    row: SourceRow, columns: tuple[str, ...], facts: RegistryFacts
) -> tuple[dict[str, str], list[str]]:
    """The row's values that are right, normalised, and a reason for each one that is not."""
    values, problems = clean_row(
        row, columns, required=REQUIRED_COLUMNS, limits=MAX_LENGTHS, cleaners=_cleaners(facts)
    )
    return values, problems + _register_problems(values, facts)


def clean_row(
    row: SourceRow,
    columns: tuple[str, ...],
    *,
    required: Collection[str],
    limits: Mapping[str, int],
    cleaners: Mapping[str, Callable[[str], str]],
) -> tuple[dict[str, str], list[str]]:
    """The row's values that are right, normalised by ``cleaners`` (a ValidationError's
    messages are the reasons), and a reason for each one that is not: a ``required`` column
    empty, a value longer than its limit, cells beyond the header's last column."""
    problems: list[str] = []
    if row.surplus_cells:
        problems.append(
            ngettext(
                "The line has %(count)d filled cell to the right of the last column; "
                "is there an unquoted delimiter in a value?",
                "The line has %(count)d filled cells to the right of the last column; "
                "is there an unquoted delimiter in a value?",
                row.surplus_cells,
            )
            % {"count": row.surplus_cells}
        )
    values: dict[str, str] = {}
    for column in columns:
        value = row.values.get(column, "")
        limit = limits.get(column)
        if not value and column in required:
            problems.append(_("The column “%(column)s” is empty.") % {"column": column})
        elif limit is not None and len(value) > limit:
            problems.append(
                _("“%(column)s” has %(length)d characters; at most %(limit)d are allowed.")
                % {"column": column, "length": len(value), "limit": limit}
            )
        else:
            values[column] = value
    for column, clean in cleaners.items():
        if values.get(column):
            try:
                values[column] = clean(values[column])
            except ValidationError as error:
                problems.extend(error.messages)
                del values[column]
    return values, problems


def _clean_municipality_code(value: str, facts: RegistryFacts) -> str:
    # Some registers (DAWA among them) write 101 as "0101".
    code = str(int(value)).zfill(3) if value.isascii() and value.isdigit() else value
    if code not in facts.municipality_codes:
        raise ValidationError(_("Unknown municipality code “%(code)s”.") % {"code": value})
    return code


def _clean_homes(value: str) -> str:
    homes = int(value.replace(".", "")) if _WHOLE_NUMBER.fullmatch(value) else 0
    if homes < 1:
        raise ValidationError(
            _("The number of homes must be a whole number of at least 1, not “%(value)s”.")
            % {"value": value}
        )
    return str(homes)


def clean_email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not an e-mail address.") % {"value": value}
        ) from None
    return value.lower()


def clean_postal_code(value: str) -> str:
    if not (len(value) == 4 and value.isascii() and value.isdigit()):
        raise ValidationError(
            _("A postal code has 4 digits; “%(value)s” does not.") % {"value": value}
        )
    return value


def _cleaners(facts: RegistryFacts) -> dict[str, Callable[[str], str]]:
    return {
        "cvr": clean_cvr,
        "kommunekode": lambda value: _clean_municipality_code(value, facts),
        "boliger": _clean_homes,
        "postnummer": clean_postal_code,
        "email": clean_email,
    }


def _register_problems(values: Mapping[str, str], facts: RegistryFacts) -> list[str]:
    cvr = values.get("cvr")
    if cvr is None:
        return []
    problems = []
    if cvr in facts.other_kinds:
        problems.append(
            _("CVR %(cvr)s is registered as “%(kind)s”, not as a housing organisation.")
            % {"cvr": cvr, "kind": facts.other_kinds[cvr]}
        )
    number = values.get("organisationsnummer", "")
    owner = facts.housing_number_owners.get(number)
    if owner is not None and owner != cvr:
        problems.append(
            _("The organisation number %(number)s belongs to CVR %(owner)s in the register.")
            % {"number": number, "owner": owner}
        )
    return problems


Cleaned = Sequence[tuple[SourceRow, dict[str, str]]]


def _conflicts(cleaned: Cleaned) -> list[tuple[int, str]]:
    """Rules between lines, among the lines whose CVR number is valid."""
    valid = [(row.line, values) for row, values in cleaned if "cvr" in values]
    return _repeated_departments(valid) + _disagreements(valid) + _shared_numbers(valid)


def _repeated_departments(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, str]]:
    lines_by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for line, values in rows:
        if "afdelingsnummer" in values:
            lines_by_key[values["cvr"], values["afdelingsnummer"]].append(line)
    problems: list[tuple[int, str]] = []
    for (cvr, department), lines in lines_by_key.items():
        if len(lines) > 1:
            message = _(
                "Department %(department)s of CVR %(cvr)s appears on more than one line: %(lines)s."
            ) % {"department": department, "cvr": cvr, "lines": ", ".join(map(str, lines))}
            problems.extend((line, message) for line in lines)
    return problems


def _disagreements(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, str]]:
    """Lines that describe their organisation differently from another line with its CVR;
    each names the first line it disagrees with, and every column in which it does."""
    by_line = dict(rows)
    # For each CVR and column, the first line with each value: a line disagrees with the
    # first line of any other value, without comparing every pair of lines.
    first_lines: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for line, values in rows:
        for column in ORGANISATION_COLUMNS:
            if column in values:
                first_lines[values["cvr"], column].setdefault(values[column], line)
    problems: list[tuple[int, str]] = []
    for line, values in rows:
        other_line = min(
            (
                first
                for column in ORGANISATION_COLUMNS
                if column in values
                for value, first in first_lines[values["cvr"], column].items()
                if value != values[column]
            ),
            default=None,
        )
        if other_line is None:
            continue
        other = by_line[other_line]
        problems.extend(
            (
                line,
                _(
                    "CVR %(cvr)s has %(column)s “%(value)s” here but “%(other)s” "
                    "on line %(other_line)d."
                )
                % {
                    "cvr": values["cvr"],
                    "column": column,
                    "value": values[column],
                    "other": other[column],
                    "other_line": other_line,
                },
            )
            for column in ORGANISATION_COLUMNS
            if column in values and column in other and values[column] != other[column]
        )
    return problems


def _shared_numbers(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, str]]:
    """Lines whose organisation number another line gives to a different CVR."""
    first_lines: dict[str, dict[str, int]] = defaultdict(dict)  # number → CVR → first line
    for line, values in rows:
        if "organisationsnummer" in values:
            first_lines[values["organisationsnummer"]].setdefault(values["cvr"], line)
    problems: list[tuple[int, str]] = []
    for line, values in rows:
        number = values.get("organisationsnummer")
        others = [
            (first, cvr)
            for cvr, first in first_lines.get(number or "", {}).items()
            if cvr != values["cvr"]
        ]
        if others:
            other_line, other_cvr = min(others)
            problems.append(
                (
                    line,
                    _(
                        "The organisation number %(number)s is also given to CVR "
                        "%(other_cvr)s on line %(other_line)d."
                    )
                    % {"number": number, "other_cvr": other_cvr, "other_line": other_line},
                )
            )
    return problems


def _housing_row(line: int, values: Mapping[str, str], columns: tuple[str, ...]) -> HousingRow:
    def optional(column: str) -> str | None:
        return values[column] if column in columns else None

    return HousingRow(
        line=line,
        cvr=values["cvr"],
        housing_number=values["organisationsnummer"],
        organisation_name=values["organisation"],
        department_number=values["afdelingsnummer"],
        department_name=values["afdeling"],
        municipality_code=values["kommunekode"],
        homes=int(values["boliger"]),
        address=optional("adresse"),
        postal_code=optional("postnummer"),
        city=optional("by"),
        email=optional("email"),
    )
