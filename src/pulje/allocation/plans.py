"""Reads about a call's allocation runs: what a stored run proposes (``plan_of``), what has
changed since it ran, the reasons a proposal gives, and whether it may be confirmed. The writes
that make and confirm runs are in ``allocation.services``."""

import logging
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.allocation.models import AllocationRun
from pulje.allocation.problems import AllocationOptions, comparable
from pulje.allocation.problems import candidate as to_candidate
from pulje.allocation.selectors import AllocationFacts, allocation_facts, newest_run_id
from pulje.allocation.solver import Outcome as SolverOutcome
from pulje.allocation.solver import (
    ReasonCode,
    problem_from_json,
    result_from_json,
)
from pulje.applications.models import Application
from pulje.decisions.models import RejectionReason

logger = logging.getLogger(__name__)


def run_facts(run: AllocationRun) -> AllocationFacts:
    """The run's call's facts as they are now, with the not-recommended applications the
    run brought back among the candidates (``allocation_facts``)."""
    options = AllocationOptions.from_json(run.options)
    return allocation_facts(run.call, brought_back=options.brought_back)


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


def rejection_reason(outcome: SolverOutcome, *, whole_pool: bool) -> str:
    """The reason a candidate the proposal leaves out is rejected with: "no money" where its
    band's budget blocked it, or the run's budget did (ran out before its turn or blocked it)
    and that budget was all the pool had (``whole_pool``); otherwise "other applications met
    the criteria better" (a lower score, the minimum score, a rule for fairness, the
    caseworker's lock, or a run's budget set below what the pool has: the pool still has
    money, so a letter must not say it has none)."""
    band_rule = outcome.rule.startswith("band:")
    run_budget = outcome.reason == ReasonCode.NOT_REACHED or outcome.rule == "budget"
    if outcome.reason in (ReasonCode.NOT_REACHED, ReasonCode.BLOCKED) and (
        band_rule or (run_budget and whole_pool)
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
    # A run without a budget of its own shares all the call's pool has available.
    whole_pool = AllocationOptions.from_json(run.options).budget_ore is None
    full: list[Application] = []
    reduced: list[tuple[Application, int]] = []
    rejected: dict[str, list[Application]] = {}
    for application in applications:
        outcome = outcomes[application.reference]
        if not outcome.selected:
            reason = rejection_reason(outcome, whole_pool=whole_pool)
            rejected.setdefault(reason, []).append(application)
        elif outcome.amount_ore < (application.amount_ore or 0):
            reduced.append((application, outcome.amount_ore))
        else:
            full.append(application)
    return Plan(full=full, reduced=reduced, rejected=rejected)


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
    changed = changed_since(run, run_facts(run))
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
