"""Writes of allocation: make a run (the call's problem, solved by the worker or here, and
kept), make it again with other locks, stop a run being computed, and confirm a run into
the call's decisions.

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
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override
from django_tasks import task

from pulje.accounts.models import User
from pulje.allocation.models import AllocationRun, RunStatus
from pulje.allocation.problems import (
    AllocationOptions,
    comparable,
    compose_problem,
    lock_errors,
)
from pulje.allocation.problems import candidate as to_candidate
from pulje.allocation.selectors import AllocationFacts, allocation_facts, newest_run_id
from pulje.allocation.solver import (
    Method,
    Problem,
    ProblemError,
    ReasonCode,
    Result,
    problem_from_json,
    problem_to_json,
    result_from_json,
    result_to_json,
    solve,
)
from pulje.allocation.solver import Outcome as SolverOutcome
from pulje.allocation.solver.deadline import StopRequested
from pulje.applications.models import Application
from pulje.calls.models import Call
from pulje.calls.permissions import can_work_call
from pulje.calls.selectors import call_bands
from pulje.casework.permissions import conflict_refusal
from pulje.core.audit import record_event
from pulje.core.audit_actions import AuditAction
from pulje.core.errors import Refused
from pulje.core.locks import lock_for
from pulje.core.workflow import Derived, Machine
from pulje.decisions.models import Decision, GrantProposal, RejectionReason
from pulje.decisions.services import (
    Decided,
    DecisionRefused,
    decide_applications,
    queue_decision_letters,
)

logger = logging.getLogger(__name__)


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


def _refuse_unless_caseworker(actor: User, call: Call) -> None:
    if not can_work_call(actor, call):
        raise AllocationRefused(
            _("You cannot allocate the money of “%(call)s”.") % {"call": call.title},
            code="not_caseworker",
        )


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
    _refuse_unless_caseworker(actor, call)
    facts = allocation_facts(call)
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
    _refuse_unless_caseworker(actor, call)
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
    _refuse_unless_caseworker(actor, run.call)
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


def changed_since(run: AllocationRun, facts: AllocationFacts) -> list[str]:
    """The references whose application differs from what ``run`` was made from: no longer a
    candidate (withdrawn, decided, failed screening), a new candidate, or a changed amount,
    score, status, place, target groups or participants. Empty: the run is current."""
    stored = {candidate.id: candidate for candidate in problem_from_json(run.problem).candidates}
    fresh = {facts.reference: facts for facts in facts.candidates}
    changed = set(stored) ^ set(fresh)
    for reference in set(stored) & set(fresh):
        now = fresh[reference]
        same_facts = comparable(to_candidate(now)) == comparable(stored[reference])
        if not same_facts or run.statuses.get(reference) != now.status:
            changed.add(reference)
    return sorted(changed)


def rejection_reason(outcome: SolverOutcome) -> str:
    """The reason a candidate the proposal leaves out is rejected with: "no money" where the
    money ran out before its turn or the budget or its band's budget blocked it, otherwise
    "other applications met the criteria better" (a lower score, the minimum score, a rule
    for fairness, or the caseworker's lock)."""
    budget_rule = outcome.rule == "budget" or outcome.rule.startswith("band:")
    if outcome.reason == ReasonCode.NOT_REACHED or (
        outcome.reason == ReasonCode.BLOCKED and budget_rule
    ):
        return RejectionReason.NO_MONEY.value
    return RejectionReason.WEAKER_THAN_OTHERS.value


def default_reduction_reason() -> str:
    """The reason given to a grantee whose grant the proposal reduces; in Danish, as the
    decision letter is."""
    with override("da"):
        return _(
            "The grant is smaller than the amount applied for, so that the pool can support "
            "more projects."
        )


@dataclass(frozen=True)
class Plan:
    """What confirming a run decides: grants in full, reduced grants (application and
    amount), and rejections by reason code."""

    full: list[Application]
    reduced: list[tuple[Application, int]]
    rejected: dict[str, list[Application]]

    @property
    def grants(self) -> int:
        return len(self.full) + len(self.reduced)

    @property
    def rejections(self) -> int:
        return sum(len(applications) for applications in self.rejected.values())

    @property
    def applications(self) -> list[Application]:
        """Every application the plan decides."""
        rejected = [application for group in self.rejected.values() for application in group]
        return [*self.full, *(application for application, _amount in self.reduced), *rejected]

    @property
    def total_ore(self) -> int:
        full = sum(application.amount_ore or 0 for application in self.full)
        return full + sum(amount for _application, amount in self.reduced)


def plan_of(run: AllocationRun) -> Plan:
    """The decisions ``run``'s result proposes for its call (one query); empty for a run
    with no result."""
    result = result_from_json(run.result) if run.result else None
    outcomes = {outcome.id: outcome for outcome in result.outcomes} if result else {}
    applications = Application.objects.filter(
        call_id=run.call_id, reference__in=list(outcomes)
    ).order_by("reference")
    full: list[Application] = []
    reduced: list[tuple[Application, int]] = []
    rejected: dict[str, list[Application]] = {}
    for application in applications:
        outcome = outcomes[application.reference]
        if not outcome.selected:
            rejected.setdefault(rejection_reason(outcome), []).append(application)
        elif outcome.amount_ore < (application.amount_ore or 0):
            reduced.append((application, outcome.amount_ore))
        else:
            full.append(application)
    return Plan(full=full, reduced=reduced, rejected=rejected)


def confirm_allocation(*, actor: User, run: AllocationRun, reduction_reason: str = "") -> Decided:
    """The run's proposal becomes the call's decisions, all in one transaction with the
    run's confirmation: grants in full, reduced grants (with ``reduction_reason``, by
    default ``default_reduction_reason()``), and rejections of the rest with the reason
    ``rejection_reason`` gives, each batch through ``decisions.services.decide_applications``.

    Side effects: the run's ``confirmed_at``/``confirmed_by`` (once: the call's pools and
    applications are locked before the checks);
    everything ``decide_applications`` does for each batch (decisions, ledger commitments,
    status moves and their events; after commit the e-mails); one letters job for all the
    decisions;
    the audit event ``allocation.run.confirmed``.

    Grants above their band's second-approval amount are proposed, not decided
    (``decide_applications``): they wait for a second caseworker, as any other.

    Raises AllocationRefused, having written nothing: for a user who does not work the call
    or has a conflict of interest with any application the run decides (naming them and
    who else can confirm); a run that is confirmed already, has no proposal (infeasible, an
    error, out of time), is not the call's newest, or whose applications have changed since
    it was made (naming them); and with ``DecisionRefused``'s message, e.g. the ledger's
    when a band has too little money left.
    """
    call = run.call
    _refuse_unless_caseworker(actor, call)
    try:
        with transaction.atomic():
            return _confirm(actor, run, reduction_reason.strip() or default_reduction_reason())
    except DecisionRefused as refusal:
        raise AllocationRefused(refusal.message, code=refusal.code) from refusal


@dataclass(frozen=True)
class Refusal:
    """Why a run cannot be confirmed now: ``state`` for the page ("confirmed",
    "no_proposal", "superseded", "changed") and ``message`` for the person."""

    state: str
    message: str


def confirmation_refusal(run: AllocationRun) -> Refusal | None:
    """Why ``run`` cannot be confirmed now, or None when it can: the one rule the run page,
    the confirm page and ``confirm_allocation`` share. Reads only (``allocation_facts`` when
    the run is the newest with a proposal)."""
    if run.confirmed_at is not None:
        return Refusal("confirmed", _("This proposal has been confirmed already."))
    if not run.confirmable or run.result is None:
        return Refusal("no_proposal", _("This run has no proposal to confirm."))
    if newest_run_id(run.call) != run.pk:
        return Refusal(
            "superseded",
            _("A newer run has been made for this call: only the newest can be confirmed."),
        )
    changed = changed_since(run, allocation_facts(run.call))
    if changed:
        return Refusal(
            "changed",
            _(
                "The applications have changed since this run was made (%(refs)s). Make a "
                "new run and confirm that."
            )
            % {"refs": ", ".join(changed)},
        )
    return None


def _confirm(actor: User, run: AllocationRun, reduction_reason: str) -> Decided:
    call = Call.objects.select_related("pool").get(pk=run.call_id)
    # The call's pools, then its applications, in the order decide_applications locks them:
    # from here no decision, withdrawal or score (assessment locks the application too) can
    # change what the checks below read, and a second confirmation waits for this one.
    lock_for(
        pools=[pool.pk for pool in call_bands(call) or [call.pool]],
        applications=Application.objects.filter(call=call).values_list("pk", flat=True),
    )
    run = AllocationRun.objects.get(pk=run.pk)
    run.call = call
    refusal = confirmation_refusal(run)
    if refusal is not None:
        raise AllocationRefused(refusal.message, code=refusal.state)
    plan = plan_of(run)
    refusal_text = conflict_refusal(
        actor,
        plan.applications,
        lead=_(
            "You have a conflict of interest with applications this proposal decides, so you "
            "cannot confirm it:"
        ),
    )
    if refusal_text:
        raise AllocationRefused(refusal_text, code="conflict_of_interest")
    RUN.move(
        actor=actor,
        obj=run,
        action="confirm",
        changes={"confirmed_at": timezone.now(), "confirmed_by": actor},
    )
    decisions: list[Decision] = []
    proposals: list[GrantProposal] = []
    batches: list[Decided] = []
    if plan.full:
        batches.append(
            decide_applications(
                actor=actor, applications=plan.full, outcome="grant", queue_letters=False
            )
        )
    if plan.reduced:
        batches.append(
            decide_applications(
                actor=actor,
                applications=[application for application, _amount in plan.reduced],
                outcome="grant",
                amounts={application.pk: amount for application, amount in plan.reduced},
                reason_text=reduction_reason,
                queue_letters=False,
            )
        )
    for reason_code, applications in sorted(plan.rejected.items()):
        batches.append(
            decide_applications(
                actor=actor,
                applications=applications,
                outcome="reject",
                reason_code=reason_code,
                queue_letters=False,
            )
        )
    for batch in batches:
        decisions += batch
        proposals += batch.proposals
    if decisions:
        # One job for the whole confirmation, so the call's queue links to all its letters.
        queue_decision_letters(actor=actor, decision_ids=[decision.pk for decision in decisions])
    run.refresh_from_db(fields=["confirmed_at", "confirmed_by"])
    record_event(
        actor=actor,
        action=AuditAction.ALLOCATION_RUN_CONFIRMED,
        obj=run,
        after={
            "confirmed_at": run.confirmed_at,
            "decisions": sorted(decision.pk for decision in decisions),
            "grant_proposals": sorted(proposal.pk for proposal in proposals),
            "grants": plan.grants,
            "rejections": plan.rejections,
            "total_ore": plan.total_ore,
        },
    )
    return Decided(decisions, proposals)
