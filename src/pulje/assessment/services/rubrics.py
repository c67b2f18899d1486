"""The rubric and the assessors' scores."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import ApplicationStatus
from pulje.assessment.models import (
    Assignment,
    AssignmentState,
    Criterion,
    Rubric,
    Score,
)
from pulje.assessment.selectors import default_criteria
from pulje.assessment.services.common import (
    ASSIGNMENT,
    AssessmentRefused,
    refuse_unless_caseworker,
)
from pulje.calls.models import Call
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction


@transaction.atomic
def ensure_rubric(*, actor: User | None, call: Call) -> Rubric:
    """The call's rubric, created with the default criteria (equal weights) if it has none.
    Called by the first save that needs it (the panel's first assessor, the rubric's first
    save, a first score), never by a page that only reads: those show
    ``selectors.rubric_or_defaults``.

    Side effects: when created, one audit event ``assessment.rubric.created`` by ``actor``
    (None: pulje itself).
    """
    rubric = Rubric.objects.filter(call=call).first()
    if rubric is not None:
        return rubric
    try:
        with transaction.atomic():
            rubric = Rubric.objects.create(call=call)
    except IntegrityError:
        # Opened twice at once: the other request created it.
        return Rubric.objects.get(call=call)
    criteria = Criterion.objects.bulk_create(default_criteria(rubric))
    record_event(
        actor=actor,
        action=AuditAction.ASSESSMENT_RUBRIC_CREATED,
        obj=rubric,
        after={
            **snapshot(rubric, ("call", "scale_min", "scale_max", "blind_review")),
            "criteria": [criterion.title for criterion in criteria],
        },
    )
    return rubric


def rubric_is_locked(rubric: Rubric) -> bool:
    """Whether any score exists: then the criteria may no longer change (never for a rubric
    not saved yet)."""
    return rubric.pk is not None and Score.objects.filter(criterion__rubric=rubric).exists()


@dataclass(frozen=True)
class CriterionChange:
    """New texts and weight for the ``number``-th criterion (from 1) in the rubric's order."""

    number: int
    title: str
    description: str
    weight: int


@transaction.atomic
def update_rubric(
    *,
    actor: User,
    call: Call,
    criteria: Sequence[CriterionChange],
    blind_review: bool,
    normalise: bool,
    disagreement_threshold: Decimal,
) -> Rubric:
    """Change the criteria's texts and weights and the call's rubric settings, creating the
    rubric with the default criteria first if it has none (by ``actor``). The criteria may
    change only until the first score exists; the settings may change at any time.

    Side effects: ``ensure_rubric``'s audit event when created; one audit event
    ``assessment.rubric.updated`` when anything changed.
    Raises AssessmentRefused when the actor does not work the call, or for criteria changes
    once scoring has begun.
    """
    refuse_unless_caseworker(actor, call)
    rubric = Rubric.objects.select_for_update().get(pk=ensure_rubric(actor=actor, call=call).pk)
    ordered = list(rubric.criteria.all())
    current = {c.pk: c for c in ordered}
    fields = ("title", "description", "weight")
    before_criteria = {pk: snapshot(c, fields) for pk, c in current.items()}
    after_criteria = dict(before_criteria)
    for change in criteria:
        if not 1 <= change.number <= len(ordered):
            raise AssessmentRefused(
                _("That criterion is not in this rubric."), code="unknown_criterion"
            )
        after_criteria[ordered[change.number - 1].pk] = {
            "title": change.title,
            "description": change.description,
            "weight": change.weight,
        }
    if after_criteria != before_criteria and rubric_is_locked(rubric):
        raise AssessmentRefused(
            _("Scoring has begun: the criteria and their weights can no longer change."),
            code="scoring_begun",
        )
    settings_fields = ("blind_review", "normalise", "disagreement_threshold")
    before = {**snapshot(rubric, settings_fields), "criteria": before_criteria}
    rubric.blind_review = blind_review
    rubric.normalise = normalise
    rubric.disagreement_threshold = disagreement_threshold
    after = {**snapshot(rubric, settings_fields), "criteria": after_criteria}
    if after == before:
        return rubric
    rubric.save(update_fields=list(settings_fields))
    for pk, values in after_criteria.items():
        if values != before_criteria[pk]:
            Criterion.objects.filter(pk=pk).update(**values)
    record_event(
        actor=actor,
        action=AuditAction.ASSESSMENT_RUBRIC_UPDATED,
        obj=rubric,
        before={**before, "criteria": {str(k): v for k, v in before_criteria.items()}},
        after={**after, "criteria": {str(k): v for k, v in after_criteria.items()}},
    )
    return rubric


ScoreInput = tuple[int | None, str]


def _write_scores(
    assignment: Assignment, rubric: Rubric, values: Mapping[int, ScoreInput]
) -> list[Score]:
    criteria = {c.pk: c for c in rubric.criteria.all()}
    unknown = set(values) - set(criteria)
    if unknown:
        raise AssessmentRefused(
            _("That criterion is not in this rubric."), code="unknown_criterion"
        )
    for value, _text in values.values():
        if value is not None and value not in rubric.scale:
            raise AssessmentRefused(
                _("A score must be from %(low)d to %(high)d.")
                % {"low": rubric.scale_min, "high": rubric.scale_max},
                code="score_out_of_scale",
            )
    existing = {s.criterion_id: s for s in assignment.scores.all()}
    scores = []
    for pk in criteria:
        value, text = values.get(pk, (None, ""))
        score = existing.get(pk) or Score(assignment=assignment, criterion_id=pk)
        score.value = value
        score.justification = text.strip()
        scores.append(score)
    Score.objects.bulk_create([s for s in scores if s.pk is None])
    Score.objects.bulk_update([s for s in scores if s.pk is not None], ["value", "justification"])
    return scores


def _scoring_rubric(actor: User, assignment: Assignment) -> Rubric:
    """Checks on the assignment as it is now, locked, so a draft save in another window can
    never change scores once they are submitted; and none after the application is decided
    or withdrawn. The application is locked too: a decision (or an allocation's confirmation)
    locks it before it reads the scores, so scoring waits for it or it for scoring."""
    fresh = (
        Assignment.objects.select_for_update(of=("self", "application"))
        .select_related("application__call")
        .get(pk=assignment.pk)
    )
    assignment.state = fresh.state
    if assignment.assessor_id != actor.pk:
        raise AssessmentRefused(
            _("Only the assessor can score their assignment."), code="not_assessor"
        )
    if assignment.state == AssignmentState.SUBMITTED:
        raise AssessmentRefused(
            _("Your scores are submitted and can no longer change."), code="scores_submitted"
        )
    if not ASSIGNMENT.allowed(assignment, "submit_scores"):
        raise AssessmentRefused(_("Declare your conflicts of interest first."), code="not_declared")
    if fresh.application.status not in ApplicationStatus.assessed():
        raise AssessmentRefused(
            _("The application has been decided or withdrawn: it can no longer be scored."),
            code="not_scorable",
        )
    return ensure_rubric(actor=actor, call=assignment.application.call)


@transaction.atomic
def save_scores(
    *, actor: User, assignment: Assignment, values: Mapping[int, ScoreInput]
) -> list[Score]:
    """Save the assessor's scores as a draft (``values``: criterion pk → score or None and
    justification); incomplete is fine until they submit.

    Side effects: none beyond the scores (drafts are not audited). Raises AssessmentRefused
    when the actor is not the assessor, has not declared, has submitted already, or for a
    score outside the scale.
    """
    rubric = _scoring_rubric(actor, assignment)
    return _write_scores(assignment, rubric, values)


@transaction.atomic
def submit_scores(
    *, actor: User, assignment: Assignment, values: Mapping[int, ScoreInput]
) -> Assignment:
    """Save and submit the assessor's scores: every criterion needs a score and a
    justification. Submitted scores are final.

    Side effects: one audit event ``assessment.assignment.submitted`` with the scores.
    Raises AssessmentRefused as ``save_scores`` does, and naming each criterion that lacks
    a score or justification.
    """
    rubric = _scoring_rubric(actor, assignment)
    scores = _write_scores(assignment, rubric, values)
    criteria = {c.pk: c for c in rubric.criteria.all()}
    missing = [
        str(criteria[s.criterion_id]) for s in scores if s.value is None or not s.justification
    ]
    if missing:
        raise AssessmentRefused(
            _("Every criterion needs a score and a justification. Missing: %(criteria)s.")
            % {"criteria": ", ".join(missing)},
            code="scores_missing",
        )
    ASSIGNMENT.move(
        actor=actor,
        obj=assignment,
        action="submit_scores",
        changes={"submitted_at": timezone.now()},
        recorded={"scores": {str(s.criterion_id): [s.value, s.justification] for s in scores}},
    )
    return assignment
