"""Pages for who acts for an organisation: proof by code, invitations and their links,
members' roles and removal, and the requests a secretariat or an administrator decides."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pulje.accounts import mfa
from pulje.accounts.models import Invitation, MembershipRole
from pulje.core.access import logged_in, public, request_user
from pulje.registry.forms import (
    InviteForm,
    ProofCodeForm,
    RoleForm,
)
from pulje.registry.permissions import (
    get_colleague_membership_for_member_or_404,
    get_membership_for_approver_or_404,
    get_membership_for_member_or_404,
    is_member,
)
from pulje.registry.selectors import (
    requests_for,
)
from pulje.registry.services.invitations import (
    accept_invitation,
    invitation_for_token,
    invite_member,
    revoke_invitation,
)
from pulje.registry.services.memberships import (
    MembershipRefused,
    approve_membership,
    change_role,
    refuse_membership,
    remove_member,
)
from pulje.registry.services.proof import (
    mask_address,
    prove_by_code,
    send_proof_code,
)
from pulje.registry.views import profile_page, tell_where_it_stands


def _refusal_message(request: HttpRequest, refusal: MembershipRefused) -> None:
    messages.error(request, refusal.message)


@require_POST
@logged_in
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_member_or_404(request_user(request), pk)
    organisation = membership.organisation
    form = InviteForm(request.POST)
    if not form.is_valid():
        return profile_page(request, membership, invite_form=form)
    try:
        sent = invite_member(
            actor=request_user(request),
            organisation=organisation,
            email=form.cleaned_data["email"],
            role=MembershipRole(form.cleaned_data["role"]),
        )
    except MembershipRefused as refusal:
        form.add_error("email", refusal.message)
        return profile_page(request, membership, invite_form=form)
    messages.success(
        request,
        _("%(email)s has been sent an invitation. It gives access once they accept it.")
        % {"email": sent.invitation.email},
    )
    return redirect(reverse("registry:profile", kwargs={"pk": organisation.pk}) + "#medlemmer")


@require_POST
@logged_in
def revoke(request: HttpRequest, pk: int, invitation: int) -> HttpResponse:
    membership = get_membership_for_member_or_404(request_user(request), pk)
    found = get_object_or_404(Invitation, pk=invitation, organisation=membership.organisation)
    try:
        revoke_invitation(actor=request_user(request), invitation=found)
    except MembershipRefused as refusal:
        _refusal_message(request, refusal)
    else:
        messages.success(
            request, _("The invitation to %(email)s is withdrawn.") % {"email": found.email}
        )
    return redirect(reverse("registry:profile", kwargs={"pk": pk}) + "#medlemmer")


@require_POST
@logged_in
def send_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The claimant asks for a code to the organisation's address in the register."""
    membership = get_membership_for_member_or_404(request_user(request), pk)
    try:
        proof_code = send_proof_code(actor=request_user(request), membership=membership)
    except MembershipRefused as refusal:
        _refusal_message(request, refusal)
    else:
        messages.success(
            request,
            _("A code has been sent to %(address)s. Ask whoever reads that address for it.")
            % {"address": mask_address(proof_code.sent_to)},
        )
    return redirect(reverse("registry:profile", kwargs={"pk": pk}) + "#bevis")


@require_POST
@logged_in
def prove_code(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_member_or_404(request_user(request), pk)
    form = ProofCodeForm(request.POST)
    if form.is_valid():
        try:
            membership = prove_by_code(
                actor=request_user(request), membership=membership, code=form.cleaned_data["code"]
            )
        except MembershipRefused as refusal:
            form.add_error("code", refusal.message)
        else:
            tell_where_it_stands(request, membership)
            return redirect("registry:profile", pk=pk)
    return profile_page(request, membership, code_form=form)


@require_POST
@logged_in
def remove(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    target = get_colleague_membership_for_member_or_404(request_user(request), pk, member)
    try:
        remove_member(actor=request_user(request), membership=target)
    except MembershipRefused as refusal:
        _refusal_message(request, refusal)
    else:
        messages.success(
            request,
            _("%(person)s no longer acts for %(name)s.")
            % {"person": target.user, "name": target.organisation.name},
        )
        if target.user_id == request_user(request).pk:
            return redirect("registry:mine")
    return redirect(reverse("registry:profile", kwargs={"pk": pk}) + "#medlemmer")


@require_POST
@logged_in
def role(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    target = get_colleague_membership_for_member_or_404(request_user(request), pk, member)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            change_role(
                actor=request_user(request),
                membership=target,
                role=MembershipRole(form.cleaned_data["role"]),
            )
        except MembershipRefused as refusal:
            _refusal_message(request, refusal)
        else:
            messages.success(
                request,
                _("%(person)s is now %(role)s.")
                % {
                    "person": target.user,
                    "role": MembershipRole(form.cleaned_data["role"]).label.lower(),
                },
            )
    return redirect(reverse("registry:profile", kwargs={"pk": pk}) + "#medlemmer")


@require_POST
@logged_in
def decide_request(request: HttpRequest, member: int) -> HttpResponse:
    """Approve or refuse a request to act for an organisation (from the requests list or the
    organisation's page); the service decides whether the user may."""
    user = request_user(request)
    target = get_membership_for_approver_or_404(user, member)
    approve = request.POST.get("decision") == "approve"
    try:
        if approve:
            approve_membership(actor=user, membership=target)
        else:
            refuse_membership(actor=user, membership=target)
    except MembershipRefused as refusal:
        _refusal_message(request, refusal)
    else:
        text = (
            _("%(person)s now acts for %(name)s.")
            if approve
            else _("The request of %(person)s to act for %(name)s is refused.")
        )
        messages.success(request, text % {"person": target.user, "name": target.organisation.name})
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("registry:requests")


@logged_in
def requests(request: HttpRequest) -> HttpResponse:
    """The requests to act for an organisation that this user may decide on."""
    return render(
        request, "registry/requests.html", {"requests": requests_for(request_user(request))}
    )


@public
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee opens the link from the mail: the link is the key to seeing the invitation;
    accepting it needs the invited address logged in, so someone not logged in is offered the
    login, which comes back here."""
    found = invitation_for_token(token)
    if found is None:
        raise Http404
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        return render(request, "registry/invitation.html", {"invitation": found})
    if request.method == "POST":
        try:
            membership = accept_invitation(actor=request_user(request), token=token)
        except MembershipRefused as refusal:
            messages.error(request, refusal.message)
        else:
            # Joining a pool's secretariat calls for the second factor in this session, not
            # from the next login: the session was let in by an e-mail code alone.
            mfa.assess_login(request, request_user(request))
            tell_where_it_stands(request, membership)
            return redirect("registry:profile", pk=membership.organisation_id)
    user = request_user(request)
    return render(
        request,
        "registry/invitation.html",
        {
            "invitation": found,
            "for_another": user.email.lower() != found.email.lower(),
            "already": is_member(user, found.organisation),
        },
    )
