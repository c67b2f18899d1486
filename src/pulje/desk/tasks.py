"""What a caseworker has to do next in a call, as conditions on its applications: the start
page counts them and the queue filters by them (``?task=…``), from these same definitions,
so a count and the list it links to always agree.

Each task but moderation is a condition on an application annotated by ``annotate_tasks``
(its latest screening's outcome, whether a caseworker overrode it, and whether a letter of
its failed to go out). Moderation depends on the scores' spread, an aggregate of another
app's rows, so it is read from ``assessment.selectors.score_summaries`` instead.
"""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from pulje.applications.models import Application, ApplicationStatus
from pulje.casework.models import Screening, ScreeningOutcome
from pulje.casework.selectors import NEWEST_SCREENING_FIRST, latest_screening_outcome
from pulje.letters.models import Letter

S = ApplicationStatus

# The latest screening stopped or questioned the application, and no caseworker has
# overridden it yet.
TO_SCREEN = Q(status=S.SUBMITTED) | Q(
    status=S.SCREENED,
    screening__in=[ScreeningOutcome.FAIL, ScreeningOutcome.REMARKS],
    screening_override="",
)
CONDITIONS: dict[str, Q] = {
    "screen": TO_SCREEN,
    # Screened and let through (by the rules, or by a caseworker): assessors next.
    "assign": Q(status=S.SCREENED) & ~TO_SCREEN & ~Q(screening=ScreeningOutcome.FAIL),
    "scoring": Q(status=S.IN_ASSESSMENT),
    "decide": Q(status__in=[S.RECOMMENDED, S.NOT_RECOMMENDED]),
    "letters": Q(letter_failed=True),
    "acceptance": Q(status=S.GRANTED),
}
MODERATE = "moderate"

TASK_LABELS = {
    "screen": gettext_lazy("To screen or override"),
    "assign": gettext_lazy("To assign to assessors"),
    "scoring": gettext_lazy("Being scored"),
    MODERATE: gettext_lazy("To moderate"),
    "decide": gettext_lazy("To decide"),
    "letters": gettext_lazy("Letters not sent"),
    "acceptance": gettext_lazy("Grants awaiting acceptance"),
}
# The order the start page shows them in: the order of the work.
TASKS = tuple(TASK_LABELS)


def annotate_tasks(applications: QuerySet[Application]) -> QuerySet[Any]:
    """``applications`` with what the task conditions read: ``screening`` (the latest
    screening's outcome, the override's if any), ``screening_override`` (the latest
    screening's override, "" for none) and ``letter_failed`` (a letter that could not be
    e-mailed and is not sent since). Typed ``Any``: the type checker's model of an
    application has no annotations."""
    latest = Screening.objects.filter(application=OuterRef("pk")).order_by(*NEWEST_SCREENING_FIRST)
    return applications.annotate(
        screening=latest_screening_outcome(),
        screening_override=Subquery(latest.values("override_outcome")[:1]),
        letter_failed=Exists(
            Letter.objects.filter(application=OuterRef("pk"), sent_at__isnull=True).exclude(
                send_error=""
            )
        ),
    )
