"""A funded call for the secretariat (tests/factories/casework.py), and its people."""

from pathlib import Path

import pytest

from tests.factories.casework import Desk, make_desk


@pytest.fixture(autouse=True)
def _private_media(private_media: Path) -> None:
    """Every test here stores its files in its own directory (tests/conftest.py)."""


@pytest.fixture
def desk(db: None) -> Desk:
    return make_desk()
