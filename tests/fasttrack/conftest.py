"""A funded call whose smallest band (10.000–49.999 kr., 100.000 kr. of money) is on the fast
track for grants up to 15.000 kr., its partner association verified so that a complete
application passes screening with no remark (tests/factories/fasttrack.py builds it)."""

import pytest

from tests.factories.fasttrack import Track, make_track


@pytest.fixture
def track(db: None) -> Track:
    return make_track()
