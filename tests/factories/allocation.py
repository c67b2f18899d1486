"""Calls with assessed applications to allocate, built through the product's services."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import translation

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
from pulje.funds.models import Pool
from pulje.registry.models import Organisation, OrganisationKind
from tests.factories import OrganisationFactory
from tests.factories.applications import PARTNER_CVR, complete_draft, make_applicant
from tests.factories.decisions import Funded, make_funded

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


# The allocation page's form, every field at its default.
FORM = {
    "method": "optimal",
    "objective": "score",
    "budget": "",
    "min_score": "",
    "reduce_to_percent": "",
    "reduction_unit": "500 kr.",
    "region_floor_percent": "",
    "region_cap_percent": "",
    "group_children": "1",
    "group_adults": "1",
    "group_elderly": "1",
    "max_grants_per_organisation": "",
    "apportionment": "sainte_lague",
    "lottery_seed": "",
    "lottery_threshold": "",
}
