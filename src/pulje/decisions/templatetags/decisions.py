"""The decision parts of the applicant's pages (``applications/dashboard.html`` and
``receipt.html`` include ``decisions/_dashboard.html`` and ``decisions/_receipt.html``)."""

from collections.abc import Iterable
from typing import Any

from django import template

from pulje.applications.models import Application, ApplicationStatus
from pulje.decisions.models import Decision
from pulje.decisions.selectors import decision_of, decisions_on
from pulje.letters.models import Letter
from pulje.letters.selectors import letters_for_applications

register = template.Library()


@register.simple_tag
def decisions_in(rows: Iterable[tuple[Application, Any]]) -> list[Decision]:
    """The decisions on the dashboard's applications (its ``rows``): one query at most."""
    return decisions_on(application for application, _step in rows)


@register.simple_tag
def decision_for(application: Application) -> Decision | None:
    """The decision on the receipt's application; no query while it is undecided."""
    return decision_of(application) if application.status in ApplicationStatus.decided() else None


@register.simple_tag
def letters_of(decisions: Iterable[Decision]) -> dict[int, list[Letter]]:
    """The decision letters of the dashboard's decisions, by application: one query."""
    return letters_for_applications([decision.application_id for decision in decisions])


@register.filter
def of_application(letters: dict[int, list[Letter]], application_id: int) -> list[Letter]:
    return letters.get(application_id, [])
