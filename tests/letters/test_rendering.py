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
    assert '#"4. april 2021";' in source
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
