"""Decided applications on a funded call (tests/factories/decisions.py), with their letters
not yet queued, so each test queues and runs the job itself."""

import pytest

from tests.factories.letters import Decided, make_decided


@pytest.fixture
def decided(db: None, django_capture_on_commit_callbacks: object) -> Decided:
    return make_decided(django_capture_on_commit_callbacks)
