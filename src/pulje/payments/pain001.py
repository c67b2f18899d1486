"""The ISO 20022 pain.001 credit-transfer file, as Danish corporate banks take it.

Pure: ``write`` turns a ``Message`` (plain data) into the file's bytes, ``validate`` checks
bytes against the official ISO schema (``pain.001.001.03`` or ``.09``). The schemas come from
the ``sepaxml`` wheel, which ships them complete; its writer is not used, because it writes
SEPA (EUR, service level SEPA) only, and a domestic DKK transfer needs NURG or URGP.

The output is deterministic: the same message gives the same bytes (no clock read here; the
creation time is the run's approval time). Text is restricted to what Danish banks accept in
pain.001 (Latin letters and digits, æ ø å, and ``/ - ? : ( ) . , ' +`` and space); other
letters lose their accents (é → e) and anything else becomes a space.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from importlib import resources

from lxml import etree


class Version(StrEnum):
    V03 = "pain.001.001.03"
    V09 = "pain.001.001.09"


class AccountForm(StrEnum):
    IBAN = "iban"
    # A Danish reg.nr. and account number as 14 digits (the IBAN's own BBAN part).
    BBAN = "bban"


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount_ore: int
    creditor_name: str
    creditor_iban: str
    remittance: str


@dataclass(frozen=True)
class Message:
    """A run as the file states it; ``created_at`` is aware (written with its offset)."""

    version: Version
    message_id: str
    created_at: datetime
    execution_date: date
    initiator_name: str
    debtor_name: str
    debtor_iban: str
    debtor_bic: str
    service_level: str
    local_instrument: str
    charge_bearer: str
    creditor_account_form: AccountForm
    transfers: tuple[Transfer, ...]

    @property
    def control_sum_ore(self) -> int:
        return sum(t.amount_ore for t in self.transfers)


_PUNCTUATION = set("/-?:().,'+ ")
_DANISH = set("æøåÆØÅ")


def bank_text(value: str, limit: int) -> str:
    """``value`` in the characters Danish banks accept, at most ``limit`` long, never empty."""
    kept = []
    for char in value:
        if char in _DANISH or char in _PUNCTUATION or (char.isascii() and char.isalnum()):
            kept.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if c.isascii() and c.isalnum()
        )
        kept.append(base or " ")
    text = " ".join("".join(kept).split())[:limit].strip()
    return text or "-"


def amount_text(amount_ore: int) -> str:
    """Øre as the schema's decimal kroner: 1234550 → ``12345.50``."""
    return f"{amount_ore // 100}.{amount_ore % 100:02d}"


def bban(iban: str) -> str:
    """The 14-digit reg.nr. + account number inside a Danish IBAN."""
    if not iban.startswith("DK") or len(iban) != 18:
        raise ValueError(f"{iban!r} is not a Danish IBAN")
    return iban[4:]


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: etree._Element, path: str, text: str) -> None:
    for tag in path.split("/"):
        parent = _el(parent, tag)
    parent.text = text


def _account(parent: etree._Element, tag: str, iban: str, form: AccountForm) -> None:
    identification = _el(_el(parent, tag), "Id")
    if form == AccountForm.IBAN:
        _el(identification, "IBAN", iban)
    else:
        other = _el(identification, "Othr")
        _el(other, "Id", bban(iban))
        _path(other, "SchmeNm/Cd", "BBAN")


def write(message: Message) -> bytes:
    """The pain.001 file of ``message``, UTF-8, in the version it names."""
    v09 = message.version == Version.V09
    bic_tag = "BICFI" if v09 else "BIC"
    # The default namespace has the prefix None in lxml; lxml-stubs types prefixes as str only.
    namespaces = {None: f"urn:iso:std:iso:20022:tech:xsd:{message.version}"}
    root = etree.Element("Document", nsmap=namespaces)  # type: ignore[arg-type]
    initiation = _el(root, "CstmrCdtTrfInitn")
    count = str(len(message.transfers))
    total = amount_text(message.control_sum_ore)

    header = _el(initiation, "GrpHdr")
    _el(header, "MsgId", message.message_id)
    _el(header, "CreDtTm", message.created_at.isoformat(timespec="seconds"))
    _el(header, "NbOfTxs", count)
    _el(header, "CtrlSum", total)
    _path(header, "InitgPty/Nm", bank_text(message.initiator_name, 70))

    info = _el(initiation, "PmtInf")
    _el(info, "PmtInfId", message.message_id)
    _el(info, "PmtMtd", "TRF")
    _el(info, "NbOfTxs", count)
    _el(info, "CtrlSum", total)
    payment_type = _el(info, "PmtTpInf")
    _path(payment_type, "SvcLvl/Cd", message.service_level)
    if message.local_instrument:
        _path(payment_type, "LclInstrm/Cd", message.local_instrument)
    execution = message.execution_date.isoformat()
    if v09:
        _path(info, "ReqdExctnDt/Dt", execution)
    else:
        _el(info, "ReqdExctnDt", execution)
    _path(info, "Dbtr/Nm", bank_text(message.debtor_name, 70))
    # The debtor's own account is always given as an IBAN: every Danish bank takes it.
    _account(info, "DbtrAcct", message.debtor_iban, AccountForm.IBAN)
    agent = _el(_el(info, "DbtrAgt"), "FinInstnId")
    if message.debtor_bic:
        _el(agent, bic_tag, message.debtor_bic)
    else:
        _path(agent, "Othr/Id", "NOTPROVIDED")
    _el(info, "ChrgBr", message.charge_bearer)

    for transfer in message.transfers:
        transaction = _el(info, "CdtTrfTxInf")
        _path(transaction, "PmtId/EndToEndId", transfer.end_to_end_id)
        _el(_el(transaction, "Amt"), "InstdAmt", amount_text(transfer.amount_ore), Ccy="DKK")
        _path(transaction, "Cdtr/Nm", bank_text(transfer.creditor_name, 70))
        _account(transaction, "CdtrAcct", transfer.creditor_iban, message.creditor_account_form)
        _path(transaction, "RmtInf/Ustrd", bank_text(transfer.remittance, 140))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


@cache
def _schema(version: Version) -> etree.XMLSchema:
    source = resources.files("sepaxml") / "schemas" / f"{version}.xsd"
    with resources.as_file(source) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def validate(content: bytes, version: Version) -> list[str]:
    """The schema's complaints about ``content`` (empty when it is valid). Parsed without
    entities or network, so a file cannot make the check read anything else."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        document = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        return [str(error)]
    schema = _schema(version)
    if schema.validate(document):
        return []
    # An _ErrorLog iterates over its entries; lxml-stubs does not say so.
    entries: Iterable[etree._LogEntry] = schema.error_log  # type: ignore[assignment]
    return [f"line {e.line}: {e.message}" for e in entries]
