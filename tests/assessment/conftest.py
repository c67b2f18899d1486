"""A call with a caseworker, a funder, two assessors on its panel, and screened applications
from different housing organisations."""

from pathlib import Path

import pytest

from pulje.applications.models import Application
from tests.factories.assessment import Panel, make_panel, screened_application


@pytest.fixture(autouse=True)
def _private_media(private_media: Path) -> None:
    """Every test here stores its files in its own directory (tests/conftest.py)."""


@pytest.fixture
def panel(db: None) -> Panel:
    return make_panel()


@pytest.fixture
def screened(panel: Panel) -> Application:
    return screened_application(panel.call)
