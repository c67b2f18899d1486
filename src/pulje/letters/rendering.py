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

    @property
    def reduced(self) -> bool:
        return self.kind == GRANT and 0 < self.amount_ore < self.requested_ore


def placeholder_values(data: LetterData) -> dict[str, str]:
    """The text of every placeholder a template may use."""
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


_PREAMBLE = """\
#set document(title: "{{ title }}")
#set page(paper: "a4", margin: (x: 2.5cm, top: 2cm, bottom: 2.5cm),
  footer: align(center, text(size: 8pt)[{{ sender }} · J.nr. {{ reference }}]))
#set text(lang: "da", size: 11pt)
#set par(leading: 0.7em)

#grid(columns: (1fr, auto),
  text(size: 14pt, weight: "bold")[{{ sender }}],
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

== Betingelser

- *Accept:* I skal acceptere tilsagnet senest den {{ accept_by }}. Et tilsagn, der ikke er
  accepteret inden fristen, bortfalder, og beløbet går tilbage til puljen.
- *Forbrug:* Tilskuddet skal være brugt senest den {{ spend_by }}.
- *Afrapportering og revision:* {{ reporting }}
- *Anvendelse:* {{ use_of_grant }}

Tilskuddet må kun bruges til projektet som beskrevet i ansøgningen og det godkendte budget.
Ændringer i projektet skal godkendes af sekretariatet på forhånd. Ubrugte midler og midler,
der ikke er brugt efter formålet, skal betales tilbage.
"""
    + _SIGNATURE,
    REJECTION: _PREAMBLE.replace('"{{ title }}"', '"Afslag"')
    + """
= Afslag på ansøgning om tilskud

*Projekt:* {{ title }}

Vi har behandlet jeres ansøgning om {{ requested }}. Vi må desværre meddele, at I ikke kan
få tilskud fra puljen.

*Begrundelse:* {{ rejection_reason }}

Vi har modtaget mange gode ansøgninger, og puljens midler rækker ikke til alle. I er
velkomne til at kontakte sekretariatet, hvis I vil vide mere om vurderingen.
"""
    + _SIGNATURE,
}
