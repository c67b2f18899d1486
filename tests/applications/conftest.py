"""An open call on a pool with BL's three bands, and a housing organisation ready to apply."""

from pathlib import Path

import pytest

from pulje.applications.models import Application
from pulje.applications.services import start_application
from pulje.calls.models import Call
from tests.factories.applications import Applicant, complete_draft, make_applicant, make_call


@pytest.fixture(autouse=True)
def _private_media(private_media: Path) -> None:
    """Every test here stores its files in its own directory (tests/conftest.py)."""


@pytest.fixture
def call(db: None) -> Call:
    return make_call()


@pytest.fixture
def applicant(call: Call) -> Applicant:
    return make_applicant(call)


@pytest.fixture
def draft(applicant: Applicant) -> Application:
    application = start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )
    application.draft = complete_draft(applicant)
    application.save(update_fields=["draft"])
    return application
