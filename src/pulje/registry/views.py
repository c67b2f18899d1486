"""The applicant's organisation: registering it at the first login, and its profile, which
says once what every application needs (payment account, contacts) and who works for it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pulje.accounts.models import User
from pulje.accounts.services import (
    CLAIMABLE_KINDS,
    claim_organisation,
    invite_member,
    register_own_organisation,
)
from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error
from pulje.core.navigation import pop_return
from pulje.registry.forms import (
    CvrLookupForm,
    DepartmentForm,
    InviteForm,
    NewOrganisationForm,
    OrganisationProfileForm,
    format_iban,
)
from pulje.registry.models import Organisation, OrganisationKind
from pulje.registry.selectors import (
    members_of,
    missing_profile_facts,
    organisations_of,
    registry_entry,
)
from pulje.registry.services import register_department, update_profile


def get_organisation_for_member_or_404(user: User, pk: int) -> Organisation:
    """The organisation, if ``user`` is one of its members; 404 otherwise, so nobody learns
    which organisations exist."""
    organisation = (
        Organisation.objects.filter(pk=pk, memberships__user=user)
        .select_related("municipality")
        .first()
    )
    if organisation is None:
        raise Http404
    return organisation


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
    if entry.organisation.kind not in CLAIMABLE_KINDS:
        return _refused(request, entry.organisation)
    template = (
        "registry/onboarding_taken.html" if entry.has_members else "registry/onboarding_claim.html"
    )
    return render(request, template, {"entry": entry})


def _refused(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    reason = _(
        "%(name)s cannot be registered here. If you work for it, ask pulje's administrators "
        "to give you access."
    ) % {"name": organisation.name}
    return render(request, "registry/onboarding_refused.html", {"reason": reason}, status=403)


@require_POST
@logged_in
def claim(request: HttpRequest) -> HttpResponse:
    """Step 2 for an organisation in the registry that nobody acts for yet."""
    form = CvrLookupForm(request.POST)
    entry = registry_entry(form.cleaned_data["cvr"]) if form.is_valid() else None
    if entry is None:
        return redirect("registry:onboarding")
    try:
        claim_organisation(actor=request_user(request), organisation=entry.organisation)
    except ValidationError as refusal:
        if refusal.code == "not_claimable":
            return _refused(request, entry.organisation)
        # Someone claimed it since the lookup (or the form was sent again).
        return render(request, "registry/onboarding_taken.html", {"entry": entry})
    messages.success(request, _("You now act for %(name)s.") % {"name": entry.organisation.name})
    return redirect("registry:profile", pk=entry.organisation.pk)


@require_POST
@logged_in
def register(request: HttpRequest) -> HttpResponse:
    """Step 2 for an organisation the registry does not know."""
    form = NewOrganisationForm(request.POST)
    if form.is_valid():
        try:
            organisation = register_own_organisation(
                actor=request_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is registered, and you act for it.") % {"name": organisation.name},
            )
            return redirect("registry:profile", pk=organisation.pk)
    return render(
        request, "registry/onboarding_new.html", {"form": form, "cvr": form.data.get("cvr", "")}
    )


def _profile_page(
    request: HttpRequest,
    organisation: Organisation,
    *,
    form: OrganisationProfileForm | None = None,
    invite_form: InviteForm | None = None,
    department_form: DepartmentForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "registry/profile.html",
        {
            "organisation": organisation,
            "iban": format_iban(organisation.payment_iban),
            "missing": missing_profile_facts(organisation),
            "members": members_of(organisation),
            "form": form or OrganisationProfileForm.for_organisation(organisation),
            "invite_form": invite_form or InviteForm(),
            "departments": organisation.departments.select_related("municipality").order_by(
                "number"
            ),
            "department_form": (
                department_form or DepartmentForm(auto_id="department-%s")
                if organisation.kind == OrganisationKind.HOUSING
                else None
            ),
        },
    )


@logged_in
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_organisation_for_member_or_404(request_user(request), pk)
    if request.method != "POST":
        return _profile_page(request, organisation)
    form = OrganisationProfileForm(request.POST)
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
    return _profile_page(request, organisation, form=form)


@require_POST
@logged_in
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_organisation_for_member_or_404(request_user(request), pk)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, organisation, invite_form=form)
    invitation = invite_member(
        actor=request_user(request), organisation=organisation, email=form.cleaned_data["email"]
    )
    if invitation.already_member:
        messages.info(
            request,
            _("%(email)s already works for %(name)s; nothing was changed.")
            % {"email": invitation.user.email, "name": organisation.name},
        )
    else:
        messages.success(
            request,
            _("%(email)s can now work for %(name)s and has been sent an e-mail about it.")
            % {"email": invitation.user.email, "name": organisation.name},
        )
    return redirect("registry:profile", pk=organisation.pk)


@require_POST
@logged_in
def add_department(request: HttpRequest, pk: int) -> HttpResponse:
    """A member adds a housing department the registry lacks, so applications can name it."""
    organisation = get_organisation_for_member_or_404(request_user(request), pk)
    if organisation.kind != OrganisationKind.HOUSING:
        raise Http404
    form = DepartmentForm(request.POST, auto_id="department-%s")
    if form.is_valid():
        try:
            register_department(
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
    return _profile_page(request, organisation, department_form=form)
