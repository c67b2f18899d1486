from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import translation
from pytest_django import Settings

from pulje.registry.models import Municipality, Region
from pulje.registry.reference import load_regions_and_municipalities
from tests.logins import force_login_with_second_factor


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests (row locks across connections) are deselected, not skipped, on
    SQLite: `make test` runs them in its PostgreSQL leg, which CI requires."""
    if connection.vendor == "postgresql":
        return
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        (deselected if item.get_closest_marker("postgresql") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """On SQLite, a test database in a file rather than in memory: the browser tests' live
    server answers requests in parallel (an autosave while the page moves on), and only a
    file database queues its writers (WAL, IMMEDIATE) as production does; an in-memory one
    fails them with "database table is locked"."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"]["NAME"] = str(tmp_path_factory.mktemp("db") / "pulje-test.sqlite3")


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """A transactional test's flush empties every table, the reference data that migrations
    load included; put the regions and municipalities back before each such test."""
    if {"transactional_db", "live_server"} & set(request.fixturenames) or any(
        marker.kwargs.get("transaction") for marker in request.node.iter_markers("django_db")
    ):
        request.getfixturevalue("transactional_db")
        if not Municipality.objects.exists():
            load_regions_and_municipalities(Region, Municipality)


@pytest.fixture
def private_media(settings: Settings, tmp_path: Path) -> Path:
    """Uploads and letters go to the test's own directory, never to var/media. The test
    directories whose tests store files ask for it in an autouse fixture of their conftest (not
    here for every test: a module's shared data may keep its files under one MEDIA_ROOT)."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    return media


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """allauth counts login attempts in the cache (rate limits); each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _second_factor_in_force_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """``force_login`` logs in as the login pages would, second factor included
    (tests/logins.py), for every test client, pytest-django's and those made in a test."""
    monkeypatch.setattr(Client, "force_login", force_login_with_second_factor)


@pytest.fixture
def english(client: Client) -> Iterator[Client]:
    """English chosen, so messages are compared as their msgids: on the test client's pages
    (the language cookie) and in code called directly (the active language)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield client
