"""Decided applications on a funded call (tests/factories/decisions.py), with their letters
not yet queued, so each test queues and runs the job itself."""

from pathlib import Path

import pytest

from tests.factories.letters import Decided, make_decided


@pytest.fixture(autouse=True)
def _private_media(private_media: Path) -> None:
    """Every test here stores its files in its own directory (tests/conftest.py)."""


@pytest.fixture
def decided(db: None, django_capture_on_commit_callbacks: object) -> Decided:
    return make_decided(django_capture_on_commit_callbacks)
