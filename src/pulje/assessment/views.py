"""The assessor's pages (their assignments, the declaration, scoring) and the caseworker's
(panel, rubric, one application's assessment, results and moderation).

Every view loads through a ``get_…_for_<role>_or_404`` loader of a ``permissions`` module:
anyone without the right to the object gets 404, so a page never says whether an
application they may not see exists.
"""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pulje.applications.models import Application
from pulje.applications.presenters import content_context
from pulje.applications.selectors import latest_version
from pulje.applications.uploads import attachment_response
from pulje.assessment import selectors
from pulje.assessment.forms import (
    AddAssessorForm,
    AssignForm,
    DeclarationForm,
    RecommendForm,
    RubricForm,
    ScoreForm,
)
from pulje.assessment.models import AssignmentState, PanelMember
from pulje.assessment.permissions import (
    can_see_application,
    can_see_others_scores,
    get_assignment_for_assessor_or_404,
    get_attachment_for_assessor_or_404,
)
from pulje.assessment.services import (
    AssessmentRefused,
    add_assessor,
    assign_assessor,
    declare_interest,
    recommend_applications,
    remove_assessor,
    rubric_is_locked,
    save_scores,
    submit_scores,
    update_rubric,
)
from pulje.calls.permissions import get_call_for_caseworker_or_404, get_call_for_overseer_or_404
from pulje.casework.permissions import duty_context, get_application_for_caseworker_or_404
from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error


def _posted(request: HttpRequest) -> Any:
    """The form data of a POST (even an empty one, so it is validated), else None."""
    return request.POST if request.method == "POST" else None


@logged_in
def mine(request: HttpRequest) -> HttpResponse:
    assignments = selectors.my_assignments(request_user(request))
    groups = [
        (
            _("To declare conflicts of interest"),
            [a for a in assignments if a.state == AssignmentState.TO_DECLARE],
        ),
        (_("To score"), [a for a in assignments if a.state == AssignmentState.TO_SCORE]),
        (_("Done"), [a for a in assignments if a.state == AssignmentState.SUBMITTED]),
    ]
    return render(request, "assessment/mine.html", {"groups": groups, "any": bool(assignments)})


@require_http_methods(["GET", "POST"])
@logged_in
def declare(request: HttpRequest, uuid: str) -> HttpResponse:
    """The declaration of interests: the assessor sees only the reference and the applicant
    organisation's name here, enough to judge a conflict."""
    assignment = get_assignment_for_assessor_or_404(request_user(request), uuid)
    if assignment.state != AssignmentState.TO_DECLARE:
        return redirect("assessment:score", uuid=uuid)
    form = DeclarationForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            declare_interest(
                actor=request_user(request),
                assignment=assignment,
                conflict=form.cleaned_data["conflict"],
                note=form.cleaned_data["note"],
            )
        except AssessmentRefused as refusal:
            add_service_error(form, refusal)
        else:
            if form.cleaned_data["conflict"]:
                messages.success(
                    request,
                    _(
                        "Thank you. The application has been taken off your list, and the "
                        "secretariat will assign someone else."
                    ),
                )
                return redirect("assessment:mine")
            return redirect("assessment:score", uuid=uuid)
    return render(
        request,
        "assessment/declare.html",
        {"assignment": assignment, "application": assignment.application, "form": form},
    )


@require_http_methods(["GET", "POST"])
@logged_in
def score(request: HttpRequest, uuid: str) -> HttpResponse:
    assignment = get_assignment_for_assessor_or_404(request_user(request), uuid)
    user = request_user(request)
    if not can_see_application(user, assignment):
        return redirect("assessment:declare", uuid=uuid)
    application = assignment.application
    rubric, criteria = selectors.rubric_or_defaults(application.call)
    submitting = request.POST.get("action") == "submit"
    form = ScoreForm(
        _posted(request),
        rubric=rubric,
        criteria=criteria,
        scores=list(assignment.scores.all()),
        draft=request.method == "POST" and not submitting,
    )
    if assignment.state == AssignmentState.SUBMITTED:
        for field in form.fields.values():
            field.disabled = True
    elif request.method == "POST" and form.is_valid():
        try:
            if submitting:
                submit_scores(actor=user, assignment=assignment, values=form.values())
            else:
                save_scores(actor=user, assignment=assignment, values=form.values())
        except AssessmentRefused as refusal:
            add_service_error(form, refusal)
        else:
            messages.success(
                request,
                _("Your scores are submitted.") if submitting else _("Your draft is saved."),
            )
            return redirect("assessment:score", uuid=uuid)
    version = latest_version(application)
    if version is None:
        raise Http404
    others = (
        selectors.others_scores(assignment)
        if can_see_others_scores(assignment, blind_review=rubric.blind_review)
        else None
    )
    return render(
        request,
        "assessment/score.html",
        {
            "assignment": assignment,
            "application": application,
            "rubric": rubric,
            "form": form,
            "others": others,
            "submitted": assignment.state == AssignmentState.SUBMITTED,
            "attachment_route": "assessment:attachment",
            **content_context(for_assessors(version.content)),
        },
    )


@require_GET
@logged_in
def attachment(request: HttpRequest, uuid: str, pk: int) -> FileResponse:
    """A file of the application, for its assessor without a conflict of interest."""
    return attachment_response(get_attachment_for_assessor_or_404(request_user(request), uuid, pk))


# What an assessor is shown of the applicant: who it is and where, and who its contacts are
# (to see a conflict of interest). The payment account and the contacts' e-mail addresses and
# phone numbers are the secretariat's to use, not needed to judge a project: they are left out
# of the content altogether, so no template can show them.
ASSESSOR_ORGANISATION_FIELDS = (
    "cvr",
    "name",
    "kind",
    "housing_number",
    "address",
    "postal_code",
    "city",
    "municipality",
    "contact_name",
    "finance_name",
)


def for_assessors(content: dict[str, Any]) -> dict[str, Any]:
    """A submitted version's content without what assessors are not to see."""
    organisation = content["organisation"]
    return {
        **content,
        "organisation": {
            name: organisation[name]
            for name in ASSESSOR_ORGANISATION_FIELDS
            if name in organisation
        },
    }


@require_http_methods(["GET", "POST"])
@logged_in
def panel(request: HttpRequest, code: str) -> HttpResponse:
    call = get_call_for_caseworker_or_404(request_user(request), code)
    form = AddAssessorForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            member = add_assessor(
                actor=request_user(request),
                call=call,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
            )
        except AssessmentRefused as refusal:
            add_service_error(form, refusal)
        else:
            messages.success(
                request, _("%(name)s is on the assessor panel.") % {"name": member.user}
            )
            return redirect("assessment:panel", code=call.code)
    return render(
        request,
        "assessment/panel.html",
        {"call": call, "members": selectors.panel_of(call), "form": form},
    )


@require_POST
@logged_in
def panel_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    call = get_call_for_caseworker_or_404(request_user(request), code)
    member = get_object_or_404(PanelMember.objects.select_related("user", "call"), pk=pk, call=call)
    try:
        remove_assessor(actor=request_user(request), member=member)
    except AssessmentRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(name)s is off the assessor panel.") % {"name": member.user})
    return redirect("assessment:panel", code=call.code)


@require_http_methods(["GET", "POST"])
@logged_in
def rubric(request: HttpRequest, code: str) -> HttpResponse:
    call = get_call_for_caseworker_or_404(request_user(request), code)
    the_rubric, criteria = selectors.rubric_or_defaults(call)
    locked = rubric_is_locked(the_rubric)
    form = RubricForm(_posted(request), rubric=the_rubric, criteria=criteria, locked=locked)
    if request.method == "POST" and form.is_valid():
        try:
            update_rubric(
                actor=request_user(request),
                call=call,
                criteria=form.changes(),
                blind_review=form.cleaned_data["blind_review"],
                normalise=form.cleaned_data["normalise"],
                disagreement_threshold=form.cleaned_data["disagreement_threshold"],
            )
        except AssessmentRefused as refusal:
            add_service_error(form, refusal)
        else:
            messages.success(request, _("The rubric is saved."))
            return redirect("assessment:rubric", code=call.code)
    return render(
        request,
        "assessment/rubric.html",
        {"call": call, "rubric": the_rubric, "form": form, "locked": locked},
    )


def _application_page(
    request: HttpRequest,
    application: Application,
    *,
    assign_form: AssignForm | None = None,
    recommend_form: RecommendForm | None = None,
) -> HttpResponse:
    assessors = selectors.assignable_assessors(application)
    _rubric, criteria = selectors.rubric_or_defaults(application.call)
    return render(
        request,
        "assessment/application.html",
        {
            **duty_context(request_user(request), application, works=True),
            "application": application,
            "call": application.call,
            "criteria": criteria,
            "assignments": selectors.assignments_of_application(application),
            "summary": selectors.score_summaries([application])[application.pk],
            "assign_form": assign_form or AssignForm(assessors=assessors),
            "recommend_form": recommend_form or RecommendForm(),
            "recommendations": selectors.recommendations_of(application),
        },
    )


@require_http_methods(["GET", "POST"])
@logged_in
def assign(request: HttpRequest, uuid: str) -> HttpResponse:
    """One application's assessment for the caseworker: who assesses it, their scores with
    names, and the forms to assign someone and to recommend."""
    application = get_application_for_caseworker_or_404(request_user(request), uuid)
    if request.method != "POST":
        return _application_page(request, application)
    form = AssignForm(request.POST, assessors=selectors.assignable_assessors(application))
    if form.is_valid():
        try:
            assign_assessor(
                actor=request_user(request),
                applications=[application],
                assessor=form.cleaned_data["assessor"],
            )
        except AssessmentRefused as refusal:
            add_service_error(form, refusal, field="assessor")
        else:
            messages.success(
                request,
                _("%(name)s is assigned the application.")
                % {"name": form.cleaned_data["assessor"]},
            )
            return redirect("assessment:assign", uuid=uuid)
    return _application_page(request, application, assign_form=form)


@require_http_methods(["GET", "POST"])
@logged_in
def recommend(request: HttpRequest, uuid: str) -> HttpResponse:
    """Record the caseworker's recommendation; GET shows the application's assessment page
    (where the form is)."""
    application = get_application_for_caseworker_or_404(request_user(request), uuid)
    if request.method != "POST":
        return _application_page(request, application)
    form = RecommendForm(request.POST)
    if form.is_valid():
        try:
            recommend_applications(
                actor=request_user(request),
                applications=[application],
                recommended=form.cleaned_data["recommendation"],
                reason=form.cleaned_data["reason"],
            )
        except AssessmentRefused as refusal:
            add_service_error(form, refusal)
        else:
            messages.success(request, _("The recommendation is recorded."))
            return redirect("assessment:assign", uuid=uuid)
    return _application_page(request, application, recommend_form=form)


def _results_page(request: HttpRequest, code: str, *, flagged_only: bool) -> HttpResponse:
    call, works = get_call_for_overseer_or_404(request_user(request), code)
    rows = selectors.moderation_list(call) if flagged_only else selectors.results(call)
    context: dict[str, Any] = {
        "call": call,
        "rows": rows,
        "rubric": selectors.rubric_of(call),
        "flagged_only": flagged_only,
        "caseworker": works,
    }
    return render(request, "assessment/results.html", context)


@logged_in
def results(request: HttpRequest, code: str) -> HttpResponse:
    """The call's applications in assessment with their aggregates (caseworkers and
    funders; no assessors' names)."""
    return _results_page(request, code, flagged_only=False)


@logged_in
def moderation(request: HttpRequest, code: str) -> HttpResponse:
    """The applications whose assessors disagree beyond the call's threshold."""
    return _results_page(request, code, flagged_only=True)
