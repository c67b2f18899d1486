"""A funded call for the secretariat: the ministry's pool → BL's pool (the call's) → three
grant bands with money; BL's caseworker, the ministry's reader, and applicants in several
municipalities who submit through the applicant's own services."""

from pathlib import Path

import pytest

from tests.factories.casework import Desk, make_desk


@pytest.fixture(autouse=True)
def _private_media(private_media: Path) -> None:
    """Every test here stores its files in its own directory (tests/conftest.py)."""


@pytest.fixture
def desk(db: None) -> Desk:
    return make_desk()
