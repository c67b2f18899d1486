from functools import partial

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.workflow import APPLICATION
from pulje.calls.selectors import call_bands
from pulje.casework.permissions import (
    duty_context,
    free_caseworkers,
    get_application_for_caseworker_or_404,
    get_application_for_overseer_or_404,
)
from pulje.core.access import logged_in, request_user
from pulje.decisions.brakes import brake_items
from pulje.decisions.confirmation import preview_decisions
from pulje.decisions.forms import (
    AcceptForm,
    ConfirmDecisionsForm,
    GrantForm,
    ReduceForm,
    RejectForm,
    ReturnForm,
)
from pulje.decisions.models import Outcome
from pulje.decisions.permissions import get_decision_for_applicant_or_404
from pulje.decisions.selectors import (
    available_ore,
    decidable_outcomes,
    decision_of,
    grant_pool,
    open_proposal,
    waiting_letters_job,
)
from pulje.decisions.services import (
    Decided,
    DecisionRefused,
    accept_grant,
    approve_grant_proposals,
    decide_applications,
    return_grant_proposal,
)
from pulje.decisions.views_confirm import render_confirmation
from pulje.funds.selectors import second_approval_threshold
from pulje.letters.selectors import letters_for_applications

DecisionForm = GrantForm | ReduceForm | RejectForm


def _bound_form(chosen: str, request: HttpRequest, requested: int) -> DecisionForm:
    if chosen == "reduce":
        return ReduceForm(request.POST, prefix=chosen, requested_ore=requested)
    if chosen == "reject":
        return RejectForm(request.POST, prefix=chosen)
    return GrantForm(request.POST, prefix=chosen)


@require_http_methods(["GET", "POST"])
@logged_in
def decide(request: HttpRequest, uuid: str) -> HttpResponse:
    """One application's decision: grant in full, grant reduced or reject. The call's
    caseworkers decide; the funder above reads the page; anyone else gets a 404."""
    user = request_user(request)
    application, works = get_application_for_overseer_or_404(user, uuid)
    decision = decision_of(application)
    duty = duty_context(user, application, works)
    # A caseworker with a conflict of interest reads the page; the service refuses them.
    may_decide = works and duty["conflict"] is None
    requested = application.amount_ore or 0
    choices: dict[str, DecisionForm] = {
        "grant": GrantForm(prefix="grant"),
        "reduce": ReduceForm(prefix="reduce", requested_ore=requested),
        "reject": RejectForm(prefix="reject"),
    }
    failed: forms.Form | None = None
    if request.method == "POST":
        if not works:
            raise Http404
        chosen = request.POST.get("outcome", "")
        if decision is not None or chosen not in choices:
            messages.error(request, _("The application has already been decided."))
            return redirect("decisions:decide", uuid=uuid)
        form = _bound_form(chosen, request, requested)
        choices[chosen] = form
        if form.is_valid():
            arguments = form.arguments()
            amount = arguments["amount_ore"]
            decide_as_chosen = partial(
                decide_applications,
                actor=user,
                applications=[application],
                outcome=arguments["outcome"],
                reason_code=arguments["reason_code"],
                reason_text=arguments["reason_text"],
                amounts=None if amount is None else {application.pk: amount},
            )
            confirm = ConfirmDecisionsForm(request.POST) if "confirm" in request.POST else None
            if confirm is None or not confirm.is_valid():
                return _render_confirm(request, application, decide_as_chosen)
            try:
                decided = decide_as_chosen(**confirm.arguments())
            except DecisionRefused as refusal:
                return _render_confirm(
                    request, application, decide_as_chosen, error=refusal.message
                )
            if decided.proposals:
                messages.success(
                    request,
                    _("The grant is proposed. It is final when a second caseworker approves it."),
                )
            else:
                messages.success(request, _("The decision is made. The letter is being made."))
            return redirect("decisions:decide", uuid=uuid)
        failed = form
    return _render_decide(
        request, application, user, may_decide, choices=choices, failed=failed, duty=duty
    )


def _render_confirm(
    request: HttpRequest,
    application: Application,
    act: "partial[Decided]",
    *,
    error: str = "",
) -> HttpResponse:
    """The confirmation before one application is decided as ``act`` decides it, with the
    service's refusal of the last confirmation (``error``) if there was one."""
    arguments = act.keywords
    preview = preview_decisions(
        call=application.call,
        items=brake_items(
            [application],
            arguments["outcome"],
            amounts=arguments["amounts"],
            reason_code=arguments["reason_code"],
        ),
        act=lambda: act(queue_letters=False),
    )
    page = reverse("decisions:decide", kwargs={"uuid": application.uuid})
    return render_confirmation(
        request, application.call, preview, action=page, back=page, error=error
    )


def _render_decide(
    request: HttpRequest,
    application: Application,
    user: User,
    may_decide: bool,
    *,
    choices: dict[str, DecisionForm],
    failed: forms.Form | None,
    duty: dict[str, object],
    return_form: ReturnForm | None = None,
    status: int = 200,
) -> HttpResponse:
    decision = decision_of(application)
    bands = call_bands(application.call)
    band = grant_pool(application, bands)
    proposal = open_proposal(application)
    outcomes = decidable_outcomes(application) if may_decide and decision is None else frozenset()
    return render(
        request,
        "decisions/decide.html",
        {
            **duty,
            "application": application,
            "decision": decision,
            "proposal": proposal,
            # Four eyes: not the one who proposed it.
            "may_approve": may_decide
            and proposal is not None
            and proposal.proposed_by_id != user.pk,
            "may_return": may_decide and proposal is not None,
            "return_form": return_form or ReturnForm(),
            "approvers": (
                free_caseworkers(application.call, [application], besides=[user])
                if proposal is not None and proposal.proposed_by_id == user.pk
                else []
            ),
            "is_caseworker": may_decide,
            "may_grant": "grant" in outcomes,
            "may_reject": "reject" in outcomes,
            "forms": choices,
            "failed": failed,
            "band": band,
            "band_available": available_ore(band.pk) if band is not None else None,
            "second_approval_above": second_approval_threshold(band) if band else None,
            "budget_lines": application.budget_lines.all(),
            "letters": letters_for_applications([application.pk])[application.pk]
            if decision is not None
            else [],
            # Its undo window: who may decide may undo (the service checks again).
            "letters_job": waiting_letters_job(decision) if decision is not None else None,
        },
        status=status,
    )


@require_POST
@logged_in
def second_approval(request: HttpRequest, uuid: str) -> HttpResponse:
    """A second caseworker approves a proposed grant, or it is returned with a reason."""
    user = request_user(request)
    application = get_application_for_caseworker_or_404(user, uuid)
    proposal = open_proposal(application)
    if proposal is None:
        messages.error(request, _("The grant is not awaiting a second approval."))
        return redirect("decisions:decide", uuid=uuid)
    returning = request.POST.get("action") == "return"
    # Approving has nothing to fill in: its refusal is shown on an empty form of its own.
    form: forms.Form = ReturnForm(request.POST) if returning else forms.Form({})
    if form.is_valid():
        try:
            if returning:
                return_grant_proposal(
                    actor=user, proposal=proposal, reason=form.cleaned_data["reason"]
                )
            else:
                approve_grant_proposals(actor=user, proposals=[proposal])
        except DecisionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _("The grant is returned and can be decided again.")
                if returning
                else _("The grant is approved. The letter is being made."),
            )
            return redirect("decisions:decide", uuid=uuid)
    duty = duty_context(user, application, works=True)
    return _render_decide(
        request,
        application,
        user,
        duty["conflict"] is None,
        choices={},
        failed=form,
        duty=duty,
        return_form=form if isinstance(form, ReturnForm) else None,
        status=400,
    )


@require_http_methods(["GET", "POST"])
@logged_in
def accept(request: HttpRequest, uuid: str) -> HttpResponse:
    """The decision as the applicant sees it, and the acceptance of a grant by the accept-by
    date; members of the applying organisation only (404 for anyone else)."""
    user = request_user(request)
    decision = get_decision_for_applicant_or_404(user, uuid)
    application = decision.application
    awaiting = APPLICATION.allowed(application, "accept")
    late = awaiting and decision.accept_by is not None and timezone.localdate() > decision.accept_by
    form = AcceptForm(
        request.POST if request.method == "POST" else None,
        initial={"public_summary": application.summary},
        granted_ore=decision.amount_ore if decision.outcome == Outcome.REDUCED else None,
    )
    if request.method == "POST":
        if not awaiting:
            messages.error(request, _("The grant is not awaiting acceptance."))
            return redirect("decisions:accept", uuid=uuid)
        if form.is_valid():
            try:
                accept_grant(
                    actor=user,
                    decision=decision,
                    public_summary=form.cleaned_data["public_summary"],
                    budget=form.budget(),
                )
            except DecisionRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Thank you. You have accepted the grant."))
                return redirect("decisions:accept", uuid=uuid)
    return render(
        request,
        "decisions/accept.html",
        {
            "decision": decision,
            "application": application,
            "organisation": application.organisation,
            "awaiting": awaiting,
            "late": late,
            "form": form,
            "budget_lines": application.budget_lines.all(),
            "revised_lines": decision.revised_budget_lines.all(),
            "letters": letters_for_applications([application.pk])[application.pk],
        },
    )
