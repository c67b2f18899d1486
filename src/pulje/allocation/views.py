"""The secretariat's allocation pages for a call: the runs, a new run, one run with its
proposal, charts and comparison (or, while the worker computes it, its progress), stop it,
run again with locks, and confirm.

The call's secretariat acts; the funder above reads the runs (and gets 403 for the
actions, as in the queue); anyone else gets a 404 (``allocation.permissions``).
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from pulje.accounts.models import User
from pulje.allocation.forms import BringBackForm, ConfirmForm, LocksForm, RunForm
from pulje.allocation.models import AllocationRun
from pulje.allocation.permissions import get_run_for_overseer_or_404
from pulje.allocation.plans import (
    Plan,
    confirmation_refusal,
    default_reduction_reason,
    plan_of,
    run_facts,
)
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.report import RunReport, run_report
from pulje.allocation.selectors import (
    allocation_facts,
    call_money,
    newest_options,
    pools_by_code,
    runs_of,
)
from pulje.allocation.services import (
    AllocationRefused,
    bring_back_into_run,
    confirm_allocation,
    request_stop,
    rerun_with_locks,
    run_allocation,
)
from pulje.allocation.shortfalls import BandMove, band_moves
from pulje.calls.permissions import get_call_for_overseer_or_404
from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error
from pulje.decisions.brakes import brake_items
from pulje.decisions.confirmation import Preview, preview_decisions
from pulje.decisions.forms import ConfirmDecisionsForm


@logged_in
def runs(request: HttpRequest, code: str) -> HttpResponse:
    """The call's runs, newest first."""
    call, works = get_call_for_overseer_or_404(request_user(request), code)
    return render(
        request, "allocation/runs.html", {"call": call, "works": works, "runs": runs_of(call)}
    )


@require_http_methods(["GET", "POST"])
@logged_in
def new_run(request: HttpRequest, code: str) -> HttpResponse:
    """The options for a new run, filled in as the newest run had them (or the defaults),
    with what the run will be made from."""
    call, works = get_call_for_overseer_or_404(request_user(request), code)
    if not works:
        raise PermissionDenied
    available = call_money(call).available_ore
    if request.method == "POST":
        form = RunForm(request.POST, available_ore=available)
        if form.is_valid():
            try:
                run = run_allocation(
                    actor=request_user(request),
                    call=call,
                    options=form.options(),
                    in_worker=True,
                )
            except ValidationError as error:
                add_service_error(form, error)
            except AllocationRefused as refusal:
                add_service_error(form, refusal)
            else:
                return redirect("allocation:run", code=call.code, pk=run.pk)
    else:
        stored = newest_options(call)
        options = AllocationOptions.from_json(stored) if stored else AllocationOptions()
        # Locks belong to one run's candidates; a new run starts without them.
        form = RunForm(initial=RunForm.initial_from(options), available_ore=available)
    return render(
        request,
        "allocation/new.html",
        {"call": call, "form": form, "facts": allocation_facts(call)},
        status=400 if form.is_bound else 200,
    )


@dataclass(frozen=True)
class MoveHint:
    """A proposed move between bands, with the link to the source band's "Flyt penge" form
    filled in."""

    move: BandMove
    url: str


def _move_hints(report: RunReport) -> list[MoveHint]:
    if report.result is None or report.reading is None:
        return []
    moves = band_moves(report.problem, report.result)
    if not moves:
        return []
    pools = pools_by_code([code for move in moves for code in (move.band, move.source)])
    hints = []
    for move in moves:
        source, band = pools.get(move.source), pools.get(move.band)
        if source is None or band is None:
            continue
        query = urlencode({"to": band.pk, "amount_ore": move.amount_ore})
        url = f"{reverse('funds:pool_transfer', kwargs={'pk': source.pk})}?{query}"
        hints.append(MoveHint(move=move, url=url))
    return hints


def _run_context(
    run: AllocationRun,
    works: bool,
    locks_form: LocksForm | None = None,
    bring_back_form: BringBackForm | None = None,
) -> dict[str, Any]:
    report = run_report(run)
    call = run.call
    # The not-recommended applications the run leaves out, as they are now: the run's
    # problem keeps only its candidates.
    not_recommended = [item for item in run_facts(run).excluded if item.not_recommended]
    if bring_back_form is None:
        bring_back_form = BringBackForm(references=[item.reference for item in not_recommended])
    if locks_form is None:
        locks_form = LocksForm(
            initial={
                "locked_in": sorted(report.problem.locked_in),
                "locked_out": sorted(report.problem.locked_out),
            },
            references=[row.reference for row in report.rows],
        )
    return {
        "call": call,
        "run": run,
        "works": works,
        "report": report,
        "runs": runs_of(call),
        "refusal": confirmation_refusal(run),
        "locks_form": locks_form,
        "ticked_in": set(locks_form["locked_in"].value() or []),
        "ticked_out": set(locks_form["locked_out"].value() or []),
        "not_recommended": not_recommended,
        "band_moves": _move_hints(report) if works else [],
        "brought_back": sorted(AllocationOptions.from_json(run.options).brought_back),
        "bring_back_form": bring_back_form,
        "ticked_back": set(bring_back_form["brought_back"].value() or []),
    }


@logged_in
def run(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """One run: its status, the proposal with locks, charts, the comparison with the greedy
    ranking, and the call's other runs; while the worker computes it, how far it is. htmx
    asks for that part every 2 seconds and is told to reload the page once the run is done."""
    found, works = get_run_for_overseer_or_404(request_user(request), code, pk)
    if request.headers.get("HX-Request") == "true":
        if found.pending:
            return render(
                request,
                "allocation/_progress.html",
                {"call": found.call, "run": found, "works": works},
            )
        return HttpResponse(headers={"HX-Refresh": "true"})
    return render(request, "allocation/run.html", _run_context(found, works))


@require_POST
@logged_in
def stop(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Ask the worker to stop computing the run and keep the best proposal found so far."""
    found, works = get_run_for_overseer_or_404(request_user(request), code, pk)
    if not works:
        raise PermissionDenied
    try:
        request_stop(actor=request_user(request), run=found)
    except AllocationRefused as refusal:
        messages.info(request, refusal.message)
    return redirect("allocation:run", code=found.call.code, pk=found.pk)


@require_POST
@logged_in
def rerun(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Run again from this run's problem with the ticked locks."""
    found, works = get_run_for_overseer_or_404(request_user(request), code, pk)
    if not works:
        raise PermissionDenied
    references = [candidate["id"] for candidate in found.problem.get("candidates", [])]
    form = LocksForm(request.POST, references=references)
    if form.is_valid():
        try:
            new = rerun_with_locks(
                actor=request_user(request),
                run=found,
                locked_in=form.cleaned_data["locked_in"],
                locked_out=form.cleaned_data["locked_out"],
                in_worker=True,
            )
        except (ValidationError, AllocationRefused) as error:
            add_service_error(form, error)
        else:
            return redirect("allocation:run", code=found.call.code, pk=new.pk)
    return render(
        request, "allocation/run.html", _run_context(found, works, locks_form=form), status=400
    )


@require_POST
@logged_in
def bring_back(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Make a new run with the ticked not-recommended applications among the candidates."""
    found, works = get_run_for_overseer_or_404(request_user(request), code, pk)
    if not works:
        raise PermissionDenied
    references = [item.reference for item in run_facts(found).excluded if item.not_recommended]
    form = BringBackForm(request.POST, references=references)
    if form.is_valid():
        try:
            new = bring_back_into_run(
                actor=request_user(request),
                run=found,
                references=form.cleaned_data["brought_back"],
                in_worker=True,
            )
        except (ValidationError, AllocationRefused) as error:
            add_service_error(form, error)
        else:
            return redirect("allocation:run", code=found.call.code, pk=new.pk)
    return render(
        request,
        "allocation/run.html",
        _run_context(found, works, bring_back_form=form),
        status=400,
    )


@require_http_methods(["GET", "POST"])
@logged_in
def confirm(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """What confirming the run decides (how many grants and rejections, how much money),
    and the button that does it."""
    found, works = get_run_for_overseer_or_404(request_user(request), code, pk)
    if not works:
        raise PermissionDenied
    if found.confirmed_at is not None:
        messages.info(request, _("This proposal has been confirmed already."))
        return redirect("allocation:run", code=found.call.code, pk=found.pk)
    refusal = confirmation_refusal(found)
    plan = plan_of(found) if refusal is None else None
    initial = {"reduction_reason": default_reduction_reason()}
    form = ConfirmForm(request.POST if request.method == "POST" else None, initial=initial)
    reason = form.cleaned_data["reduction_reason"] if form.is_valid() else ""
    preview = _preview(request_user(request), found, plan, reason) if plan else None
    confirm = ConfirmDecisionsForm(
        request.POST if request.method == "POST" else {"token": preview.token if preview else ""}
    )
    if request.method == "POST" and form.is_valid():
        # Without a proposal the service's own refusal says why.
        brake = _brake(preview, confirm) if preview is not None else ""
        if brake:
            form.add_error(None, brake)
        else:
            try:
                decisions = confirm_allocation(
                    actor=request_user(request), run=found, reduction_reason=reason
                )
            except AllocationRefused as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "The proposal is confirmed: %(count)d decision was made. The letters "
                        "are being made.",
                        "The proposal is confirmed: %(count)d decisions were made. The letters "
                        "are being made.",
                        len(decisions),
                    )
                    % {"count": len(decisions)},
                )
                return redirect("allocation:run", code=found.call.code, pk=found.pk)
    if preview is not None:
        # The token of what is shown now: a confirmation refused as changed shows the new one.
        confirm = ConfirmDecisionsForm({"token": preview.token})
    return render(
        request,
        "allocation/confirm.html",
        {
            "call": found.call,
            "run": found,
            "plan": plan,
            "refusal": refusal,
            "form": form,
            "preview": preview,
            "confirm": confirm,
        },
        status=400 if form.errors else 200,
    )


def _preview(user: User, run: AllocationRun, plan: Plan, reason: str) -> Preview:
    """What confirming ``run`` decides, by a dry run of the confirmation itself."""
    items = [
        *brake_items(plan.full, "grant"),
        *brake_items(
            [application for application, _amount in plan.reduced],
            "grant",
            amounts={application.pk: amount for application, amount in plan.reduced},
        ),
        *(
            item
            for code, applications in sorted(plan.rejected.items())
            for item in brake_items(applications, "reject", reason_code=code)
        ),
    ]
    return preview_decisions(
        call=run.call,
        items=sorted(items, key=lambda item: item.reference),
        act=lambda: confirm_allocation(
            actor=user, run=run, reduction_reason=reason, queue_letters=False
        ),
        run_budget_ore=AllocationOptions.from_json(run.options).budget_ore,
    )


def _brake(preview: Preview, confirm: ConfirmDecisionsForm) -> str:
    """Why the confirmation cannot go ahead as posted, or "": what it was shown has changed,
    a warning blocks it, or its warnings were not ticked as seen."""
    if preview.blocked:
        return " ".join(warning.message for warning in preview.warnings if warning.blocking)
    if not confirm.is_valid() or confirm.cleaned_data["token"] != preview.token:
        return _(
            "The applications or what is known about them changed after the decisions were "
            "shown to you, so nothing was decided. Look at the decisions again before you "
            "confirm."
        )
    if preview.warnings and not confirm.cleaned_data["seen"]:
        return _("Tick that you have seen the warnings before you confirm.")
    return ""
