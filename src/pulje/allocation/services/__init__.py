"""Writes of allocation: making runs (``runs``) and confirming one into the call's decisions
(``confirm``). Each refusal (``AllocationRefused``) writes nothing."""

from pulje.allocation.services.common import RUN, AllocationRefused
from pulje.allocation.services.confirm import confirm_allocation
from pulje.allocation.services.runs import (
    bring_back_into_run,
    request_stop,
    rerun_with_locks,
    run_allocation,
    solve_allocation_run,
    solve_queued_run,
)

__all__ = [
    "RUN",
    "AllocationRefused",
    "bring_back_into_run",
    "confirm_allocation",
    "request_stop",
    "rerun_with_locks",
    "run_allocation",
    "solve_allocation_run",
    "solve_queued_run",
]
