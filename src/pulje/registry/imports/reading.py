"""Reading a register file (CSV or XLSX: the housing register, or associations) into a
``SourceTable`` of the columns it is read for, and writing the report of the rows that were
rejected. Nothing here knows the rules a row must meet: see ``checking`` and
``associations``.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from pulje.core.errors import Refused

REQUIRED_COLUMNS = (
    "cvr",
    "organisationsnummer",
    "organisation",
    "afdelingsnummer",
    "afdeling",
    "kommunekode",
    "boliger",
)
# "email" is the organisation's own address, to which a claim's proof code is sent.
OPTIONAL_COLUMNS = ("adresse", "postnummer", "by", "email")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


@dataclass(frozen=True)
class Columns:
    """The columns a kind of file has: those it must have and those it may have."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional


HOUSING_COLUMNS = Columns(required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)


def line_message(line: int, reason: str) -> str:
    return _("Line %(line)d: %(reason)s") % {"line": line, "reason": reason}


class ImportFileError(Refused):
    """The file as a whole cannot be read, so nothing in it can be imported."""

    def __init__(self, reason: str, *, code: str, line: int | None = None) -> None:
        super().__init__(reason, code=code)
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        return self.reason if self.line is None else line_message(self.line, self.reason)


@dataclass(frozen=True)
class SourceRow:
    """One non-empty line of the file: its line number as a person sees it (the header is
    line 1; in a workbook the sheet's row number) and its values by column name."""

    line: int
    values: Mapping[str, str]
    surplus_cells: int = 0  # non-empty cells to the right of the header's last column


@dataclass(frozen=True)
class SourceTable:
    columns: tuple[str, ...]  # the known columns the header has, in the order of its Columns
    rows: tuple[SourceRow, ...]


def read_table(path: Path, columns: Columns = HOUSING_COLUMNS) -> SourceTable:
    """Read a .csv (UTF-8, with or without BOM, ``;`` or ``,``) or .xlsx file (first sheet).

    The first non-empty line is the header; column names are matched without regard to case,
    and columns not among ``columns`` are ignored. Empty lines are skipped.
    Raises ImportFileError when the file cannot be read or lacks a required column.
    """
    _check_suffix(path.name)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError(
            _("The file %(path)s cannot be read: %(error)s.")
            % {"path": path, "error": error.strerror or error},
            code="unreadable",
        ) from error
    return read_data(path.name, data, columns)


def read_data(name: str, data: bytes, columns: Columns = HOUSING_COLUMNS) -> SourceTable:
    """``read_table`` for a file's contents (an upload), its type told by its ``name``."""
    suffix = _check_suffix(name)
    lines = _csv_lines(data) if suffix == ".csv" else _xlsx_lines(data)
    return _table(lines, columns)


def _check_suffix(name: str) -> str:
    suffix = Path(name).suffix
    if suffix.lower() not in {".csv", ".xlsx"}:
        raise ImportFileError(
            _("Unknown file type “%(suffix)s”: use a .csv or .xlsx file.") % {"suffix": suffix},
            code="unknown_file_type",
        )
    return suffix.lower()


def default_report_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.afvist.csv")


@dataclass(frozen=True)
class Rejection:
    row: SourceRow
    reasons: tuple[str, ...]

    @property
    def line(self) -> int:
        return self.row.line

    def messages(self) -> list[str]:
        return [line_message(self.line, reason) for reason in self.reasons]


def write_rejections(path: Path, table: SourceTable, rejected: Iterable[Rejection]) -> None:
    """Write the rejected rows as a CSV file Danish Excel opens directly (UTF-8 with BOM, ``;``):
    line number, reasons, then the row as it was, so it can be corrected and imported again
    (the extra columns ``linje`` and ``årsag`` are ignored on import)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["linje", "årsag", *table.columns])
        for rejection in rejected:
            writer.writerow(
                [
                    rejection.line,
                    " ".join(rejection.reasons),
                    *(rejection.row.values.get(column, "") for column in table.columns),
                ]
            )


def _csv_lines(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _("The file is not UTF-8 encoded; save it as “CSV UTF-8”."),
            line=data.count(b"\n", 0, error.start) + 1,
            code="not_utf8",
        ) from None
    header = next((line for line in text.splitlines() if line.strip()), "")
    # The delimiter is read from the header, whose names contain neither character; sniffing
    # the data instead can pick the comma inside a name such as "Bo-Vest, afd. 3".
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    lines: list[tuple[int, list[str]]] = []
    first_line = 1
    try:
        for cells in reader:
            lines.append((first_line, cells))
            # A quoted cell may span lines; the next record starts after this one's last line.
            first_line = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(
            _("The line cannot be read as CSV (%(error)s).") % {"error": error},
            line=reader.line_num,
            code="bad_csv",
        ) from None
    return lines


def _xlsx_lines(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as error:
        raise ImportFileError(
            _("The file is not an Excel workbook (.xlsx) that can be read."), code="not_xlsx"
        ) from error
    try:
        if not workbook.worksheets:
            return []
        # Read-only sheets fill the gaps left by empty rows, so the position is the row number.
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        return [
            (number, [_cell_text(value) for value in row]) for number, row in enumerate(rows, 1)
        ]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A whole number typed into a cell (1200) reads back as 1200.0.
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _table(lines: Iterable[tuple[int, list[str]]], columns: Columns) -> SourceTable:
    header_line, header = 0, []
    rows: list[SourceRow] = []
    for line, raw_cells in lines:
        cells = [cell.strip() for cell in raw_cells]
        if not any(cells):
            continue
        if not header_line:
            header_line, header = line, [cell.lower() for cell in cells]
            _check_header(header_line, header, columns)
            continue
        values = {
            name: cells[position] if position < len(cells) else ""
            for position, name in enumerate(header)
            if name in columns.known
        }
        surplus = sum(1 for cell in cells[len(header) :] if cell)
        rows.append(SourceRow(line=line, values=values, surplus_cells=surplus))
    if not header_line:
        raise ImportFileError(_("The file is empty: it has no header line."), code="empty")
    return SourceTable(
        columns=tuple(column for column in columns.known if column in header), rows=tuple(rows)
    )


def _check_header(line: int, header: list[str], columns: Columns) -> None:
    for column in columns.known:
        if header.count(column) > 1:
            raise ImportFileError(
                _("The column “%(column)s” appears more than once in the header.")
                % {"column": column},
                line=line,
                code="duplicate_column",
            )
    missing = [column for column in columns.required if column not in header]
    if missing:
        raise ImportFileError(
            _("The file lacks the required columns: %(columns)s.")
            % {"columns": ", ".join(missing)},
            line=line,
            code="missing_columns",
        )
