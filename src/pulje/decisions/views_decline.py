"""The grantee's no thanks to a grant: a page that says what will happen, and asks to
confirm (its own module, beside the decision pages in ``views``)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pulje.applications.workflow import APPLICATION
from pulje.core.access import logged_in, request_user
from pulje.decisions.forms import DeclineForm
from pulje.decisions.permissions import get_decision_for_applicant_or_404
from pulje.decisions.services import DecisionRefused, decline_grant


@require_http_methods(["GET", "POST"])
@logged_in
def decline(request: HttpRequest, uuid: str) -> HttpResponse:
    """Decline a grant not yet accepted, once confirmed; members of the applying organisation
    only (404 for anyone else). A grant no longer awaiting acceptance goes back to its page."""
    user = request_user(request)
    decision = get_decision_for_applicant_or_404(user, uuid)
    if not APPLICATION.allowed(decision.application, "decline"):
        messages.error(
            request, _("The grant is not awaiting acceptance, so it can no longer be declined.")
        )
        return redirect("decisions:accept", uuid=uuid)
    form = DeclineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            decline_grant(actor=user, decision=decision)
        except DecisionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request, _("You have declined the grant. The secretariat has been told.")
            )
            return redirect("decisions:accept", uuid=uuid)
    return render(
        request,
        "decisions/decline.html",
        {"decision": decision, "application": decision.application, "form": form},
        status=400 if form.errors else 200,
    )
