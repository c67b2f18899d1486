"""Writes of the fast track: the secretariat sets a band's fast track, pauses and resumes it;
a submission enters it; the worker settles its waiting applications (docs/fasttrack.md).

The automatic grant is the decisions app's own ``decide_applications``, called by pulje's
system actor "Hurtigsporet" (``system_actor``): the same checks, ledger commitment, audit
events and letters as a caseworker's grant, with no confirmation page (nobody is there to
confirm). The band's pool account is locked first (``core.locks``: pools before
applications), so two workers settling the same band queue behind each other and the
waiting applications are granted strictly in submission order while the money lasts.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.calls.selectors import call_bands
from pulje.casework.models import ScreeningOutcome
from pulje.casework.selectors import latest_screening
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.errors import Refused
from pulje.core.locks import lock_for
from pulje.core.money import format_dkk
from pulje.core.workflow import Machine
from pulje.decisions.models import Decision
from pulje.decisions.selectors import grant_pool
from pulje.decisions.services import DecisionRefused, decide_applications
from pulje.fasttrack.models import Entry, EntryOutcome, FastTrack
from pulje.funds.models import Pool
from pulje.funds.permissions import can_manage_pool
from pulje.funds.selectors import second_approval_threshold
from pulje.ledger.models import PoolAccount

SYSTEM_EMAIL = "hurtigsporet@system.pulje.invalid"
RECORDED = ("band", "max_amount_ore", "paused")


class FastTrackRefused(Refused):
    """A change to a fast track its rules do not allow; nothing was written."""


W, G, T = EntryOutcome.WAITING, EntryOutcome.GRANTED, EntryOutcome.TO_CASEWORKER
# An entry's moves (docs/fasttrack.md draws the table): settled once, unless the applicant
# submits changes to an application sent to a caseworker, which then waits again.
ENTRY = Machine(
    model=Entry,
    field="outcome",
    table={
        (W, "grant"): G,
        (W, "send_to_caseworker"): T,
        (W, "enter"): W,
        (T, "enter"): W,
    },
    events={
        "grant": AuditAction.FASTTRACK_GRANTED,
        "send_to_caseworker": AuditAction.FASTTRACK_TO_CASEWORKER,
        "enter": AuditAction.FASTTRACK_ENTERED,
    },
    refuse=lambda message, code: FastTrackRefused(message, code=code),
    wrong_state=gettext_lazy(
        "An application that is “%(status)s” on the fast track cannot move that way."
    ),
    conflict=gettext_lazy("The fast track settled the application at the same time elsewhere."),
    initial=(W, "enter"),
)


def system_actor() -> User:
    """Pulje's own account for the fast track's decisions, "Hurtigsporet": the actor its
    grants and letters are recorded by. It cannot log in (inactive, no password). It passes
    the decision service's caseworker check as a superuser: what it may grant is bounded by
    this module (the secretariat's fast track on, not paused, the amount within its limit,
    screening passed with no remark)."""
    user, created = User.objects.get_or_create(
        email=SYSTEM_EMAIL,
        defaults={"name": "Hurtigsporet", "is_active": False, "is_superuser": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _refuse_unless_secretariat(actor: User, band: Pool) -> None:
    if not can_manage_pool(actor, band):
        raise FastTrackRefused(
            _("Only the secretariat of “%(pool)s” may change its fast track.")
            % {"pool": band.name},
            code="not_secretariat",
        )


@transaction.atomic
def set_fast_track(*, actor: User, band: Pool, max_amount_ore: int) -> FastTrack:
    """Mark ``band`` automatic, granting applications of at most ``max_amount_ore``, or change
    that amount; a new fast track starts running (not paused).

    Side effects: the ``FastTrack`` row; audit event ``fasttrack.fasttrack.set`` with the
    row before and after.
    Raises FastTrackRefused: ``not_secretariat`` for an actor who does not manage the band,
    ``not_band`` for a pool that is not a grant band, ``max_amount`` for an amount that is
    not positive, outside the band's limits or above the amount that needs a second
    approval (an automatic grant has no second caseworker).
    """
    _refuse_unless_secretariat(actor, band)
    if not band.is_band:
        raise FastTrackRefused(
            _("“%(pool)s” is not a grant band.") % {"pool": band.name}, code="not_band"
        )
    assert band.grant_min_ore is not None
    assert band.grant_max_ore is not None
    if not band.grant_min_ore <= max_amount_ore <= band.grant_max_ore:
        raise FastTrackRefused(
            # No full stop after the amount: it ends in "kr." already.
            _("The largest automatic grant must be within the band's %(low)s to %(high)s")
            % {"low": format_dkk(band.grant_min_ore), "high": format_dkk(band.grant_max_ore)},
            code="max_amount",
            field="max_amount",
        )
    threshold = second_approval_threshold(band)
    if threshold is not None and max_amount_ore > threshold:
        raise FastTrackRefused(
            _(
                "Grants above %(threshold)s from this band need a second caseworker's "
                "approval, so the fast track cannot grant more than that."
            )
            % {"threshold": format_dkk(threshold)},
            code="max_amount",
            field="max_amount",
        )
    track = FastTrack.objects.select_for_update().filter(band=band).first()
    before = snapshot(track, RECORDED) if track else None
    if track is None:
        track = FastTrack(band=band, max_amount_ore=max_amount_ore)
    track.max_amount_ore = max_amount_ore
    after = snapshot(track, RECORDED)
    if after == before:
        return track
    track.save()
    record_event(
        actor=actor,
        action=AuditAction.FASTTRACK_SET,
        obj=track,
        before=before,
        after=snapshot(track, RECORDED),
    )
    return track


@transaction.atomic
def pause_fast_track(*, actor: User, track: FastTrack, paused: bool) -> FastTrack:
    """Pause (``paused``) or resume the band's fast track. While it is paused, applications
    entering it wait (a caseworker may decide them by hand); resumed, the worker settles
    those still waiting, in submission order.

    Side effects: ``FastTrack.paused``; audit event ``fasttrack.fasttrack.paused`` or
    ``fasttrack.fasttrack.resumed``; on resume, after commit, the worker's task for the band.
    Raises FastTrackRefused: ``not_secretariat``; ``unchanged`` when it is already so.
    """
    _refuse_unless_secretariat(actor, track.band)
    locked = FastTrack.objects.select_for_update().get(pk=track.pk)
    if locked.paused == paused:
        raise FastTrackRefused(
            _("The fast track is already paused.")
            if paused
            else _("The fast track is already running."),
            code="unchanged",
        )
    locked.paused = paused
    locked.save(update_fields=["paused"])
    record_event(
        actor=actor,
        action=AuditAction.FASTTRACK_PAUSED if paused else AuditAction.FASTTRACK_RESUMED,
        obj=locked,
        before={"paused": not paused},
        after={"paused": paused},
    )
    if not paused:
        band_id = locked.band_id
        transaction.on_commit(lambda: settle_band.enqueue(band_id=band_id))
    return locked


def enter_fast_track(*, application: Application) -> Entry | None:
    """On submission, in its transaction: if the band the application's amount falls in has
    a fast track, the application waits in it, and after commit the worker's task settles
    the band. A changed application submitted again waits again. Nothing for a band without
    a fast track (None).

    Side effects: an ``Entry`` (waiting; back to waiting for one sent to a caseworker, by
    ``ENTRY``'s ``enter``), audit event ``fasttrack.entry.entered``; after commit, the task
    ``settle_band``.
    """
    band = grant_pool(application, call_bands(application.call))
    track = FastTrack.objects.filter(band=band).first() if band is not None else None
    if track is None:
        return None
    reason = "paused" if track.paused else ""
    entry = Entry.objects.select_for_update().filter(application=application).first()
    if entry is None:
        entry = Entry.objects.create(application=application, fast_track=track, reason=reason)
        record_event(
            actor=None,
            action=AuditAction.FASTTRACK_ENTERED,
            obj=entry,
            after={"outcome": entry.outcome, "fast_track": track.pk, "reason": reason},
        )
    else:
        ENTRY.move(
            actor=None,
            obj=entry,
            action="enter",
            changes={"fast_track": track, "reason": reason, "params": {}, "settled_at": None},
            recorded={"fast_track": track.pk},
        )
    band_id = track.band_id
    transaction.on_commit(lambda: settle_band.enqueue(band_id=band_id))
    return entry


@task()
def settle_band(band_id: int) -> None:
    """The worker's side of ``enter_fast_track`` and of a resume."""
    settle_fast_track(band_id=band_id)


def settle_fast_track(*, band_id: int) -> list[Entry]:
    """Grant or send to a caseworker every application waiting in the band's fast track, in
    submission order, in one transaction holding the band's pool account locked. Returns
    the entries settled.

    For each: one no longer undecided, or whose screening failed or made remarks, or asking
    more than the fast track grants, goes to a caseworker with that reason; while the band
    has the money for it, the rest is granted by ``decide_applications`` as the system
    actor, with its side effects (decision, ledger commitment, audit events, the letter's
    job and the e-mail after commit); when the band is short, to a caseworker with what it
    has left. A refused decision sends the application to a caseworker with the refusal.
    While the fast track is paused, nothing is settled and the waiting entries say so.
    Side effects besides: each entry settled by ``ENTRY`` (compare-and-swap), audit event
    ``fasttrack.entry.granted`` or ``fasttrack.entry.to_caseworker`` (with the reason).
    """
    with transaction.atomic():
        track = FastTrack.objects.filter(band_id=band_id).select_related("band").first()
        if track is None:
            return []
        # The band's money, locked first: a concurrent run or a caseworker's grant from
        # the band waits here, so what is read below stays true until this commits.
        lock_for(pools=[band_id])
        account = PoolAccount.objects.get(pool_id=band_id)
        track.refresh_from_db(fields=["paused", "max_amount_ore"])
        waiting = list(
            Entry.objects.filter(fast_track=track, outcome=EntryOutcome.WAITING)
            .select_related("application__call__pool", "application__organisation")
            .order_by("application__submitted_at", "application__pk")
        )
        if track.paused:
            Entry.objects.filter(pk__in=[e.pk for e in waiting]).update(reason="paused")
            return []
        actor = system_actor()
        return [_settle(actor, track, account, entry) for entry in waiting]


def _settle(actor: User, track: FastTrack, account: PoolAccount, entry: Entry) -> Entry:
    application = entry.application
    application.refresh_from_db(fields=["status", "amount_ore"])
    amount = application.amount_ore or 0
    reason, params = _reason_not_to_grant(track, application, amount)
    if not reason:
        account.refresh_from_db()
        available = account.balance.available
        if amount > available:
            reason, params = "no_money", {"available_ore": available, "amount_ore": amount}
    if not reason:
        try:
            decided = decide_applications(actor=actor, applications=[application], outcome="grant")
        except DecisionRefused as refusal:
            reason, params = "refused", {"message": refusal.message}
        else:
            return _record(actor, entry, EntryOutcome.GRANTED, decision=decided[0])
    return _record(actor, entry, EntryOutcome.TO_CASEWORKER, reason=reason, params=params)


def _reason_not_to_grant(
    track: FastTrack, application: Application, amount: int
) -> tuple[str, dict[str, object]]:
    if application.status != ApplicationStatus.SCREENED:
        return "not_screened", {"status": application.status}
    screening = latest_screening(application)
    outcome = screening.effective_outcome if screening else ScreeningOutcome.FAIL
    if outcome == ScreeningOutcome.FAIL:
        return "failed", {}
    if outcome != ScreeningOutcome.PASS:
        return "remarks", {}
    if amount > track.max_amount_ore:
        return "over_max", {"amount_ore": amount, "max_ore": track.max_amount_ore}
    return "", {}


def _record(
    actor: User,
    entry: Entry,
    outcome: EntryOutcome,
    *,
    decision: Decision | None = None,
    reason: str = "",
    params: dict[str, object] | None = None,
) -> Entry:
    """Settle ``entry`` (compare-and-swap on its outcome: an entry another worker settled
    meanwhile is refused, ``conflict``, and this worker's transaction rolls back)."""
    ENTRY.move(
        actor=actor,
        obj=entry,
        action="grant" if outcome == EntryOutcome.GRANTED else "send_to_caseworker",
        changes={
            "reason": reason,
            "params": params or {},
            "settled_at": timezone.now(),
            "decision": decision,
        },
        recorded={"application": entry.application_id, "reason": reason, "params": params or {}},
    )
    return entry
