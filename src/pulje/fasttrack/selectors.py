"""Reads of the fast track: a call's bands with their fast tracks, and the applications it
sent to a caseworker, with the reason."""

from dataclasses import dataclass

from pulje.calls.models import Call
from pulje.calls.selectors import call_bands
from pulje.fasttrack.models import Entry, EntryOutcome, FastTrack
from pulje.fasttrack.reasons import message
from pulje.funds.models import Pool


@dataclass(frozen=True)
class BandTrack:
    band: Pool
    fast_track: FastTrack | None


def call_fast_tracks(call: Call) -> list[BandTrack]:
    """The call's grant bands, smallest first, each with its fast track if it has one
    (two queries)."""
    bands = call_bands(call)
    tracks = {t.band_id: t for t in FastTrack.objects.filter(band__in=bands)}
    return [BandTrack(band=band, fast_track=tracks.get(band.pk)) for band in bands]


@dataclass(frozen=True)
class Unsettled:
    entry: Entry
    reason: str


def entries_for_caseworkers(call: Call) -> list[Unsettled]:
    """The call's applications the fast track has not granted (sent to a caseworker, or
    waiting), in submission order, with the reason in the active language (one query)."""
    entries = (
        Entry.objects.filter(application__call=call)
        .exclude(outcome=EntryOutcome.GRANTED)
        .select_related("application__organisation", "fast_track__band")
        .order_by("application__submitted_at", "application__pk")
    )
    return [Unsettled(entry=e, reason=message(e.reason, e.params)) for e in entries]
