"""The demo, loaded once for each test module here."""

from collections.abc import Iterator

import pytest
from django.db import transaction
from pytest_django import DjangoDbBlocker

from tests.factories.demo import load_demo


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """The demo, loaded once for this module (it takes seconds) in a transaction that is
    rolled back after the module; each test runs in a savepoint inside it. Yields what
    load_demo printed."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo()
        transaction.set_rollback(True)
