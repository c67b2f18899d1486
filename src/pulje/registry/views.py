"""The applicant's organisation: registering it at the first login, and its profile, which
says once what every application needs (payment account, contacts) and who works for it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pulje.accounts.models import Membership
from pulje.accounts.views import identity_providers
from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error
from pulje.core.iban import format_iban
from pulje.core.navigation import next_path, pop_return
from pulje.registry.forms import (
    CvrLookupForm,
    DepartmentForm,
    InviteForm,
    NewOrganisationForm,
    OrganisationProfileForm,
    ProofCodeForm,
)
from pulje.registry.models import OrganisationKind
from pulje.registry.permissions import (
    get_membership_for_member_or_404,
    is_claimable,
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
)
from pulje.registry.services.memberships import (
    MembershipRefused,
    not_claimable_message,
    register_own_organisation,
    request_membership,
)
from pulje.registry.services.organisations import add_own_department, update_profile
from pulje.registry.services.proof import (
    PROVEN_CVR_KEY,
    mask_address,
    prove_by_identity_provider,
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
        new_form = NewOrganisationForm.for_cvr(cvr)
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


def tell_where_it_stands(request: HttpRequest, membership: Membership) -> None:
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
    tell_where_it_stands(request, membership)
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


def profile_page(
    request: HttpRequest,
    membership: Membership,
    *,
    form: OrganisationProfileForm | None = None,
    invite_form: InviteForm | None = None,
    department_form: DepartmentForm | None = None,
    code_form: ProofCodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The profile; ``next`` (a page of this site, "check your answers" say) is where saving
    the profile goes back to once it has what an application needs."""
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
            "next": next_path(request),
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
        return profile_page(request, membership)
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
            back = next_path(request)
            if back is not None and not missing_profile_facts(organisation):
                return redirect(back)
            return redirect(_onward(request, membership))
    organisation.refresh_from_db()
    return profile_page(request, membership, form=form)


def _onward(request: HttpRequest, membership: Membership, *, section: str = "") -> str:
    """Where a detour for an application (``core.navigation.remember_return``) goes on once
    the organisation has what an application needs: its profile's facts and, for a housing
    organisation, a housing department; until then, the profile (at ``section``), where the
    rest is asked."""
    organisation = membership.organisation
    profile = reverse("registry:profile", kwargs={"pk": organisation.pk})
    missing = missing_profile_facts(organisation)
    if organisation.kind == OrganisationKind.HOUSING and not organisation.departments.exists():
        if not missing:
            messages.info(
                request, _("Now add the housing departments your projects take place in.")
            )
        return f"{profile}#afdelinger"
    back = pop_return(request) if not missing else None
    return back or f"{profile}{section}"


@require_http_methods(["GET", "POST"])
@logged_in
def add_department(request: HttpRequest, pk: int) -> HttpResponse:
    """A member adds a housing department the registry lacks, so applications can name it;
    from an application (``next``), on a page of its own that goes back to it."""
    membership = get_membership_for_member_or_404(request_user(request), pk)
    organisation = membership.organisation
    if organisation.kind != OrganisationKind.HOUSING:
        raise Http404
    back = next_path(request)
    form = DepartmentForm(request.POST or None, auto_id="department-%s")
    if request.method == "POST" and form.is_valid():
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
            return redirect(back or _onward(request, membership, section="#afdelinger"))
    if back is not None or request.method == "GET":
        return render(
            request,
            "registry/add_department.html",
            {"organisation": organisation, "form": form, "next": back},
            status=400 if form.errors else 200,
        )
    return profile_page(request, membership, department_form=form)
