from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pulje.calls.permissions import get_call_for_caseworker_or_404
from pulje.casework.forms import ScreeningRulesForm
from pulje.casework.models import kind_labels
from pulje.casework.selectors import screening_preview, stored_screening_rules
from pulje.casework.services import ScreeningRulesRefused, set_screening_rules
from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error


@logged_in
def screening_rules(request: HttpRequest, code: str) -> HttpResponse:
    """The call's screening rules: shown, previewed (what they would flag among the call's
    submitted applications, nothing saved) and saved."""
    user = request_user(request)
    call = get_call_for_caseworker_or_404(user, code)
    stored = stored_screening_rules(call)
    form = ScreeningRulesForm.for_rules(stored, request.POST or None)
    flagged = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            flagged = screening_preview(call, form.as_rules(stored))
        else:
            try:
                set_screening_rules(actor=user, call=call, **form.cleaned_data)
            except ScreeningRulesRefused as refused:
                add_service_error(form, refused)
            else:
                messages.success(
                    request,
                    _("The screening rules of “%(title)s” were saved.") % {"title": call.title},
                )
                return redirect("casework:screening_rules", code=call.code)
    labels = kind_labels()
    return render(
        request,
        "casework/screening_rules.html",
        {
            "call": call,
            "form": form,
            "flagged": None
            if flagged is None
            else [
                (item.application, [(r.severity, r.message(labels)) for r in item.result.reasons])
                for item in flagged
            ],
        },
    )
