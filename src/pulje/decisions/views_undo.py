"""Undoing a batch of decisions before its letters are sent: a page that lists what will be
undone, with the time left, and asks to confirm (its own module, beside ``views``)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from pulje.calls.permissions import can_work_call
from pulje.core.access import logged_in, request_user
from pulje.decisions.forms import UndoDecisionsForm
from pulje.decisions.selectors import decisions_of_job
from pulje.decisions.services import DecisionRefused, undo_decisions
from pulje.letters.permissions import get_job_for_follower_or_404


@require_http_methods(["GET", "POST"])
@logged_in
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo the decisions of a letters job still waiting for its time, once confirmed. Who
    may follow the job sees the page (404 for anyone else); the service refuses anyone but
    the calls' caseworkers, and a job whose time has come; a POST from anyone else is not
    found."""
    user = request_user(request)
    job = get_job_for_follower_or_404(user, pk)
    decisions = decisions_of_job(job)
    # Undone, the decisions are gone: the job still names its call.
    calls = {decision.application.call for decision in decisions} or (
        {job.call} if job.call else set()
    )
    works = bool(calls) and all(can_work_call(user, call) for call in calls)
    if request.method == "POST" and not works:
        raise Http404
    form = UndoDecisionsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            undone = undo_decisions(actor=user, job=job)
        except DecisionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d decision is undone. No letter is sent.",
                    "%(count)d decisions are undone. No letters are sent.",
                    len(undone),
                )
                % {"count": len(undone)},
            )
            return redirect("letters:job", pk=job.pk)
    return render(
        request,
        "decisions/undo.html",
        {
            "job": job,
            "decisions": decisions,
            "form": form,
            "may_undo": works and job.is_waiting and bool(decisions),
        },
        status=400 if form.errors else 200,
    )
