"""An allocation run's confirmation on the workflow kit: once confirmed it cannot be confirmed
again, and a stale copy of the run loses the compare-and-swap on ``confirmed_at``."""

import pytest
from django.db import transaction
from django.utils import timezone

from pulje.allocation.models import AllocationRun
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import RUN, AllocationRefused, confirm_allocation, run_allocation
from tests.factories.allocation import Scarce

pytestmark = pytest.mark.django_db


def confirm(run: AllocationRun, scarce: Scarce) -> None:
    with transaction.atomic():
        RUN.move(
            actor=scarce.caseworker,
            obj=run,
            action="confirm",
            changes={"confirmed_at": timezone.now(), "confirmed_by": scarce.caseworker},
        )


def test_a_confirmed_run_cannot_move_again(scarce: Scarce, english: object) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    confirm_allocation(actor=scarce.caseworker, run=run)
    run.refresh_from_db()
    assert (RUN.state_of(run), RUN.allowed(run, "confirm")) == ("confirmed", False)

    with pytest.raises(AllocationRefused) as refused:
        confirm(run, scarce)

    assert refused.value.message == "This proposal has been confirmed already."


def test_a_stale_run_loses_the_compare_and_swap(scarce: Scarce, english: object) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    stale = AllocationRun.objects.get(pk=run.pk)
    confirm_allocation(actor=scarce.caseworker, run=run)
    confirmed_at = AllocationRun.objects.get(pk=run.pk).confirmed_at
    # The stale copy has no confirmed_at: the table allows the move, the row does not.
    assert RUN.allowed(stale, "confirm")

    with pytest.raises(AllocationRefused) as refused:
        confirm(stale, scarce)

    assert refused.value.message == "This proposal has been confirmed already."
    assert AllocationRun.objects.get(pk=run.pk).confirmed_at == confirmed_at
