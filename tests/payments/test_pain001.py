"""The pure pain.001 writer: valid against the official ISO schemas of both versions, sums
and counts as an independent parse reads them, the same bytes every time."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from pulje.core.iban import dk_iban
from pulje.payments.pain001 import (
    AccountForm,
    Message,
    Transfer,
    Version,
    amount_text,
    bank_text,
    validate,
    write,
)
from tests.payments.xml import attributes, texts

DEBTOR = dk_iban("0040", "0440116243")


ONE = Transfer(
    "PU0123456789ABCDEF",
    12_345_650,
    "Boligselskabet Ærøskøbing, afd. Åbo",
    dk_iban("1551", "1234567"),
    "Tilsagn VM-2026-001 Fællesspisning første rate",
)


def message(
    version: Version = Version.V03,
    form: AccountForm = AccountForm.IBAN,
    transfers: tuple[Transfer, ...] = (),
    bic: str = "",
) -> Message:
    return Message(
        version=version,
        message_id="PR-20261202-001",
        created_at=dt.datetime(2026, 12, 2, 10, 30, 0, tzinfo=dt.UTC),
        execution_date=dt.date(2026, 12, 3),
        initiator_name="BL – Danmarks Almene Boliger",
        debtor_name="BL – Danmarks Almene Boliger",
        debtor_iban=DEBTOR,
        debtor_bic=bic,
        service_level="NURG",
        local_instrument="",
        charge_bearer="SHAR",
        creditor_account_form=form,
        transfers=transfers or (ONE,),
    )


@pytest.mark.parametrize("version", list(Version))
@pytest.mark.parametrize("form", list(AccountForm))
@pytest.mark.parametrize("bic", ["", "DABADKKK"])
def test_the_file_is_valid_against_the_official_schema(
    version: Version, form: AccountForm, bic: str
) -> None:
    content = write(message(version, form, bic=bic))
    assert validate(content, version) == []
    assert etree.fromstring(content).nsmap[None] == f"urn:iso:std:iso:20022:tech:xsd:{version}"
    assert texts(content, "Cdtr/Nm") == ["Boligselskabet Ærøskøbing, afd. Åbo"]
    account = texts(
        content, "CdtrAcct/Id/IBAN" if form == AccountForm.IBAN else "CdtrAcct/Id/Othr/Id"
    )
    assert account == [dk_iban("1551", "1234567") if form == AccountForm.IBAN else "15510001234567"]


def test_the_other_versions_schema_refuses_the_file() -> None:
    content = write(message(Version.V09))
    problems = validate(content, Version.V03)
    assert problems != []
    assert "pain.001.001.09" in problems[0]


def test_a_file_that_is_not_xml_is_refused_with_the_parser_error() -> None:
    [problem] = validate(b"<Document>", Version.V03)
    assert "Premature end of data" in problem or "EndTag" in problem


def test_text_keeps_danish_letters_and_drops_what_banks_refuse() -> None:
    assert bank_text("Æble & Ørn — Åse", 70) == "Æble Ørn Åse"
    assert bank_text("Café Zoë <script>", 70) == "Cafe Zoe script"
    assert bank_text("€€€", 70) == "-"
    assert bank_text("a" * 80, 70) == "a" * 70


def test_amounts_are_written_as_exact_kroner_with_two_decimals() -> None:
    assert [amount_text(o) for o in (1, 100, 12_345_650, 10**12)] == [
        "0.01",
        "1.00",
        "123456.50",
        "10000000000.00",
    ]


names = st.text(alphabet=st.sampled_from("abcæøåÆØÅ &é-/Zz0123456789ü,.'"), min_size=1, max_size=90)
transfers = st.lists(
    st.builds(
        Transfer,
        end_to_end_id=st.from_regex(r"PU[0-9A-F]{16}", fullmatch=True),
        amount_ore=st.integers(1, 10**12),
        creditor_name=names,
        creditor_iban=st.builds(
            dk_iban,
            st.from_regex(r"[0-9]{4}", fullmatch=True),
            st.from_regex(r"[0-9]{1,10}", fullmatch=True),
        ),
        remittance=names,
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    transfers=transfers,
    version=st.sampled_from(list(Version)),
    form=st.sampled_from(list(AccountForm)),
)
def test_random_runs_validate_and_sum_to_the_run_total_in_ore(
    transfers: list[Transfer], version: Version, form: AccountForm
) -> None:
    run = message(version, form, tuple(transfers))
    content = write(run)
    assert validate(content, version) == []
    assert write(run) == content
    total = sum(t.amount_ore for t in transfers)
    amounts = [int(Decimal(a) * 100) for a in texts(content, "CdtTrfTxInf/Amt/InstdAmt")]
    assert sum(amounts) == total
    assert attributes(content, "InstdAmt", "Ccy") == ["DKK"] * len(transfers)
    for path in ("GrpHdr/CtrlSum", "PmtInf/CtrlSum"):
        [control] = texts(content, path)
        assert int(Decimal(control) * 100) == total
    for path in ("GrpHdr/NbOfTxs", "PmtInf/NbOfTxs"):
        assert texts(content, path) == [str(len(transfers))]
    assert texts(content, "EndToEndId") == [t.end_to_end_id for t in transfers]
