"""Reads of calls: which are open, upcoming or recently closed, their bands and their live
figures."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from pulje.calls.models import Call
from pulje.funds.models import Pool
from pulje.funds.selectors import pool_letter_facts


def open_calls(at: dt.datetime | None = None) -> QuerySet[Call]:
    """Calls open for applications at ``at`` (now), the nearest deadline first."""
    moment = at or timezone.now()
    return (
        Call.objects.filter(opens_at__lte=moment, closes_at__gt=moment)
        .select_related("pool")
        .order_by("closes_at", "code")
    )


def upcoming_calls(at: dt.datetime | None = None) -> QuerySet[Call]:
    """Calls that open after ``at`` (now), the soonest first."""
    moment = at or timezone.now()
    return (
        Call.objects.filter(opens_at__gt=moment).select_related("pool").order_by("opens_at", "code")
    )


RECENTLY_CLOSED = dt.timedelta(days=90)


def recently_closed_calls(at: dt.datetime | None = None) -> QuerySet[Call]:
    """Calls whose deadline passed within ``RECENTLY_CLOSED`` before ``at`` (now), the latest
    deadline first."""
    moment = at or timezone.now()
    return (
        Call.objects.filter(closes_at__lte=moment, closes_at__gt=moment - RECENTLY_CLOSED)
        .select_related("pool")
        .order_by("-closes_at", "code")
    )


@dataclass(frozen=True)
class ListedCall:
    call: Call
    bands: list[Pool]


def with_bands(calls: Iterable[Call]) -> list[ListedCall]:
    """``calls`` (with their ``pool`` loaded) each with ``call_bands``, in one query however
    many calls there are."""
    calls = list(calls)
    parents = {call.pool_id for call in calls if not call.pool.is_band}
    children: dict[int, list[Pool]] = {}
    if parents:
        for band in Pool.objects.filter(
            parent_id__in=parents, grant_min_ore__isnull=False
        ).order_by("grant_min_ore", "pk"):
            assert band.parent_id is not None
            children.setdefault(band.parent_id, []).append(band)
    return [
        ListedCall(call, [call.pool] if call.pool.is_band else children.get(call.pool_id, []))
        for call in calls
    ]


def call_bands(call: Call) -> list[Pool]:
    """The grant bands of the call, smallest first: its pool if the pool is a band, else the
    pool's child pools that are bands."""
    if call.pool.is_band:
        return [call.pool]
    return list(
        call.pool.children.filter(grant_min_ore__isnull=False).order_by("grant_min_ore", "pk")
    )


@dataclass(frozen=True)
class CallLetterFacts:
    """What a call's decision letters say besides the decision: who sends them and how to
    reach them, the legal basis and the money's source, the payment terms, when the
    follow-up report is due, and how to complain (a guide, or that there is no appeal)."""

    sender: str
    sender_address: str
    sender_cvr: str
    sender_email: str
    sender_phone: str
    legal_basis: str
    funding_source: str
    payment_terms: str
    report_by: dt.date | None
    complaints_guide: str
    no_appeal: bool


def call_letter_facts(call: Call) -> CallLetterFacts:
    """The letter facts of ``call``: its own, else its pool's (up the tree), else the
    administering organisation's (name, address, CVR, e-mail and phone). Reads the pool's
    administrator through ``call.pool`` (select it with the call) and the tree in one query."""
    sender = call.pool.administrator
    pool = pool_letter_facts(call.pool)
    return CallLetterFacts(
        sender=sender.name,
        sender_address=", ".join(
            part for part in (sender.address, f"{sender.postal_code} {sender.city}".strip()) if part
        ),
        sender_cvr=sender.cvr,
        sender_email=call.letter_email or sender.contact_email,
        sender_phone=call.letter_phone or sender.contact_phone,
        legal_basis=call.legal_basis or pool.legal_basis,
        funding_source=call.funding_source or pool.funding_source,
        payment_terms=call.payment_terms,
        report_by=call.report_by,
        complaints_guide=call.complaints_guide or pool.complaints_guide,
        no_appeal=not call.complaints_guide and pool.no_appeal,
    )
