"""Confirming a run while someone else acts on the same call: a colleague confirming the
same run, an assessor submitting a score.

Each thread has its own connection, as each web worker would; only PostgreSQL has the row
locks this is about, so this runs in the PostgreSQL leg of `make test`.
"""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from pulje.accounts.models import User
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import AllocationRefused, confirm_allocation, run_allocation
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
from tests.allocation.conftest import make_scarce
from tests.decisions.conftest import available
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _in_threads(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs at once, each in its own thread and connection; what each returned or
    raised."""
    outcomes: list[Any] = [None] * len(jobs)

    def work(index: int) -> None:
        try:
            with translation.override("en"):
                outcomes[index] = jobs[index]()
        except Exception as error:  # every outcome is asserted by the caller
            outcomes[index] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a thread hung"
    return outcomes


def test_a_run_confirmed_twice_at_once_makes_its_decisions_once() -> None:
    scarce = make_scarce()
    colleague = UserFactory(name="Kollega", organisation=scarce.call.pool.administrator)
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    start = threading.Barrier(2)

    def confirm_as(actor: User) -> Callable[[], Any]:
        def confirm() -> Any:
            start.wait(timeout=30)
            return confirm_allocation(actor=actor, run=run)

        return confirm

    outcomes = _in_threads(confirm_as(scarce.caseworker), confirm_as(colleague))

    # The second waits for the first's locks and then finds the run confirmed.
    confirmed = [outcome for outcome in outcomes if isinstance(outcome, list)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, AllocationRefused)]
    assert (len(confirmed), len(refused)) == (1, 1), outcomes
    assert refused[0].message == "This proposal has been confirmed already."
    assert Decision.objects.count() == 4
    assert (available(scarce.bands[0]), available(scarce.bands[1])) == (kr(20_000), kr(40_000))
    assert find_ledger_discrepancies() == []


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
        threading.Timer(1.0, go_on.set).start()  # the confirmation is waiting on the lock by then
        return confirm_allocation(actor=scarce.caseworker, run=run)

    scored, refused = _in_threads(score, confirm)

    assert isinstance(scored, Assignment), scored
    assert isinstance(refused, AllocationRefused), refused
    assert refused.message == (
        f"The applications have changed since this run was made ({scarce.walking.reference})."
        " Make a new run and confirm that."
    )
    assert Decision.objects.count() == 0
    run.refresh_from_db()
    assert run.confirmed_at is None
