"""The confirmation page before decisions are made, shared by the decision page, the queue's
bulk decisions (``desk``) and an allocation run's confirmation (``allocation``)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pulje.calls.models import Call
from pulje.decisions.confirmation import Preview
from pulje.decisions.forms import ConfirmDecisionsForm

# The first step's fields are posted again with the confirmation; these are the second's own.
_OWN_FIELDS = frozenset({"csrfmiddlewaretoken", "token", "seen", "confirm"})


def render_confirmation(
    request: HttpRequest,
    call: Call,
    preview: Preview,
    *,
    action: str,
    back: str,
    error: str = "",
) -> HttpResponse:
    """The decisions of ``preview`` with their warnings and letter, and the form that
    confirms them by posting the first step's fields to ``action`` with the preview's token;
    ``error``, the service's refusal of the last confirmation, answers 400."""
    form = ConfirmDecisionsForm({"token": preview.token})
    form.is_valid()
    if error:
        form.add_error(None, error)
    repeat = [
        (name, value)
        for name in request.POST
        if name not in _OWN_FIELDS
        for value in request.POST.getlist(name)
    ]
    return render(
        request,
        "decisions/confirm.html",
        {
            "call": call,
            "preview": preview,
            "form": form,
            "action": action,
            "back": back,
            "repeat": repeat,
        },
        status=400 if error else 200,
    )
