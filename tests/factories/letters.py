"""Decided applications on a funded call, their letters not yet queued."""

from dataclasses import dataclass

from pulje.core.money import kr
from pulje.decisions.models import Decision, RejectionReason
from pulje.decisions.services import decide_applications
from tests.factories.decisions import Funded, make_funded, screened


@dataclass
class Decided:
    funded: Funded
    decisions: list[Decision]  # a full grant, a reduced grant, a rejection, by pk


TRICKY_TITLE = 'Fest # *fed* $5 [x] _y_ \\ "z" {{ title }}'


def make_decided(django_capture_on_commit_callbacks: object) -> Decided:
    funded = make_funded()
    full = screened(funded.applicant, 60_000, title=TRICKY_TITLE)
    reduced = screened(funded.applicant, 80_000, title="Madklub")
    rejected = screened(funded.applicant, 20_000, title="Strikkecafé")
    # The decisions' own after-commit work (letters) is left out: tests queue it.
    with django_capture_on_commit_callbacks(execute=False):  # type: ignore[operator]
        granted = decide_applications(actor=funded.caseworker, applications=[full], outcome="grant")
        granted += decide_applications(
            actor=funded.caseworker,
            applications=[reduced],
            outcome="grant",
            amounts={reduced.pk: kr(50_000)},
            reason_text="Lønudgifterne er for høje.",
        )
        refused = decide_applications(
            actor=funded.caseworker,
            applications=[rejected],
            outcome="reject",
            reason_code=RejectionReason.WEAKER_THAN_OTHERS,
        )
    return Decided(funded=funded, decisions=sorted(granted + refused, key=lambda d: d.pk))
