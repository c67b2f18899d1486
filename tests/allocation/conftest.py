"""A call whose applications are assessed: the ministry's pool → BL's pool (the call's) →
three grant bands, BL's caseworker, the ministry's reader and an assessor on the panel, built
in tests/factories/allocation.py (which also submits, screens and scores an application in a
municipality of one's choosing).

``scarce`` is the round most tests share: money for fewer projects than apply.

    band 1 (10.000–49.999 kr.)   40.000 kr.   Lektiecafé 20.000 (children, score 3, Odense)
                                              Strikkeklub 30.000 (elderly, score 4, København)
    band 2 (50.000–149.999 kr.) 100.000 kr.   Spiseklub 60.000 (adults+elderly, score 5, København)
                                              Gåklub 60.000 (elderly, score 4, Aarhus)
    band 3 (150.000–400.000 kr.) 400.000 kr.  none

Each application's organisation has one housing department of 120 homes in its
municipality, and so has the applicant ``make_funded`` makes (København): Region Hovedstaden
has 360 homes, Midtjylland and Syddanmark 120 each, the two others none.
"""

from pathlib import Path

import pytest

from pulje.decisions.services import write as decision_writes
from tests.factories.allocation import Scarce, make_scarce


@pytest.fixture(autouse=True)
def _private_media(private_media: Path) -> None:
    """Every test here stores its files in its own directory (tests/conftest.py)."""


@pytest.fixture(autouse=True)
def _no_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    """The letters are the letters app's to make (tested there): a decision's own queue is a
    no-op here; a confirmation queues its one job through ``allocation.services``."""
    monkeypatch.setattr(decision_writes, "queue_decision_letters", lambda **kwargs: None)


@pytest.fixture
def scarce(db: None) -> Scarce:
    return make_scarce()
