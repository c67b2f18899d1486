"""A pool tree shaped like the 2020 loneliness pool, built through the product's services."""

import pytest

from pulje.accounts.models import User
from tests.factories import OrganisationFactory, UserFactory
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
