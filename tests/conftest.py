import pytest
from django.db import connection

from pulje.registry.models import Municipality, Region
from pulje.registry.reference import load_regions_and_municipalities


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
