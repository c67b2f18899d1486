"""A call whose applications are assessed: the ministry's pool → BL's pool (the call's) →
three grant bands, BL's caseworker, the ministry's reader, an assessor on the panel, and a
helper that submits, screens and scores an application in a municipality of one's choosing.

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

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import translation
from pytest_django import Settings

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import fingerprint, start_application, submit_application
from pulje.applications.workflow import transition
from pulje.assessment.models import Assignment
from pulje.assessment.services import (
    add_assessor,
    assign_assessor,
    declare_interest,
    ensure_rubric,
    submit_scores,
)
from pulje.calls.models import Call
from pulje.core.money import kr
from pulje.decisions.services import write as decision_writes
from pulje.funds.models import Pool
from pulje.registry.models import Organisation, OrganisationKind
from tests.applications.conftest import PARTNER_CVR, complete_draft, make_applicant
from tests.decisions.conftest import Funded, make_funded
from tests.factories import OrganisationFactory

SCARCE_MONEY = (kr(40_000), kr(100_000), kr(400_000))


@dataclass
class Round:
    funded: Funded
    assessor: User

    @property
    def call(self) -> Call:
        return self.funded.call

    @property
    def caseworker(self) -> User:
        return self.funded.caseworker

    @property
    def bands(self) -> list[Pool]:
        return self.funded.bands


@pytest.fixture(autouse=True)
def _fast_and_private(settings: Settings, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    """The letters are the letters app's to make (tested there): a decision's own queue is a
    no-op here; a confirmation queues its one job through ``allocation.services``."""
    monkeypatch.setattr(decision_writes, "queue_decision_letters", lambda **kwargs: None)


def make_round(band_money: tuple[int, int, int] = SCARCE_MONEY) -> Round:
    funded = make_funded(band_money)
    if not Organisation.objects.filter(cvr=PARTNER_CVR).exists():
        OrganisationFactory(
            cvr=PARTNER_CVR, kind=OrganisationKind.ASSOCIATION, name="Kulturforening"
        )
    assessor = add_assessor(
        actor=funded.caseworker, call=funded.call, email="bente@example.dk", name="Bente"
    ).user
    with translation.override("en"):
        ensure_rubric(actor=funded.caseworker, call=funded.call)
    return Round(funded=funded, assessor=assessor)


def submitted(
    round_: Round,
    *,
    title: str,
    amount_kr: int,
    municipality: str = "101",
    groups: tuple[str, ...] = ("adults",),
    participants: int = 20,
) -> Application:
    """A submitted (and so screened) application from a new housing organisation with one
    department of 120 homes in ``municipality``."""
    applicant = make_applicant(
        round_.call, name=f"Boligselskabet {title}", municipality=municipality
    )
    application = start_application(
        actor=applicant.user, call=round_.call, organisation=applicant.organisation
    )
    application.draft = {
        **complete_draft(applicant),
        "title": [title],
        "target_groups": list(groups),
        "amount": [str(amount_kr)],
        "budget_activities": [str(amount_kr)],
        "budget_materials": [""],
        "expected_participants": [str(participants)],
    }
    application.save(update_fields=["draft"])
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )
    application.refresh_from_db()
    if application.status == ApplicationStatus.SUBMITTED:
        with transaction.atomic():
            transition(actor=None, application=application, action="screen")
    return application


def score(round_: Round, application: Application, value: int) -> Application:
    """Assign the assessor, declare no conflict and submit ``value`` for every criterion:
    the application's mean score is ``value``."""
    assign_assessor(actor=round_.caseworker, applications=[application], assessor=round_.assessor)
    assignment = Assignment.objects.get(application=application, assessor=round_.assessor)
    declare_interest(actor=round_.assessor, assignment=assignment, conflict=False)
    criteria = ensure_rubric(actor=None, call=round_.call).criteria.all()
    submit_scores(
        actor=round_.assessor,
        assignment=assignment,
        values={criterion.pk: (value, "Begrundet.") for criterion in criteria},
    )
    application.refresh_from_db()
    return application


def scored(round_: Round, *, value: int, **fields: object) -> Application:
    return score(round_, submitted(round_, **fields), value)  # type: ignore[arg-type]


@dataclass
class Scarce:
    round: Round
    dining: Application
    walking: Application
    homework: Application
    knitting: Application

    @property
    def call(self) -> Call:
        return self.round.call

    @property
    def caseworker(self) -> User:
        return self.round.caseworker

    @property
    def bands(self) -> list[Pool]:
        return self.round.bands


def make_scarce() -> Scarce:
    round_ = make_round()
    return Scarce(
        round=round_,
        dining=scored(
            round_,
            value=5,
            title="Spiseklub",
            amount_kr=60_000,
            groups=("adults", "elderly"),
            participants=40,
        ),
        walking=scored(
            round_,
            value=4,
            title="Gåklub",
            amount_kr=60_000,
            municipality="751",
            groups=("elderly",),
            participants=15,
        ),
        homework=scored(
            round_,
            value=3,
            title="Lektiecafé",
            amount_kr=20_000,
            municipality="461",
            groups=("children",),
            participants=25,
        ),
        knitting=scored(
            round_,
            value=4,
            title="Strikkeklub",
            amount_kr=30_000,
            groups=("elderly",),
            participants=12,
        ),
    )


@pytest.fixture
def scarce(db: None) -> Scarce:
    return make_scarce()
