from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.presenters import content_context
from pulje.applications.selectors import latest_version
from pulje.applications.uploads import attachment_response
from pulje.applications.workflow import ApplicationRefused
from pulje.assessment.selectors import assessors_of
from pulje.assessment.services import AssessmentRefused, assign_assessor, recommend_applications
from pulje.calls.models import Call
from pulje.calls.permissions import get_call_for_overseer_or_404
from pulje.casework.permissions import (
    duty_context,
    get_application_for_overseer_or_404,
    get_attachment_for_caseworker_or_404,
)
from pulje.casework.selectors import latest_screening, screenings_of
from pulje.casework.services import (
    declare_caseworker_conflict,
    override_screening,
    screen_applications,
)
from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error
from pulje.decisions.brakes import brake_items
from pulje.decisions.confirmation import preview_decisions
from pulje.decisions.forms import ConfirmDecisionsForm
from pulje.decisions.services import DecisionRefused, decide_applications
from pulje.decisions.views_confirm import render_confirmation
from pulje.desk.forms import (
    BulkForm,
    BulkRecommendForm,
    ConflictForm,
    OverrideForm,
    QueueFilterForm,
)
from pulje.desk.selectors import (
    application_timeline,
    awaiting_approval_count,
    casework_calls,
    letters_jobs,
    queue,
    queue_totals,
)
from pulje.desk.start import call_tasks, roles_of, start_page, start_tasks
from pulje.registry.permissions import is_caseworker
from pulje.registry.selectors import requests_for

PAGE_SIZE = 50


@require_GET
@logged_in
def start(request: HttpRequest) -> HttpResponse:
    """Where login lands: the start page of the user's one role, the tasks of each of their
    roles when they have several, and the organisation's registration for a newcomer."""
    user = request_user(request)
    roles = roles_of(user)
    page = start_page(roles)
    if page is not None:
        return redirect(page)
    if roles.count == 0:
        return redirect("core:home" if user.is_staff else "registry:onboarding")
    return render(request, "desk/start.html", {"tasks": start_tasks(user, roles=roles)})


@logged_in
def calls(request: HttpRequest) -> HttpResponse:
    """The caseworker's start page: the calls the user works (secretariat), each with its
    next tasks counted, or oversees (funder)."""
    user = request_user(request)
    return render(
        request,
        "desk/calls.html",
        {
            "rows": call_tasks(casework_calls(user)),
            "requests": len(requests_for(user)),
            "verifies_partners": is_caseworker(user),
        },
    )


def _queue_context(
    params: QueryDict,
    call: Call,
    works: bool,
    user: User,
    *,
    bulk_form: BulkForm | None = None,
    recommend_form: BulkRecommendForm | None = None,
) -> dict[str, Any]:
    filter_form = QueueFilterForm(params or None, call=call)
    rows = queue(call, filter_form.filters(), user=user)
    page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    query.pop("choose", None)
    if works and bulk_form is None:
        bulk_form = BulkForm(call=call, assessors=assessors_of(call))
    if works and recommend_form is None:
        recommend_form = BulkRecommendForm(call=call)
    return {
        "call": call,
        "works": works,
        "filter_form": filter_form,
        "bulk_form": bulk_form,
        "recommend_form": recommend_form,
        "page": page,
        # Without JavaScript, "choose all on the page" is this link: the page again, ticked.
        "choose_page": params.get("choose") == "page",
        "query": query.urlencode(),
        "totals": queue_totals(call, rows),
        "letters_jobs": letters_jobs(call) if works else [],
        "awaiting_me": awaiting_approval_count(call, user) if works else 0,
    }


@logged_in
def queue_view(request: HttpRequest, code: str) -> HttpResponse:
    """The caseworker's queue: the call's submitted applications, filtered, sorted, paged;
    bulk actions for the secretariat, reading only for the funder."""
    call, works = get_call_for_overseer_or_404(request_user(request), code)
    return render(
        request,
        "desk/queue.html",
        _queue_context(request.GET, call, works, request_user(request)),
    )


def _back_to_queue(call: Call, query: str) -> str:
    target = reverse("desk:queue", kwargs={"code": call.code})
    # Re-encoded: only a query string goes back, never anything else the form was sent.
    query = QueryDict(query).urlencode()
    return f"{target}?{query}" if query else target


@require_POST
@logged_in
def bulk(request: HttpRequest, code: str) -> HttpResponse:
    """One action on the chosen applications: all of them, or (refused) none."""
    call, works = get_call_for_overseer_or_404(request_user(request), code)
    if not works:
        raise PermissionDenied
    user = request_user(request)
    form = BulkForm(request.POST, call=call, assessors=assessors_of(call))
    query = request.POST.get("query", "")
    if not form.is_valid():
        return _bulk_refused(request, call, works, form)
    chosen = list(form.cleaned_data["applications"])
    action = form.cleaned_data["action"]
    if action in {"grant", "reject"}:
        return _decide(request, call, user, chosen, form)
    try:
        message = _act(user, action, chosen, form)
    except (ApplicationRefused, AssessmentRefused, DecisionRefused) as refusal:
        form.add_error(None, refusal.message)
        return _bulk_refused(request, call, works, form)
    messages.success(request, message)
    return redirect(_back_to_queue(call, query))


@require_POST
@logged_in
def bulk_recommend(request: HttpRequest, code: str) -> HttpResponse:
    """The chosen applications recommended, or not, with one reason: all of them, or
    (refused) none."""
    call, works = get_call_for_overseer_or_404(request_user(request), code)
    if not works:
        raise PermissionDenied
    form = BulkRecommendForm(request.POST, call=call)
    if form.is_valid():
        chosen = list(form.cleaned_data["applications"])
        try:
            recommend_applications(
                actor=request_user(request),
                applications=chosen,
                recommended=form.cleaned_data["recommendation"],
                reason=form.cleaned_data["recommendation_reason"],
            )
        except AssessmentRefused as refusal:
            add_service_error(form, refusal)
        else:
            messages.success(
                request,
                ngettext(
                    "The recommendation of %(count)d application is recorded.",
                    "The recommendation of %(count)d applications is recorded.",
                    len(chosen),
                )
                % {"count": len(chosen)},
            )
            return redirect(_back_to_queue(call, request.POST.get("query", "")))
    params = QueryDict(request.POST.get("query", ""))
    context = _queue_context(params, call, works, request_user(request), recommend_form=form)
    context["chosen"] = set(request.POST.getlist("applications"))
    return render(request, "desk/queue.html", context, status=400)


def _act(user: User, action: str, chosen: list[Application], form: BulkForm) -> str:
    """Screen again or assign (grants and rejections go through ``_decide``)."""
    count = len(chosen)
    if action == "screen":
        screen_applications(actor=user, applications=chosen)
        return ngettext(
            "%(count)d application was screened again.",
            "%(count)d applications were screened again.",
            count,
        ) % {"count": count}
    assessor = form.chosen_assessor
    added = assign_assessor(actor=user, applications=chosen, assessor=assessor)
    return ngettext(
        "%(count)d application was assigned to %(name)s.",
        "%(count)d applications were assigned to %(name)s.",
        added,
    ) % {"count": added, "name": assessor.name or assessor.email}


def _decide(
    request: HttpRequest, call: Call, user: User, chosen: list[Application], form: BulkForm
) -> HttpResponse:
    """A bulk grant or rejection: the confirmation of what it decides, then, confirmed with
    the confirmation's token, the decisions (``decide_applications`` checks the token)."""
    action = form.cleaned_data["action"]
    reason_code = form.cleaned_data.get("reason_code", "") if action == "reject" else ""
    decide_chosen = partial(
        decide_applications,
        actor=user,
        applications=chosen,
        outcome=action,
        reason_code=reason_code,
        reason_text=form.cleaned_data.get("reason_text", ""),
    )
    confirm = ConfirmDecisionsForm(request.POST) if "confirm" in request.POST else None
    error = ""
    if confirm is not None and confirm.is_valid():
        try:
            decisions = decide_chosen(**confirm.arguments())
        except DecisionRefused as refusal:
            error = refusal.message
        else:
            messages.success(request, _decided_message(action, len(decisions)))
            return redirect(_back_to_queue(call, request.POST.get("query", "")))
    preview = preview_decisions(
        call=call,
        items=brake_items(chosen, action, reason_code=reason_code),
        act=lambda: decide_chosen(queue_letters=False),
    )
    return render_confirmation(
        request,
        call,
        preview,
        action=reverse("desk:bulk", kwargs={"code": call.code}),
        back=_back_to_queue(call, request.POST.get("query", "")),
        error=error,
    )


def _decided_message(action: str, count: int) -> str:
    if action == "grant":
        return ngettext(
            "%(count)d application was granted. The letters are being made.",
            "%(count)d applications were granted. The letters are being made.",
            count,
        ) % {"count": count}
    return ngettext(
        "%(count)d application was rejected. The letters are being made.",
        "%(count)d applications were rejected. The letters are being made.",
        count,
    ) % {"count": count}


def _bulk_refused(request: HttpRequest, call: Call, works: bool, form: BulkForm) -> HttpResponse:
    """The queue again, as the caseworker left it, with the refusal in the error summary."""
    params = QueryDict(request.POST.get("query", ""))
    context = _queue_context(params, call, works, request_user(request), bulk_form=form)
    context["chosen"] = {str(a.pk) for a in form.cleaned_data.get("applications", [])} or set(
        request.POST.getlist("applications")
    )
    return render(request, "desk/queue.html", context, status=400)


@logged_in
def application(request: HttpRequest, uuid: str) -> HttpResponse:
    """Everything about one application for the secretariat (and, reading, the funder)."""
    found, works = get_application_for_overseer_or_404(request_user(request), uuid)
    return render(
        request,
        "desk/application.html",
        _application_context(found, works, request_user(request)),
    )


def _application_context(
    application: Application,
    works: bool,
    user: User,
    *,
    override_form: OverrideForm | None = None,
    conflict_form: ConflictForm | None = None,
) -> dict[str, Any]:
    version = latest_version(application)
    screenings = screenings_of(application)
    latest = screenings[0] if screenings else None
    duty = duty_context(user, application, works)
    acts = works and duty["conflict"] is None
    if acts and latest is not None and override_form is None:
        override_form = OverrideForm(initial={"outcome": latest.effective_outcome})
    return {
        **duty,
        "application": application,
        "call": application.call,
        "works": works,
        "conflict_form": (conflict_form or ConflictForm()) if works else None,
        "version": version,
        "screening": latest,
        "earlier_screenings": screenings[1:],
        "override_form": override_form if acts else None,
        "timeline": application_timeline(application),
        # The funder reads the case but does not download the applicant's files.
        "attachment_route": "desk:attachment" if works else None,
        **(content_context(version.content) if version else {}),
    }


@require_GET
@logged_in
def attachment(request: HttpRequest, uuid: str, pk: int) -> FileResponse:
    """A file the application's latest version lists, for its call's caseworker."""
    return attachment_response(
        get_attachment_for_caseworker_or_404(request_user(request), uuid, pk)
    )


@require_POST
@logged_in
def override(request: HttpRequest, uuid: str) -> HttpResponse:
    """Set the latest screening's outcome by hand, with the reason."""
    found, works = get_application_for_overseer_or_404(request_user(request), uuid)
    if not works:
        raise PermissionDenied
    latest = latest_screening(found)
    if latest is None:
        raise Http404
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            override_screening(
                actor=request_user(request),
                screening=latest,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The screening's outcome is changed."))
            return redirect("desk:application", uuid=found.uuid)
    return render(
        request,
        "desk/application.html",
        _application_context(found, works, request_user(request), override_form=form),
        status=400,
    )


@require_POST
@logged_in
def declare_conflict(request: HttpRequest, uuid: str) -> HttpResponse:
    """The caseworker declares a conflict of interest with the application or its applicant."""
    found, works = get_application_for_overseer_or_404(request_user(request), uuid)
    if not works:
        raise PermissionDenied
    user = request_user(request)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            declare_caseworker_conflict(
                actor=user,
                application=found,
                scope=form.cleaned_data["scope"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Your conflict of interest is recorded. Another caseworker will act on it."),
            )
            return redirect("desk:application", uuid=found.uuid)
    return render(
        request,
        "desk/application.html",
        _application_context(found, works, user, conflict_form=form),
        status=400,
    )
