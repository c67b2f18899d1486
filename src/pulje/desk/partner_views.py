"""A caseworker verifies an application's partner organisation once, from the remark that
screening found it unknown; every pool's screening counts it as known from then on."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pulje.casework.permissions import get_application_for_caseworker_or_404
from pulje.casework.selectors import awaiting_partner_verification
from pulje.casework.services import verify_application_partner
from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error
from pulje.registry.cvr import lookup_cvr
from pulje.registry.forms import PartnerVerificationForm
from pulje.registry.selectors import organisation_with_cvr
from pulje.registry.services.verification import VerificationRefused


@logged_in
def verify_partner(request: HttpRequest, uuid: str, cvr: str) -> HttpResponse:
    """What verifying the partner will do, and the confirmation; then the verification."""
    user = request_user(request)
    application = get_application_for_caseworker_or_404(user, uuid)
    partner = application.partners.filter(cvr=cvr).order_by("position").first()
    if partner is None:
        raise Http404
    organisation = organisation_with_cvr(cvr)
    record = lookup_cvr(cvr) if organisation is None or not organisation.is_verified else None
    form = PartnerVerificationForm(
        request.POST or None, initial={"name": record.name if record else partner.name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            verified = verify_application_partner(
                actor=user, application=application, cvr=cvr, name=form.cleaned_data["name"]
            )
        except VerificationRefused as refusal:
            add_service_error(form, refusal)
        else:
            messages.success(
                request,
                _(
                    "%(name)s (CVR %(cvr)s) is verified. Applications that name it pass the "
                    "check of the partner from now on."
                )
                % {"name": verified.name, "cvr": verified.cvr},
            )
            return redirect("desk:application", uuid=application.uuid)
    return render(
        request,
        "desk/verify_partner.html",
        {
            "application": application,
            "call": application.call,
            "partner": partner,
            "organisation": organisation,
            "record": record,
            "form": form,
            "screened_again": awaiting_partner_verification([cvr]),
        },
        status=400 if form.errors else 200,
    )
