"""The screening parts of the applicant's pages. Screening sits above applications, so the
applicant's templates load these tags rather than their views importing screening:
"check your answers" (``applications/check.html``) shows what screening would say about the
draft, as warnings the applicant may still submit with, and the dashboard and the receipt
show a failed screening while the applicant can still put it right
(``casework/_screening_for_applicant.html``)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import template

from pulje.applications.checks import ReadDraft, budget_field
from pulje.applications.models import Application
from pulje.applications.selectors import may_change
from pulje.casework.models import kind_labels
from pulje.casework.screening import Reason, screen
from pulje.casework.selectors import draft_screening_facts, failed_screenings

register = template.Library()

# The form field where the applicant puts right what a reason says; not listed: the
# application as a whole or the organisation (its profile).
REASON_FIELDS = {
    "partner_missing": "partner_1_kind",
    "partner_cvr": "partner_1_cvr",
    "partner_unknown": "partner_1_cvr",
    "amount_missing": "amount",
    "amount_band": "amount",
    "budget_empty": "amount",
    "budget_sum": "amount",
    "salary_cap": budget_field("salaries"),
    "period_missing": "period_start",
    "period_start": "period_start",
    "period_order": "period_end",
    "period_end": "period_end",
    "duplicate": "title",
}


@dataclass(frozen=True)
class RuleWarning:
    """A screening rule the application breaks, for the applicant: the message and the form
    field to change (None: nothing in the form)."""

    message: str
    field: str | None


def reason_field(reason: Reason) -> str | None:
    if reason.code == "excluded_cost":
        return budget_field(str(reason.params["cost_kind"]))
    return REASON_FIELDS.get(reason.code)


def warnings(reasons: Iterable[Reason]) -> list[RuleWarning]:
    labels = kind_labels()
    return [RuleWarning(reason.message(labels), reason_field(reason)) for reason in reasons]


@register.simple_tag
def draft_warnings(application: Application, read: ReadDraft) -> list[RuleWarning]:
    """What screening would fail the draft (``read``, as checked) for if it were submitted
    now: the call's screening rules, by the one function that screens submissions. Remarks
    (a partner pulje does not know, say) are the caseworker's to look at, not the
    applicant's to put right."""
    candidate, rules, earlier = draft_screening_facts(application, read)
    reasons = screen(candidate, rules, earlier).reasons
    return warnings(reason for reason in reasons if reason.severity == "fail")


@register.simple_tag
def failed_screenings_in(rows: Iterable[tuple[Application, Any]]) -> dict[int, list[RuleWarning]]:
    """The dashboard's applications (its ``rows``) that the applicant may still change and
    whose latest screening failed, with its reasons, by application: one query at most."""
    changeable = [application for application, _step in rows if may_change(application)]
    return {
        pk: warnings(screening.reason_list)
        for pk, screening in failed_screenings(changeable).items()
    }


@register.simple_tag
def failed_screening_of(application: Application) -> list[RuleWarning]:
    """The reasons the receipt's application failed its latest screening, while the applicant
    may still change it; none otherwise (no query when it cannot be changed)."""
    return failed_screenings_in([(application, None)]).get(application.pk, [])


@register.filter
def warnings_of(found: Mapping[int, list[RuleWarning]], application_id: int) -> list[RuleWarning]:
    return found.get(application_id, [])
