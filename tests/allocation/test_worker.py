"""A run computed by the worker (``services.solve_allocation_run``, worker ``manage.py
db_worker``): the pages queue it and never solve in the request, the task solves and stores
it once, the run page shows its progress and then its result, a person can stop it, and a
solve that fails is said in Danish on the page, never a 500."""

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pulje.allocation import services
from pulje.allocation.models import STALLED_AFTER, AllocationRun
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import (
    AllocationRefused,
    request_stop,
    run_allocation,
    runs,
    solve_queued_run,
)
from pulje.allocation.solver import solve
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from tests.factories.allocation import FORM, Scarce, make_scarce
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


def _url(name: str, run: AllocationRun) -> str:
    return reverse(f"allocation:{name}", kwargs={"code": run.call.code, "pk": run.pk})


@pytest.fixture
def no_solving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Solving here fails the test: the request must only queue."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("solved in the request")

    monkeypatch.setattr(runs, "solve", refuse)


def _queued(scarce: Scarce, **options: Any) -> AllocationRun:
    return run_allocation(
        actor=scarce.caseworker,
        call=scarce.call,
        options=AllocationOptions(**options),
        in_worker=True,
    )


# The service and the task


def test_a_run_for_the_worker_is_queued_with_its_task_and_not_solved(
    scarce: Scarce, no_solving: None
) -> None:
    run = _queued(scarce)

    assert (run.status, run.result, run.baseline, run.grants) == ("queued", None, None, 0)
    task = DBTaskResult.objects.get(id=run.task_result_id)
    assert task.task_path == "pulje.allocation.services.runs.solve_allocation_run"
    assert task.args_kwargs == {"args": [], "kwargs": {"run_id": run.pk}}
    assert AuditEvent.objects.get(action="allocation.run.created").after["status"] == "queued"  # type: ignore[index]
    assert not AuditEvent.objects.filter(action="allocation.run.solved").exists()


def test_the_task_solves_the_run_once_and_stores_it(scarce: Scarce) -> None:
    run = _queued(scarce)

    services.solve_allocation_run.call(run_id=run.pk)
    solve_queued_run(run_id=run.pk)  # a second worker, or the task run again: nothing

    run.refresh_from_db()
    assert (run.status, run.grants) == ("optimal", 2)
    assert run.result is not None
    assert run.baseline is not None
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.started_at <= run.finished_at
    assert AuditEvent.objects.filter(action="allocation.run.solved").count() == 1


def test_a_solve_that_fails_is_stored_as_an_error_in_danish(
    scarce: Scarce, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _queued(scarce)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(runs, "solve", broken)

    solve_queued_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.result, run.errors) == (
        "error",
        None,
        [
            "Løseren stoppede med en fejl. Kør den igen; sker det igen, så giv systemets "
            "administrator besked."
        ],
    )
    assert AuditEvent.objects.get(action="allocation.run.solved").after["status"] == "error"  # type: ignore[index]


def test_a_stop_asked_for_ends_the_solve_with_what_it_has(
    scarce: Scarce, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solve asks the database whether a stop was asked for; asked before it began, it
    has no time at all: nothing found, said to be stopped, and the run is done."""
    run = _queued(scarce)
    request_stop(actor=scarce.caseworker, run=run)
    asked: list[bool] = []

    def watched(problem: Any, **kwargs: Any) -> Any:
        if "stop" in kwargs:
            asked.append(kwargs["stop"]())
        return solve(problem, **kwargs)

    monkeypatch.setattr(runs, "solve", watched)

    solve_queued_run(run_id=run.pk)

    run.refresh_from_db()
    assert asked == [True]
    assert run.status == "time_limit"
    assert run.result is not None
    assert run.result["stopped"] is True
    event = AuditEvent.objects.get(action="allocation.run.stop_requested")
    assert (event.actor, event.object_id) == (scarce.caseworker, str(run.pk))
    assert AuditEvent.objects.get(action="allocation.run.solved").after["stopped"] is True  # type: ignore[index]


def test_only_a_run_being_computed_can_be_stopped_and_only_once(
    scarce: Scarce, english: object
) -> None:
    done = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    queued = _queued(scarce)
    request_stop(actor=scarce.caseworker, run=queued)

    for run in (done, queued):
        with pytest.raises(AllocationRefused) as refused:
            request_stop(actor=scarce.caseworker, run=run)
        assert refused.value.message == "This run is not being computed any more."
    with pytest.raises(AllocationRefused):
        request_stop(actor=scarce.round.funded.funder, run=queued)
    assert AuditEvent.objects.filter(action="allocation.run.stop_requested").count() == 1


# The pages


def test_posting_the_form_queues_the_run_and_the_page_says_it_is_computing(
    client: Client, scarce: Scarce, english: object, no_solving: None
) -> None:
    client.force_login(scarce.caseworker)

    response = client.post(reverse("allocation:new", kwargs={"code": scarce.call.code}), FORM)

    run = AllocationRun.objects.get()
    assert (response.status_code, response["Location"]) == (302, _url("run", run))
    assert run.status == "queued"
    page = client.get(_url("run", run)).content.decode()
    assert '<div id="run-progress" data-run-state="queued"' in page
    assert f'hx-get="{_url("run", run)}" hx-trigger="every 2s"' in page
    assert "Computing…" in page
    assert f'action="{_url("stop", run)}"' in page
    assert "The proposal" not in page


def test_the_page_polls_until_the_run_is_done_and_then_reloads_to_show_it(
    client: Client, scarce: Scarce, english: object
) -> None:
    run = _queued(scarce)
    client.force_login(scarce.caseworker)

    polled = client.get(_url("run", run), headers={"HX-Request": "true"})

    assert polled.status_code == 200
    assert polled.content.decode().startswith('<div id="run-progress" data-run-state="queued"')
    assert "HX-Refresh" not in polled

    solve_queued_run(run_id=run.pk)
    done = client.get(_url("run", run), headers={"HX-Request": "true"})
    assert (done.status_code, done["HX-Refresh"], done.content) == (200, "true", b"")
    page = client.get(_url("run", run)).content.decode()
    assert "run-progress" not in page
    assert '<dd data-status="optimal">Best possible</dd>' in page
    assert "The proposal" in page


def test_stop_on_the_page_asks_the_worker_and_the_result_says_so(
    client: Client, scarce: Scarce, english: object
) -> None:
    run = _queued(scarce)
    client.force_login(scarce.caseworker)

    response = client.post(_url("stop", run))

    assert (response.status_code, response["Location"]) == (302, _url("run", run))
    run.refresh_from_db()
    assert run.stop_requested_at is not None
    page = client.get(_url("run", run)).content.decode()
    assert "Asked to stop: it stops at its next check" in page
    assert 'data-action="stop"' not in page
    solve_queued_run(run_id=run.pk)
    page = client.get(_url("run", run)).content.decode()
    assert "<span data-stopped>: stopped on request, with the best proposal found by then" in page


def test_stopping_a_run_that_is_done_says_so(
    client: Client, scarce: Scarce, english: object
) -> None:
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    client.force_login(scarce.caseworker)

    page = client.post(_url("stop", run), follow=True).content.decode()

    assert "This run is not being computed any more." in page


def test_the_funder_cannot_stop_a_run(client: Client, scarce: Scarce) -> None:
    run = _queued(scarce)
    client.force_login(scarce.round.funded.funder)

    assert client.post(_url("stop", run)).status_code == 403
    run.refresh_from_db()
    assert run.stop_requested_at is None


def test_a_failed_solve_shows_a_danish_message_not_a_500(
    client: Client, scarce: Scarce, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _queued(scarce)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("HiGHS crashed")

    monkeypatch.setattr(runs, "solve", broken)
    solve_queued_run(run_id=run.pk)
    client.force_login(scarce.caseworker)

    response = client.get(_url("run", run))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-run-state="error"' in page
    assert "Løseren stoppede med en fejl. Kør den igen" in page
    assert "HiGHS crashed" not in page


def test_a_run_no_worker_takes_or_finishes_says_so(
    client: Client, scarce: Scarce, english: object
) -> None:
    queued = _queued(scarce)
    running = _queued(scarce)
    AllocationRun.objects.filter(pk=running.pk).update(status="running", started_at=timezone.now())
    client.force_login(scarce.caseworker)
    for run in (queued, running):
        assert "data-stalled" not in client.get(_url("run", run)).content.decode()

    AllocationRun.objects.filter(pk=queued.pk).update(created_at=timezone.now() - STALLED_AFTER)
    # Running: its 20 seconds and the five minutes after them.
    AllocationRun.objects.filter(pk=running.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=20) - STALLED_AFTER
    )

    for run in (queued, running):
        page = client.get(_url("run", run)).content.decode()
        assert '<p class="alert-text" data-stalled>This is taking much longer' in page


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_solves_a_queued_run() -> None:
    """The real worker (``manage.py db_worker``) against the test database: the run the
    page queued is solved and stored, and its task ends successful."""
    scarce = make_scarce()
    run = _queued(scarce)
    finished = run_worker()

    assert finished.returncode == 0, finished.stderr
    run.refresh_from_db()
    assert (run.status, run.grants, run.total_ore) == ("optimal", 2, kr(80_000))
    assert DBTaskResult.objects.get(id=run.task_result_id).status == "SUCCESSFUL"
