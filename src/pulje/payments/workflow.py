"""A payment run's states on the workflow kit (``core.workflow``); docs/payments.md draws the
table (a test holds the drawing to it)."""

from django.utils.translation import gettext_lazy as _

from pulje.core.audit_actions import AuditAction
from pulje.core.workflow import Machine
from pulje.payments.errors import PaymentRefused
from pulje.payments.models import PaymentRun, RunState

S = RunState

# (state, action) → new state.
TRANSITIONS: dict[tuple[str, str], str] = {
    # A second person approves: every payment is posted and the bank file written.
    (S.PREPARED, "approve"): S.APPROVED,
    # Nothing was paid: the instalments are free for another run.
    (S.PREPARED, "cancel"): S.CANCELLED,
    # The first download of the bank file.
    (S.APPROVED, "export"): S.EXPORTED,
}

EVENTS = {
    "approve": AuditAction.PAYMENTS_RUN_APPROVED,
    "cancel": AuditAction.PAYMENTS_RUN_CANCELLED,
    "export": AuditAction.PAYMENTS_RUN_EXPORTED,
}

RUN = Machine(
    model=PaymentRun,
    field="state",
    table=TRANSITIONS,
    events=EVENTS,
    refuse=lambda message, code: PaymentRefused(message, code=code),
    wrong_state=_("A payment run that is “%(status)s” cannot be changed that way."),
    conflict=_("The payment run was changed at the same time elsewhere. Reload the page."),
    initial=(S.PREPARED, "prepare"),
)
