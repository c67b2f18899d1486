import datetime as dt
import json
import re

import pytest
import typst

from pulje.core.money import kr
from pulje.letters.rendering import (
    DEFAULT_BODIES,
    GRANT,
    REJECTION,
    LetterData,
    TemplateError,
    danish_date,
    letter_source,
    letter_text,
    placeholder_values,
    render_letter,
    typst_string,
)

TRICKY = 'Fest # *fed* $5 [x] _y_ \\ "z" {{ title }}'


def grant(**overrides: object) -> LetterData:
    fields: dict[str, object] = {
        "kind": GRANT,
        "body": DEFAULT_BODIES[GRANT],
        "sender": "BL – Danmarks Almene Boliger",
        "date": dt.date(2021, 3, 5),
        "reference": "BL21-0007",
        "recipient": "Boligselskabet Test",
        "address": "Vej 1\n8000 Aarhus C",
        "title": TRICKY,
        "signer": "Mette Sagsbehandler",
        "amount_ore": kr(1_234_567) + 89,
        "requested_ore": kr(1_234_567) + 89,
        "accept_by": dt.date(2021, 4, 4),
        "spend_by": dt.date(2022, 6, 30),
        "reporting": "Revideret regnskab",
        "use_of_grant": "Aktiviteter",
    }
    fields.update(overrides)
    return LetterData(**fields)  # type: ignore[arg-type]


def test_typst_string_escapes_backslash_quote_and_newline() -> None:
    assert typst_string('a\\b"c\nd') == '#"a\\\\b\\"c\\nd";'


def test_letter_source_fills_user_text_as_typst_strings_only() -> None:
    source = letter_source(grant())

    assert '#"Fest # *fed* $5 [x] _y_ \\\\ \\"z\\" {{ title }}";' in source
    # The title appears nowhere else, and its own "{{ title }}" was not filled again.
    assert source.count("Fest #") == 1
    assert '#"Vej 1\\n8000 Aarhus C";' in source


def test_letter_source_has_danish_amounts_and_dates() -> None:
    source = letter_source(grant())

    assert '*#"1.234.567,89 kr.";*' in source
    assert '#"I accepterer tilsagnet senest den 4. april 2021";' in source
    assert '#"30. juni 2022";' in source
    assert '#"5. marts 2021";' in source


def test_reduced_grant_states_both_amounts_and_the_reason() -> None:
    source = letter_source(
        grant(amount_ore=kr(50_000), requested_ore=kr(80_000), reduction_reason="For dyrt")
    )

    assert (
        '#"Tilskuddet er nedsat fra de ansøgte 80.000 kr. til 50.000 kr. med denne '
        'begrundelse: For dyrt";'
    ) in source


def test_full_grant_has_no_reduction_text() -> None:
    source = letter_source(grant())

    assert "Tilskuddet er nedsat" not in source
    assert 'projektet.\n\n#"";\n' in source


def test_rejection_states_the_reason() -> None:
    source = letter_source(
        grant(kind=REJECTION, body=DEFAULT_BODIES[REJECTION], rejection_reason="Andre var bedre.")
    )

    assert "= Afslag på ansøgning om tilskud" in source
    assert '*Begrundelse:* #"Andre var bedre.";' in source


def test_render_letter_is_a_one_page_pdf_with_tricky_text() -> None:
    pdf = render_letter(grant())

    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1


def test_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"^colour$"):
        letter_source(grant(body="{{ colour }}"))


def test_danish_date() -> None:
    assert danish_date(dt.date(2021, 12, 1)) == "1. december 2021"
    assert danish_date(None) == ""


def strong_texts(source: str) -> list[str]:
    """The text typst sets in bold, from its own query of the compiled document."""
    found = json.loads(typst.query(source.encode(), "strong", ignore_system_fonts=True))
    return [json.dumps(item["body"], ensure_ascii=False) for item in found]


def test_markup_in_the_title_is_shown_not_run() -> None:
    source = letter_source(grant(title="Fest *fed*"))
    # Control: the same title put in the template unescaped would set "fed" in bold.
    unescaped = source.replace('#"Fest *fed*";', "Fest *fed*")
    assert any('"fed"' in text for text in strong_texts(unescaped))

    assert not any("fed" in text for text in strong_texts(source))
    assert any('"1.234.567,89 kr."' in text for text in strong_texts(source))


def test_a_template_reads_no_file_of_the_server() -> None:
    with pytest.raises(typst.TypstError, match="file not found"):
        render_letter(grant(body='#read("pyproject.toml")'))


def test_a_template_imports_no_package() -> None:
    with pytest.raises(TemplateError):
        render_letter(grant(body='#import "@preview/cetz:0.3.0"'))


def test_letter_text_keeps_the_header_the_html_export_would_drop() -> None:
    text = letter_text(grant(title="Madklub", sender_email="puljer@bl.dk"))

    lines = text.splitlines()
    assert lines[:4] == [
        "BL – Danmarks Almene Boliger",
        "E-mail: puljer@bl.dk",
        "5. marts 2021",
        "J.nr. BL21-0007",
    ]
    assert "Projekt: Madklub" in lines
    assert (
        "Vi har behandlet jeres ansøgning og giver tilsagn om et tilskud på 1.234.567,89 kr. "
        "til projektet." in lines
    )


def test_letter_text_refuses_a_package_import_as_the_pdf_does() -> None:
    with pytest.raises(TemplateError):
        letter_text(grant(body='#import "@preview/x:0.1.0": *'))


def test_the_accept_sentence_links_the_accept_page() -> None:
    values = placeholder_values(grant(accept_url="https://pulje.dk/afgoerelser/tilsagn/u/"))

    assert values["accept"] == (
        "I accepterer tilsagnet på https://pulje.dk/afgoerelser/tilsagn/u/ senest den 4. april 2021"
    )


@pytest.mark.parametrize(
    ("guide", "no_appeal", "expected"),
    [
        ("Klag til BL.", True, "Klagevejledning: Klag til BL."),
        ("", True, "Afgørelsen kan ikke klages over til en anden myndighed."),
        ("", False, ""),
    ],
)
def test_a_rejection_gives_the_complaints_guide_or_says_there_is_no_appeal(
    guide: str, no_appeal: bool, expected: str
) -> None:
    data = grant(
        kind=REJECTION, body=DEFAULT_BODIES[REJECTION], complaints_guide=guide, no_appeal=no_appeal
    )

    assert placeholder_values(data)["complaints"] == expected
    if expected:
        assert expected in letter_text(data).splitlines()


def test_the_contact_sentence_gives_what_the_sender_has() -> None:
    both = placeholder_values(grant(sender_email="a@bl.dk", sender_phone="70 10 20 00"))
    phone = placeholder_values(grant(sender_phone="70 10 20 00"))
    neither = placeholder_values(grant())

    assert both["contact"] == (
        "Har I spørgsmål, er I velkomne til at kontakte sekretariatet på a@bl.dk eller 70 10 20 00."
    )
    assert phone["contact"] == (
        "Har I spørgsmål, er I velkomne til at kontakte sekretariatet på 70 10 20 00."
    )
    assert neither["contact"] == "Har I spørgsmål, er I velkomne til at kontakte sekretariatet."
