"""Decision letters as PDF: a pure function from plain data to bytes (no database, no Django).

A call's template is typst markup in Danish with placeholders such as ``{{ title }}``. Each
placeholder is replaced by the value as a typst *string literal* (``#"…";``), so text typed
by an applicant — a title with ``#``, ``*``, ``$`` or ``[`` in it — is shown as typed and can
never run as markup or code. The trailing ``;`` ends the expression, so whatever the template
has right after a placeholder stays markup.

typst compiles with its own embedded fonts only (``ignore_system_fonts``) and no packages,
so rendering needs no network and gives the same PDF on every machine.
"""

import datetime as dt
import functools
import re
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser

import typst

from pulje.core.money import format_dkk

GRANT = "grant"
REJECTION = "rejection"

_DANISH_MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


def danish_date(day: dt.date | None) -> str:
    """``2021-03-05`` → ``5. marts 2021``, as a Danish letter writes it."""
    if day is None:
        return ""
    return f"{day.day}. {_DANISH_MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class LetterData:
    """Everything one letter says. Amounts in øre; ``body`` is the call's template."""

    kind: str
    body: str
    sender: str
    date: dt.date
    reference: str
    recipient: str
    address: str
    title: str
    signer: str
    amount_ore: int = 0
    requested_ore: int = 0
    reduction_reason: str = ""
    accept_by: dt.date | None = None
    spend_by: dt.date | None = None
    reporting: str = ""
    use_of_grant: str = ""
    rejection_reason: str = ""
    # The sender's contact details, and what the call and pool say (``calls.selectors``).
    sender_address: str = ""
    sender_cvr: str = ""
    sender_email: str = ""
    sender_phone: str = ""
    legal_basis: str = ""
    funding_source: str = ""
    payment_terms: str = ""
    report_by: dt.date | None = None
    complaints_guide: str = ""
    no_appeal: bool = False
    # The project as granted: its period and budget (one line per kind, amounts formatted).
    project_start: dt.date | None = None
    project_end: dt.date | None = None
    budget: str = ""
    # Where the grantee accepts the grant.
    accept_url: str = ""

    @property
    def reduced(self) -> bool:
        return self.kind == GRANT and 0 < self.amount_ore < self.requested_ore


# What a letter says when the call gives no payment terms, or its pool no complaints guide
# but says its decisions cannot be appealed.
DEFAULT_PAYMENT_TERMS = (
    "Tilskuddet udbetales til organisationens NemKonto, når I har accepteret tilsagnet."
)
NO_APPEAL = "Afgørelsen kan ikke klages over til en anden myndighed."


def _lines(*parts: str, separator: str = "\n") -> str:
    return separator.join(part for part in parts if part)


def _complaints(data: LetterData) -> str:
    if data.complaints_guide:
        return f"Klagevejledning: {data.complaints_guide}"
    return NO_APPEAL if data.no_appeal else ""


def placeholder_values(data: LetterData) -> dict[str, str]:
    """The text of every placeholder a template may use. Every amount is ``format_dkk``'s
    (``12.500 kr.``) and every date ``danish_date``'s; a sentence never ends right after an
    amount, so no letter says "kr.."."""
    reduction = ""
    if data.reduced:
        reduction = (
            f"Tilskuddet er nedsat fra de ansøgte {format_dkk(data.requested_ore)} til "
            f"{format_dkk(data.amount_ore)} med denne begrundelse: {data.reduction_reason}"
        )
    return {
        "sender": data.sender,
        "date": danish_date(data.date),
        "reference": data.reference,
        "recipient": data.recipient,
        "address": data.address,
        "title": data.title,
        "amount": format_dkk(data.amount_ore),
        "requested": format_dkk(data.requested_ore),
        "reduction": reduction,
        "accept_by": danish_date(data.accept_by),
        "spend_by": danish_date(data.spend_by),
        "reporting": data.reporting,
        "use_of_grant": data.use_of_grant,
        "rejection_reason": data.rejection_reason,
        "signer": data.signer,
        "sender_contact": _lines(
            data.sender_address,
            f"E-mail: {data.sender_email}" if data.sender_email else "",
            f"Telefon: {data.sender_phone}" if data.sender_phone else "",
            f"CVR-nr. {data.sender_cvr}" if data.sender_cvr else "",
        ),
        "legal_basis": _lines(
            f"Hjemmel: {data.legal_basis}" if data.legal_basis else "",
            f"Midlerne kommer fra: {data.funding_source}" if data.funding_source else "",
        ),
        "project_period": (
            f"{danish_date(data.project_start)} til {danish_date(data.project_end)}"
            if data.project_start and data.project_end
            else ""
        ),
        "budget": data.budget,
        "accept": (
            f"I accepterer tilsagnet på {data.accept_url} senest den {danish_date(data.accept_by)}"
            if data.accept_url
            else f"I accepterer tilsagnet senest den {danish_date(data.accept_by)}"
        ),
        "accept_url": data.accept_url,
        "payment": data.payment_terms or DEFAULT_PAYMENT_TERMS,
        "report_by": danish_date(data.report_by),
        "report_due": (
            f"Afrapporteringen skal være sendt senest den {danish_date(data.report_by)}."
            if data.report_by
            else ""
        ),
        "complaints": _complaints(data),
        "contact": _lines(
            "Har I spørgsmål, er I velkomne til at kontakte sekretariatet",
            f"på {data.sender_email}" if data.sender_email else "",
            f"eller {data.sender_phone}" if data.sender_email and data.sender_phone else "",
            f"på {data.sender_phone}" if data.sender_phone and not data.sender_email else "",
            separator=" ",
        )
        + ".",
    }


PLACEHOLDERS = tuple(
    placeholder_values(
        LetterData(
            kind=GRANT,
            body="",
            sender="",
            date=dt.date(2000, 1, 1),
            reference="",
            recipient="",
            address="",
            title="",
            signer="",
        )
    )
)

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


class TemplateError(ValueError):
    """A template names a placeholder there is no value for."""


def typst_string(value: str) -> str:
    """``value`` as a typst string literal shown as text: ``#"…";``."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
        .replace("\t", " ")
    )
    return f'#"{escaped}";'


def letter_source(data: LetterData) -> str:
    """The typst source of the letter: the template with every placeholder filled."""
    values = placeholder_values(data)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateError(name)
        return typst_string(values[name])

    return _PLACEHOLDER.sub(fill, data.body)


@functools.cache
def _empty_root() -> str:
    """An empty directory as typst's root: a template can read no file (``#read``, ``#image``)
    of the server's, which it could from the working directory, typst's default root."""
    return tempfile.mkdtemp(prefix="pulje-typst-")


# A package import (``#import "@preview/…"``) would make typst download it.
_PACKAGE = re.compile(r"\"@[a-z]")


def render_letter(data: LetterData) -> bytes:
    """The letter as PDF bytes. Raises TemplateError for an unknown placeholder or a package
    import in the template, and typst.TypstError for markup that does not compile."""
    if _PACKAGE.search(data.body):
        raise TemplateError(_PACKAGE.pattern)
    # typst's stub ties the root's type to the input's (bytes here); a str root is what it takes.
    pdf: bytes = typst.compile(  # type: ignore[call-overload]
        letter_source(data).encode(), root=_empty_root(), format="pdf", ignore_system_fonts=True
    )
    return pdf


# typst's HTML export drops layout it cannot express (a grid, an alignment, spacing) with its
# content; for the text these rules keep the content and drop only the layout.
_TEXT_RULES = """\
#show grid: it => it.children.map(cell => block(cell.body)).join()
#show align: it => block(it.body)
#show stack: it => it.children.map(child => block(child)).join()
#show v: none
"""

_BLOCKS = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "ul", "ol"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._skip -= 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def letter_text(data: LetterData) -> str:
    """What the letter says, as plain text, one line per paragraph, list item or line break:
    the same source as the PDF (``letter_source``) through typst's HTML export. For tests
    and previews; raises as ``render_letter`` does."""
    if _PACKAGE.search(data.body):
        raise TemplateError(_PACKAGE.pattern)
    # HTML export warns that it is incomplete and drops the page set-up; neither matters here.
    html, _warnings = typst.compile_with_warnings(  # type: ignore[call-overload]
        (_TEXT_RULES + letter_source(data)).encode(),
        root=_empty_root(),
        format="html",
        ignore_system_fonts=True,
    )
    parser = _TextParser()
    parser.feed(html.decode())
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


_PREAMBLE = """\
#set document(title: "{{ title }}")
#set page(paper: "a4", margin: (x: 2.5cm, top: 2cm, bottom: 2.5cm),
  footer: align(center, text(size: 8pt)[{{ sender }} · J.nr. {{ reference }}]))
#set text(lang: "da", size: 11pt)
#set par(leading: 0.7em)

#grid(columns: (1fr, auto),
  [#text(size: 14pt, weight: "bold")[{{ sender }}] \\
   #text(size: 9pt)[{{ sender_contact }}]],
  align(right)[{{ date }} \\ J.nr. {{ reference }}],
)

#v(1.5cm)
{{ recipient }} \\
{{ address }}
#v(1cm)
"""

_SIGNATURE = """
#v(0.8cm)
Med venlig hilsen

#v(0.8cm)
{{ signer }} \\
{{ sender }}
"""

DEFAULT_BODIES = {
    GRANT: _PREAMBLE.replace('"{{ title }}"', '"Tilsagn"')
    + """
= Tilsagn om tilskud

*Projekt:* {{ title }}

Vi har behandlet jeres ansøgning og giver tilsagn om et tilskud på *{{ amount }}* til
projektet.

{{ reduction }}

{{ legal_basis }}

== Projekt og budget

- *Projektperiode:* {{ project_period }}
- *Godkendt budget:* \\ {{ budget }}

== Sådan accepterer I

{{ accept }}. Et tilsagn, der ikke er accepteret inden fristen, bortfalder, og beløbet går
tilbage til puljen.

== Betingelser

- *Forbrug:* Tilskuddet skal være brugt senest den {{ spend_by }}.
- *Udbetaling:* {{ payment }}
- *Afrapportering og revision:* {{ reporting }} {{ report_due }}
- *Anvendelse:* {{ use_of_grant }}

Tilskuddet må kun bruges til projektet som beskrevet i ansøgningen og det godkendte budget.
Ændringer i projektet skal godkendes af sekretariatet på forhånd. Ubrugte midler og midler,
der ikke er brugt efter formålet, skal betales tilbage.

{{ contact }}
"""
    + _SIGNATURE,
    REJECTION: _PREAMBLE.replace('"{{ title }}"', '"Afslag"')
    + """
= Afslag på ansøgning om tilskud

*Projekt:* {{ title }}

Vi har behandlet jeres ansøgning om et tilskud på {{ requested }} til projektet. Vi må
desværre meddele, at I ikke kan få tilskud fra puljen.

*Begrundelse:* {{ rejection_reason }}

{{ legal_basis }}

{{ contact }} Vi fortæller gerne mere om vurderingen.

{{ complaints }}
"""
    + _SIGNATURE,
}
