"""One kit for every state machine: an explicit table of moves and the one function that makes
them (docs/workflows.md draws each table).

A ``Machine`` names a model, the field that holds its state, the table ``(state, action) →
new state`` and the audit event of each action. ``move`` checks the table, writes the new
state with a compare-and-swap (``filter(pk=…, <field>=old).update(…)`` must return 1, so of
two people acting on the same row at once only one succeeds and the other is told to reload),
records the audit event in the same transaction and queues ``notify`` (an e-mail, say) for
after the commit. ``allowed`` asks the table alone, for views and for templates
(``{% if application|may:"withdraw" %}``).

Refusals are the owning app's own exception (``refuse``), so each app keeps its refusal type
and its Danish wording; ``code`` is "transition" for a move the table does not have and
"conflict" when the row changed since it was read.
"""

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from django.db import models, transaction
from django.utils.functional import Promise

from pulje.core.audit import record_event, snapshot

if TYPE_CHECKING:
    from pulje.accounts.models import User

M = TypeVar("M", bound=models.Model)

# (message, code) → the exception the owning app raises.
Refuse = Callable[[str, str], Exception]


@dataclass(frozen=True)
class Guard(Generic[M]):
    """A condition an action needs beyond the state: ``holds`` on the row as read (for
    ``allowed``), ``where`` in the compare-and-swap, so it holds when the row is written."""

    holds: Callable[[M], bool]
    where: Callable[[], models.Q]


@dataclass(frozen=True)
class Derived(Generic[M]):
    """A state read from other fields instead of stored as one (an allocation run is
    confirmed once it has ``confirmed_at``): ``of`` reads it from the row, ``where`` is the
    filter that finds a row in it. A move's ``changes`` write what makes the new state."""

    of: Callable[[M], str]
    where: Callable[[str], models.Q]


@dataclass(frozen=True)
class Machine(Generic[M]):
    """The moves of one model's state (see the module docstring): ``field`` names the field
    that holds it, or ``Derived`` reads it from others."""

    model: type[M]
    field: "str | Derived[M]"
    table: Mapping[tuple[str, str], str]
    refuse: Refuse
    # "… “%(status)s” cannot be changed that way." and "… changed at the same time elsewhere …".
    wrong_state: str | Promise
    conflict: str | Promise
    # action → audit event; an action without one records none (a worker's claim of a job).
    events: Mapping[str, str] = dataclasses.field(default_factory=dict)
    guards: Mapping[str, Guard[M]] = dataclasses.field(default_factory=dict)
    # The state a new row starts in and what makes it, for the diagram.
    initial: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        _MACHINES[self.model] = self

    def state_of(self, obj: M) -> str:
        if isinstance(self.field, Derived):
            return self.field.of(obj)
        return str(getattr(obj, self.field))

    def sources(self, *actions: str) -> frozenset[str]:
        """The states from which any of ``actions`` is a move."""
        return frozenset(state for state, action in self.table if action in actions)

    def allowed(self, obj: M, action: str) -> bool:
        """Whether the table (and the action's guard) lets ``obj`` move by ``action`` now.
        Reads nothing from the database; the move itself checks again."""
        if (self.state_of(obj), action) not in self.table:
            return False
        guard = self.guards.get(action)
        return guard is None or guard.holds(obj)

    def next_state(self, obj: M, action: str) -> str:
        """The state ``action`` leads to from ``obj``'s, or the owner's refusal (code
        "transition")."""
        try:
            return self.table[(self.state_of(obj), action)]
        except KeyError:
            raise self.refuse(self._wrong_state(self.state_of(obj)), "transition") from None

    def move(
        self,
        *,
        actor: "User | None",
        obj: M,
        action: str,
        changes: Mapping[str, Any] | None = None,
        recorded: Mapping[str, Any] | None = None,
        notify: Callable[[], None] | None = None,
        event: str | None = None,
    ) -> str:
        """Move ``obj`` by ``action`` and return its new state: the state from the table,
        written only if the state (and the action's guard) is still what was read
        (compare-and-swap), with ``changes`` to other fields; the audit event (the table's, or
        ``event`` for a machine whose events its owner names) with the state before and
        after, the changed fields and ``recorded``, in the same transaction; ``notify`` run
        after the commit. Must run inside the caller's transaction when it records an event.

        Raises the owner's refusal: "transition" when the table has no such move or the
        guard does not hold, "conflict" when the row changed since it was read.
        """
        changes = dict(changes or {})
        old = self.state_of(obj)
        new = self.next_state(obj, action)
        guard = self.guards.get(action)
        if guard is not None and not guard.holds(obj):
            raise self.refuse(self._wrong_state(old), "transition")
        written = dict(changes)
        if not isinstance(self.field, Derived):
            written[self.field] = new
        rows = self.model._default_manager.filter(pk=obj.pk).filter(self._in_state(old))
        if guard is not None:
            rows = rows.filter(guard.where())
        if rows.update(**written) != 1:
            raise self.refuse(str(self.conflict), "conflict")
        for name, value in written.items():
            setattr(obj, name, value)
        audited = event or self.events.get(action)
        if audited is not None:
            name = "state" if isinstance(self.field, Derived) else self.field
            record_event(
                actor=actor,
                action=audited,
                obj=obj,
                before={name: old},
                after={
                    name: new,
                    **snapshot(obj, changes),
                    **(recorded or {}),
                },
            )
        if notify is not None:
            # robust: a mail server that fails is logged; the move stands.
            transaction.on_commit(notify, robust=True)
        return new

    def mermaid(self) -> str:
        """The table as a mermaid state diagram, one arrow per move in the table's order,
        after the arrow into ``initial``; docs/ draws each machine with this (a test holds
        them to it)."""
        lines = ["stateDiagram-v2"]
        if self.initial is not None:
            state, how = self.initial
            lines.append(f"    [*] --> {state}: {how}")
        lines += [f"    {state} --> {new}: {action}" for (state, action), new in self.table.items()]
        return "\n".join(lines) + "\n"

    def _in_state(self, state: str) -> models.Q:
        if isinstance(self.field, Derived):
            return self.field.where(state)
        return models.Q(**{self.field: state})

    def _wrong_state(self, state: str) -> str:
        label = state
        if not isinstance(self.field, Derived):
            column = cast("models.Field[Any, Any]", self.model._meta.get_field(self.field))
            label = str(dict(column.choices or []).get(state, state))
        return str(self.wrong_state) % {"status": label.lower()}


_MACHINES: dict[type[models.Model], Machine[Any]] = {}


def machine_for(obj: models.Model) -> Machine[Any]:
    """The machine of ``obj``'s model; KeyError when it has none."""
    return _MACHINES[type(obj)]


def allowed(obj: models.Model, action: str) -> bool:
    """Whether ``obj`` may move by ``action`` now, by its model's machine."""
    return machine_for(obj).allowed(obj, action)
