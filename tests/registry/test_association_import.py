"""Importing partner organisations: CSV and XLSX, per-row errors, idempotent on CVR, one
transaction, audited, verified; the caseworkers' page and the command."""

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from pulje.casework.models import Screening
from pulje.core.models import AuditEvent
from pulje.registry.imports import (
    ASSOCIATION_COLUMNS,
    ImportFileError,
    ImportRefused,
    read_table,
)
from pulje.registry.models import Organisation, OrganisationKind
from pulje.registry.services.association_import import import_associations
from pulje.registry.services.housing_import import ChangeCounts
from pulje.registry.services.memberships import register_own_organisation
from pulje.registry.services.verification import VerificationRefused
from pulje.registry.testing import fake_cvr
from tests.factories import OrganisationFactory, UserFactory
from tests.factories.casework import Desk, make_applicant_in, make_desk, submit

pytestmark = pytest.mark.django_db

CVR_A = fake_cvr(91_001)
CVR_B = fake_cvr(91_002)
CVR_C = fake_cvr(91_003)
HEADER = ["CVR", "Navn", "Type", "Adresse", "Postnummer", "By"]
GOOD_ROWS = [
    [CVR_A, "Gellerup Kulturforening", "forening", "Gudrunsvej 12", "8220", "Brabrand"],
    [CVR_B, "Bydelsbiblioteket Nord", "Bibliotek", "", "", ""],
    # No type: an association. A comma in a name.
    [CVR_C, "Spil, Snak og Kaffe", "", "Torvet 1", "5000", "Odense C"],
]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def write_csv(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8-sig")
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        # A CVR number typed into a cell is a number in the workbook.
        sheet.append([int(row[0]), *row[1:]])
    workbook.save(path)
    return path


def _last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _actions_since(seq: int) -> list[str]:
    return list(
        AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values_list("action", flat=True)
    )


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_import_registers_every_organisation_verified(tmp_path: Path, suffix: str) -> None:
    write = write_csv if suffix == "csv" else write_xlsx
    path = write(tmp_path / f"foreninger.{suffix}", GOOD_ROWS)
    seq = _last_seq()

    result = import_associations(actor=None, table=read_table(path, ASSOCIATION_COLUMNS))

    assert (result.organisations, result.verified) == (ChangeCounts(created=3), 0)
    assert list(
        Organisation.objects.order_by("cvr").values_list(
            "cvr", "name", "kind", "address", "postal_code", "city"
        )
    ) == [
        (CVR_A, "Gellerup Kulturforening", "association", "Gudrunsvej 12", "8220", "Brabrand"),
        (CVR_B, "Bydelsbiblioteket Nord", "library", "", "", ""),
        (CVR_C, "Spil, Snak og Kaffe", "association", "Torvet 1", "5000", "Odense C"),
    ]
    assert not Organisation.objects.filter(verified_at__isnull=True).exists()
    assert _actions_since(seq) == ["registry.organisation.registered"] * 3


def test_import_of_the_same_file_again_changes_nothing(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "a.csv", GOOD_ROWS), ASSOCIATION_COLUMNS)
    import_associations(actor=None, table=table)
    seq = _last_seq()

    result = import_associations(actor=None, table=table)

    assert (result.organisations, result.verified) == (ChangeCounts(unchanged=3), 0)
    assert _actions_since(seq) == []


def test_import_updates_and_verifies_an_organisation_that_registered_itself(
    tmp_path: Path,
) -> None:
    register_own_organisation(
        actor=UserFactory(),
        cvr=CVR_A,
        name="Gellerup Kulturforeningen",
        kind=OrganisationKind.ASSOCIATION,
        address="Gudrunsvej 12",
        postal_code="8220",
        city="Brabrand",
    )
    seq = _last_seq()

    result = import_associations(
        actor=None,
        table=read_table(write_csv(tmp_path / "a.csv", GOOD_ROWS[:1]), ASSOCIATION_COLUMNS),
    )

    assert (result.organisations, result.verified) == (ChangeCounts(updated=1), 1)
    organisation = Organisation.objects.get(cvr=CVR_A)
    assert (organisation.name, organisation.is_verified, organisation.verified_by) == (
        "Gellerup Kulturforening",
        True,
        None,
    )
    assert _actions_since(seq) == [
        "registry.organisation.updated",
        "registry.organisation.verified",
    ]


def test_import_refuses_the_whole_file_naming_each_bad_line(tmp_path: Path) -> None:
    bad_checksum = "12345675"
    rows = [
        *GOOD_ROWS,
        [bad_checksum, "Forkert Forening", "", "", "", ""],
        [fake_cvr(91_004), "", "forening", "", "", ""],
        [fake_cvr(91_005), "Ukendt", "klub", "", "80", ""],
        [CVR_A, "Gellerup Kulturforening igen", "", "", "", ""],
    ]
    OrganisationFactory(cvr=fake_cvr(91_006), kind=OrganisationKind.HOUSING)
    rows.append([fake_cvr(91_006), "Boligselskabet", "", "", "", ""])
    seq = _last_seq()

    with pytest.raises(ImportRefused) as refused:
        import_associations(
            actor=None, table=read_table(write_csv(tmp_path / "a.csv", rows), ASSOCIATION_COLUMNS)
        )

    assert refused.value.messages() == [
        f"Line 2: CVR {CVR_A} appears on more than one line: 2, 8.",
        "Line 5: “12345675” is not a valid CVR number (the check digit does not match).",
        "Line 6: The column “navn” is empty.",
        "Line 7: Unknown type “klub”: write forening, bibliotek or social.",
        "Line 7: A postal code has 4 digits; “80” does not.",
        f"Line 8: CVR {CVR_A} appears on more than one line: 2, 8.",
        f"Line 9: CVR {fake_cvr(91_006)} is registered as “Housing organisation”, not as a "
        "partner organisation.",
    ]
    assert Organisation.objects.filter(kind=OrganisationKind.ASSOCIATION).count() == 0
    assert _actions_since(seq) == []


def test_import_refuses_a_file_without_the_name_column(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as refused:
        read_table(write_csv(tmp_path / "a.csv", [[CVR_A]], header=["cvr"]), ASSOCIATION_COLUMNS)

    assert str(refused.value) == "Line 1: The file lacks the required columns: navn."


def test_import_screens_again_the_applications_that_found_a_partner_unknown(
    tmp_path: Path,
) -> None:
    desk = make_desk()
    application = submit(make_applicant_in(desk.call), partner_1_cvr=CVR_A)
    assert Screening.objects.get(application=application).outcome == "remarks"

    import_associations(
        actor=desk.caseworker,
        table=read_table(write_csv(tmp_path / "a.csv", GOOD_ROWS), ASSOCIATION_COLUMNS),
    )

    latest = Screening.objects.filter(application=application).order_by("-screened_at", "-pk")[0]
    assert (latest.outcome, latest.screened_by) == ("pass", desk.caseworker)
    assert Organisation.objects.get(cvr=CVR_A).verified_by == desk.caseworker


def test_import_by_someone_who_works_no_call_is_refused(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "a.csv", GOOD_ROWS), ASSOCIATION_COLUMNS)

    with pytest.raises(VerificationRefused) as refused:
        import_associations(actor=UserFactory(), table=table)

    assert refused.value.code == "not_caseworker"
    assert not Organisation.objects.exists()


def test_dry_run_counts_without_writing(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "a.csv", GOOD_ROWS), ASSOCIATION_COLUMNS)

    result = import_associations(actor=None, table=table, dry_run=True)

    assert result.organisations == ChangeCounts(created=3)
    assert not Organisation.objects.exists()


def test_command_imports_and_reports(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "foreninger.xlsx", GOOD_ROWS)
    out = io.StringIO()

    call_command("import_associations", str(path), stdout=out)
    call_command("import_associations", str(path), stdout=out)

    assert out.getvalue() == (
        "Partner organisations: 3 created, 0 updated, 0 unchanged.\n"
        "0 organisations already registered are now verified.\n"
        "Partner organisations: 0 created, 0 updated, 3 unchanged.\n"
        "0 organisations already registered are now verified.\n"
    )


def test_command_refuses_a_bad_file_listing_the_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [[CVR_A, ""]], header=["cvr", "navn"])
    err = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("import_associations", str(path), stderr=err)

    assert str(refused.value) == f"{path}: 1 row is bad, so nothing was imported."
    assert err.getvalue() == "Line 2: The column “navn” is empty.\n"


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def desk() -> Desk:
    return make_desk()


def test_the_page_imports_an_uploaded_file(tmp_path: Path, english: Client, desk: Desk) -> None:
    english.force_login(desk.caseworker)
    data = write_xlsx(tmp_path / "f.xlsx", GOOD_ROWS).read_bytes()

    response = english.post(reverse("registry:associations"), {"file": _upload("f.xlsx", data)})

    assert response.status_code == 302
    page = english.get(response["Location"]).content.decode()
    assert "The file is imported: 3 new, 0 changed, 0 unchanged, 3 verified now." in page
    assert f'data-cvr="{CVR_B}"' in page


def test_the_page_shows_each_bad_line_and_imports_nothing(english: Client, desk: Desk) -> None:
    english.force_login(desk.caseworker)
    data = f"cvr;navn\r\n{CVR_A};Forening\r\n12345675;X\r\n".encode()

    response = english.post(reverse("registry:associations"), {"file": _upload("f.csv", data)})

    assert response.status_code == 400
    assert response.context["rejected"] == [
        "Line 3: “12345675” is not a valid CVR number (the check digit does not match)."
    ]
    assert response.context["form"].errors == {
        "file": ["Nothing was imported: correct the lines below and import the file again."]
    }
    assert not Organisation.objects.filter(cvr=CVR_A).exists()


def test_the_page_refuses_a_file_of_another_type(english: Client, desk: Desk) -> None:
    english.force_login(desk.caseworker)

    response = english.post(reverse("registry:associations"), {"file": _upload("f.pdf", b"%PDF")})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "file": ["Unknown file type “.pdf”: use a .csv or .xlsx file."]
    }


def test_the_page_is_a_404_for_who_works_no_call(english: Client, desk: Desk) -> None:
    english.force_login(desk.funder)

    assert english.get(reverse("registry:associations")).status_code == 404


def test_the_page_lists_the_verified_in_a_fixed_number_of_queries(
    tmp_path: Path,
    english: Client,
    desk: Desk,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    many = [[fake_cvr(92_000 + n), f"Forening {n}", "", "", "", ""] for n in range(30)]
    import_associations(
        actor=desk.caseworker,
        table=read_table(write_csv(tmp_path / "a.csv", many), ASSOCIATION_COLUMNS),
    )
    english.force_login(desk.caseworker)

    with django_assert_max_num_queries(12):
        response = english.get(reverse("registry:associations"))

    assert response.status_code == 200
    assert len(response.context["organisations"]) == 31  # and the desk's known partner
