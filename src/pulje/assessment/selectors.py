"""Reads for assessment. Each selector does its own joins; list selectors run a fixed
number of queries however many rows there are."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.assessment.aggregates import ScoreSummary, normalise, summarise, weighted_mean
from pulje.assessment.models import (
    Assignment,
    AssignmentState,
    Criterion,
    PanelMember,
    Recommendation,
    Rubric,
    Score,
)
from pulje.calls.models import Call


def panel_of(call: Call) -> list[PanelMember]:
    """The call's assessor panel, by name, each with its user (one query)."""
    return list(
        PanelMember.objects.filter(call=call)
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def assessors_of(call: Call) -> list[User]:
    """The people on the call's assessor panel, by name (one query)."""
    return [member.user for member in panel_of(call)]


def my_assignments(user: User) -> list[Assignment]:
    """The user's assignments they may still see (never those with a declared conflict),
    with the application, its organisation and call (one query)."""
    return list(
        visible_assignments(user).order_by("application__call__closes_at", "application__reference")
    )


def visible_assignments(user: User) -> QuerySet[Assignment]:
    """The base of every assessor's page: their own assignments without a conflict."""
    return (
        Assignment.objects.filter(assessor=user)
        .exclude(state=AssignmentState.CONFLICTED)
        .select_related("application__organisation", "application__call")
    )


def assignments_of_application(application: Application) -> list[Assignment]:
    """Every assignment of the application, conflicts included, with the assessor and the
    scores (two queries): for the caseworker."""
    return list(
        Assignment.objects.filter(application=application)
        .select_related("assessor")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .order_by("assigned_at", "pk")
    )


def rubric_of(call: Call) -> Rubric | None:
    return Rubric.objects.filter(call=call).first()


# The default criteria's msgids. A rubric stores their text in the language active when it
# is created (Danish in production), so the caseworker edits plain Danish text after that.
DEFAULT_CRITERIA = (
    gettext_noop("The purpose fits the pool"),
    gettext_noop("The target group fits"),
    gettext_noop("The activities can deliver"),
    gettext_noop("Coherence"),
    gettext_noop("Budget"),
    gettext_noop("Partnership with local associations"),
)


def default_criteria(rubric: Rubric) -> list[Criterion]:
    """The default criteria (equal weights) for ``rubric``, unsaved."""
    return [
        Criterion(rubric=rubric, position=n, title=_(title), weight=1)
        for n, title in enumerate(DEFAULT_CRITERIA, start=1)
    ]


def rubric_or_defaults(call: Call) -> tuple[Rubric, list[Criterion]]:
    """The call's rubric and its criteria in order; until one is saved, the defaults as
    unsaved objects (reading a page never writes: the rubric is created by the first save,
    ``services.ensure_rubric``). Two queries with a rubric, one without."""
    rubric = rubric_of(call)
    if rubric is None:
        unsaved = Rubric(call=call)
        return unsaved, default_criteria(unsaved)
    return rubric, list(rubric.criteria.all())


def score_summaries(applications: Sequence[Application]) -> dict[int, ScoreSummary]:
    """Each application's ``ScoreSummary`` by its pk, from submitted scores only (two
    queries for any number of applications).

    The summary's mean and spread are in points; with normalisation on for the call,
    ``normalised_mean`` compares the assessors' z-scores across all their applications in
    the call, which is why the scores of the whole calls are read.
    """
    wanted = {application.pk for application in applications}
    if not wanted:
        return {}
    call_ids = {application.call_id for application in applications}
    rubrics = {rubric.call_id: rubric for rubric in Rubric.objects.filter(call_id__in=call_ids)}
    normalised_calls = {call_id for call_id, rubric in rubrics.items() if rubric.normalise}
    # The latest recommendation's time rides along with each score: a moderation ends when
    # the caseworker records its outcome after the last assessment came in.
    latest_recommendation = Subquery(
        Recommendation.objects.filter(application_id=OuterRef("assignment__application_id"))
        .order_by("-made_at", "-pk")
        .values("made_at")[:1]
    )
    rows = (
        Score.objects.filter(
            assignment__state=AssignmentState.SUBMITTED,
            value__isnull=False,
        )
        .annotate(recommended_at=latest_recommendation)
        .values_list(
            "assignment__application_id",
            "assignment__application__call_id",
            "assignment__assessor_id",
            "value",
            "criterion__weight",
            "assignment__submitted_at",
            "recommended_at",
        )
    )
    if normalised_calls:
        rows = rows.filter(assignment__application__call_id__in=call_ids)
    else:
        rows = rows.filter(assignment__application_id__in=wanted)
    pairs: dict[tuple[int, int, int], list[tuple[int, int]]] = defaultdict(list)
    last_submitted: dict[int, datetime] = {}
    recommended: dict[int, datetime] = {}
    for application_id, call_id, assessor_id, value, weight, submitted_at, made_at in rows:
        assert value is not None
        pairs[(call_id, application_id, assessor_id)].append((value, weight))
        if submitted_at is not None:
            last_submitted[application_id] = max(
                submitted_at, last_submitted.get(application_id, submitted_at)
            )
        if made_at is not None:
            recommended[application_id] = made_at
    # By call and assessor: their weighted mean of each application.
    by_assessor: dict[int, dict[int, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for (call_id, application_id, assessor_id), scores in pairs.items():
        assessor_mean = weighted_mean(scores)
        if assessor_mean is not None:
            by_assessor[call_id][assessor_id][application_id] = assessor_mean
    summaries: dict[int, ScoreSummary] = {}
    for application in applications:
        assessors = by_assessor.get(application.call_id, {})
        means = [m[application.pk] for m in assessors.values() if application.pk in m]
        rubric = rubrics.get(application.call_id)
        threshold = float(rubric.disagreement_threshold) if rubric else 1.5
        normalised = None
        if application.call_id in normalised_calls:
            z = normalise(assessors)
            normalised = [z[a][application.pk] for a in z if application.pk in z[a]]
        made_at = recommended.get(application.pk)
        submitted_at = last_submitted.get(application.pk)
        summaries[application.pk] = summarise(
            means,
            threshold=threshold,
            normalised=normalised,
            outcome_recorded=made_at is not None
            and (submitted_at is None or made_at >= submitted_at),
        )
    return summaries


def in_assessment(call: Call) -> list[Application]:
    """The call's applications that are being or have been assessed, by reference."""
    return list(
        Application.objects.filter(
            call=call,
            status__in=ApplicationStatus.assessed(),
        )
        .select_related("organisation")
        .order_by("reference")
    )


def moderation_list(call: Call) -> list[tuple[Application, ScoreSummary]]:
    """The call's applications that need moderation: their assessors disagree beyond the
    threshold and the caseworker has recorded no outcome since the last assessment (three
    queries)."""
    return [(a, summary) for a, summary in results(call) if summary.flagged]


def assignable_assessors(application: Application) -> list[User]:
    """The call's assessors who may still be assigned ``application``: not assigned already
    (nor conflicted), and not acting for the applicant (one query)."""
    return list(
        User.objects.filter(panels__call_id=application.call_id)
        .exclude(assignments__application=application)
        .exclude(memberships__organisation_id=application.organisation_id)
        .order_by("name", "email")
    )


def others_scores(assignment: Assignment) -> list[Assignment]:
    """The other assessors' submitted assignments of the same application, with scores
    (two queries). The assessor's page shows them without names."""
    return list(
        Assignment.objects.filter(
            application_id=assignment.application_id, state=AssignmentState.SUBMITTED
        )
        .exclude(pk=assignment.pk)
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .order_by("submitted_at", "pk")
    )


def results(call: Call) -> list[tuple[Application, ScoreSummary]]:
    """Every application of the call in or after assessment, with its summary (three
    queries)."""
    applications = in_assessment(call)
    summaries = score_summaries(applications)
    return [(a, summaries[a.pk]) for a in applications]


def recommendations_of(application: Application) -> list[Recommendation]:
    """The caseworkers' recommendations for the application, newest first (one query)."""
    return list(
        Recommendation.objects.filter(application=application)
        .select_related("made_by")
        .order_by("-made_at", "-pk")
    )


def latest_recommendations(applications: Sequence[Application]) -> dict[int, Recommendation]:
    """Each application's latest recommendation (the one that counts), by application pk;
    applications without one are missing (one query)."""
    latest: dict[int, Recommendation] = {}
    rows = Recommendation.objects.filter(application__in=[a.pk for a in applications]).order_by(
        "made_at", "pk"
    )
    for recommendation in rows:
        latest[recommendation.application_id] = recommendation
    return latest
