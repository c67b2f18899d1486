"""What a confirmation page shows before decisions are made: the decisions, their warnings,
the token that binds the confirmation to them, and one letter as it will be sent.

The letter and what the services would refuse come from a dry run: the act itself (e.g.
``decide_applications``) in a transaction that is always rolled back, so the preview is the
real decision, worded by the real letter renderer (``letters.rendering.letter_text``), and a
refusal shown here is the one the service would give. Nothing of the dry run survives: its
rows, events and after-commit work go with the rollback.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction

from pulje.calls.models import Call
from pulje.core.errors import Refused
from pulje.decisions.brakes import brake_facts
from pulje.decisions.models import Decision
from pulje.decisions.selectors import letter_subjects
from pulje.decisions.warnings import Item, Warning, confirmation_token, total_ore, warnings_for
from pulje.letters.rendering import letter_text
from pulje.letters.services import ensure_letter_templates


@dataclass(frozen=True)
class Preview:
    items: list[Item]
    warnings: list[Warning]
    token: str
    # The first decision's letter as plain text, and whose it is ("" when none is made).
    letter: str
    letter_reference: str

    @property
    def total_ore(self) -> int:
        return total_ore(self.items)

    @property
    def blocked(self) -> bool:
        return any(warning.blocking for warning in self.warnings)

    @property
    def needs_tick(self) -> bool:
        return bool(self.warnings) and not self.blocked


class _RollBack(Exception):
    def __init__(self, letter: str, reference: str) -> None:
        super().__init__()
        self.letter = letter
        self.reference = reference


def preview_decisions(
    *,
    call: Call,
    items: Sequence[Item],
    act: Callable[[], Sequence[Decision]],
    run_budget_ore: int | None = None,
) -> Preview:
    """The preview of ``items`` (``brake_items``), decided by ``act`` in a dry run."""
    letter = reference = ""
    refusal: Refused | None = None
    try:
        with transaction.atomic():
            decisions = act()
            if decisions:
                [subject] = letter_subjects([decisions[0].pk])
                body = ensure_letter_templates(call_ids=[subject.call_id])
                worded = subject.with_body(body[(subject.call_id, subject.kind)])
                raise _RollBack(letter_text(worded.data), subject.reference)
            raise _RollBack("", "")
    except _RollBack as done:
        letter, reference = done.letter, done.reference
    except Refused as refused:
        refusal = refused
    # The token covers the warnings the service checks again; its own refusal is shown, not
    # hashed, since with it nothing can be confirmed.
    plain = warnings_for(brake_facts(call, run_budget_ore=run_budget_ore), items)
    shown = (
        warnings_for(
            brake_facts(
                call,
                run_budget_ore=run_budget_ore,
                refusal=refusal.message,
                refusal_code=refusal.code,
            ),
            items,
        )
        if refusal is not None
        else plain
    )
    return Preview(
        items=list(items),
        warnings=shown,
        token=confirmation_token(items, plain),
        letter=letter,
        letter_reference=reference,
    )
