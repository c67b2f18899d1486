"""The 2020 pool tree of tests/funds, a call on BL's pool with its three bands, and a clock
the call pages read, so that a test says what time it is."""

import datetime as dt
from collections.abc import Callable

import pytest

from pulje.accounts.models import User
from pulje.calls import views
from pulje.calls.models import Call
from tests.factories import CallFactory, OrganisationFactory, UserFactory
from tests.factories.calls import DEADLINE, OPENS
from tests.factories.funds import Tree, make_tree


@pytest.fixture
def tree(db: None) -> Tree:
    return make_tree()


@pytest.fixture
def ministry_user(tree: Tree) -> User:
    user: User = UserFactory(name="Mette Ministeriel", organisation=tree.ministry)
    return user


@pytest.fixture
def bl_user(tree: Tree) -> User:
    user: User = UserFactory(name="Birgitte BL", organisation=tree.bl)
    return user


@pytest.fixture
def applicant(tree: Tree) -> User:
    user: User = UserFactory(name="Ansøger", organisation=OrganisationFactory())
    return user


@pytest.fixture
def bl_call(tree: Tree) -> Call:
    call: Call = CallFactory(
        pool=tree.bl_pool,
        code="bl-faellesskaber-2020",
        reference_prefix="BL20",
        title="Puljen til lokale fællesskaber mod ensomhed",
        opens_at=OPENS,
        closes_at=DEADLINE,
        project_start_earliest=dt.date(2021, 3, 15),
        partner_kinds=["association"],
    )
    return call


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """Set the time the call pages see."""

    def set_time(moment: dt.datetime) -> None:
        monkeypatch.setattr(views, "now", lambda: moment)

    return set_time
