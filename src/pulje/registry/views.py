"""The applicant's organisation: registering it at the first login, and its profile, which
says once what every application needs (payment account, contacts) and who works for it."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pulje.accounts import mfa
from pulje.accounts.models import Invitation, Membership, MembershipRole
from pulje.accounts.views import identity_providers
from pulje.core.access import logged_in, public, request_user
from pulje.core.forms import add_service_error
from pulje.core.iban import format_iban
from pulje.core.navigation import pop_return
from pulje.registry.forms import (
    CvrLookupForm,
    DepartmentForm,
    InviteForm,
    NewOrganisationForm,
    OrganisationProfileForm,
    ProofCodeForm,
    RoleForm,
)
from pulje.registry.models import OrganisationKind
from pulje.registry.permissions import (
    get_colleague_membership_for_member_or_404,
    get_membership_for_approver_or_404,
    get_membership_for_member_or_404,
    is_claimable,
    is_member,
    is_organisation_administrator,
    may_approve_membership,
)
from pulje.registry.selectors import (
    RegistryEntry,
    members_of,
    missing_profile_facts,
    open_invitations,
    organisations_of,
    registry_entry,
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
    not_claimable_message,
    refuse_membership,
    register_own_organisation,
    remove_member,
    request_membership,
)
from pulje.registry.services.organisations import add_own_department, update_profile
from pulje.registry.services.proof import (
    PROVEN_CVR_KEY,
    mask_address,
    prove_by_code,
    prove_by_identity_provider,
    send_proof_code,
)


@logged_in
def my_organisations(request: HttpRequest) -> HttpResponse:
    organisations = organisations_of(request_user(request))
    if not organisations:
        return redirect("registry:onboarding")
    if len(organisations) == 1:
        return redirect("registry:profile", pk=organisations[0].pk)
    return render(request, "registry/my_organisations.html", {"organisations": organisations})


@logged_in
def onboarding(request: HttpRequest) -> HttpResponse:
    """Step 1: the CVR number; then what pulje knows of it decides the next step."""
    form = CvrLookupForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "registry/onboarding.html", {"form": form})
    cvr = form.cleaned_data["cvr"]
    entry = registry_entry(cvr)
    if entry is None:
        new_form = NewOrganisationForm(initial={"cvr": cvr})
        return render(request, "registry/onboarding_new.html", {"form": new_form, "cvr": cvr})
    if not is_claimable(entry.organisation):
        return _refused(request, not_claimable_message(entry.organisation))
    template = (
        "registry/onboarding_taken.html" if entry.has_members else "registry/onboarding_claim.html"
    )
    return render(request, template, {"entry": entry})


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "registry/onboarding_refused.html", {"reason": reason}, status=403)


def _refused_claim(
    request: HttpRequest, refusal: MembershipRefused, entry: RegistryEntry
) -> HttpResponse:
    if refusal.code == "not_claimable":
        return _refused(request, refusal.message)
    # Someone proved to act for it since the lookup.
    return render(request, "registry/onboarding_taken.html", {"entry": entry})


def _prove_by_login(request: HttpRequest, membership: Membership) -> None:
    """The identity provider told at this login which organisation the person acts for."""
    if request.session.get(PROVEN_CVR_KEY) == membership.organisation.cvr:
        prove_by_identity_provider(user=request_user(request), cvr=membership.organisation.cvr)
        membership.refresh_from_db()


def _tell_where_it_stands(request: HttpRequest, membership: Membership) -> None:
    """What a person now may do for the organisation, after a claim, a proof or an invitation."""
    name = membership.organisation.name
    if membership.is_proven:
        messages.success(request, _("You now act for %(name)s.") % {"name": name})
    elif membership.needs_secretariat:
        messages.info(
            request,
            _(
                "Because you work for a pool secretariat, an administrator of it must "
                "approve that you act for %(name)s. You can write drafts meanwhile."
            )
            % {"name": name},
        )
    else:
        messages.info(
            request,
            _(
                "You can start on applications for %(name)s now. Prove below that you act "
                "for it before you submit."
            )
            % {"name": name},
        )


def _after_request(request: HttpRequest, membership: Membership) -> HttpResponse:
    _prove_by_login(request, membership)
    _tell_where_it_stands(request, membership)
    return redirect("registry:profile", pk=membership.organisation_id)


@require_POST
@logged_in
def claim(request: HttpRequest) -> HttpResponse:
    """Step 2 for an organisation in the registry that nobody has proven to act for yet."""
    form = CvrLookupForm(request.POST)
    entry = registry_entry(form.cleaned_data["cvr"]) if form.is_valid() else None
    if entry is None:
        return redirect("registry:onboarding")
    try:
        membership = request_membership(
            actor=request_user(request), organisation=entry.organisation
        )
    except MembershipRefused as refusal:
        return _refused_claim(request, refusal, entry)
    return _after_request(request, membership)


@require_POST
@logged_in
def register(request: HttpRequest) -> HttpResponse:
    """Step 2 for an organisation the registry does not know."""
    form = NewOrganisationForm(request.POST)
    if form.is_valid():
        try:
            membership = register_own_organisation(actor=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _after_request(request, membership)
    return render(
        request, "registry/onboarding_new.html", {"form": form, "cvr": form.data.get("cvr", "")}
    )


def _profile_page(
    request: HttpRequest,
    membership: Membership,
    *,
    form: OrganisationProfileForm | None = None,
    invite_form: InviteForm | None = None,
    department_form: DepartmentForm | None = None,
    code_form: ProofCodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation = membership.organisation
    user = request_user(request)
    administrator = is_organisation_administrator(user, organisation)
    return render(
        request,
        "registry/profile.html",
        {
            "organisation": organisation,
            "membership": membership,
            "administrator": administrator,
            # A request not yet proven sees neither the account nor a form to change the profile.
            "iban": format_iban(organisation.payment_iban) if membership.is_proven else "",
            "missing": missing_profile_facts(organisation),
            # Who else acts for it is not for someone whose own claim is unproven.
            "members": [
                (member, may_approve_membership(user, member))
                for member in (members_of(organisation) if membership.is_proven else [membership])
            ],
            "invitations": open_invitations(organisation) if administrator else [],
            "form": (
                form
                or OrganisationProfileForm.for_organisation(
                    organisation, with_account=administrator
                )
            )
            if membership.is_proven
            else None,
            "invite_form": invite_form or InviteForm(),
            "code_form": code_form or ProofCodeForm(),
            "registry_address": mask_address(organisation.registry_email)
            if organisation.registry_email
            else "",
            "providers": identity_providers(request),
            "departments": organisation.departments.select_related("municipality").order_by(
                "number"
            ),
            "department_form": (
                department_form or DepartmentForm(auto_id="department-%s")
                if organisation.kind == OrganisationKind.HOUSING
                else None
            ),
        },
        status=status,
    )


@logged_in
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_member_or_404(request_user(request), pk)
    organisation = membership.organisation
    if request.method != "POST":
        return _profile_page(request, membership)
    if not membership.is_proven:
        messages.error(
            request, _("Prove that you act for the organisation before you change its profile.")
        )
        return redirect(reverse("registry:profile", kwargs={"pk": organisation.pk}) + "#bevis")
    administrator = is_organisation_administrator(request_user(request), organisation)
    form = OrganisationProfileForm(request.POST, with_account=administrator)
    if form.is_valid():
        try:
            update_profile(actor=request_user(request), organisation=organisation, **form.changes())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The organisation's profile is saved."))
            back = pop_return(request) if not missing_profile_facts(organisation) else None
            return redirect(back or reverse("registry:profile", kwargs={"pk": organisation.pk}))
    organisation.refresh_from_db()
    return _profile_page(request, membership, form=form)


def _refusal_message(request: HttpRequest, refusal: MembershipRefused) -> None:
    messages.error(request, refusal.message)


@require_POST
@logged_in
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_member_or_404(request_user(request), pk)
    organisation = membership.organisation
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, membership, invite_form=form)
    try:
        sent = invite_member(
            actor=request_user(request),
            organisation=organisation,
            email=form.cleaned_data["email"],
            role=MembershipRole(form.cleaned_data["role"]),
        )
    except MembershipRefused as refusal:
        form.add_error("email", refusal.message)
        return _profile_page(request, membership, invite_form=form)
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
            _tell_where_it_stands(request, membership)
            return redirect("registry:profile", pk=pk)
    return _profile_page(request, membership, code_form=form)


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
            _tell_where_it_stands(request, membership)
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


@require_POST
@logged_in
def add_department(request: HttpRequest, pk: int) -> HttpResponse:
    """A member adds a housing department the registry lacks, so applications can name it."""
    membership = get_membership_for_member_or_404(request_user(request), pk)
    organisation = membership.organisation
    if organisation.kind != OrganisationKind.HOUSING:
        raise Http404
    form = DepartmentForm(request.POST, auto_id="department-%s")
    if form.is_valid():
        try:
            add_own_department(
                actor=request_user(request), organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Department %(number)s %(name)s is added.") % form.cleaned_data,
            )
            return redirect(reverse("registry:profile", kwargs={"pk": pk}) + "#afdelinger")
    return _profile_page(request, membership, department_form=form)
