"""The panel, declarations, the rubric, scoring and recommendations: every rule and refusal."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import translation

from pulje.accounts.models import User
from pulje.applications.models import ApplicationStatus
from pulje.assessment.aggregates import ScoreSummary
from pulje.assessment.models import (
    Assignment,
    AssignmentState,
    Criterion,
    PanelMember,
    Recommendation,
    Rubric,
    Score,
)
from pulje.assessment.selectors import (
    assignable_assessors,
    moderation_list,
    my_assignments,
    score_summaries,
)
from pulje.assessment.services import (
    AssessmentRefused,
    CriterionChange,
    ScoreInput,
    add_assessor,
    declare_interest,
    ensure_rubric,
    recommend_applications,
    remove_assessor,
    save_scores,
    submit_scores,
    update_rubric,
)
from pulje.core.models import AuditEvent
from tests.factories.assessment import (
    Panel,
    assigned,
    housing_member,
    score_all,
    screened_application,
)

pytestmark = pytest.mark.django_db


def nothing_written(before: tuple[int, ...]) -> bool:
    return before == counts()


def counts() -> tuple[int, ...]:
    return (
        AuditEvent.objects.count(),
        Assignment.objects.count(),
        Score.objects.exclude(value=None).count(),
        Recommendation.objects.count(),
        PanelMember.objects.count(),
    )


def refusal(service: Callable[..., object], /, **kwargs: object) -> str:
    before = counts()
    with translation.override("en"), pytest.raises(AssessmentRefused) as refused:
        service(**kwargs)
    assert counts() == before
    return refused.value.message


# The panel


def test_add_assessor_registers_a_new_person_without_a_password(panel: Panel) -> None:
    member = add_assessor(
        actor=panel.caseworker, call=panel.call, email="Ny@Example.dk", name="Nina Ny"
    )
    assert (member.user.email, member.user.name) == ("ny@example.dk", "Nina Ny")
    assert not member.user.has_usable_password()
    assert AuditEvent.objects.filter(action="assessment.panelmember.added").count() == 3


def test_add_assessor_twice_changes_nothing(panel: Panel) -> None:
    before = counts()
    member = add_assessor(actor=panel.caseworker, call=panel.call, email="ALICE@example.dk")
    assert member.user == panel.alice
    assert counts() == before


def test_only_the_secretariat_manages_the_panel(panel: Panel) -> None:
    assert (
        refusal(add_assessor, actor=panel.funder, call=panel.call, email="x@example.dk")
        == "Only the call's secretariat may do that."
    )
    member = PanelMember.objects.get(user=panel.alice)
    assert (
        refusal(remove_assessor, actor=panel.alice, member=member)
        == "Only the call's secretariat may do that."
    )
    assert not User.objects.filter(email="x@example.dk").exists()


def test_remove_assessor_is_refused_while_they_have_open_work(panel: Panel) -> None:
    application = screened_application(panel.call)
    assigned(panel, application, panel.alice, declare=False)
    member = PanelMember.objects.get(user=panel.alice)
    assert refusal(remove_assessor, actor=panel.caseworker, member=member) == (
        "Alice still has 1 assignments to finish. They cannot be removed from the panel until "
        "these are done."
    )


def test_remove_assessor_after_their_work_is_done(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice)
    score_all(panel, assignment, [3, 3, 3, 3, 3, 3])
    remove_assessor(actor=panel.caseworker, member=PanelMember.objects.get(user=panel.alice))
    assert list(PanelMember.objects.values_list("user__name", flat=True)) == ["Bob"]
    # The scores stay.
    assert score_summaries([application])[application.pk].count == 1


# Conflicts of interest


def test_a_member_of_the_applicant_is_never_offered(panel: Panel) -> None:
    application = screened_application(panel.call)
    insider = housing_member(application)
    add_assessor(actor=panel.caseworker, call=panel.call, email=insider.email)
    assert assignable_assessors(application) == [panel.alice, panel.bob]
    assigned(panel, application, panel.alice, declare=False)
    assert assignable_assessors(application) == [panel.bob]


def test_declaring_no_conflict_opens_scoring(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice, declare=False)
    declare_interest(actor=panel.alice, assignment=assignment, conflict=False, note="ignored")
    assignment.refresh_from_db()
    assert (assignment.state, assignment.conflict_note) == (AssignmentState.TO_SCORE, "")
    event = AuditEvent.objects.get(action="assessment.assignment.declared")
    assert event.after is not None
    assert (event.actor, event.before, event.after["state"]) == (
        panel.alice,
        {"state": "to_declare"},
        "to_score",
    )


def test_declaring_a_conflict_hides_the_application_for_good(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice, declare=False)
    declare_interest(
        actor=panel.alice, assignment=assignment, conflict=True, note="  Min bror er formand "
    )
    assignment.refresh_from_db()
    assert (assignment.state, assignment.conflict_note) == (
        AssignmentState.CONFLICTED,
        "Min bror er formand",
    )
    assert my_assignments(panel.alice) == []
    assert assignable_assessors(application) == [panel.bob]
    # The caseworker assigns someone else.
    assigned(panel, application, panel.bob)
    assert my_assignments(panel.bob)[0].application == application


def test_declaring_twice_or_for_someone_else_is_refused(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice, declare=False)
    assert (
        refusal(declare_interest, actor=panel.bob, assignment=assignment, conflict=True)
        == "Only the assessor can declare for their assignment."
    )
    declare_interest(actor=panel.alice, assignment=assignment, conflict=False)
    assert (
        refusal(declare_interest, actor=panel.alice, assignment=assignment, conflict=True)
        == "You have declared for this application already."
    )


def test_a_stale_declaration_loses_the_compare_and_swap(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice, declare=False)
    stale = Assignment.objects.get(pk=assignment.pk)
    declare_interest(actor=panel.alice, assignment=assignment, conflict=True)
    assert (
        refusal(declare_interest, actor=panel.alice, assignment=stale, conflict=False)
        == "The assignment was changed at the same time elsewhere. Reload the page."
    )
    stale.refresh_from_db()
    assert stale.state == AssignmentState.CONFLICTED


# The rubric


def test_ensure_rubric_creates_the_default_criteria_once(panel: Panel) -> None:
    rubric = ensure_rubric(actor=panel.caseworker, call=panel.call)
    assert ensure_rubric(actor=panel.caseworker, call=panel.call) == rubric
    assert list(rubric.criteria.values_list("title", "weight")) == [
        ("The purpose fits the pool", 1),
        ("The target group fits", 1),
        ("The activities can deliver", 1),
        ("Coherence", 1),
        ("Budget", 1),
        ("Partnership with local associations", 1),
    ]
    assert (rubric.scale_min, rubric.scale_max, rubric.blind_review) == (1, 5, False)
    assert AuditEvent.objects.filter(action="assessment.rubric.created").count() == 1


def test_update_rubric_changes_weights_until_the_first_score(panel: Panel) -> None:
    rubric = ensure_rubric(actor=None, call=panel.call)
    first = rubric.criteria.first()
    assert first is not None
    change = CriterionChange(number=1, title="Formål", description="Passer det?", weight=3)
    update_rubric(
        actor=panel.caseworker,
        call=panel.call,
        criteria=[change],
        blind_review=True,
        normalise=False,
        disagreement_threshold=Decimal("1.00"),
    )
    first.refresh_from_db()
    rubric.refresh_from_db()
    assert (first.title, first.description, first.weight) == ("Formål", "Passer det?", 3)
    assert (rubric.blind_review, rubric.disagreement_threshold) == (True, Decimal("1.00"))
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice)
    save_scores(actor=panel.alice, assignment=assignment, values={first.pk: (4, "")})
    message = refusal(
        update_rubric,
        actor=panel.caseworker,
        call=panel.call,
        criteria=[CriterionChange(number=1, title="Formål", description="", weight=1)],
        blind_review=True,
        normalise=False,
        disagreement_threshold=Decimal("1.00"),
    )
    assert message == "Scoring has begun: the criteria and their weights can no longer change."
    # The settings may still change.
    update_rubric(
        actor=panel.caseworker,
        call=panel.call,
        criteria=[],
        blind_review=False,
        normalise=True,
        disagreement_threshold=Decimal("2.00"),
    )
    rubric.refresh_from_db()
    assert (rubric.blind_review, rubric.normalise) == (False, True)


def test_update_rubric_refuses_outsiders(panel: Panel) -> None:
    ensure_rubric(actor=None, call=panel.call)
    message = refusal(
        update_rubric,
        actor=panel.funder,
        call=panel.call,
        criteria=[],
        blind_review=True,
        normalise=False,
        disagreement_threshold=Decimal("1.50"),
    )
    assert message == "Only the call's secretariat may do that."
    assert Rubric.objects.get().blind_review is False


# Scoring


def criteria_of(panel: Panel) -> list[Criterion]:
    return list(ensure_rubric(actor=None, call=panel.call).criteria.all())


def test_save_scores_keeps_a_draft_and_submit_needs_everything(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice)
    criteria = criteria_of(panel)
    save_scores(actor=panel.alice, assignment=assignment, values={criteria[0].pk: (4, " God ")})
    assert list(assignment.scores.values_list("criterion_id", "value", "justification")) == [
        (criteria[0].pk, 4, "God"),
        *[(c.pk, None, "") for c in criteria[1:]],
    ]
    values: dict[int, ScoreInput] = {c.pk: (3, "Begrundet") for c in criteria}
    values[criteria[1].pk] = (None, "Mangler tal")
    values[criteria[2].pk] = (2, "")
    message = refusal(submit_scores, actor=panel.alice, assignment=assignment, values=values)
    assert message == (
        "Every criterion needs a score and a justification. Missing: The target group fits, "
        "The activities can deliver."
    )
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.TO_SCORE


def test_submit_scores_is_final_and_audited(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice)
    score_all(panel, assignment, [5, 4, 3, 2, 1, 5])
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.SUBMITTED
    assert assignment.submitted_at is not None
    event = AuditEvent.objects.get(action="assessment.assignment.submitted")
    assert event.after is not None
    assert sorted(v[0] for v in event.after["scores"].values()) == [1, 2, 3, 4, 5, 5]
    criteria = criteria_of(panel)
    assert (
        refusal(
            save_scores,
            actor=panel.alice,
            assignment=assignment,
            values={criteria[0].pk: (1, "")},
        )
        == "Your scores are submitted and can no longer change."
    )


def test_scoring_is_refused_before_the_declaration_and_for_others(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice, declare=False)
    criteria = criteria_of(panel)
    values = {criteria[0].pk: (3, "x")}
    assert (
        refusal(save_scores, actor=panel.alice, assignment=assignment, values=values)
        == "Declare your conflicts of interest first."
    )
    assert (
        refusal(save_scores, actor=panel.bob, assignment=assignment, values=values)
        == "Only the assessor can score their assignment."
    )


def test_a_score_outside_the_scale_is_refused(panel: Panel) -> None:
    application = screened_application(panel.call)
    assignment = assigned(panel, application, panel.alice)
    criteria = criteria_of(panel)
    assert (
        refusal(
            save_scores,
            actor=panel.alice,
            assignment=assignment,
            values={criteria[0].pk: (6, "")},
        )
        == "A score must be from 1 to 5."
    )
    assert (
        refusal(
            save_scores,
            actor=panel.alice,
            assignment=assignment,
            values={criteria[-1].pk + 1000: (3, "")},
        )
        == "That criterion is not in this rubric."
    )


def test_weights_count_in_the_summary(panel: Panel) -> None:
    rubric = ensure_rubric(actor=None, call=panel.call)
    first = rubric.criteria.first()
    assert first is not None
    Criterion.objects.filter(pk=first.pk).update(weight=5)
    application = screened_application(panel.call)
    # (5×5 + 1×5) / 10 = 3.0
    score_all(panel, assigned(panel, application, panel.alice), [5, 1, 1, 1, 1, 1])
    assert score_summaries([application])[application.pk] == ScoreSummary(
        mean=3.0, spread=None, count=1, flagged=False
    )


def test_normalisation_compares_assessors_on_their_own_scale(panel: Panel) -> None:
    Rubric.objects.filter(pk=ensure_rubric(actor=None, call=panel.call).pk).update(normalise=True)
    better = screened_application(panel.call)
    worse = screened_application(panel.call, title="Strikkeklub")
    # Alice is strict, Bob generous; both prefer the better one.
    score_all(panel, assigned(panel, better, panel.alice), [2] * 6)
    score_all(panel, assigned(panel, worse, panel.alice), [1] * 6)
    score_all(panel, assigned(panel, better, panel.bob), [5] * 6)
    score_all(panel, assigned(panel, worse, panel.bob), [4] * 6)
    summaries = score_summaries([better, worse])
    assert summaries[better.pk] == ScoreSummary(
        mean=3.5, spread=3.0, count=2, flagged=True, normalised_mean=1.0
    )
    # Asked alone, the z-scores still compare across the call.
    assert score_summaries([worse])[worse.pk].normalised_mean == -1.0
    assert [a for a, _ in moderation_list(panel.call)] == sorted(
        [better, worse], key=lambda a: a.reference
    )


# Recommendations


def test_recommend_applications_moves_each_and_records_the_reason(panel: Panel) -> None:
    first = screened_application(panel.call)
    second = screened_application(panel.call, title="Strikkeklub")
    assigned(panel, first, panel.alice)
    assigned(panel, second, panel.alice)
    made = recommend_applications(
        actor=panel.caseworker,
        applications=[first, second],
        recommended=True,
        reason=" Stærk ansøgning ",
    )
    assert [(r.recommended, r.reason) for r in made] == [(True, "Stærk ansøgning")] * 2
    first.refresh_from_db()
    assert first.status == ApplicationStatus.RECOMMENDED
    event = AuditEvent.objects.filter(action="applications.application.recommended").last()
    assert event is not None
    assert event.after["reason"] == "Stærk ansøgning"
    # Moderation may change it before the decision.
    recommend_applications(
        actor=panel.caseworker, applications=[first], recommended=False, reason="Omvurderet"
    )
    first.refresh_from_db()
    assert first.status == ApplicationStatus.NOT_RECOMMENDED


def test_recommend_applications_refusals_write_nothing(panel: Panel) -> None:
    ready = screened_application(panel.call)
    assigned(panel, ready, panel.alice)
    not_assessed = screened_application(panel.call, title="Strikkeklub")
    assert (
        refusal(
            recommend_applications,
            actor=panel.caseworker,
            applications=[ready],
            recommended=True,
            reason="  ",
        )
        == "Give the reason for the recommendation."
    )
    assert (
        refusal(
            recommend_applications,
            actor=panel.funder,
            applications=[ready],
            recommended=True,
            reason="God",
        )
        == "Only the call's secretariat may do that."
    )
    assert refusal(
        recommend_applications,
        actor=panel.caseworker,
        applications=[ready, not_assessed],
        recommended=True,
        reason="God",
    ) == (
        f"Application {not_assessed.reference}: An application that is “screened” cannot be "
        "changed that way."
    )
    ready.refresh_from_db()
    assert ready.status == ApplicationStatus.IN_ASSESSMENT
    recommend_applications(
        actor=panel.caseworker, applications=[ready], recommended=True, reason="God"
    )
    assert (
        refusal(
            recommend_applications,
            actor=panel.caseworker,
            applications=[ready],
            recommended=True,
            reason="God",
        )
        == f"Application {ready.reference} has this recommendation already."
    )
