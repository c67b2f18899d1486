"""What allocation's writes share: their refusal, the run's confirmation machine and the
caseworker check."""

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.accounts.models import User
from pulje.allocation.models import AllocationRun
from pulje.calls.models import Call
from pulje.calls.permissions import can_work_call
from pulje.core.errors import Refused
from pulje.core.workflow import Derived, Machine


class AllocationRefused(Refused):
    """A run or a confirmation was refused; ``message`` is for the person, in the active
    language. Nothing was written."""


# A run's proposal is confirmed once: the compare-and-swap on ``confirmed_at`` holds it even
# where the locks in ``_confirm`` do not.
RUN = Machine(
    model=AllocationRun,
    field=Derived(
        of=lambda run: "confirmed" if run.confirmed_at is not None else "proposed",
        where=lambda state: Q(confirmed_at__isnull=state == "proposed"),
    ),
    table={("proposed", "confirm"): "confirmed"},
    refuse=lambda message, code: AllocationRefused(message, code=code),
    wrong_state=gettext_lazy("This proposal has been confirmed already."),
    conflict=gettext_lazy("This proposal has been confirmed already."),
    initial=("proposed", "run_allocation"),
)


def refuse_unless_caseworker(actor: User, call: Call) -> None:
    if not can_work_call(actor, call):
        raise AllocationRefused(
            _("You cannot allocate the money of “%(call)s”.") % {"call": call.title},
            code="not_caseworker",
        )
