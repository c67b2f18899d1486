from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pulje.core.access import logged_in, request_user
from pulje.core.jobs import JobRefused
from pulje.letters.permissions import (
    can_retry_job,
    get_job_for_follower_or_404,
    get_letter_for_reader_or_404,
)
from pulje.letters.selectors import letters_of_job
from pulje.letters.services import retry_job


@require_GET
@logged_in
def job(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress; htmx asks for the progress part every 2 seconds until it ends."""
    found = get_job_for_follower_or_404(request_user(request), pk)
    context = {
        "job": found,
        "letters": letters_of_job(found) if found.is_finished else [],
        "may_retry": can_retry_job(request_user(request), found),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "letters/_job_progress.html", context)
    return render(request, "letters/job.html", context)


@require_POST
@logged_in
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_job_for_follower_or_404(request_user(request), pk)
    if not can_retry_job(request_user(request), found):
        raise Http404
    try:
        retry_job(actor=request_user(request), job=found)
    except JobRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The job has been queued again."))
    return redirect("letters:job", pk=found.pk)


@require_GET
@logged_in
def download(request: HttpRequest, pk: int) -> FileResponse:
    letter = get_letter_for_reader_or_404(request_user(request), pk)
    return FileResponse(
        letter.file.open("rb"),
        as_attachment=True,
        filename=letter.filename,
        content_type="application/pdf",
    )
