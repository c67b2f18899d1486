"""Runs (stored problem, result and greedy baseline; audit), runs again with locks, and
confirmation into decisions and ledger commitments, with every refusal leaving nothing
written. The round is ``scarce`` (tests/allocation/conftest.py)."""

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from pulje.allocation.models import AllocationRun
from pulje.allocation.plans import default_reduction_reason, rejection_reason
from pulje.allocation.problems import AllocationOptions, compose_problem
from pulje.allocation.selectors import allocation_facts
from pulje.allocation.services import (
    AllocationRefused,
    confirm_allocation,
    rerun_with_locks,
    run_allocation,
    runs,
)
from pulje.allocation.solver import (
    Method,
    Outcome,
    ProblemError,
    ReasonCode,
    problem_to_json,
    result_to_json,
    solve,
)
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import withdraw_application
from pulje.core.jobs import Job, JobKind
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.decisions.models import Decision, RejectionReason
from pulje.decisions.models import Outcome as DecisionOutcome
from pulje.ledger.models import Entry, GrantAccount, PoolAccount
from pulje.ledger.selectors import find_ledger_discrepancies
from pulje.ledger.services import commit, open_grant_account
from tests.factories.allocation import Scarce, scored
from tests.factories.decisions import available

pytestmark = pytest.mark.django_db


def without_seconds(data: dict[str, Any] | None) -> dict[str, Any]:
    """A stored result without the time it took, which differs between two solves."""
    assert data is not None
    return {key: value for key, value in data.items() if key != "seconds"}


def state() -> tuple[Any, ...]:
    """Everything a refused write must leave as it was."""
    return (
        list(PoolAccount.objects.order_by("pool_id").values()),
        Entry.objects.count(),
        GrantAccount.objects.count(),
        Decision.objects.count(),
        AuditEvent.objects.count(),
        sorted(Application.objects.values_list("pk", "status")),
        sorted(AllocationRun.objects.values_list("pk", "confirmed_at", "confirmed_by")),
    )


def test_a_run_stores_its_problem_result_and_greedy_baseline(scarce: Scarce) -> None:
    options = AllocationOptions()
    problem = compose_problem(allocation_facts(scarce.call), options)

    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=options)

    run.refresh_from_db()
    assert run.problem == problem_to_json(problem)
    assert without_seconds(run.result) == without_seconds(result_to_json(solve(problem)))
    greedy = solve(replace(problem, method=Method.GREEDY))
    assert without_seconds(run.baseline) == without_seconds(result_to_json(greedy))
    assert (run.method, run.objective, run.status, run.grants, run.total_ore, run.seed) == (
        "optimal",
        "score",
        "optimal",
        2,
        kr(80_000),
        "",
    )
    assert run.options == options.to_json()
    assert run.errors == []
    assert run.statuses == {
        application.reference: "in_assessment"
        for application in (scarce.dining, scarce.walking, scarce.homework, scarce.knitting)
    }
    assert (run.created_by, run.parent, run.confirmed_at, run.confirmed_by) == (
        scarce.caseworker,
        None,
        None,
        None,
    )
    # The exact method meets the rule for children; the ranking does not.
    assert run.result is not None
    assert run.baseline is not None
    selected = {c["id"]: c["amount_ore"] for c in run.result["candidates"] if c["selected"]}
    ranked = {c["id"]: c["amount_ore"] for c in run.baseline["candidates"] if c["selected"]}
    assert selected == {scarce.dining.reference: kr(60_000), scarce.homework.reference: kr(20_000)}
    assert ranked == {scarce.dining.reference: kr(60_000), scarce.knitting.reference: kr(30_000)}
    assert (run.result["met_all_rules"], run.baseline["met_all_rules"]) == (True, False)


def test_a_run_records_an_audit_event(scarce: Scarce) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())

    event = AuditEvent.objects.get(action="allocation.run.created")
    assert (event.actor, event.object_type, event.object_id) == (
        scarce.caseworker,
        "allocation.allocationrun",
        str(run.pk),
    )
    assert event.after == {
        "call": scarce.call.pk,
        "parent": None,
        "method": "optimal",
        "objective": "score",
        "seed": "",
        "locked_in": [],
        "locked_out": [],
        "brought_back": [],
        "status": "queued",
    }
    solved = AuditEvent.objects.get(action="allocation.run.solved")
    assert (solved.actor, solved.object_id, solved.before) == (
        scarce.caseworker,
        str(run.pk),
        {"status": "running"},
    )
    assert solved.after == {
        "status": "optimal",
        "stopped": False,
        "grants": 2,
        "total_ore": kr(80_000),
        "selected": {
            scarce.dining.reference: kr(60_000),
            scarce.homework.reference: kr(20_000),
        },
    }


def test_a_lottery_run_keeps_its_seed(scarce: Scarce) -> None:
    options = AllocationOptions(method=Method.LOTTERY, lottery_seed="Trukket 1. marts")

    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=options)

    assert (run.method, run.status, run.seed) == ("lottery", "done", "Trukket 1. marts")
    assert run.result is not None
    assert run.result["seed"] == "Trukket 1. marts"


def test_a_lottery_run_without_rules_for_fairness_keeps_its_seed(scarce: Scarce) -> None:
    options = AllocationOptions(
        method=Method.LOTTERY, lottery_seed="Trukket 1. marts", group_min_counts={}
    )

    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=options)

    assert (run.method, run.status, run.seed) == ("lottery", "done", "Trukket 1. marts")
    assert run.result is not None
    assert run.result["seed"] == "Trukket 1. marts"
    assert run.problem["lottery"] == {"seed": "Trukket 1. marts", "threshold": 0.0}


def test_an_infeasible_problem_is_stored_with_its_conflicts(scarce: Scarce) -> None:
    options = AllocationOptions(group_min_counts={"children": 2})

    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=options)

    assert (run.status, run.grants, run.total_ore) == ("infeasible", 0, 0)
    assert run.result is not None
    assert [conflict["text"] for conflict in run.result["conflicts"]] == [
        "Kun 1 ansøgning(er) kan vælges til Børn og unge, men reglen kræver mindst 2."
    ]


def test_a_problem_the_solver_refuses_is_stored_with_its_errors(
    scarce: Scarce, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(problem: object, **kwargs: object) -> None:
        raise ProblemError(["Budgettet mangler.", "Ukendt metode."])

    monkeypatch.setattr(runs, "solve", refuse)

    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())

    assert (run.status, run.result, run.baseline, run.errors) == (
        "error",
        None,
        None,
        ["Budgettet mangler.", "Ukendt metode."],
    )
    assert AuditEvent.objects.get(action="allocation.run.solved").after["status"] == "error"  # type: ignore[index]


def test_only_the_call_s_caseworkers_may_run(scarce: Scarce, english: object) -> None:
    before = state()
    for user in (scarce.round.funded.funder, scarce.round.assessor, scarce.dining.created_by):
        with pytest.raises(AllocationRefused) as refused:
            run_allocation(actor=user, call=scarce.call, options=AllocationOptions())
        assert refused.value.message == (f"You cannot allocate the money of “{scarce.call.title}”.")
    assert state() == before


def test_options_the_facts_rule_out_write_nothing(scarce: Scarce) -> None:
    before = state()

    with pytest.raises(ValidationError):
        run_allocation(
            actor=scarce.caseworker,
            call=scarce.call,
            options=AllocationOptions(budget_ore=kr(2_000_000)),
        )

    assert state() == before


# Running again with locks


def test_running_again_with_locks_keeps_the_problem_and_changes_the_locks(
    scarce: Scarce,
) -> None:
    first = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())

    again = rerun_with_locks(
        actor=scarce.caseworker,
        run=first,
        locked_in=[scarce.knitting.reference],
        locked_out=[scarce.dining.reference],
    )

    assert again.parent == first
    assert again.problem == {
        **first.problem,
        "locked_in": [scarce.knitting.reference],
        "locked_out": [scarce.dining.reference],
    }
    assert again.options == {
        **first.options,
        "locked_in": [scarce.knitting.reference],
        "locked_out": [scarce.dining.reference],
    }
    assert again.statuses == first.statuses
    # Strikkeklub (30.000 kr.) locked in leaves 10.000 kr. in band 1, too little for
    # Lektiecafé, the only project for children; and Spiseklub locked out leaves none for
    # adults: no selection meets every rule.
    assert again.status == "infeasible"
    event = AuditEvent.objects.filter(action="allocation.run.created").latest("seq")
    assert event.after is not None
    assert (event.after["parent"], event.after["locked_in"], event.after["locked_out"]) == (
        first.pk,
        [scarce.knitting.reference],
        [scarce.dining.reference],
    )


def test_running_again_with_a_lock_out(scarce: Scarce) -> None:
    no_groups = AllocationOptions(group_min_counts={})
    first = run_allocation(actor=scarce.caseworker, call=scarce.call, options=no_groups)

    again = rerun_with_locks(
        actor=scarce.caseworker, run=first, locked_in=[], locked_out=[scarce.dining.reference]
    )

    assert first.result is not None
    assert again.result is not None
    assert {c["id"]: c["amount_ore"] for c in first.result["candidates"] if c["selected"]} == {
        scarce.dining.reference: kr(60_000),
        scarce.knitting.reference: kr(30_000),
    }
    # Without Spiseklub, Gåklub has band 2; band 1 still takes Strikkeklub (score 4) over
    # Lektiecafé (score 3), and not both (50.000 kr. of 40.000 kr.).
    assert {c["id"]: c["amount_ore"] for c in again.result["candidates"] if c["selected"]} == {
        scarce.walking.reference: kr(60_000),
        scarce.knitting.reference: kr(30_000),
    }
    assert (again.status, again.grants, again.total_ore) == ("optimal", 2, kr(90_000))


def test_running_again_refuses_locks_of_others_and_both_at_once(
    scarce: Scarce, english: object
) -> None:
    first = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    reference = scarce.dining.reference
    before = state()

    with pytest.raises(ValidationError) as refused:
        rerun_with_locks(
            actor=scarce.caseworker, run=first, locked_in=["X-9", reference], locked_out=[reference]
        )

    assert refused.value.message_dict == {
        "locked_in": ["These are not candidates in this allocation: X-9."],
        "locked_out": [f"These are both locked in and locked out: {reference}."],
    }
    with pytest.raises(AllocationRefused):
        rerun_with_locks(actor=scarce.round.funded.funder, run=first, locked_in=[], locked_out=[])
    assert state() == before


# Confirming


def test_confirming_makes_the_proposal_the_call_s_decisions(scarce: Scarce) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    band_1, band_2, _band_3 = scarce.bands

    decisions = confirm_allocation(actor=scarce.caseworker, run=run)

    by_reference = {decision.application.reference: decision for decision in decisions}
    assert {
        reference: (d.outcome, d.amount_ore, d.band_id, d.reason_code, d.reason_text)
        for reference, d in by_reference.items()
    } == {
        scarce.dining.reference: (DecisionOutcome.GRANT, kr(60_000), band_2.pk, "", ""),
        scarce.homework.reference: (DecisionOutcome.GRANT, kr(20_000), band_1.pk, "", ""),
        # Walking: below the cut-off, its band's money went to a better score; knitting:
        # displaced by the minimum for children. Both: others met the criteria better.
        scarce.walking.reference: (
            DecisionOutcome.REJECT,
            None,
            None,
            RejectionReason.WEAKER_THAN_OTHERS,
            "",
        ),
        scarce.knitting.reference: (
            DecisionOutcome.REJECT,
            None,
            None,
            RejectionReason.WEAKER_THAN_OTHERS,
            "",
        ),
    }
    assert sorted(Application.objects.values_list("reference", "status")) == sorted(
        [
            (scarce.dining.reference, ApplicationStatus.GRANTED),
            (scarce.homework.reference, ApplicationStatus.GRANTED),
            (scarce.walking.reference, ApplicationStatus.REJECTED),
            (scarce.knitting.reference, ApplicationStatus.REJECTED),
        ]
    )
    assert (available(band_1), available(band_2)) == (kr(20_000), kr(40_000))
    assert sorted(Entry.objects.filter(kind="commitment").values_list("text", "amount_ore")) == [
        (scarce.dining.reference, kr(60_000)),
        (scarce.homework.reference, kr(20_000)),
    ]
    assert find_ledger_discrepancies() == []
    run.refresh_from_db()
    assert run.confirmed_by == scarce.caseworker
    assert run.confirmed_at is not None
    event = AuditEvent.objects.get(action="allocation.run.confirmed")
    assert (event.actor, event.object_id) == (scarce.caseworker, str(run.pk))
    assert event.after == {
        "confirmed_at": DjangoJSONEncoder().default(run.confirmed_at.astimezone(dt.UTC)),
        "decisions": sorted(decision.pk for decision in decisions),
        "grant_proposals": [],
        "grants": 2,
        "rejections": 2,
        "total_ore": kr(80_000),
    }
    # Grants and rejections are separate batches, but one letters job holds all four letters.
    job = Job.objects.get()
    assert (job.kind, job.call_id, job.total, job.created_by) == (
        JobKind.DECISION_LETTERS,
        scarce.call.pk,
        4,
        scarce.caseworker,
    )
    assert job.payload["decision_ids"] == sorted(decision.pk for decision in decisions)


def test_confirming_reduced_grants_gives_the_amounts_and_the_reason(scarce: Scarce) -> None:
    run = run_allocation(
        actor=scarce.caseworker,
        call=scarce.call,
        options=AllocationOptions(reduce_to_percent=50),
    )

    decisions = confirm_allocation(
        actor=scarce.caseworker, run=run, reduction_reason="  Flere projekter får del.  "
    )

    # Halved, band 1 (40.000 kr.) takes Strikkeklub in full and Lektiecafé cut to 10.000 kr.;
    # band 2 (100.000 kr.) Spiseklub and Gåklub cut to 50.000 kr. each.
    reason = "Flere projekter får del."
    assert {
        d.application.reference: (d.outcome, d.amount_ore, d.reason_text) for d in decisions
    } == {
        scarce.knitting.reference: (DecisionOutcome.GRANT, kr(30_000), ""),
        scarce.homework.reference: (DecisionOutcome.REDUCED, kr(10_000), reason),
        scarce.dining.reference: (DecisionOutcome.REDUCED, kr(50_000), reason),
        scarce.walking.reference: (DecisionOutcome.REDUCED, kr(50_000), reason),
    }
    assert sorted(Entry.objects.filter(kind="commitment").values_list("text", "amount_ore")) == [
        (scarce.dining.reference, kr(50_000)),
        (scarce.walking.reference, kr(50_000)),
        (scarce.homework.reference, kr(10_000)),
        (scarce.knitting.reference, kr(30_000)),
    ]


def test_the_default_reason_for_a_reduction_is_danish(english: object) -> None:
    assert default_reduction_reason() == (
        "Tilsagnet er mindre end det ansøgte beløb, så puljen kan støtte flere projekter."
    )


def _refused(scarce: Scarce, run: AllocationRun, message: str) -> None:
    before = state()
    with pytest.raises(AllocationRefused) as refused:
        confirm_allocation(actor=scarce.caseworker, run=run)
    assert refused.value.message == message
    assert state() == before


def test_confirming_is_for_the_call_s_caseworkers(scarce: Scarce, english: object) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    before = state()

    with pytest.raises(AllocationRefused) as refused:
        confirm_allocation(actor=scarce.round.funded.funder, run=run)

    assert refused.value.message == f"You cannot allocate the money of “{scarce.call.title}”."
    assert state() == before


def test_an_infeasible_run_cannot_be_confirmed(scarce: Scarce, english: object) -> None:
    run = run_allocation(
        actor=scarce.caseworker,
        call=scarce.call,
        options=AllocationOptions(group_min_counts={"children": 2}),
    )

    _refused(scarce, run, "This run has no proposal to confirm.")


def test_a_run_is_confirmed_once(scarce: Scarce, english: object) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    confirm_allocation(actor=scarce.caseworker, run=run)

    _refused(scarce, run, "This proposal has been confirmed already.")


def test_only_the_newest_run_can_be_confirmed(scarce: Scarce, english: object) -> None:
    older = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())

    _refused(
        scarce,
        older,
        "A newer run has been made for this call: only the newest can be confirmed.",
    )


def test_a_run_whose_applications_changed_cannot_be_confirmed(
    scarce: Scarce, english: object
) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    withdraw_application(actor=scarce.walking.created_by, application=scarce.walking)
    newcomer = scored(scarce.round, value=2, title="Ny", amount_kr=20_000)

    _refused(
        scarce,
        run,
        "The applications have changed since this run was made "
        f"({scarce.walking.reference}, {newcomer.reference}). Make a new run and confirm that.",
    )


def test_a_changed_amount_or_status_makes_a_run_stale(scarce: Scarce, english: object) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    Application.objects.filter(pk=scarce.dining.pk).update(amount_ore=kr(59_000))
    Application.objects.filter(pk=scarce.homework.pk).update(status="recommended")

    _refused(
        scarce,
        run,
        "The applications have changed since this run was made "
        f"({scarce.dining.reference}, {scarce.homework.reference}). Make a new run and "
        "confirm that.",
    )


@pytest.mark.parametrize(
    ("options", "committed_kr", "message"),
    [
        # The proposal's grants in band 2 (Spiseklub, 60.000 kr.) are the first batch.
        (
            AllocationOptions(),
            50_000,
            "“Bånd 2” cannot pay for these grants: they come to 60.000 kr. and it has "
            "50.000 kr. available, 10.000 kr. too little.",
        ),
        # Halved: Strikkeklub in full is the first batch, then the reduced grants (Lektiecafé
        # in band 1, Spiseklub and Gåklub at 50.000 kr. each in band 2) are refused, and the
        # first batch's decision, commitment and status move are undone with them.
        (
            AllocationOptions(reduce_to_percent=50),
            60_000,
            "“Bånd 2” cannot pay for these grants: they come to 100.000 kr. and it has "
            "40.000 kr. available, 60.000 kr. too little.",
        ),
    ],
)
def test_the_ledger_s_refusal_to_overspend_undoes_the_whole_confirmation(
    scarce: Scarce, english: object, options: AllocationOptions, committed_kr: int, message: str
) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=options)
    # Another grant in band 2 (100.000 kr.) since the run.
    other = open_grant_account(
        actor=None,
        pool=scarce.bands[1],
        recipient=scarce.walking.organisation,
        reference="ANDET-1",
        title="Andet tilsagn",
    )
    commit(actor=None, grant=other, amount_ore=kr(committed_kr), key="andet-1")

    _refused(scarce, run, message)
    assert Decision.objects.count() == 0


@pytest.mark.parametrize(
    ("reason", "rule", "expected"),
    [
        (ReasonCode.NOT_REACHED, "", RejectionReason.NO_MONEY),
        (ReasonCode.BLOCKED, "budget", RejectionReason.NO_MONEY),
        (ReasonCode.BLOCKED, "band:ramme-1", RejectionReason.NO_MONEY),
        (ReasonCode.BLOCKED, "region:1084:cap_share", RejectionReason.WEAKER_THAN_OTHERS),
        (ReasonCode.BLOCKED, "organisation:12345678:grants", RejectionReason.WEAKER_THAN_OTHERS),
        (ReasonCode.BELOW_CUTOFF, "band:ramme-1", RejectionReason.WEAKER_THAN_OTHERS),
        (ReasonCode.BELOW_MIN_SCORE, "", RejectionReason.WEAKER_THAN_OTHERS),
        (ReasonCode.DISPLACED_BY_RULE, "group:children:count", RejectionReason.WEAKER_THAN_OTHERS),
        (ReasonCode.LOCKED_OUT, "", RejectionReason.WEAKER_THAN_OTHERS),
    ],
)
def test_the_reason_for_a_rejection(reason: ReasonCode, rule: str, expected: str) -> None:
    outcome = Outcome(
        id="A", selected=False, amount_ore=0, rank=1, reason=reason, text="", rule=rule
    )

    assert rejection_reason(outcome, whole_pool=True) == expected


@pytest.mark.parametrize(
    ("reason", "rule", "expected"),
    [
        # The run's budget was below what the pool has: the pool still has money.
        (ReasonCode.NOT_REACHED, "", RejectionReason.WEAKER_THAN_OTHERS),
        (ReasonCode.BLOCKED, "budget", RejectionReason.WEAKER_THAN_OTHERS),
        # A band's budget is all the band has.
        (ReasonCode.BLOCKED, "band:ramme-1", RejectionReason.NO_MONEY),
    ],
)
def test_a_run_with_a_budget_below_the_pools_never_says_the_pool_has_no_money(
    reason: ReasonCode, rule: str, expected: str
) -> None:
    outcome = Outcome(
        id="A", selected=False, amount_ore=0, rank=1, reason=reason, text="", rule=rule
    )

    assert rejection_reason(outcome, whole_pool=False) == expected
