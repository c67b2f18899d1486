from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pulje.applications.forms import ApplicationForm, AttachmentForm, draft_initial
from pulje.applications.models import Application
from pulje.applications.permissions import (
    get_application_for_applicant_or_404,
    get_attachment_for_applicant_or_404,
)
from pulje.applications.presenters import content_context, draft_data, submission_content
from pulje.applications.selectors import (
    applicant_timeline,
    check_submission,
    dashboard_applications,
    draft_to_resume,
    edit_refusal,
    fingerprint,
    latest_version,
    next_step,
    organisations_that_may_apply,
    unsent_changes,
)
from pulje.applications.services import (
    add_attachment,
    not_open_to,
    remove_attachment,
    save_draft,
    start_application,
    submit_application,
    withdraw_application,
)
from pulje.applications.uploads import attachment_response
from pulje.applications.workflow import ApplicationRefused
from pulje.calls.permissions import get_call_or_404
from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error
from pulje.core.navigation import remember_return
from pulje.registry.permissions import is_proven_member
from pulje.registry.selectors import organisations_of

AUTOSAVE_FIELDS = "_fields"


@logged_in
def dashboard(request: HttpRequest) -> HttpResponse:
    applications = dashboard_applications(request_user(request))
    rows = [
        (application, next_step(application, application.latest_version))  # type: ignore[attr-defined]
        for application in applications
    ]
    return render(request, "applications/dashboard.html", {"rows": rows})


@require_POST
@logged_in
def start(request: HttpRequest, code: str) -> HttpResponse:
    call = get_call_or_404(code)
    user = request_user(request)
    organisations = organisations_that_may_apply(user, call)
    if not organisations and not organisations_of(user):
        messages.info(request, _("First tell us which organisation you apply for."))
        remember_return(request, reverse("calls:detail", kwargs={"code": code}))
        return redirect("registry:onboarding")
    chosen = request.POST.get("organisation")
    if chosen:
        organisations = [o for o in organisations if str(o.pk) == chosen]
    if not organisations:
        # The organisation the person acts for is of a kind the call is not open to: say so.
        others = [o for o in organisations_of(user) if not chosen or str(o.pk) == chosen]
        messages.error(
            request,
            not_open_to(call, others[0])
            if others
            else _(
                "You must act for an organisation that may apply to this call. Register your "
                "organisation first."
            ),
        )
        return redirect("calls:detail", code=call.code)
    draft = None if request.POST.get("another") else draft_to_resume(user, call, organisations)
    if draft is not None:
        messages.info(request, _("You have begun an application to this call already: here it is."))
        return redirect("applications:edit", uuid=draft.uuid)
    try:
        application = start_application(actor=user, call=call, organisation=organisations[0])
    except ApplicationRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("calls:detail", code=call.code)
    return redirect("applications:edit", uuid=application.uuid)


def _draft_form(application: Application) -> ApplicationForm:
    """The form with the applicant's own input, without errors until they ask for a check."""
    form = ApplicationForm(call=application.call, organisation=application.organisation)
    form.initial = draft_initial(form, application.draft)
    return form


def _checked_form(application: Application) -> ApplicationForm:
    """The form bound to the draft: it shows every message the draft would meet."""
    return ApplicationForm(
        data=draft_data(application), call=application.call, organisation=application.organisation
    )


def _form_context(request: HttpRequest, application: Application) -> dict[str, Any]:
    return {
        "application": application,
        "call": application.call,
        "attachment_form": AttachmentForm(call=application.call),
        "attachments": application.attachments.filter(removed_at__isnull=True).select_related(
            "question"
        ),
        "session_seconds": request.session.get_expiry_age(),
        "autosave_fields": AUTOSAVE_FIELDS,
        "unsent": unsent_changes(application, latest_version(application)),
    }


@require_http_methods(["GET", "POST"])
@logged_in
def edit(request: HttpRequest, uuid: str) -> HttpResponse:
    """The application on one page; "save" keeps the draft, "continue" checks it too."""
    application = get_application_for_applicant_or_404(request_user(request), uuid)
    not_editable = edit_refusal(application) if request.method == "GET" else None
    if not_editable is not None:
        messages.info(request, not_editable)
        return redirect("applications:dashboard")
    context = _form_context(request, application)
    if request.method == "POST":
        try:
            application = save_draft(
                actor=request_user(request),
                application=application,
                values={name: request.POST.getlist(name) for name in request.POST},
            )
        except ApplicationRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("applications:dashboard")
        if request.POST.get("action") != "check":
            messages.success(request, _("The draft is saved."))
            return redirect("applications:edit", uuid=application.uuid)
        form = _checked_form(application)
        if form.is_valid():
            return redirect("applications:check", uuid=application.uuid)
    else:
        form = _draft_form(application)
    context["form"] = form
    return render(request, "applications/edit.html", context)


@require_POST
@logged_in
def autosave(request: HttpRequest, uuid: str) -> HttpResponse:
    """Keep the fields the browser names in ``_fields`` (htmx sends the one just changed)."""
    application = get_application_for_applicant_or_404(request_user(request), uuid)
    names = request.POST.getlist(AUTOSAVE_FIELDS) or [
        name for name in request.POST if name not in {"csrfmiddlewaretoken", "action"}
    ]
    try:
        application = save_draft(
            actor=request_user(request),
            application=application,
            values={name: request.POST.getlist(name) for name in names},
        )
    except ApplicationRefused as refusal:
        return render(
            request, "applications/_autosave.html", {"error": refusal.message}, status=409
        )
    return render(request, "applications/_autosave.html", {"application": application})


@logged_in
def check(request: HttpRequest, uuid: str) -> HttpResponse:
    """ "Check your answers": everything that will be submitted, with links to change it."""
    application = get_application_for_applicant_or_404(request_user(request), uuid)
    checked = check_submission(application)
    if not checked.valid:
        messages.error(request, _("Some answers are missing or wrong. They are marked below."))
        context = _form_context(request, application)
        context["form"] = _checked_form(application)
        return render(request, "applications/edit.html", context)
    return render(
        request,
        "applications/check.html",
        {
            "application": application,
            "call": application.call,
            "problems": checked.problems,
            "unproven": not is_proven_member(request_user(request), application.organisation),
            "fingerprint": fingerprint(application),
            "read": checked.read,
            "attachment_route": "applications:attachment",
            **content_context(submission_content(application, checked.read)),
        },
    )


@require_POST
@logged_in
def submit(request: HttpRequest, uuid: str) -> HttpResponse:
    application = get_application_for_applicant_or_404(request_user(request), uuid)
    try:
        submission = submit_application(
            actor=request_user(request),
            application=application,
            confirmed=request.POST.get("fingerprint", ""),
        )
    except ApplicationRefused as refusal:
        messages.error(request, refusal.message)
        target = "applications:check" if refusal.code == "changed" else "applications:dashboard"
        return (
            redirect(target, uuid=application.uuid)
            if refusal.code == "changed"
            else redirect(target)
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("applications:check", uuid=application.uuid)
    if submission.new:
        messages.success(request, _("The application is submitted."))
    return redirect(
        f"{reverse('applications:receipt', kwargs={'uuid': application.uuid})}"
        f"?version={submission.version.number}"
    )


@logged_in
def receipt(request: HttpRequest, uuid: str) -> HttpResponse:
    """What was submitted, printable; an earlier version by ``?version=N``."""
    application = get_application_for_applicant_or_404(request_user(request), uuid)
    versions = list(application.versions.select_related("submitted_by").order_by("number"))
    if not versions:
        raise Http404
    wanted = request.GET.get("version")
    version = next((v for v in versions if str(v.number) == wanted), versions[-1])
    return render(
        request,
        "applications/receipt.html",
        {
            "application": application,
            "version": version,
            "versions": versions,
            "timeline": applicant_timeline(application),
            "step": next_step(application, versions[-1]),
            "attachment_route": "applications:attachment",
            **content_context(version.content),
        },
    )


@require_POST
@logged_in
def attach(request: HttpRequest, uuid: str) -> HttpResponse:
    application = get_application_for_applicant_or_404(request_user(request), uuid)
    form = AttachmentForm(request.POST, request.FILES, call=application.call)
    if form.is_valid():
        try:
            add_attachment(
                actor=request_user(request),
                application=application,
                upload=form.cleaned_data["file"],
                question=form.cleaned_data.get("question"),
            )
        except ApplicationRefused as refusal:
            form.add_error("file", refusal.message)
        except ValidationError as error:
            add_service_error(form, error, field="file")
    if form.errors:
        context = _form_context(request, application)
        context["attachment_form"] = form
        context["form"] = ApplicationForm(
            call=application.call, organisation=application.organisation
        )
        context["form"].initial = draft_initial(context["form"], application.draft)
        return render(request, "applications/edit.html", context, status=400)
    messages.success(request, _("The file is attached."))
    return redirect(f"{reverse('applications:edit', kwargs={'uuid': application.uuid})}#bilag")


@logged_in
def attachment(request: HttpRequest, uuid: str, pk: int) -> FileResponse:
    return attachment_response(get_attachment_for_applicant_or_404(request_user(request), uuid, pk))


@require_POST
@logged_in
def detach(request: HttpRequest, uuid: str, pk: int) -> HttpResponse:
    found = get_attachment_for_applicant_or_404(request_user(request), uuid, pk)
    try:
        remove_attachment(actor=request_user(request), attachment=found)
    except ApplicationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The file is removed."))
    return redirect(f"{reverse('applications:edit', kwargs={'uuid': uuid})}#bilag")


@require_http_methods(["GET", "POST"])
@logged_in
def withdraw(request: HttpRequest, uuid: str) -> HttpResponse:
    application = get_application_for_applicant_or_404(request_user(request), uuid)
    if request.method == "POST":
        try:
            withdraw_application(actor=request_user(request), application=application)
        except ApplicationRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("The application is withdrawn."))
        return redirect("applications:dashboard")
    return render(request, "applications/withdraw.html", {"application": application})
