"""Reads for casework: the facts screening looks at, the caseworker's queue, the calls a
user works or oversees."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.checks import call_terms
from pulje.applications.models import Application, ApplicationStatus
from pulje.assessment.selectors import ScoreSummary, score_summaries
from pulje.calls.models import Call
from pulje.casework.models import Screening, ScreeningOutcome, ScreeningRules
from pulje.casework.permissions import caseworker_conflicts
from pulje.casework.screening import Candidate, Earlier, PartnerFacts, Rules
from pulje.core.audit import action_label
from pulje.core.audit_actions import AuditAction
from pulje.core.jobs import Job
from pulje.core.models import AuditEvent
from pulje.decisions.models import GrantProposal, ProposalOutcome
from pulje.funds.models import Pool
from pulje.funds.selectors import pools_of
from pulje.ledger.selectors import subtrees
from pulje.registry.models import HousingDepartment


def screening_rules(application: Application) -> Rules:
    """The rules of the application's call as plain data: the call's terms
    (``applications.checks.call_terms``) less what the stored ``ScreeningRules`` (the defaults
    if none) switch off, and what they add."""
    call = application.call
    stored = ScreeningRules.objects.filter(call=call).first() or ScreeningRules(call=call)
    terms = call_terms(call)
    period = stored.check_period
    percent = stored.duplicate_similarity_percent
    return Rules(
        terms=dataclasses.replace(
            terms,
            partner_kinds=terms.partner_kinds if stored.require_partner else (),
            bands=terms.bands if stored.check_amount_band else (),
            project_start_earliest=terms.project_start_earliest if period else None,
            project_end_latest=terms.project_end_latest if period else None,
            spend_by=terms.spend_by if period else None,
        ),
        require_eligible_applicant=stored.require_eligible_applicant,
        check_budget_sum=stored.check_budget_sum,
        salary_cap_monthly_ore=stored.salary_cap_monthly_ore,
        excluded_cost_kinds=tuple(stored.excluded_cost_kinds),
        duplicate_similarity=None if percent is None else percent / 100,
    )


def screening_facts(application: Application) -> tuple[Candidate, Rules, list[Earlier], int]:
    """What screening looks at: the application as submitted (its typed fields), the call's
    rules, the applications submitted to the call before it, and its latest version number."""
    organisation = application.organisation
    departments = frozenset(application.departments.values_list("pk", flat=True))
    candidate = Candidate(
        organisation_kind=organisation.kind,
        organisation_cvr=organisation.cvr,
        title=application.title,
        department_ids=departments,
        amount_ore=application.amount_ore,
        budget=dict(application.budget_lines.values_list("kind", "amount_ore")),
        partners=[
            PartnerFacts(
                name=partner.name,
                cvr=partner.cvr,
                kind=partner.kind,
                registered=partner.organisation_id is not None,
            )
            for partner in application.partners.all()
        ],
        period_start=application.period_start,
        period_end=application.period_end,
    )
    earlier = _submitted_before(application, departments)
    version = application.versions.order_by("-number").values_list("number", flat=True).first()
    return candidate, screening_rules(application), earlier, version or 0


def _submitted_before(application: Application, departments: frozenset[int]) -> list[Earlier]:
    """Applications to the same call on one of the same departments, submitted (first) before
    this one and not withdrawn: of two near-identical applications the later is the
    duplicate."""
    if application.submitted_at is None or not departments:
        return []
    before = Q(submitted_at__lt=application.submitted_at) | Q(
        submitted_at=application.submitted_at, pk__lt=application.pk
    )
    others = (
        Application.objects.filter(before, call_id=application.call_id, departments__in=departments)
        .filter(status__in=ApplicationStatus.counted())
        .exclude(pk=application.pk)
        .distinct()
        .prefetch_related("departments")
        .order_by("submitted_at", "pk")
    )
    return [
        Earlier(
            reference=other.reference,
            title=other.title,
            department_ids=frozenset(d.pk for d in other.departments.all()),
        )
        for other in others
    ]


# The caseworker's queue


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


# The order of an application's screenings, the latest first: "the latest screening" means
# the first in this order everywhere.
NEWEST_SCREENING_FIRST = ("-screened_at", "-pk")


def screenings_of(application: Application) -> list[Screening]:
    """The application's screenings, the latest first, with who screened and overrode them
    (one query)."""
    return list(
        Screening.objects.filter(application=application)
        .select_related("screened_by", "overridden_by")
        .order_by(*NEWEST_SCREENING_FIRST)
    )


def latest_screening(application: Application) -> Screening | None:
    """The application's latest screening, or None before it is screened (one query)."""
    return (
        Screening.objects.filter(application=application).order_by(*NEWEST_SCREENING_FIRST).first()
    )


def failed_screening(applications: Sequence[Application]) -> list[Application]:
    """Those of ``applications`` whose latest screening, after any override, failed: they
    may be neither assessed nor granted until a caseworker overrides it with a reason.
    One query."""
    ids = [application.pk for application in applications]
    latest: dict[int, Screening] = {}
    for screening in Screening.objects.filter(application_id__in=ids).order_by(
        *NEWEST_SCREENING_FIRST
    ):
        latest.setdefault(screening.application_id, screening)
    return [
        application
        for application in applications
        if application.pk in latest
        and latest[application.pk].effective_outcome == ScreeningOutcome.FAIL
    ]


def latest_screening_outcome() -> Subquery:
    latest = Screening.objects.filter(application=OuterRef("pk")).order_by(*NEWEST_SCREENING_FIRST)
    return Subquery(
        latest.annotate(
            effective=Coalesce(NullIf("override_outcome", Value("")), "outcome")
        ).values("effective")[:1]
    )


def queue(call: Call, filters: QueueFilters, *, user: User | None = None) -> list[QueueRow]:
    """The call's submitted applications (drafts never) that pass ``filters``, sorted;
    ``user`` for the filter of grants awaiting their approval.

    Four queries however many: the applications with their latest screening outcome, their
    departments, and the score summaries (two); one more for the user's conflicts. Target
    group and score are filtered here rather than in SQL: a JSON list and an aggregate of
    another app's scores.
    """
    applications = (
        Application.objects.filter(call=call)
        .exclude(status=ApplicationStatus.DRAFT)
        .select_related("organisation")
        .annotate(screening=latest_screening_outcome())
        .prefetch_related(
            Prefetch(
                "departments",
                queryset=HousingDepartment.objects.select_related("municipality").order_by(
                    "number"
                ),
            )
        )
    )
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
    q = filters.q.strip()
    if q:
        applications = applications.filter(
            Q(reference__icontains=q)
            | Q(title__icontains=q)
            | Q(organisation__name__icontains=q)
            | Q(organisation__cvr__contains=q.replace(" ", ""))
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
    committed_ore: int
    pool: Pool


def queue_totals(call: Call, rows: Sequence[QueueRow]) -> QueueTotals:
    """What the listed applications and the whole call ask for (submitted, not withdrawn),
    against what the call's pool (with its sub-pools) has available and has committed. Two
    queries."""
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
        committed_ore=node.subtree.committed,
        pool=node.pool,
    )


# The calls a user works or oversees


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


def latest_letters_job(call: Call) -> Job | None:
    """The call's most recent bulk job of letters, for the queue to link to (one query)."""
    return Job.objects.filter(call=call).order_by("-created_at", "-pk").first()
