"""Danish first: every user-facing text has a Danish translation, and the catalogue is in step
with the source (a new string without a translation fails here, not in front of a user)."""

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation

from pulje.core.money import MoneyParseError, parse_dkk

SOURCE = Path(__file__).resolve().parents[2] / "src" / "pulje"
CATALOGUE = SOURCE / "locale" / "da" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _messages(path: Path) -> dict[Any, Any]:
    with path.open("rb") as handle:
        return {m.id: m for m in read_po(handle) if m.id}


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    untranslated = [
        m.id
        for m in _messages(CATALOGUE).values()
        if "fuzzy" in m.flags or not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    assert untranslated == []


def test_translations_keep_every_placeholder() -> None:
    broken = []
    for message in _messages(CATALOGUE).values():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        broken += [s for s in strings if set(PLACEHOLDER.findall(s)) != wanted]
    assert broken == []


def test_the_catalogue_has_every_string_in_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext (xgettext) is needed to check the catalogue under CI.")
        pytest.skip("GNU gettext is not installed; CI checks the catalogue.")
    # makemessages writes into any "locale" folder under the working directory, so it runs
    # on a copy of the source with a copy of the catalogue, never on the real one.
    source = tmp_path / "pulje"
    shutil.copytree(
        SOURCE, source, ignore=shutil.ignore_patterns("locale", "static", "__pycache__")
    )
    copy = tmp_path / "locale"
    shutil.copytree(SOURCE / "locale", copy)
    monkeypatch.chdir(source)
    with override_settings(LOCALE_PATHS=[copy]):
        call_command("makemessages", locale=["da"], no_obsolete=True, no_location=True, verbosity=0)
    extracted = _messages(copy / "da" / "LC_MESSAGES" / "django.po")
    assert sorted(map(str, set(extracted) - set(_messages(CATALOGUE)))) == [], (
        "new strings: run `manage.py makemessages -l da --no-obsolete --no-location` in "
        "src/pulje and translate them"
    )
    assert sorted(map(str, set(_messages(CATALOGUE)) - set(extracted))) == []


def test_users_are_told_in_danish() -> None:
    with translation.override("da"), pytest.raises(MoneyParseError) as error:
        parse_dkk("12.5")
    assert str(error.value) == (
        "“12.5” er ikke et beløb. Skriv det på dansk med punktum mellem tusinder og komma "
        "før øre, for eksempel 12.500,50 kr."
    )


@pytest.mark.django_db
def test_pages_are_danish_even_when_the_browser_asks_for_english(client: Client) -> None:
    response = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.headers["Content-Language"] == "da"
    assert "<title>Forside – pulje</title>" in response.content.decode()


@pytest.mark.django_db
def test_the_language_switch_chooses_english_and_back(client: Client) -> None:
    client.post("/sprog/", {"language": "en", "next": "/"})
    english = client.get("/")
    assert english.headers["Content-Language"] == "en"
    assert "<title>Front page – pulje</title>" in english.content.decode()
    client.post("/sprog/", {"language": "da", "next": "/"})
    assert client.get("/").headers["Content-Language"] == "da"


@pytest.mark.django_db
def test_an_unknown_language_cookie_falls_back_to_danish(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    assert client.get("/").headers["Content-Language"] == "da"
