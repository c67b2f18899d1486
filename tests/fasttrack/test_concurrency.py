"""Two applications submitted at the same moment against the last money in a fast-track band,
each submission's worker settling the band at once.

Each thread has its own connection, as each web worker and task worker would; only PostgreSQL
has the row locks this is about, so these tests run in the PostgreSQL leg of `make test`.
"""

import threading
from typing import Any

import pytest

from pulje.applications.models import Application, ApplicationStatus
from pulje.core.locks import lock_for
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.decisions.services import decide_applications
from pulje.fasttrack import services
from pulje.fasttrack.models import Entry, EntryOutcome
from pulje.fasttrack.services import FastTrackRefused
from pulje.ledger.selectors import find_ledger_discrepancies
from tests.concurrency import Outcome, another_connection_waits_for_a_lock, run_at_once, wait_until
from tests.factories.decisions import available
from tests.factories.fasttrack import Track, draft, make_track, submit

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _race(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Outcome], set[int], Track, list[Any]]:
    """15.000 kr. left in the band, two applications of 15.000 kr. submitted at once; once
    both are in, each thread settles the band, as the two submissions' tasks would.

    Each thread, about to grant, waits until the other is about to grant too or waits for a
    lock: with the band's lock the second thread is waiting for it and the first goes on
    alone; without it both read the same waiting applications and the same last money.
    """
    track = make_track(band_money=kr(15_000))
    # The system actor exists from the first run on; made here, neither thread waits for
    # the other's new row.
    services.system_actor()
    drafts = [draft(track, 15_000, f"Nr. {n}") for n in range(2)]
    band_id = track.fast_track.band_id
    both_submitted = threading.Barrier(2)
    about_to_grant: set[int] = set()
    decide = decide_applications

    def decide_then_wait(**kwargs: Any) -> Any:
        about_to_grant.add(threading.get_ident())
        wait_until(
            lambda: len(about_to_grant) == 2 or another_connection_waits_for_a_lock(),
            what="the other worker to be about to grant or to wait for a lock",
        )
        return decide(**kwargs)

    monkeypatch.setattr(services, "decide_applications", decide_then_wait)

    def submit_and_settle(application: Application) -> list[Entry]:
        submit(track, application)
        both_submitted.wait(timeout=30)
        return services.settle_fast_track(band_id=band_id)

    outcomes = run_at_once(*(lambda a=a: submit_and_settle(a) for a in drafts))
    return outcomes, about_to_grant, track, drafts


def test_simultaneous_submissions_against_the_last_money_grant_one_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcomes, about_to_grant, track, drafts = _race(monkeypatch)

    assert all(isinstance(outcome, list) for outcome in outcomes), outcomes
    # One worker settled both, the other found nothing waiting once it had the lock.
    assert sorted(len(outcome) for outcome in outcomes) == [0, 2]
    assert len(about_to_grant) == 1
    first, second = sorted(
        Application.objects.filter(pk__in=[a.pk for a in drafts]),
        key=lambda a: (a.submitted_at, a.pk),
    )
    entries = {e.application_id: e for e in Entry.objects.all()}
    assert (entries[first.pk].outcome, entries[second.pk].outcome) == (
        EntryOutcome.GRANTED,
        EntryOutcome.TO_CASEWORKER,
    )
    assert (entries[second.pk].reason, entries[second.pk].params) == (
        "no_money",
        {"available_ore": 0, "amount_ore": kr(15_000)},
    )
    assert [first.status, second.status] == [ApplicationStatus.GRANTED, ApplicationStatus.SCREENED]
    assert list(Decision.objects.values_list("application_id", flat=True)) == [first.pk]
    assert available(track.fast_track.band) == 0
    assert find_ledger_discrepancies() == []


def test_control_without_the_band_lock_both_workers_set_out_to_grant_the_same_application(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: with the band's lock switched off both workers read the same waiting
    applications and the same last money, and both set out to grant the first, so the test
    above proves the lock. The decision service's own locks still stop the second grant (the
    ledger is never overspent), and the entry's compare-and-swap refuses the second worker's
    record of it, so that worker's whole run fails and rolls back."""
    monkeypatch.setattr(services, "lock_for", lambda **locks: lock_for(**{**locks, "pools": []}))
    outcomes, about_to_grant, track, _drafts = _race(monkeypatch)

    assert len(about_to_grant) == 2
    settled = [outcome for outcome in outcomes if isinstance(outcome, list)]
    failed = [outcome for outcome in outcomes if isinstance(outcome, FastTrackRefused)]
    assert (len(settled), len(failed)) == (1, 1), outcomes
    assert failed[0].code == "conflict"
    granted = Decision.objects.get().application
    assert granted.status == ApplicationStatus.GRANTED
    assert Entry.objects.get(application=granted).outcome == EntryOutcome.GRANTED
    assert available(track.fast_track.band) == 0
    assert find_ledger_discrepancies() == []
