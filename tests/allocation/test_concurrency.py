"""Confirming a run while someone else acts on the same call: a colleague confirming the
same run, an assessor submitting a score.

Each thread has its own connection, as each web worker would; only PostgreSQL has the row
locks this is about, so this runs in the PostgreSQL leg of `make test`.
"""

import threading
from functools import partial
from typing import Any

import pytest
from django.db.models import QuerySet

from pulje.allocation import plans
from pulje.allocation.models import AllocationRun
from pulje.allocation.plans import Refusal
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import AllocationRefused, confirm, confirm_allocation, run_allocation
from pulje.assessment.models import Assignment
from pulje.assessment.services import (
    add_assessor,
    assign_assessor,
    declare_interest,
    ensure_rubric,
    rubrics,
    submit_scores,
)
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.ledger.selectors import find_ledger_discrepancies
from tests.concurrency import (
    Outcome,
    another_connection_waits_for_a_lock,
    run_at_once,
    wait_until,
)
from tests.factories import UserFactory
from tests.factories.allocation import Scarce, make_scarce
from tests.factories.decisions import available

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _confirm_twice(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Outcome], list[bool], Scarce]:
    """The caseworker and a colleague confirm the same run at once.

    Each waits after the confirmation's checks until the other has passed them too, or waits
    for a lock: without the locks both pass them on the same unconfirmed run; with them the
    second is waiting for the first's locks, and the first goes on alone.
    """
    scarce = make_scarce()
    colleague = UserFactory(name="Kollega", organisation=scarce.call.pool.administrator)
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    passed_check: list[bool] = []
    refusal_of = plans.confirmation_refusal

    def check_then_wait(run: AllocationRun) -> Refusal | None:
        refusal = refusal_of(run)
        if refusal is None:
            passed_check.append(True)
            wait_until(
                lambda: len(passed_check) == 2 or another_connection_waits_for_a_lock(),
                what="the other confirmation to pass its checks or wait for a lock",
            )
        return refusal

    monkeypatch.setattr(confirm, "confirmation_refusal", check_then_wait)
    outcomes = run_at_once(
        partial(confirm_allocation, actor=scarce.caseworker, run=run),
        partial(confirm_allocation, actor=colleague, run=run),
    )
    return outcomes, passed_check, scarce


def test_a_run_confirmed_twice_at_once_makes_its_decisions_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcomes, passed_check, scarce = _confirm_twice(monkeypatch)

    # The second waited for the first's locks and then found the run confirmed.
    assert passed_check == [True]
    confirmed = [outcome for outcome in outcomes if isinstance(outcome, list)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, AllocationRefused)]
    assert (len(confirmed), len(refused)) == (1, 1), outcomes
    assert refused[0].message == "This proposal has been confirmed already."
    assert Decision.objects.count() == 4
    assert (available(scarce.bands[0]), available(scarce.bands[1])) == (kr(20_000), kr(40_000))
    assert find_ledger_discrepancies() == []


def test_control_without_the_locks_both_confirmations_pass_the_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: with the confirmation's locks switched off (the pools' and the
    applications' rows), both confirmations read the run as unconfirmed and pass every check,
    so the test above proves the locks."""
    monkeypatch.setattr(confirm, "lock_for", lambda **kw: None)
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, **kwargs: self)
    outcomes, passed_check, _scarce = _confirm_twice(monkeypatch)

    assert passed_check == [True, True], outcomes


def test_a_score_submitted_while_a_run_is_confirmed_is_never_overlooked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The assessor's submission has locked its assignment and application and is writing
    the scores when the caseworker confirms: the confirmation waits for it, then sees that
    Gåklub's score changed and refuses. (Without either lock the confirmation would decide on
    the old score, or the score would land on a decided application.)"""
    scarce = make_scarce()
    second = add_assessor(
        actor=scarce.caseworker, call=scarce.call, email="carl@example.dk", name="Carl"
    ).user
    assign_assessor(actor=scarce.caseworker, applications=[scarce.walking], assessor=second)
    assignment = Assignment.objects.get(application=scarce.walking, assessor=second)
    declare_interest(actor=second, assignment=assignment, conflict=False)
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    criteria = ensure_rubric(actor=None, call=scarce.call).criteria.all()
    writing, go_on = threading.Event(), threading.Event()
    write_scores = rubrics._write_scores

    def write_then_wait(*args: Any) -> Any:
        writing.set()
        assert go_on.wait(timeout=30)
        return write_scores(*args)

    monkeypatch.setattr(rubrics, "_write_scores", write_then_wait)

    def score() -> Any:
        return submit_scores(
            actor=second,
            assignment=assignment,
            values={criterion.pk: (1, "Svag.") for criterion in criteria},
        )

    def confirm() -> Any:
        assert writing.wait(timeout=30)
        return confirm_allocation(actor=scarce.caseworker, run=run)

    def release_the_score() -> None:
        wait_until(another_connection_waits_for_a_lock, what="the confirmation to wait")
        go_on.set()

    scored, refused, _released = run_at_once(score, confirm, release_the_score)

    assert isinstance(scored, Assignment), scored
    assert isinstance(refused, AllocationRefused), refused
    assert refused.message == (
        f"The applications have changed since this run was made ({scarce.walking.reference})."
        " Make a new run and confirm that."
    )
    assert Decision.objects.count() == 0
    run.refresh_from_db()
    assert run.confirmed_at is None
