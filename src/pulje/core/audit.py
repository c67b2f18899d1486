"""The audit trail: every state change and money movement is recorded here, in the same
transaction as the change itself, as a link in a SHA-256 hash chain.

Appending takes a row lock on the chain's head, so events get gap-free sequence numbers and
each one hashes its predecessor. That serialises audited writes; it is the last lock in the
order of ``core.locks``.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from pulje.core.audit_actions import AuditAction, known_label
from pulje.core.locks import refusing_lock_timeouts
from pulje.core.models import AuditEvent, AuditHead

if TYPE_CHECKING:
    # Only the static type: core sits below accounts (AUTH_USER_MODEL at run time).
    from pulje.accounts.models import User

GENESIS_HASH = "0" * 64
ModelT = TypeVar("ModelT", bound=models.Model)


class _AuditEncoder(DjangoJSONEncoder):
    """Moments in UTC, so 12:00+01:00 from a form and 11:00Z from the database are one value
    and an unchanged time is never recorded as a change."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and o.tzinfo is not None:
            o = o.astimezone(UTC)
        return super().default(o)


def _canonical(value: Any) -> str:
    return json.dumps(
        value, cls=_AuditEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def _normalised(value: Any) -> Any:
    """The value as it will read back from a JSON column, so the hash is stable."""
    return None if value is None else json.loads(_canonical(value))


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    prev_hash: str,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
) -> str:
    payload = {
        "seq": seq,
        "occurred_at": _timestamp(occurred_at),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
    }
    return hashlib.sha256((prev_hash + _canonical(payload)).encode()).hexdigest()


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of a model instance as plain JSON values (foreign keys by id)."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        assert isinstance(field, models.Field)
        values[name] = field.value_from_object(instance)
    return dict(_normalised(values))


def record_event(
    *,
    actor: "User | None",
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction that makes the change.

    ``action`` is an ``AuditAction`` (or an ``admin_action``); anything else is refused, so
    every event has a label."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change it records")
    if known_label(action) is None:
        raise ValueError(f"{action!r} is not an AuditAction")
    head = lock_head()
    seq = head.seq + 1
    occurred_at = timezone.now()
    fields = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor_id": actor.pk if actor is not None else None,
        "action": action,
        "object_type": obj._meta.label_lower,
        "object_id": str(obj.pk),
        "before": _normalised(before),
        "after": _normalised(after),
    }
    digest = event_hash(prev_hash=head.hash, **fields)
    event = AuditEvent.objects.create(prev_hash=head.hash, hash=digest, **fields)
    head.seq, head.hash = seq, digest
    head.save(update_fields=["seq", "hash"])
    return event


def lock_head() -> AuditHead:
    """Lock the chain's head, creating it at the start of the chain if there is none yet.

    Migrations create it; it is missing only where a test flush emptied every table, and then
    there are no events either. A missing head with events is tampering, and is refused.
    After ``lock_for`` the wait is bounded, and ends in ``LockTimeout``.
    """
    with refusing_lock_timeouts():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        if AuditEvent.objects.exists():
            raise RuntimeError("The audit chain's head is missing while events exist.")
        head = AuditHead.objects.create(pk=1, seq=0, hash=GENESIS_HASH)
    return head


def apply_changes(
    *,
    actor: "User | None",
    instance: ModelT,
    changes: dict[str, Any],
    changeable: Iterable[str],
    recorded: Iterable[str],
    action: AuditAction,
    validate: Callable[[ModelT], None],
) -> ModelT:
    """Set ``changes`` on ``instance``, validate, save and record one event with the
    ``recorded`` fields before and after; when nothing differs, write nothing at all.

    The shared body of the apps' ``update_…`` services; they run it in their transaction.
    Raises TypeError for a field outside ``changeable``, and whatever ``validate`` raises.
    """
    unknown = set(changes) - set(changeable)
    if unknown:
        raise TypeError(f"Cannot change {sorted(unknown)} of {instance._meta.label}.")
    recorded = tuple(recorded)
    before = snapshot(instance, recorded)
    for name, value in changes.items():
        setattr(instance, name, value)
    after = snapshot(instance, recorded)
    if after == before:
        return instance
    validate(instance)
    instance.save()
    record_event(actor=actor, action=action, obj=instance, before=before, after=after)
    return instance


def create_recorded(
    *,
    actor: "User | None",
    instance: ModelT,
    recorded: Iterable[str],
    action: AuditAction,
    validate: Callable[[ModelT], None],
) -> ModelT:
    """Validate the new ``instance``, save it and record one event with the ``recorded``
    fields after: the shared body of the apps' ``create_…`` services, the twin of
    ``apply_changes``; they run it in their transaction. Raises whatever ``validate`` raises,
    and then writes nothing."""
    validate(instance)
    instance.save()
    record_event(actor=actor, action=action, obj=instance, after=snapshot(instance, recorded))
    return instance


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


def find_chain_problems() -> Iterator[ChainProblem]:
    """Walk the chain in order and report every event that is missing, edited or out of place."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            yield ChainProblem(
                expected_seq, f"events {expected_seq}–{event.seq - 1} are missing (deleted?)"
            )
        if event.prev_hash != prev_hash:
            yield ChainProblem(event.seq, "does not link to the event before it")
        recomputed = event_hash(
            prev_hash=event.prev_hash,
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            before=event.before,
            after=event.after,
        )
        if recomputed != event.hash:
            yield ChainProblem(event.seq, "its content does not match its hash (edited?)")
        prev_hash = event.hash
        expected_seq = event.seq + 1
    head = AuditHead.objects.filter(pk=1).first() or AuditHead(seq=0, hash=GENESIS_HASH)
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        yield ChainProblem(
            head.seq,
            f"the chain ends at event {expected_seq - 1} but its head records event {head.seq} "
            "(events at the end deleted?)",
        )


def action_label(action: str) -> str:
    """A short, translated label for an event's action, for timelines (the action itself for
    one no longer known)."""
    return known_label(action) or action


def events_for(obj: models.Model) -> list[AuditEvent]:
    """The timeline of one object, oldest first."""
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("seq")
    )
