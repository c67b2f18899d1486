import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.core.models import AuditEvent
from pulje.registry.imports import (
    ImportFileError,
    ImportRefused,
    RegistryFacts,
    SourceRow,
    SourceTable,
    check_rows,
    read_table,
)
from pulje.registry.models import HousingDepartment, Organisation, OrganisationKind
from pulje.registry.services.housing_import import ChangeCounts, import_housing_registry
from tests.factories import OrganisationFactory, UserFactory

CVR_A = "12345674"
CVR_B = "12345682"
CVR_C = "12345690"

# Mixed case on purpose: column names are matched without regard to case.
HEADER = [
    "CVR",
    "Organisationsnummer",
    "Organisation",
    "Afdelingsnummer",
    "Afdeling",
    "Kommunekode",
    "Boliger",
    "Adresse",
    "Postnummer",
    "By",
]
ORGANISATION_A = ["101", "Boligselskabet Fælleshave"]
ADDRESS_A = ["Havevej 1", "2300", "København S"]
GOOD_ROWS = [
    [CVR_A, *ORGANISATION_A, "1", "Solgården", "101", "120", *ADDRESS_A],
    [CVR_A, *ORGANISATION_A, "2", "Månegården", "147", "48", *ADDRESS_A],
    # A comma in a value and Danish thousands separators in the number of homes.
    [CVR_B, "202", "Aarhus Almene Boliger", "7", "Skovbrynet, blok 3", "751", "1.200", "", "", ""],
]
FACTS = RegistryFacts(
    municipality_codes=frozenset({"101", "147", "751"}),
    housing_number_owners={},
    other_kinds={},
)
GOOD_OUTPUT = (
    "Organisations: 2 created, 0 updated, 0 unchanged.\n"
    "Departments: 3 created, 0 updated, 0 unchanged.\n"
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Until the Danish catalogue exists the messages read as their English msgids."""
    with translation.override("en"):
        yield


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    delimiter: str = ";",
    bom: bool = False,
) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8-sig" if bom else "utf-8", newline="")
    return path


def write_xlsx(
    path: Path, rows: Sequence[Sequence[str]], *, header: Sequence[str] = HEADER
) -> Path:
    """A workbook as Excel keeps one: digits typed into a cell become numbers."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append([int(cell) if cell.isdigit() else cell or None for cell in row])
    workbook.save(path)
    return path


def rejected_lines(table: SourceTable, facts: RegistryFacts = FACTS) -> list[tuple[int, list[str]]]:
    return [
        (rejection.line, list(rejection.reasons)) for rejection in check_rows(table, facts).rejected
    ]


def registry() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    organisations = Organisation.objects.order_by("cvr").values_list(
        "cvr", "name", "kind", "housing_number", "address", "postal_code", "city"
    )
    departments = HousingDepartment.objects.order_by("organisation__cvr", "number").values_list(
        "organisation__cvr", "number", "name", "municipality_id", "homes"
    )
    return list(organisations), list(departments)


GOOD_REGISTRY = (
    [
        (CVR_A, "Boligselskabet Fælleshave", "housing", "101", "Havevej 1", "2300", "København S"),
        (CVR_B, "Aarhus Almene Boliger", "housing", "202", "", "", ""),
    ],
    [
        (CVR_A, "1", "Solgården", "101", 120),
        (CVR_A, "2", "Månegården", "147", 48),
        (CVR_B, "7", "Skovbrynet, blok 3", "751", 1200),
    ],
)


# Reading the file


def expected_table() -> SourceTable:
    columns = tuple(name.lower() for name in HEADER)
    return SourceTable(
        columns=columns,
        rows=tuple(
            SourceRow(line=line, values=dict(zip(columns, row, strict=True)))
            for line, row in enumerate(GOOD_ROWS, start=2)
        ),
    )


@pytest.mark.parametrize(
    ("delimiter", "bom"), [(";", False), (";", True), (",", False), (",", True)]
)
def test_read_table_reads_either_delimiter_with_or_without_bom(
    tmp_path: Path, delimiter: str, bom: bool
) -> None:
    path = write_csv(tmp_path / "boliger.csv", GOOD_ROWS, delimiter=delimiter, bom=bom)

    assert read_table(path) == expected_table()


def test_read_table_reads_a_workbook_as_the_same_table(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "boliger.xlsx", GOOD_ROWS)

    assert read_table(path) == expected_table()


def test_read_table_skips_empty_lines_and_counts_lines_as_a_person_sees_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "boliger.csv"
    path.write_text(
        ";".join(HEADER) + "\n"
        f"{CVR_A};101;Fælleshave;1;Solgården;101;120\n"
        "\n"
        ";;;;;;;;;\n"
        f'{CVR_A};101;Fælleshave;2;"Måne-\ngården";147;48\n'
        f"{CVR_A};101;Fælleshave;3;Stjernen;147;30\n",
        encoding="utf-8",
    )

    table = read_table(path)

    assert [(row.line, row.values["afdeling"]) for row in table.rows] == [
        (2, "Solgården"),
        (5, "Måne-\ngården"),
        (7, "Stjernen"),
    ]
    # The short lines lack the optional columns' cells; they read as empty.
    assert table.rows[0].values["by"] == ""


def test_read_table_gives_workbook_rows_their_sheet_row_numbers(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(GOOD_ROWS[0])
    sheet.append([])
    sheet.append(GOOD_ROWS[1])
    workbook.save(tmp_path / "boliger.xlsx")

    table = read_table(tmp_path / "boliger.xlsx")

    assert [row.line for row in table.rows] == [2, 4]


def test_read_table_ignores_unknown_columns_and_keeps_only_the_known_ones(tmp_path: Path) -> None:
    header = ["Bemærkning", *HEADER[:7]]
    path = write_csv(tmp_path / "boliger.csv", [["ny", *GOOD_ROWS[0][:7]]], header=header)

    table = read_table(path)

    assert table.columns == tuple(name.lower() for name in HEADER[:7])
    assert table.rows[0].values == dict(zip(table.columns, GOOD_ROWS[0][:7], strict=True))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "boliger.csv",
            "cvr;organisationsnummer;organisation;afdelingsnummer;kommunekode\n",
            "Line 1: The file lacks the required columns: afdeling, boliger.",
        ),
        (
            "boliger.csv",
            "\n" + ";".join([*HEADER, "cvr"]) + "\n",
            "Line 2: The column “cvr” appears more than once in the header.",
        ),
        ("boliger.csv", "\n\n", "The file is empty: it has no header line."),
        ("boliger.xls", "", "Unknown file type “.xls”: use a .csv or .xlsx file."),
        (
            "boliger.xlsx",
            "not a workbook",
            "The file is not an Excel workbook (.xlsx) that can be read.",
        ),
        (
            "boliger.csv",
            ";".join(HEADER) + '\n1;2;"unfinished',
            "Line 2: The line cannot be read as CSV (unexpected end of data).",
        ),
    ],
)
def test_read_table_refuses_a_file_it_cannot_read(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")

    with pytest.raises(ImportFileError) as error:
        read_table(tmp_path / name)

    assert str(error.value) == message


def test_read_table_refuses_a_file_that_is_not_utf8_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "boliger.csv"
    path.write_bytes(
        (
            ";".join(HEADER) + f"\n{CVR_A};101;Ok;1;A;101;1\n{CVR_A};101;Fælleshave;2;B;101;1\n"
        ).encode("cp1252")
    )

    with pytest.raises(ImportFileError) as error:
        read_table(path)

    assert str(error.value) == "Line 3: The file is not UTF-8 encoded; save it as “CSV UTF-8”."


def test_read_table_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as error:
        read_table(tmp_path / "none.csv")

    assert (
        str(error.value)
        == f"The file {tmp_path / 'none.csv'} cannot be read: No such file or directory."
    )


# Checking the rows


def test_check_rows_accepts_good_rows_and_normalises_them(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, [f"{CVR_C[:4]} {CVR_C[4:]}", "303", "Bo Nord", "1", "Nord", "0101", "9"]]
    table = read_table(write_csv(tmp_path / "boliger.csv", rows))

    checked = check_rows(table, FACTS)

    assert checked.rejected == ()
    assert [(row.line, row.cvr, row.municipality_code, row.homes) for row in checked.good] == [
        (2, CVR_A, "101", 120),
        (3, CVR_A, "147", 48),
        (4, CVR_B, "751", 1200),
        (5, CVR_C, "101", 9),
    ]
    assert (checked.good[0].address, checked.good[0].postal_code, checked.good[0].city) == (
        "Havevej 1",
        "2300",
        "København S",
    )


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        (
            {0: "12345678"},
            ["“12345678” is not a valid CVR number (the check digit does not match)."],
        ),
        ({0: "1234567"}, ["A CVR number has 8 digits; “1234567” does not."]),
        ({5: "999"}, ["Unknown municipality code “999”."]),
        ({6: "0"}, ["The number of homes must be a whole number of at least 1, not “0”."]),
        ({6: "12,5"}, ["The number of homes must be a whole number of at least 1, not “12,5”."]),
        ({6: "-3"}, ["The number of homes must be a whole number of at least 1, not “-3”."]),
        ({6: ""}, ["The column “boliger” is empty."]),
        ({2: ""}, ["The column “organisation” is empty."]),
        ({8: "230"}, ["A postal code has 4 digits; “230” does not."]),
        ({4: "x" * 201}, ["“afdeling” has 201 characters; at most 200 are allowed."]),
        ({1: "12345678901"}, ["“organisationsnummer” has 11 characters; at most 10 are allowed."]),
        (
            {5: "999", 6: "mange"},
            [
                "Unknown municipality code “999”.",
                "The number of homes must be a whole number of at least 1, not “mange”.",
            ],
        ),
    ],
)
def test_check_rows_rejects_a_bad_row_with_its_line_and_reason(
    tmp_path: Path, changes: dict[int, str], reasons: list[str]
) -> None:
    bad = [CVR_C, "303", "Bo Nord", "1", "Nord", "101", "9", "", "", ""]
    for position, value in changes.items():
        bad[position] = value
    table = read_table(write_csv(tmp_path / "boliger.csv", [*GOOD_ROWS, bad]))

    assert rejected_lines(table) == [(5, reasons)]


def test_check_rows_rejects_cells_beyond_the_last_column(tmp_path: Path) -> None:
    path = tmp_path / "boliger.csv"
    # An unquoted comma in the name shifts every later value one column to the right.
    path.write_text(
        ",".join(HEADER[:7]) + f"\n{CVR_A},101,Fælleshave,1,Bo-Vest, afd. 3,101,120\n",
        encoding="utf-8",
    )

    assert rejected_lines(read_table(path)) == [
        (
            2,
            [
                "The line has 1 filled cell to the right of the last column; "
                "is there an unquoted delimiter in a value?",
                "Unknown municipality code “afd. 3”.",
            ],
        )
    ]


def test_check_rows_names_both_lines_of_a_department_listed_twice(tmp_path: Path) -> None:
    again = [CVR_A, *ORGANISATION_A, "1", "Solgården", "101", "125", *ADDRESS_A]
    table = read_table(write_csv(tmp_path / "boliger.csv", [*GOOD_ROWS, again]))

    reason = "Department 1 of CVR 12345674 appears on more than one line: 2, 5."
    assert rejected_lines(table) == [(2, [reason]), (5, [reason])]


def test_check_rows_rejects_every_line_of_an_organisation_described_differently(
    tmp_path: Path,
) -> None:
    typo = [CVR_A, "101", "Boligselskabet Fællshave", "3", "Stjernen", "101", "30", *ADDRESS_A]
    table = read_table(write_csv(tmp_path / "boliger.csv", [*GOOD_ROWS, typo]))

    assert rejected_lines(table) == [
        (
            2,
            [
                "CVR 12345674 has organisation “Boligselskabet Fælleshave” here "
                "but “Boligselskabet Fællshave” on line 5."
            ],
        ),
        (
            3,
            [
                "CVR 12345674 has organisation “Boligselskabet Fælleshave” here "
                "but “Boligselskabet Fællshave” on line 5."
            ],
        ),
        (
            5,
            [
                "CVR 12345674 has organisation “Boligselskabet Fællshave” here "
                "but “Boligselskabet Fælleshave” on line 2."
            ],
        ),
    ]


def test_check_rows_names_every_column_in_which_an_organisation_differs(tmp_path: Path) -> None:
    other = [CVR_A, "109", "Boligselskabet Fælleshave", "3", "Stjernen", "101", "30", "", "", ""]
    table = read_table(write_csv(tmp_path / "boliger.csv", [GOOD_ROWS[0], other]))

    assert rejected_lines(table)[1] == (
        3,
        [
            "CVR 12345674 has organisationsnummer “109” here but “101” on line 2.",
            "CVR 12345674 has adresse “” here but “Havevej 1” on line 2.",
            "CVR 12345674 has postnummer “” here but “2300” on line 2.",
            "CVR 12345674 has by “” here but “København S” on line 2.",
        ],
    )


def test_check_rows_rejects_an_organisation_number_given_to_two_cvrs(tmp_path: Path) -> None:
    taken = [CVR_C, "202", "Bo Nord", "1", "Nord", "101", "9", "", "", ""]
    table = read_table(write_csv(tmp_path / "boliger.csv", [*GOOD_ROWS, taken]))

    assert rejected_lines(table) == [
        (4, ["The organisation number 202 is also given to CVR 12345690 on line 5."]),
        (5, ["The organisation number 202 is also given to CVR 12345682 on line 4."]),
    ]


def test_check_rows_rejects_what_conflicts_with_the_register(tmp_path: Path) -> None:
    facts = RegistryFacts(
        municipality_codes=FACTS.municipality_codes,
        housing_number_owners={"101": CVR_C},
        other_kinds={CVR_B: "Association"},
    )
    table = read_table(write_csv(tmp_path / "boliger.csv", GOOD_ROWS))

    assert rejected_lines(table, facts) == [
        (2, ["The organisation number 101 belongs to CVR 12345690 in the register."]),
        (3, ["The organisation number 101 belongs to CVR 12345690 in the register."]),
        (4, ["CVR 12345682 is registered as “Association”, not as a housing organisation."]),
    ]


# Writing to the register


@pytest.mark.django_db
def test_import_creates_the_organisations_and_departments_of_a_good_file(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "boliger.csv", GOOD_ROWS))

    result = import_housing_registry(actor=None, table=table)

    assert result.organisations == ChangeCounts(created=2)
    assert result.departments == ChangeCounts(created=3)
    assert result.rejected == ()
    assert registry() == GOOD_REGISTRY
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "registry.organisation.registered",
        "registry.department.registered",
        "registry.department.registered",
        "registry.organisation.registered",
        "registry.department.registered",
    ]


@pytest.mark.django_db
def test_import_of_the_same_file_again_changes_nothing(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "boliger.csv", GOOD_ROWS))
    import_housing_registry(actor=None, table=table)
    events = AuditEvent.objects.count()

    result = import_housing_registry(actor=None, table=table)

    assert result.organisations == ChangeCounts(unchanged=2)
    assert result.departments == ChangeCounts(unchanged=3)
    assert AuditEvent.objects.count() == events
    assert registry() == GOOD_REGISTRY


@pytest.mark.django_db
def test_import_of_a_changed_number_of_homes_updates_only_that_department(
    tmp_path: Path,
) -> None:
    import_housing_registry(actor=None, table=read_table(write_csv(tmp_path / "a.csv", GOOD_ROWS)))
    events = AuditEvent.objects.count()
    changed = [list(row) for row in GOOD_ROWS]
    changed[1][6] = "50"

    result = import_housing_registry(
        actor=None, table=read_table(write_csv(tmp_path / "b.csv", changed))
    )

    assert result.organisations == ChangeCounts(unchanged=2)
    assert result.departments == ChangeCounts(updated=1, unchanged=2)
    department = HousingDepartment.objects.get(organisation__cvr=CVR_A, number="2")
    assert registry()[1] == [
        (CVR_A, "1", "Solgården", "101", 120),
        (CVR_A, "2", "Månegården", "147", 50),
        (CVR_B, "7", "Skovbrynet, blok 3", "751", 1200),
    ]
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.get(seq=events + 1)
    snapshot = {
        "organisation": department.organisation_id,
        "number": "2",
        "name": "Månegården",
        "municipality": "147",
    }
    assert (event.action, event.object_id) == ("registry.department.updated", str(department.pk))
    assert event.before == {**snapshot, "homes": 48}
    assert event.after == {**snapshot, "homes": 50}


@pytest.mark.django_db
def test_import_updates_an_organisation_and_leaves_fields_of_absent_columns(
    tmp_path: Path,
) -> None:
    import_housing_registry(actor=None, table=read_table(write_csv(tmp_path / "a.csv", GOOD_ROWS)))
    renamed = [[*row[:2], "Fælleshave Bolig", *row[3:7]] for row in GOOD_ROWS[:2]]

    result = import_housing_registry(
        actor=None, table=read_table(write_csv(tmp_path / "b.csv", renamed, header=HEADER[:7]))
    )

    assert result.organisations == ChangeCounts(updated=1)
    assert result.departments == ChangeCounts(unchanged=2)
    assert registry()[0][0] == (
        CVR_A,
        "Fælleshave Bolig",
        "housing",
        "101",
        "Havevej 1",
        "2300",
        "København S",
    )
    event = AuditEvent.objects.latest("seq")
    unchanged = {
        "cvr": CVR_A,
        "kind": "housing",
        "housing_number": "101",
        "address": "Havevej 1",
        "postal_code": "2300",
        "city": "København S",
        "municipality": None,
        "registry_email": "",
        # The organisation's profile, which an import leaves alone.
        "payment_iban": "",
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
        "finance_name": "",
        "finance_email": "",
        "finance_phone": "",
    }
    assert event.action == "registry.organisation.updated"
    assert event.before == {**unchanged, "name": "Boligselskabet Fælleshave"}
    assert event.after == {**unchanged, "name": "Fælleshave Bolig"}


@pytest.mark.django_db
def test_import_refuses_the_whole_file_for_one_bad_row(tmp_path: Path) -> None:
    bad = [CVR_C, "303", "Bo Nord", "1", "Nord", "999", "9", "", "", ""]
    table = read_table(write_csv(tmp_path / "boliger.csv", [*GOOD_ROWS, bad]))

    with pytest.raises(ImportRefused) as refused:
        import_housing_registry(actor=None, table=table)

    assert refused.value.messages() == ["Line 5: Unknown municipality code “999”."]
    assert (Organisation.objects.count(), HousingDepartment.objects.count()) == (0, 0)
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_import_checks_rows_against_the_register(tmp_path: Path) -> None:
    OrganisationFactory(cvr=CVR_C, name="Bo Nord", housing_number="101")
    OrganisationFactory(cvr=CVR_B, name="Aarhus Frivillige", kind=OrganisationKind.ASSOCIATION)
    events = AuditEvent.objects.count()
    table = read_table(write_csv(tmp_path / "boliger.csv", GOOD_ROWS))

    with pytest.raises(ImportRefused) as refused:
        import_housing_registry(actor=None, table=table)

    assert refused.value.messages() == [
        "Line 2: The organisation number 101 belongs to CVR 12345690 in the register.",
        "Line 3: The organisation number 101 belongs to CVR 12345690 in the register.",
        "Line 4: CVR 12345682 is registered as “Association”, not as a housing organisation.",
    ]
    assert Organisation.objects.count() == 2
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_import_partial_writes_the_good_rows_and_returns_the_bad_ones(tmp_path: Path) -> None:
    bad = [CVR_C, "303", "Bo Nord", "1", "Nord", "999", "9", "", "", ""]
    table = read_table(write_csv(tmp_path / "boliger.csv", [bad, *GOOD_ROWS]))

    result = import_housing_registry(actor=None, table=table, partial=True)

    assert result.organisations == ChangeCounts(created=2)
    assert result.departments == ChangeCounts(created=3)
    assert [message for r in result.rejected for message in r.messages()] == [
        "Line 2: Unknown municipality code “999”."
    ]
    assert registry() == GOOD_REGISTRY


@pytest.mark.django_db
def test_import_dry_run_counts_without_writing(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "boliger.csv", GOOD_ROWS))

    result = import_housing_registry(actor=None, table=table, dry_run=True)

    assert result.organisations == ChangeCounts(created=2)
    assert result.departments == ChangeCounts(created=3)
    assert registry() == ([], [])
    assert AuditEvent.objects.count() == 0


# The command


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_command_imports_a_file_and_reports_counts(tmp_path: Path, suffix: str) -> None:
    write = write_csv if suffix == "csv" else write_xlsx
    path = write(tmp_path / f"boliger.{suffix}", GOOD_ROWS)
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("import_housing", str(path), stdout=stdout, stderr=stderr)

    assert stdout.getvalue() == GOOD_OUTPUT
    assert stderr.getvalue() == ""
    assert registry() == GOOD_REGISTRY
    assert list(AuditEvent.objects.values_list("actor_id", flat=True)) == [None] * 5

    call_command("import_housing", str(path), stdout=stdout)

    assert stdout.getvalue() == GOOD_OUTPUT + (
        "Organisations: 0 created, 0 updated, 2 unchanged.\n"
        "Departments: 0 created, 0 updated, 3 unchanged.\n"
    )


@pytest.mark.django_db
def test_command_names_the_actor_in_the_audit_events(tmp_path: Path) -> None:
    user = UserFactory(email="anne@example.dk")
    events = AuditEvent.objects.count()
    path = write_csv(tmp_path / "boliger.csv", GOOD_ROWS)
    stdout = io.StringIO()

    call_command("import_housing", str(path), "--actor", "anne@example.dk", stdout=stdout)

    assert stdout.getvalue() == GOOD_OUTPUT
    assert list(
        AuditEvent.objects.filter(seq__gt=events).values_list("action", "actor_id").order_by("seq")
    ) == [
        ("registry.organisation.registered", user.pk),
        ("registry.department.registered", user.pk),
        ("registry.department.registered", user.pk),
        ("registry.organisation.registered", user.pk),
        ("registry.department.registered", user.pk),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["nobody@example.dk", "gone@example.dk"])
def test_command_refuses_an_actor_who_is_not_an_active_user(tmp_path: Path, email: str) -> None:
    UserFactory(email="gone@example.dk")
    User.objects.filter(email="gone@example.dk").update(is_active=False)
    events = AuditEvent.objects.count()
    path = write_csv(tmp_path / "boliger.csv", GOOD_ROWS)

    with pytest.raises(CommandError) as error:
        call_command("import_housing", str(path), "--partial", "--actor", email)

    assert str(error.value) == f"No active user has the e-mail address {email}."
    assert registry() == ([], [])
    assert AuditEvent.objects.count() == events
    assert not (tmp_path / "boliger.afvist.csv").exists()


@pytest.mark.django_db
def test_command_refuses_a_file_with_bad_rows_listing_every_error(tmp_path: Path) -> None:
    rows = [
        *GOOD_ROWS,
        ["12345678", "303", "Bo Nord", "1", "Nord", "101", "9", "", "", ""],
        [CVR_C, "404", "Bo Syd", "1", "Syd", "999", "0", "", "", ""],
    ]
    path = write_csv(tmp_path / "boliger.csv", rows)
    stdout, stderr = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_housing", str(path), stdout=stdout, stderr=stderr)

    assert str(error.value) == f"{path}: 2 rows are bad, so nothing was imported."
    assert error.value.returncode == 1
    assert stderr.getvalue() == (
        "Line 5: “12345678” is not a valid CVR number (the check digit does not match).\n"
        "Line 6: Unknown municipality code “999”.\n"
        "Line 6: The number of homes must be a whole number of at least 1, not “0”.\n"
    )
    assert stdout.getvalue() == ""
    assert registry() == ([], [])
    assert AuditEvent.objects.count() == 0
    assert not (tmp_path / "boliger.afvist.csv").exists()


@pytest.mark.django_db
def test_command_partial_imports_the_good_rows_and_reports_the_rejected(tmp_path: Path) -> None:
    rows = [
        ["12345678", "303", "Bo Nord", "1", "Nord", "101", "9", "", "", ""],
        *GOOD_ROWS,
        [CVR_C, "404", "Bo; Syd", "1", "Syd", "999", "0", "", "", ""],
    ]
    path = write_xlsx(tmp_path / "boliger.xlsx", rows)
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("import_housing", str(path), "--partial", stdout=stdout, stderr=stderr)

    report = tmp_path / "boliger.afvist.csv"
    assert stdout.getvalue() == GOOD_OUTPUT + f"2 rows rejected. The report is {report}.\n"
    assert stderr.getvalue() == (
        "Line 2: “12345678” is not a valid CVR number (the check digit does not match).\n"
        "Line 6: Unknown municipality code “999”.\n"
        "Line 6: The number of homes must be a whole number of at least 1, not “0”.\n"
    )
    assert registry() == GOOD_REGISTRY
    assert report.read_bytes().decode("utf-8-sig") == (
        "linje;årsag;cvr;organisationsnummer;organisation;afdelingsnummer;afdeling;"
        "kommunekode;boliger;adresse;postnummer;by\r\n"
        "2;“12345678” is not a valid CVR number (the check digit does not match).;"
        "12345678;303;Bo Nord;1;Nord;101;9;;;\r\n"
        "6;Unknown municipality code “999”. The number of homes must be a whole number of at "
        'least 1, not “0”.;12345690;404;"Bo; Syd";1;Syd;999;0;;;\r\n'
    )
    assert report.read_bytes().startswith("\N{BYTE ORDER MARK}".encode())


@pytest.mark.django_db
def test_command_partial_writes_the_report_where_asked(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "boliger.csv", GOOD_ROWS)
    report = tmp_path / "afviste.csv"
    stdout = io.StringIO()

    call_command("import_housing", str(path), "--partial", "--report", str(report), stdout=stdout)

    assert stdout.getvalue() == GOOD_OUTPUT + f"0 rows rejected. The report is {report}.\n"
    assert report.read_bytes().decode("utf-8-sig") == (
        "linje;årsag;cvr;organisationsnummer;organisation;afdelingsnummer;afdeling;"
        "kommunekode;boliger;adresse;postnummer;by\r\n"
    )


@pytest.mark.django_db
def test_command_undoes_the_import_when_the_report_cannot_be_written(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "boliger.csv", GOOD_ROWS)
    report = tmp_path / "missing" / "afviste.csv"

    with pytest.raises(CommandError) as error:
        call_command("import_housing", str(path), "--partial", "--report", str(report))

    assert str(error.value) == (
        f"The report {report} cannot be written (No such file or directory); nothing was imported."
    )
    assert registry() == ([], [])
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_command_dry_run_writes_nothing(tmp_path: Path) -> None:
    bad = [CVR_C, "303", "Bo Nord", "1", "Nord", "999", "9", "", "", ""]
    path = write_csv(tmp_path / "boliger.csv", [*GOOD_ROWS, bad])
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command(
        "import_housing", str(path), "--partial", "--dry-run", stdout=stdout, stderr=stderr
    )

    assert stdout.getvalue() == (
        "Dry run: nothing was written. The file would give:\n" + GOOD_OUTPUT + "1 row rejected.\n"
    )
    assert stderr.getvalue() == "Line 5: Unknown municipality code “999”.\n"
    assert registry() == ([], [])
    assert AuditEvent.objects.count() == 0
    assert not (tmp_path / "boliger.afvist.csv").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("boliger.xls", [], "{path}: Unknown file type “.xls”: use a .csv or .xlsx file."),
        (
            "boliger.csv",
            [],
            "{path}: Line 1: The file lacks the required columns: kommunekode, boliger.",
        ),
        ("boliger.csv", ["--report", "x.csv"], "--report is only used with --partial."),
    ],
)
def test_command_refuses_a_file_it_cannot_use(
    tmp_path: Path, name: str, arguments: list[str], message: str
) -> None:
    path = write_csv(tmp_path / name, [GOOD_ROWS[0][:5]], header=HEADER[:5])

    with pytest.raises(CommandError) as error:
        call_command("import_housing", str(path), *arguments)

    assert str(error.value) == message.format(path=path)
    assert registry() == ([], [])


@pytest.mark.django_db
def test_import_of_an_unchanged_file_reads_a_fixed_number_of_queries(
    tmp_path: Path, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    many = [
        [CVR_A, *ORGANISATION_A, str(number), f"Afdeling {number}", "101", "10", *ADDRESS_A]
        for number in range(1, 41)
    ]
    table = read_table(write_csv(tmp_path / "boliger.csv", many))
    import_housing_registry(actor=None, table=table)

    # Savepoint and release, the three facts, municipalities, organisations, departments.
    with django_assert_num_queries(8):
        result = import_housing_registry(actor=None, table=table)

    assert result.departments == ChangeCounts(unchanged=40)


@pytest.mark.django_db
def test_import_keeps_the_organisations_own_address_from_the_email_column(
    tmp_path: Path,
) -> None:
    """The register's address is where a claim's proof code goes (never one a claimant types),
    so it comes only from the register; an address that is not one rejects the line."""
    header = [*HEADER, "Email"]
    rows = [
        [*GOOD_ROWS[0], "Post@Faelleshave.DK"],
        [*GOOD_ROWS[1], "Post@Faelleshave.DK"],
        [*GOOD_ROWS[2], "ikke en adresse"],
    ]
    table = read_table(write_csv(tmp_path / "boliger.csv", rows, header=header))

    assert rejected_lines(table) == [(4, ["“ikke en adresse” is not an e-mail address."])]
    result = import_housing_registry(actor=None, table=table, partial=True)

    assert result.organisations == ChangeCounts(created=1)
    assert Organisation.objects.get(cvr=CVR_A).registry_email == "post@faelleshave.dk"
