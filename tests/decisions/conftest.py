"""A funded call: the ministry's pool → BL's pool (the call's) → three grant bands with money,
BL's caseworker and the ministry's reader (tests/factories/decisions.py builds it, and the
screened applications)."""

import pytest

from tests.factories.decisions import Funded, make_funded


@pytest.fixture
def funded(db: None) -> Funded:
    return make_funded()
