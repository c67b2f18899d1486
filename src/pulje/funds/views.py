from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pulje.core.access import logged_in, request_user
from pulje.core.audit import events_for
from pulje.core.forms import add_service_error
from pulje.core.money import format_dkk
from pulje.funds.forms import (
    AppropriationForm,
    DelegationForm,
    SecondApprovalForm,
    SubPoolForm,
    TransferForm,
)
from pulje.funds.models import Pool
from pulje.funds.permissions import (
    can_manage_pool,
    can_move_money_from,
    get_pool_for_manager_or_404,
    get_pool_for_viewer_or_404,
    get_pool_to_move_from_or_404,
)
from pulje.funds.selectors import (
    ancestors,
    effective_spend_by,
    highest_visible_pools,
    second_approval_threshold,
)
from pulje.funds.services import create_sub_pool, update_pool
from pulje.ledger.selectors import entries_for_pool, subtrees
from pulje.ledger.services import LedgerError, appropriate, delegate, plan_transfer, transfer


@logged_in
def pool_list(request: HttpRequest) -> HttpResponse:
    nodes = subtrees(highest_visible_pools(request_user(request)))
    return render(request, "funds/pool_list.html", {"nodes": nodes})


@logged_in
def pool_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    pool = get_pool_for_viewer_or_404(user, pk)
    node = subtrees([pool])[0]
    manage = can_manage_pool(user, pool)
    page = Paginator(entries_for_pool(pool), 50).get_page(request.GET.get("side"))
    return render(
        request,
        "funds/pool_detail.html",
        {
            "pool": pool,
            "node": node,
            "children": node.children,
            "ancestors": list(reversed(ancestors(pool))),
            "spend_by": effective_spend_by(pool),
            "second_approval_above": second_approval_threshold(pool),
            "second_approval_form": SecondApprovalForm(
                initial={"second_approval_above_ore": pool.second_approval_above_ore},
                auto_id="second-approval-%s",
            )
            if manage
            else None,
            "rules": pool.reporting_rules.order_by("from_amount_ore"),
            "entries": page,
            "events": events_for(pool),
            "can_manage": manage,
            "can_move": can_move_money_from(user, pool),
            "appropriation_form": AppropriationForm(auto_id="appropriation-%s")
            if manage and pool.parent_id is None
            else None,
            "delegation_form": (
                DelegationForm(pool=pool, auto_id="delegation-%s")
                if manage and node.children
                else None
            ),
        },
    )


@logged_in
def sub_pool_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    parent = get_pool_for_manager_or_404(user, pk)
    form = SubPoolForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            pool = create_sub_pool(actor=user, parent=parent, **form.cleaned_data)
        except (ValidationError, LedgerError) as error:
            add_service_error(form, error, field="delegate_ore")
        else:
            messages.success(request, _("The sub-pool “%(name)s” was created.") % {"name": pool})
            return redirect("funds:pool_detail", pk=pool.pk)
    return render(request, "funds/sub_pool_form.html", {"parent": parent, "form": form})


@require_POST
@logged_in
def pool_appropriate(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    pool = get_pool_for_manager_or_404(user, pk)
    return _post_money(
        request,
        pool,
        AppropriationForm(request.POST),
        lambda data: appropriate(actor=user, pool=pool, **data),
        success=_("The appropriation was posted."),
        title=_("Appropriate money"),
    )


@require_POST
@logged_in
def pool_delegate(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    pool = get_pool_for_manager_or_404(user, pk)
    return _post_money(
        request,
        pool,
        DelegationForm(request.POST, pool=pool),
        lambda data: delegate(actor=user, pool=pool, **data),
        success=_("The delegation was posted."),
        title=_("Delegate to a sub-pool"),
    )


def _transfer_initial(request: HttpRequest) -> dict[str, Any]:
    """The form filled in from a link (the allocation's proposed move between bands):
    ``?to=<pool>&amount_ore=<øre>``; a value that is not a whole number is left out."""
    initial: dict[str, Any] = {}
    for name in ("to", "amount_ore"):
        value = request.GET.get(name, "")
        if value.isascii() and value.isdigit() and len(value) <= 15:
            initial[name] = int(value)
    return initial


@logged_in
def pool_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the pool's uncommitted money to a sibling or back up, in two steps: the form, then
    what the move will do to both pools, to confirm (``confirm`` posted)."""
    user = request_user(request)
    pool = get_pool_to_move_from_or_404(user, pk)
    form = TransferForm(request.POST or None, pool=pool, initial=_transfer_initial(request))
    # "edit" comes back from the confirmation to change the form.
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        data = form.cleaned_data
        moving = {"actor": user, "pool": pool, "to": data["to"], "amount_ore": data["amount_ore"]}
        try:
            if "confirm" in request.POST:
                transfer(**moving, text=data["text"], key=f"transfer:{data['key']}")
            else:
                plan = plan_transfer(**moving)
        except LedgerError as error:
            add_service_error(form, error, field="amount_ore")
        else:
            if "confirm" not in request.POST:
                return render(
                    request,
                    "funds/transfer_confirm.html",
                    {"pool": pool, "form": form, "plan": plan},
                )
            messages.success(
                request,
                _("%(amount)s was moved from “%(pool)s” to “%(to)s”.")
                % {
                    "amount": format_dkk(data["amount_ore"]),
                    "pool": pool.name,
                    "to": data["to"].name,
                },
            )
            return redirect("funds:pool_detail", pk=pool.pk)
    return render(
        request,
        "funds/transfer_form.html",
        {"pool": pool, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@logged_in
def pool_second_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """Set (or clear) the amount above which the pool's grants need a second approval."""
    user = request_user(request)
    pool = get_pool_for_manager_or_404(user, pk)
    form = SecondApprovalForm(request.POST)
    if form.is_valid():
        try:
            update_pool(
                actor=user,
                pool=pool,
                second_approval_above_ore=form.cleaned_data["second_approval_above_ore"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        except PermissionDenied as refusal:
            form.add_error("second_approval_above_ore", str(refusal))
        else:
            messages.success(request, _("The rule for a second approval is saved."))
            return redirect("funds:pool_detail", pk=pool.pk)
    return render(
        request,
        "funds/money_form.html",
        {"pool": pool, "form": form, "title": _("Second approval of grants")},
    )


def _post_money(
    request: HttpRequest,
    pool: Pool,
    form: forms.Form,
    post: Callable[[dict[str, Any]], object],
    *,
    success: str,
    title: str,
) -> HttpResponse:
    """Validate a money form and post it; on a refusal show the form again with the reason."""
    if form.is_valid():
        try:
            post(form.cleaned_data)
        except LedgerError as error:
            add_service_error(form, error, field="amount_ore")
        else:
            messages.success(request, success)
            return redirect("funds:pool_detail", pk=pool.pk)
    return render(request, "funds/money_form.html", {"pool": pool, "form": form, "title": title})
