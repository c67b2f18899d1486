"""Writes for assessment. Each runs in one transaction and records its audit events there;
a refusal (``AssessmentRefused``) writes nothing at all."""

from pulje.assessment.services.assignments import (
    ASSIGNABLE,
    add_assessor,
    assign_assessor,
    declare_interest,
    remove_assessor,
    send_assignment_notice,
)
from pulje.assessment.services.common import AssessmentRefused
from pulje.assessment.services.recommendations import recommend_applications
from pulje.assessment.services.rubrics import (
    CriterionChange,
    ScoreInput,
    ensure_rubric,
    rubric_is_locked,
    save_scores,
    submit_scores,
    update_rubric,
)

__all__ = [
    "ASSIGNABLE",
    "AssessmentRefused",
    "CriterionChange",
    "ScoreInput",
    "add_assessor",
    "assign_assessor",
    "declare_interest",
    "ensure_rubric",
    "recommend_applications",
    "remove_assessor",
    "rubric_is_locked",
    "save_scores",
    "send_assignment_notice",
    "submit_scores",
    "update_rubric",
]
