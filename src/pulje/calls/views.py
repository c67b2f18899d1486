import datetime as dt
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.timezone import now
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pulje.accounts.models import User
from pulje.applications.selectors import call_figures, drafts_for, organisations_that_may_apply
from pulje.calls.countdown import countdown_texts, time_left
from pulje.calls.forms import CALL_TIME_ZONE, CallForm, QuestionForm
from pulje.calls.models import Call, CallQuestion
from pulje.calls.permissions import get_call_for_caseworker_or_404, get_call_or_404
from pulje.calls.selectors import (
    call_bands,
    open_calls,
    recently_closed_calls,
    upcoming_calls,
    with_bands,
)
from pulje.calls.services import add_question, create_call, remove_question, update_call
from pulje.core.access import logged_in, public, request_user
from pulje.core.forms import add_service_error
from pulje.funds.permissions import can_manage_pool, get_pool_for_manager_or_404
from pulje.registry.models import OrganisationKind


def _state(call: Call, moment: dt.datetime) -> str:
    if moment < call.opens_at:
        return "upcoming"
    return "open" if call.is_open(moment) else "closed"


@public
def call_list(request: HttpRequest) -> HttpResponse:
    moment = now()
    sections = [
        ("open", _("Open for applications"), with_bands(open_calls(moment))),
        ("upcoming", _("Opening soon"), with_bands(upcoming_calls(moment))),
        ("closed", _("Closed recently"), with_bands(recently_closed_calls(moment))),
    ]
    return render(
        request,
        "calls/call_list.html",
        {"sections": [section for section in sections if section[2]], "time_zone": CALL_TIME_ZONE},
    )


@public
def call_detail(request: HttpRequest, code: str) -> HttpResponse:
    call = get_call_or_404(code)
    moment = now()
    kinds = dict(OrganisationKind.choices)
    user = request.user
    return render(
        request,
        "calls/call_detail.html",
        {
            "call": call,
            "bands": call_bands(call),
            "figures": call_figures(call),
            "questions": call.questions.all(),
            "applicant_kinds": [kinds[kind] for kind in call.applicant_kind_values()],
            "partner_kinds": [kinds[kind] for kind in call.partner_kinds],
            "state": _state(call, moment),
            "time_left": time_left(call.closes_at, moment),
            "countdown_texts": json.dumps(countdown_texts(), ensure_ascii=False),
            "time_zone": CALL_TIME_ZONE,
            "can_manage": isinstance(user, User) and can_manage_pool(user, call.pool),
            "drafts": drafts_for(user, call) if isinstance(user, User) else [],
            # A user acting for several organisations that may apply chooses which.
            "applying_for": (
                organisations_that_may_apply(user, call) if isinstance(user, User) else []
            ),
        },
    )


@logged_in
def call_create(request: HttpRequest, pool_pk: int) -> HttpResponse:
    user = request_user(request)
    pool = get_pool_for_manager_or_404(user, pool_pk)
    form = CallForm(request.POST or None, pool=pool, moment=now())
    if request.method == "POST" and form.is_valid():
        try:
            call = create_call(actor=user, pool=pool, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The call “%(title)s” was created.") % {"title": call})
            return redirect("calls:questions", code=call.code)
    return render(request, "calls/call_form.html", {"pool": pool, "call": None, "form": form})


@logged_in
def call_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = request_user(request)
    call = get_call_for_caseworker_or_404(user, code)
    form = CallForm(request.POST or None, pool=call.pool, call=call)
    if request.method == "POST" and form.is_valid():
        try:
            # A refused change leaves the instance half-changed; edit a fresh copy.
            call = update_call(actor=user, call=get_call_or_404(code), **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The call “%(title)s” was saved.") % {"title": call})
            return redirect("calls:detail", code=call.code)
    return render(request, "calls/call_form.html", {"pool": call.pool, "call": call, "form": form})


@logged_in
def call_questions(request: HttpRequest, code: str) -> HttpResponse:
    user = request_user(request)
    call = get_call_for_caseworker_or_404(user, code)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question = add_question(actor=user, call=call, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("The question “%(label)s” was added.") % {"label": question}
            )
            return redirect("calls:questions", code=call.code)
    return render(
        request,
        "calls/call_questions.html",
        {"call": call, "questions": call.questions.all(), "form": form},
    )


@require_POST
@logged_in
def question_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    user = request_user(request)
    call = get_call_for_caseworker_or_404(user, code)
    question = get_object_or_404(CallQuestion, call=call, pk=pk)
    try:
        remove_question(actor=user, question=question)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The question “%(label)s” was removed.") % {"label": question})
    return redirect("calls:questions", code=call.code)
