from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pulje.calls.permissions import get_call_for_caseworker_or_404
from pulje.calls.selectors import call_bands
from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error
from pulje.fasttrack.forms import FastTrackForm
from pulje.fasttrack.models import FastTrack
from pulje.fasttrack.selectors import call_fast_tracks, entries_for_caseworkers
from pulje.fasttrack.services import FastTrackRefused, pause_fast_track, set_fast_track


@logged_in
def fast_track_settings(request: HttpRequest, code: str) -> HttpResponse:
    """The call's bands and their fast tracks: set the largest automatic grant of a band
    (``band`` in the form), and what the fast track sent to a caseworker, with the reason."""
    user = request_user(request)
    call = get_call_for_caseworker_or_404(user, code)
    bands = call_bands(call)
    failed: tuple[int, FastTrackForm] | None = None
    if request.method == "POST":
        band = next((b for b in bands if str(b.pk) == request.POST.get("band")), None)
        form = FastTrackForm(request.POST, prefix=f"band-{band.pk}" if band else None)
        if band is not None and form.is_valid():
            try:
                set_fast_track(
                    actor=user, band=band, max_amount_ore=form.cleaned_data["max_amount"]
                )
            except FastTrackRefused as refused:
                add_service_error(form, refused, field="max_amount")
            else:
                messages.success(
                    request, _("The fast track of “%(band)s” was saved.") % {"band": band.name}
                )
                return redirect("fasttrack:settings", code=call.code)
        if band is not None:
            failed = (band.pk, form)
    rows = [
        (
            row,
            failed[1]
            if failed and failed[0] == row.band.pk
            else FastTrackForm(
                initial={"max_amount": row.fast_track.max_amount_ore if row.fast_track else None},
                prefix=f"band-{row.band.pk}",
            ),
        )
        for row in call_fast_tracks(call)
    ]
    return render(
        request,
        "fasttrack/settings.html",
        {"call": call, "rows": rows, "unsettled": entries_for_caseworkers(call)},
    )


@require_POST
@logged_in
def fast_track_pause(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    user = request_user(request)
    call = get_call_for_caseworker_or_404(user, code)
    track = get_object_or_404(
        FastTrack.objects.select_related("band"), pk=pk, band__in=call_bands(call)
    )
    paused = request.POST.get("paused") == "1"
    try:
        pause_fast_track(actor=user, track=track, paused=paused)
    except FastTrackRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            (
                _("The fast track of “%(band)s” is paused.")
                if paused
                else _("The fast track of “%(band)s” runs again.")
            )
            % {"band": track.band.name},
        )
    return redirect("fasttrack:settings", code=call.code)
