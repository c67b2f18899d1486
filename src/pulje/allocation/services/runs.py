"""Making a run: the call's problem, solved by the worker (or here), and kept; made again with
other locks; stopped while it is computed.

Solving is pure computation and may take as long as the problem's time limit, so it
happens outside any transaction: the run is stored queued first, and what the solve found
in a short transaction after it (the audit trail's lock is never held while solving).
"""

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import task

from pulje.accounts.models import User
from pulje.allocation.models import AllocationRun, RunStatus
from pulje.allocation.problems import (
    AllocationOptions,
    compose_problem,
    lock_errors,
)
from pulje.allocation.selectors import AllocationFacts, allocation_facts
from pulje.allocation.services.common import AllocationRefused, refuse_unless_caseworker
from pulje.allocation.solver import (
    Method,
    Problem,
    ProblemError,
    Result,
    problem_from_json,
    problem_to_json,
    result_to_json,
    solve,
)
from pulje.allocation.solver.deadline import StopRequested
from pulje.calls.models import Call
from pulje.core.audit import record_event
from pulje.core.audit_actions import AuditAction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Solved:
    result: Result | None
    baseline: Result | None
    errors: list[str]


def _solve(problem: Problem, *, stop: StopRequested | None = None) -> _Solved:
    """The problem solved by its method (stopped early if ``stop`` says so), and by the
    greedy ranking for comparison. A problem the solver cannot read is kept with its errors,
    never raised."""
    try:
        result = solve(problem, stop=stop)
    except ProblemError as error:
        return _Solved(None, None, error.errors)
    if problem.method == Method.GREEDY:
        return _Solved(result, result, [])
    try:
        baseline = solve(replace(problem, method=Method.GREEDY, lottery=None))
    except ProblemError:
        baseline = None
    return _Solved(result, baseline, [])


def _make_run(
    *,
    actor: User,
    call: Call,
    problem: Problem,
    options: AllocationOptions,
    statuses: dict[str, str],
    parent: AllocationRun | None,
    in_worker: bool,
) -> AllocationRun:
    """The run, queued with its problem, and the audit event; then solved here, or queued
    for the worker in the same transaction (with the database backend the worker sees the
    task only once the run is committed, and never without it)."""
    with transaction.atomic():
        run = AllocationRun.objects.create(
            call=call,
            parent=parent,
            created_by=actor,
            method=problem.method.value,
            objective=problem.objective.value,
            seed=problem.lottery.seed if problem.lottery else "",
            reduction_unit_ore=problem.reduction_unit_ore,
            options=options.to_json(),
            problem=problem_to_json(problem),
            statuses=statuses,
            status=RunStatus.QUEUED,
        )
        record_event(
            actor=actor,
            action=AuditAction.ALLOCATION_RUN_CREATED,
            obj=run,
            after={
                "call": call.pk,
                "parent": parent.pk if parent else None,
                "method": run.method,
                "objective": run.objective,
                "seed": run.seed,
                "locked_in": sorted(problem.locked_in),
                "locked_out": sorted(problem.locked_out),
                "brought_back": sorted(options.brought_back),
                "status": run.status,
            },
        )
        if in_worker:
            queued = solve_allocation_run.enqueue(run_id=run.pk)
            AllocationRun.objects.filter(pk=run.pk).update(task_result_id=str(queued.id))
    if not in_worker:
        solve_queued_run(run_id=run.pk)
    run.refresh_from_db(fields=_WORKER_FIELDS)
    return run


def run_allocation(
    *,
    actor: User,
    call: Call,
    options: AllocationOptions,
    parent: AllocationRun | None = None,
    in_worker: bool = False,
) -> AllocationRun:
    """Make a run: the call's problem as it is now with ``options``, to be solved by their
    method and by the greedy ranking (the baseline). With ``in_worker`` (the pages) the solve
    is queued for the worker (``solve_allocation_run``) and the run comes back queued;
    without, it is solved here before this returns (commands, the shell, tests).

    Side effects: an ``AllocationRun`` (with ``parent`` when made from an earlier run), queued,
    and the audit event ``allocation.run.created``, in one transaction with the task; then
    what ``solve_queued_run`` does. A problem the solver refuses (status "error", with its
    reasons) or that no selection solves (status "infeasible", with the conflicting rules)
    is stored all the same.

    Raises AllocationRefused for a user who does not work the call, and ValidationError on
    the option's field for options the call's facts rule out (``compose_problem``); nothing
    is written then.
    """
    refuse_unless_caseworker(actor, call)
    facts = allocation_facts(call, brought_back=options.brought_back)
    problem = compose_problem(facts, options)
    return _make_run(
        actor=actor,
        call=call,
        problem=problem,
        options=options,
        statuses=_statuses(facts),
        parent=parent,
        in_worker=in_worker,
    )


def _statuses(facts: AllocationFacts) -> dict[str, str]:
    return {candidate.reference: candidate.status for candidate in facts.candidates}


def rerun_with_locks(
    *,
    actor: User,
    run: AllocationRun,
    locked_in: Iterable[str],
    locked_out: Iterable[str],
    in_worker: bool = False,
) -> AllocationRun:
    """Make a new run from ``run``'s stored problem with these locks instead of its own: the
    same candidates and rules as then, so the caseworker sees what the locks change.
    Whether the applications have changed since is checked when a run is confirmed.

    Side effects, ``in_worker`` and refusals as ``run_allocation``; the new run's ``parent``
    is ``run``. Raises ValidationError (field ``locked_in`` or ``locked_out``) for a
    reference that is not one of the run's candidates, or one both locked in and out.
    """
    call = run.call
    refuse_unless_caseworker(actor, call)
    stored = problem_from_json(run.problem)
    ins, outs = frozenset(locked_in), frozenset(locked_out)
    errors = lock_errors({candidate.id for candidate in stored.candidates}, ins, outs)
    if errors:
        raise ValidationError(errors)
    problem = replace(stored, locked_in=ins, locked_out=outs)
    options = replace(AllocationOptions.from_json(run.options), locked_in=ins, locked_out=outs)
    return _make_run(
        actor=actor,
        call=call,
        problem=problem,
        options=options,
        statuses=dict(run.statuses),
        parent=run,
        in_worker=in_worker,
    )


def bring_back_into_run(
    *,
    actor: User,
    run: AllocationRun,
    references: Iterable[str],
    in_worker: bool = False,
) -> AllocationRun:
    """Make a new run as ``run`` with these applications the expert group did not recommend
    brought back among the candidates (and those ``run`` brought back): the call's facts as
    they are now, ``run``'s options and locks. The recommendation stands; only this run and
    the runs made from it count them.

    Side effects, ``in_worker`` and refusals as ``run_allocation`` (the audit event lists
    the applications brought back); the new run's ``parent`` is ``run``. Raises
    ValidationError (field ``brought_back``) when no application is chosen or one is not a
    not-recommended application this run left out.
    """
    call = run.call
    refuse_unless_caseworker(actor, call)
    options = AllocationOptions.from_json(run.options)
    chosen = frozenset(references)
    left_out = {
        item.reference
        for item in allocation_facts(call, brought_back=options.brought_back).excluded
        if item.not_recommended
    }
    if not chosen:
        raise ValidationError(
            {"brought_back": _("Choose the applications to bring back into the run.")}
        )
    unknown = sorted(chosen - left_out)
    if unknown:
        raise ValidationError(
            {
                "brought_back": _(
                    "These are not applications the run left out as not recommended: %(refs)s."
                )
                % {"refs": ", ".join(unknown)}
            }
        )
    return run_allocation(
        actor=actor,
        call=call,
        options=replace(options, brought_back=options.brought_back | chosen),
        parent=run,
        in_worker=in_worker,
    )


# What the worker writes on a run (a refresh of only these keeps the call and the user).
_WORKER_FIELDS = [
    "task_result_id",
    "status",
    "started_at",
    "finished_at",
    "result",
    "baseline",
    "errors",
    "grants",
    "total_ore",
]


@task()
def solve_allocation_run(run_id: int) -> None:
    """The worker's side of ``run_allocation(in_worker=True)``."""
    solve_queued_run(run_id=run_id)


class _StopAsked:
    """Whether a person has asked the run to stop, read from the database at most once a
    second: HiGHS asks often while it searches."""

    def __init__(self, run_id: int, *, every: float = 1.0) -> None:
        self.run_id = run_id
        self.every = every
        self.asked = False
        self.read_at = -math.inf

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.asked and now - self.read_at >= self.every:
            self.read_at = now
            self.asked = AllocationRun.objects.filter(
                pk=self.run_id, stop_requested_at__isnull=False
            ).exists()
        return self.asked


def solve_queued_run(*, run_id: int) -> None:
    """Solve a queued run and store what it found.

    Claims the run (queued → running, compare-and-swap: a run is solved once), solves its
    stored problem by its method, stopping early with the best proposal found so far if a
    person asks (``request_stop``), and by the greedy ranking, then stores the result, the
    baseline and their figures (running → the solver's status, or "error"). A solve that
    fails is stored as "error" with a message in Danish, never raised: the page says what
    happened. Side effects: the run's fields and the audit event ``allocation.run.solved``
    (status, grants, amount, the selected amounts), in one transaction. A run that is not
    queued is left alone.
    """
    claimed = AllocationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return
    run = AllocationRun.objects.select_related("created_by").get(pk=run_id)
    try:
        solved = _solve(problem_from_json(run.problem), stop=_StopAsked(run_id))
    except ProblemError as error:
        solved = _Solved(None, None, error.errors)
    except Exception:
        # Whatever went wrong, the page must say so rather than wait for ever.
        logger.exception("Allocation run %s failed", run_id)
        with override("da"):
            message = _(
                "The solver stopped with an error. Run it again; if it happens again, tell "
                "the system's administrator."
            )
        solved = _Solved(None, None, [message])
    _store(run, solved)


@transaction.atomic
def _store(run: AllocationRun, solved: _Solved) -> None:
    result = solved.result
    status = result.status.value if result else RunStatus.ERROR
    grants = len(result.selected) if result else 0
    total_ore = result.total_ore if result else 0
    stored = AllocationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        result=result_to_json(result) if result else None,
        baseline=result_to_json(solved.baseline) if solved.baseline else None,
        errors=solved.errors,
        status=status,
        grants=grants,
        total_ore=total_ore,
        finished_at=timezone.now(),
    )
    if stored != 1:
        return
    record_event(
        actor=run.created_by,
        action=AuditAction.ALLOCATION_RUN_SOLVED,
        obj=run,
        before={"status": RunStatus.RUNNING},
        after={
            "status": status,
            "stopped": bool(result and result.stopped),
            "grants": grants,
            "total_ore": total_ore,
            "selected": result.amounts if result else {},
        },
    )


def request_stop(*, actor: User, run: AllocationRun) -> None:
    """Ask the worker to stop solving ``run``: it stops at its next check (about once a
    second) and stores the best proposal found so far, said to be stopped.

    Side effects: the run's ``stop_requested_at`` (compare-and-swap: once, and only while
    the run is queued or being computed) and the audit event
    ``allocation.run.stop_requested``, in one transaction.

    Raises AllocationRefused for a user who does not work the call, and for a run that is
    no longer being computed or was asked to stop already; nothing is written then.
    """
    refuse_unless_caseworker(actor, run.call)
    with transaction.atomic():
        asked = AllocationRun.objects.filter(
            pk=run.pk, status__in=RunStatus.pending(), stop_requested_at__isnull=True
        ).update(stop_requested_at=timezone.now())
        if asked != 1:
            raise AllocationRefused(
                _("This run is not being computed any more."), code="not_computing"
            )
        run.refresh_from_db(fields=["stop_requested_at", "status"])
        record_event(
            actor=actor,
            action=AuditAction.ALLOCATION_RUN_STOP_REQUESTED,
            obj=run,
            after={"stop_requested_at": run.stop_requested_at},
        )
