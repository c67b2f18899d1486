"""Reads for the secretariat's desk: the caseworker's queue with its filters and totals, the
calls a user works or oversees, and an application's timeline."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.assessment.aggregates import ScoreSummary
from pulje.assessment.selectors import score_summaries
from pulje.calls.models import Call
from pulje.casework.models import Screening, ScreeningOutcome
from pulje.casework.permissions import caseworker_conflicts
from pulje.core.audit import action_label
from pulje.core.audit_actions import AuditAction
from pulje.core.jobs import Job
from pulje.core.models import AuditEvent
from pulje.decisions.models import GrantProposal, ProposalOutcome
from pulje.decisions.selectors import CallMoney, call_money
from pulje.desk.tasks import CONDITIONS, MODERATE, annotate_tasks
from pulje.funds.models import Pool
from pulje.funds.selectors import pools_of
from pulje.ledger.selectors import subtrees
from pulje.registry.models import HousingDepartment

# Ties keep the reference number's order, whichever way the list is sorted.
SORTS = {
    "reference": lambda row: row.application.reference,
    "amount": lambda row: row.application.amount_ore or 0,
    "submitted": lambda row: row.application.submitted_at,
    "score": lambda row: row.score.mean if row.score and row.score.mean is not None else 0.0,
}


Applications = TypeVar("Applications", bound=QuerySet[Application])


@dataclass(frozen=True)
class QueueFilters:
    q: str = ""
    status: str = ""
    band: Pool | None = None
    region: str = ""
    municipality: str = ""
    target_group: str = ""
    screening: str = ""
    score_min: float | None = None
    score_max: float | None = None
    sort: str = "reference"
    descending: bool = False
    # Grants awaiting a second approval that the user may give: not proposed by them, and
    # no conflict of interest.
    awaiting_me: bool = False
    # One of ``tasks.TASKS``: what the caseworker has to do next (the start page's links).
    task: str = ""


@dataclass
class QueueRow:
    application: Application
    # The latest screening's outcome (the caseworker's override if any); "" if none yet.
    screening: str
    score: ScoreSummary | None
    municipalities: list[str]

    @property
    def screening_label(self) -> str:
        return str(ScreeningOutcome(self.screening).label) if self.screening else ""


def queue(call: Call, filters: QueueFilters, *, user: User | None = None) -> list[QueueRow]:
    """The call's submitted applications (never a draft, nor one withdrawn before it was
    ever submitted) that pass ``filters``, sorted;
    ``user`` for the filter of grants awaiting their approval.

    Four queries however many: the applications with their latest screening outcome, their
    departments, and the score summaries (two); one more for the user's conflicts. Target
    group and score are filtered here rather than in SQL: a JSON list and an aggregate of
    another app's scores.
    """
    applications = _filtered_in_sql(
        annotate_tasks(Application.objects.filter(call=call, submitted_at__isnull=False))
        .select_related("organisation")
        .prefetch_related(
            Prefetch(
                "departments",
                queryset=HousingDepartment.objects.select_related("municipality").order_by(
                    "number"
                ),
            )
        ),
        filters,
    )
    if filters.awaiting_me:
        applications = awaiting_approval_by(applications, user)
    found = list(applications)
    if filters.awaiting_me and user is not None:
        conflicts = caseworker_conflicts(user, found)
        found = [a for a in found if a.pk not in conflicts]
    if filters.target_group:
        found = [a for a in found if filters.target_group in a.target_groups]
    scores = score_summaries(found)
    rows = [
        QueueRow(
            application=a,
            screening=a.screening or "",
            score=scores.get(a.pk),
            municipalities=sorted({d.municipality.name for d in a.departments.all()}),
        )
        for a in found
    ]
    if filters.task == MODERATE:
        rows = [row for row in rows if row.score is not None and row.score.flagged]
    if filters.score_min is not None or filters.score_max is not None:
        low = filters.score_min if filters.score_min is not None else float("-inf")
        high = filters.score_max if filters.score_max is not None else float("inf")
        rows = [
            row
            for row in rows
            if row.score is not None
            and row.score.mean is not None
            and low <= row.score.mean <= high
        ]
    rows.sort(key=SORTS["reference"])
    rows.sort(key=SORTS.get(filters.sort, SORTS["reference"]), reverse=filters.descending)
    if filters.sort == "score":
        # Unscored applications come last, whichever way the scores are sorted.
        rows.sort(key=lambda row: row.score is None or row.score.mean is None)
    return rows


def _filtered_in_sql(applications: QuerySet[Any], filters: QueueFilters) -> QuerySet[Any]:
    if filters.status:
        applications = applications.filter(status=filters.status)
    if filters.band is not None:
        applications = applications.filter(
            amount_ore__gte=filters.band.grant_min_ore, amount_ore__lte=filters.band.grant_max_ore
        )
    if filters.region:
        applications = applications.filter(
            Exists(
                Application.departments.through.objects.filter(
                    application=OuterRef("pk"),
                    housingdepartment__municipality__region_id=filters.region,
                )
            )
        )
    if filters.municipality:
        applications = applications.filter(
            Exists(
                Application.departments.through.objects.filter(
                    application=OuterRef("pk"),
                    housingdepartment__municipality_id=filters.municipality,
                )
            )
        )
    if filters.screening:
        applications = applications.filter(screening=filters.screening)
    if filters.task in CONDITIONS:
        applications = applications.filter(CONDITIONS[filters.task])
    q = filters.q.strip()
    if q:
        applications = applications.filter(
            Q(reference__icontains=q)
            | Q(title__icontains=q)
            | Q(organisation__name__icontains=q)
            | Q(organisation__cvr__contains=q.replace(" ", ""))
        )
    return applications


def awaiting_approval_by(applications: Applications, user: User | None) -> Applications:
    """Those of ``applications`` whose grant awaits a second approval that ``user`` did
    not propose (conflicts of interest are the caller's to leave out)."""
    if user is None:
        return applications.none()
    return applications.filter(status=ApplicationStatus.AWAITING_APPROVAL).exclude(
        Exists(
            GrantProposal.objects.filter(
                application=OuterRef("pk"), outcome=ProposalOutcome.OPEN, proposed_by=user
            )
        )
    )


def awaiting_approval_count(call: Call, user: User) -> int:
    """How many of the call's grants await a second approval ``user`` may give (two
    queries)."""
    waiting = list(
        awaiting_approval_by(Application.objects.filter(call=call), user).select_related(
            "organisation"
        )
    )
    conflicts = caseworker_conflicts(user, waiting)
    return sum(1 for application in waiting if application.pk not in conflicts)


@dataclass(frozen=True)
class QueueTotals:
    shown: int
    shown_requested_ore: int
    submitted: int
    requested_ore: int
    available_ore: int
    money: CallMoney
    pool: Pool


def queue_totals(call: Call, rows: Sequence[QueueRow]) -> QueueTotals:
    """What the listed applications and the whole call ask for (submitted, not withdrawn),
    what the call has granted, accepted and seen lapse (``decisions.selectors.call_money``),
    against what the call's pool (with its sub-pools) has available. Four queries."""
    counted = set(ApplicationStatus.counted())
    listed = [row.application for row in rows if row.application.status in counted]
    totals = Application.objects.filter(call=call, status__in=counted).aggregate(
        requested=Sum("amount_ore", default=0), submitted=Count("pk")
    )
    (node,) = subtrees([call.pool])[:1]
    return QueueTotals(
        shown=len(listed),
        shown_requested_ore=sum(a.amount_ore or 0 for a in listed),
        submitted=totals["submitted"],
        requested_ore=totals["requested"],
        available_ore=node.subtree.available,
        money=call_money(call),
        pool=node.pool,
    )


@dataclass(frozen=True)
class CaseworkCall:
    call: Call
    works: bool
    submitted: int
    requested_ore: int


def casework_calls(user: User) -> list[CaseworkCall]:
    """The calls on pools the user's organisations administer or oversee (any pool below one
    they administer), newest deadline first, with what each asks for so far. Three queries
    however many calls."""
    administered, overseen = pools_of(user)
    counted = Q(applications__status__in=ApplicationStatus.counted())
    calls = (
        Call.objects.filter(pool_id__in=overseen)
        .select_related("pool")
        .annotate(
            submitted=Count("applications", filter=counted),
            requested=Sum("applications__amount_ore", filter=counted, default=0),
        )
        .order_by("-closes_at", "code")
    )
    return [
        CaseworkCall(
            call=call,
            works=call.pool_id in administered,
            submitted=call.submitted,
            requested_ore=call.requested,
        )
        for call in calls
    ]


@dataclass(frozen=True)
class TimelineEntry:
    event: AuditEvent
    label: str


def application_timeline(application: Application) -> list[TimelineEntry]:
    """Everything recorded about the application and its screenings, oldest first, each with
    a label for people (two queries)."""
    screenings = [
        str(pk)
        for pk in Screening.objects.filter(application=application).values_list("pk", flat=True)
    ]
    events = (
        AuditEvent.objects.filter(
            Q(object_type=Application._meta.label_lower, object_id=str(application.pk))
            | Q(object_type=Screening._meta.label_lower, object_id__in=screenings)
        )
        .select_related("actor")
        .order_by("seq")
    )
    return [TimelineEntry(event, _timeline_label(event)) for event in events]


def _timeline_label(event: AuditEvent) -> str:
    if event.action == AuditAction.CASEWORK_SCREENING_OVERRIDDEN:
        outcome = ScreeningOutcome((event.after or {}).get("outcome", "pass")).label
        return _("Screening overridden: %(outcome)s") % {"outcome": str(outcome).lower()}
    if event.action == AuditAction.APPLICATION_SCREENED:
        outcome_value = (event.after or {}).get("outcome")
        if outcome_value in ScreeningOutcome.values:
            return _("Screened: %(outcome)s") % {
                "outcome": str(ScreeningOutcome(outcome_value).label).lower()
            }
    return action_label(event.action)


# The queue lists this many of the call's latest letter jobs.
LETTERS_JOBS_SHOWN = 10


def letters_jobs(call: Call) -> list[Job]:
    """The call's latest bulk jobs of letters, newest first, at most ``LETTERS_JOBS_SHOWN``,
    for the queue to link to (one query)."""
    return list(Job.objects.filter(call=call).order_by("-created_at", "-pk")[:LETTERS_JOBS_SHOWN])
