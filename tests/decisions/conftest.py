"""A funded call: the ministry's pool → BL's pool (the call's) → three grant bands with money,
BL's caseworker, the ministry's reader, and helpers for screened applications."""

import pytest

from tests.factories.decisions import Funded, make_funded


@pytest.fixture
def funded(db: None) -> Funded:
    return make_funded()
