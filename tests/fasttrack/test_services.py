"""The fast track: what it grants, in which order, what it sends to a caseworker and why, and
its pause; the race against the last money is in test_concurrency.py (PostgreSQL)."""

import pytest
from django_tasks_db.models import DBTaskResult

from pulje.applications.models import ApplicationStatus
from pulje.core.audit import events_for
from pulje.core.audit_actions import AuditAction
from pulje.core.jobs import Job
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.decisions.services import decide_applications
from pulje.fasttrack.models import Entry, EntryOutcome
from pulje.fasttrack.reasons import message
from pulje.fasttrack.services import (
    SYSTEM_EMAIL,
    FastTrackRefused,
    pause_fast_track,
    set_fast_track,
    settle_fast_track,
)
from pulje.ledger.selectors import find_ledger_discrepancies
from tests.factories.decisions import available
from tests.factories.fasttrack import Track, draft, make_track, submit


def _settle(track: Track) -> list[Entry]:
    return settle_fast_track(band_id=track.fast_track.band_id)


def test_a_small_application_that_passes_screening_is_granted_by_the_fast_track(
    track: Track, django_capture_on_commit_callbacks: pytest.FixtureRequest
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        application = submit(track, draft(track, 12_000))
    # The submission queued the worker's task for the band, after its commit.
    assert list(DBTaskResult.objects.values_list("task_path", "args_kwargs")) == [
        (
            "pulje.fasttrack.services.settle_band",
            {"args": [], "kwargs": {"band_id": track.fast_track.band_id}},
        )
    ]

    settled = _settle(track)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.GRANTED
    decision = Decision.objects.get(application=application)
    assert (decision.amount_ore, decision.decided_by.name) == (kr(12_000), "Hurtigsporet")
    assert [(e.outcome, e.decision_id) for e in settled] == [(EntryOutcome.GRANTED, decision.pk)]
    assert available(track.fast_track.band) == kr(100_000 - 12_000)
    granted = [e for e in events_for(application) if e.action == AuditAction.APPLICATION_GRANTED]
    assert [e.actor_id for e in granted] == [decision.decided_by_id]
    assert decision.decided_by.email == SYSTEM_EMAIL
    assert Job.objects.filter(payload__decision_ids=[decision.pk]).count() == 1
    assert find_ledger_discrepancies() == []


def test_the_fast_track_grants_in_submission_order_while_the_money_lasts(db: None) -> None:
    track = make_track(band_money=kr(30_000))
    first, second, third = (submit(track, draft(track, 15_000, f"Nr. {n}")) for n in range(3))

    settled = _settle(track)

    assert [(e.application_id, e.outcome) for e in settled] == [
        (first.pk, EntryOutcome.GRANTED),
        (second.pk, EntryOutcome.GRANTED),
        (third.pk, EntryOutcome.TO_CASEWORKER),
    ]
    last = settled[2]
    assert message(last.reason, last.params) == (
        "Beløbsrammen har 0 kr. tilbage, mindre end de 15.000 kr., ansøgningen søger."
    )
    assert available(track.fast_track.band) == 0
    third.refresh_from_db()
    assert third.status == ApplicationStatus.SCREENED
    assert find_ledger_discrepancies() == []


def test_a_screening_remark_sends_the_application_to_a_caseworker(track: Track) -> None:
    unknown_partner = submit(track, draft(track, 12_000, partner_1_cvr=["10000009"]))
    too_large = submit(track, draft(track, 20_000))

    settled = _settle(track)

    assert [(e.application_id, e.outcome, e.reason) for e in settled] == [
        (unknown_partner.pk, EntryOutcome.TO_CASEWORKER, "remarks"),
        (too_large.pk, EntryOutcome.TO_CASEWORKER, "over_max"),
    ]
    assert message(settled[1].reason, settled[1].params) == (
        "Ansøgningen søger 20.000 kr., mere end hurtigsporet bevilger (15.000 kr.)."
    )
    assert Decision.objects.count() == 0
    [entered, sent] = events_for(settled[1])
    assert (entered.action, entered.actor) == (AuditAction.FASTTRACK_ENTERED, None)
    assert sent.action == AuditAction.FASTTRACK_TO_CASEWORKER
    assert sent.actor is not None
    assert sent.actor.email == SYSTEM_EMAIL
    assert sent.after is not None
    assert sent.after == {
        "outcome": EntryOutcome.TO_CASEWORKER,
        "reason": "over_max",
        "params": {"amount_ore": kr(20_000), "max_ore": kr(15_000)},
        "settled_at": sent.after["settled_at"],
        "decision": None,
        "application": too_large.pk,
    }


def test_a_paused_fast_track_holds_the_applications_until_it_is_resumed(
    track: Track, django_capture_on_commit_callbacks: pytest.FixtureRequest
) -> None:
    caseworker = track.funded.caseworker
    pause_fast_track(actor=caseworker, track=track.fast_track, paused=True)
    application = submit(track, draft(track, 12_000))

    assert _settle(track) == []
    entry = Entry.objects.get(application=application)
    assert (entry.outcome, entry.reason) == (EntryOutcome.WAITING, "paused")
    assert message(entry.reason, entry.params) == (
        "Beløbsrammens hurtigspor er sat på pause: ansøgningen venter, til det genoptages."
    )

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        pause_fast_track(actor=caseworker, track=track.fast_track, paused=False)
    assert DBTaskResult.objects.filter(task_path="pulje.fasttrack.services.settle_band").exists()
    assert [e.outcome for e in _settle(track)] == [EntryOutcome.GRANTED]
    assert [e.action for e in events_for(track.fast_track)] == [
        AuditAction.FASTTRACK_SET,
        AuditAction.FASTTRACK_PAUSED,
        AuditAction.FASTTRACK_RESUMED,
    ]
    with pytest.raises(FastTrackRefused) as refused:
        pause_fast_track(actor=caseworker, track=track.fast_track, paused=False)
    assert refused.value.code == "unchanged"


def test_an_application_a_caseworker_decided_meanwhile_is_left_to_them(track: Track) -> None:
    application = submit(track, draft(track, 12_000))
    decide_applications(
        actor=track.funded.caseworker,
        applications=[application],
        outcome="reject",
        reason_code="other",
        reason_text="Uden for formålet.",
    )

    settled = _settle(track)

    assert [(e.outcome, e.reason, e.params) for e in settled] == [
        (EntryOutcome.TO_CASEWORKER, "not_screened", {"status": "rejected"})
    ]
    assert message(settled[0].reason, settled[0].params) == (
        "Ansøgningen venter ikke længere på en afgørelse (den er “afslag givet”)."
    )
    assert Decision.objects.filter(application=application).count() == 1


def test_only_the_bands_secretariat_sets_or_pauses_the_fast_track(track: Track) -> None:
    applicant = track.funded.applicant.user
    with pytest.raises(FastTrackRefused) as refused:
        set_fast_track(actor=applicant, band=track.fast_track.band, max_amount_ore=kr(10_000))
    assert refused.value.code == "not_secretariat"
    with pytest.raises(FastTrackRefused) as refused:
        pause_fast_track(actor=applicant, track=track.fast_track, paused=True)
    assert refused.value.code == "not_secretariat"


@pytest.mark.parametrize("max_kr", [9_999, 50_000])
def test_the_largest_automatic_grant_lies_within_the_band(track: Track, max_kr: int) -> None:
    with pytest.raises(FastTrackRefused) as refused:
        set_fast_track(
            actor=track.funded.caseworker,
            band=track.fast_track.band,
            max_amount_ore=kr(max_kr),
        )
    assert (refused.value.code, refused.value.message) == (
        "max_amount",
        "Det største automatiske tilskud skal ligge inden for beløbsrammens 10.000 kr. til "
        "49.999 kr.",
    )


def test_a_band_not_on_the_fast_track_leaves_its_applications_to_the_caseworkers(
    track: Track,
) -> None:
    application = submit(track, draft(track, 60_000))

    assert not Entry.objects.filter(application=application).exists()
