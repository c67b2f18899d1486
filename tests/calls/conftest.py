"""The 2020 pool tree of tests/funds, a call on BL's pool with its three bands, and a clock
the call pages read, so that a test says what time it is."""

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest

from pulje.calls import views
from pulje.calls.models import Call
from tests.factories import COPENHAGEN, CallFactory
from tests.funds.conftest import (  # noqa: F401 - fixtures used by the tests here
    Tree,
    _fast_passwords,
    applicant,
    bl_user,
    ministry_user,
    tree,
)

OPENS = dt.datetime(2021, 1, 4, 10, 0, tzinfo=COPENHAGEN)
DEADLINE = dt.datetime(2021, 2, 5, 12, 0, tzinfo=COPENHAGEN)


@pytest.fixture
def bl_call(tree: Tree) -> Call:  # noqa: F811 - the fixture imported above
    call: Call = CallFactory(
        pool=tree.bl_pool,
        code="bl-faellesskaber-2020",
        reference_prefix="BL20",
        title="Puljen til lokale fællesskaber mod ensomhed",
        opens_at=OPENS,
        closes_at=DEADLINE,
        partner_kinds=["association"],
    )
    return call


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """Set the time the call pages see."""

    def set_time(moment: dt.datetime) -> None:
        monkeypatch.setattr(views, "now", lambda: moment)

    return set_time


def page_text(response: Any) -> str:
    """The page's text without tags, entities decoded and white space collapsed."""
    content = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(content).split())
