"""``manage.py allocate``: a problem file in, the result as JSON out, no database."""

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from pulje.allocation.management.commands import allocate as command
from pulje.allocation.solver import problem_to_json, solve
from tests.factories.solver import FakeClock, bl_shaped, hard

PROBLEM: dict[str, Any] = {
    "version": 1,
    "budget_ore": 10_000_000,
    "regions": {"1081": {"floor_ore": 3_000_000}},
    "labels": {"region:1081": "Region Nordjylland"},
    "candidates": [
        {"id": "A", "score": 4.5, "amount_ore": 6_000_000, "region": "1084"},
        {"id": "B", "score": 4.0, "amount_ore": 4_000_000, "region": "1084"},
        {"id": "C", "score": 3.0, "amount_ore": 3_000_000, "region": "1081"},
        {"id": "D", "score": 2.0, "amount_ore": 1_000_000, "region": "1081"},
    ],
}


def allocate(path: Path, *arguments: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("allocate", str(path), *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_allocate_writes_the_result_as_json_to_standard_output(tmp_path: Path) -> None:
    out, err = allocate(write(tmp_path, PROBLEM))

    result = json.loads(out)
    assert (result["status"], result["total_ore"], result["gap"]) == ("optimal", 10_000_000, 0.0)
    assert {c["id"]: (c["selected"], c["reason"]) for c in result["candidates"]} == {
        "A": (True, "selected"),
        "B": (False, "displaced_by_rule"),
        "C": (True, "selected_for_rule"),
        "D": (True, "selected_for_rule"),
    }
    assert result["price_of_fairness"] == {
        "objective_without": 430_000.0,
        "lost": 50_000.0,
        "share": 50_000 / 430_000,
        "below_gap": False,
        "unproven": False,
    }
    assert err == "optimal: 3 af 4 valgt, 100.000 kr., gap 0.0000%.\n"


def test_allocate_writes_to_a_file_with_output(tmp_path: Path) -> None:
    target = tmp_path / "result.json"

    out, _err = allocate(write(tmp_path, PROBLEM), "--output", str(target))

    assert out == ""
    assert json.loads(target.read_text("utf-8"))["met_all_rules"] is True


def test_allocate_lists_every_error_of_a_bad_problem(tmp_path: Path) -> None:
    bad = {"version": 1, "candidates": [{"id": "A", "score": 1}, {"id": "A", "amount_ore": -5}]}

    with pytest.raises(CommandError) as refused:
        allocate(write(tmp_path, bad))

    assert str(refused.value) == (
        "Problemet kan ikke læses:\n"
        "- «budget_ore» (budgettet i øre) skal angives.\n"
        "- Ansøger «A»: «amount_ore» (det ansøgte beløb i øre) skal angives.\n"
        "- Ansøger «A»: «amount_ore» skal være et helt tal på mindst 1, ikke -5."
    )


def test_allocate_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    path.write_text("{nope", "utf-8")

    with pytest.raises(CommandError) as refused:
        allocate(path)

    assert str(refused.value) == (
        f"{path} er ikke gyldig JSON (linje 1, kolonne 2: "
        "Expecting property name enclosed in double quotes)."
    )


def test_allocate_writes_the_conflicts_of_an_infeasible_problem_and_fails(
    tmp_path: Path,
) -> None:
    infeasible = PROBLEM | {"regions": {"1081": {"floor_ore": 5_000_000}}}
    out = io.StringIO()
    err = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("allocate", str(write(tmp_path, infeasible)), stdout=out, stderr=err)

    result = json.loads(out.getvalue())
    assert result["status"] == "infeasible"
    assert result["conflicts"] == [
        {
            "rules": ["region:1081:floor"],
            "text": "Ansøgerne fra Region Nordjylland søger tilsammen 40.000 kr., men gulvet er "
            "50.000 kr.",
        }
    ]
    assert str(refused.value) == "Ingen fordeling opfylder alle problemets regler: se ovenfor."


def test_allocate_says_when_the_time_limit_stopped_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The relaxation uses the whole limit (a fake clock, as in test_solver_time): the
    command writes the first selection, says it stopped at the limit, and succeeds."""
    clock = FakeClock()
    hard(monkeypatch, clock, lambda integer, left: left)
    monkeypatch.setattr(command, "solve", lambda problem: solve(problem, clock=clock))
    problem = dataclasses.replace(bl_shaped(300, gap=0.0), time_limit=5.0)
    path = write(tmp_path, problem_to_json(problem))

    out, err = allocate(path)

    assert (json.loads(out)["status"], json.loads(out)["stopped"]) == ("feasible", True)
    assert err.splitlines()[1] == (
        "Stoppet ved tidsgrænsen: dette er det bedste, der blev fundet i tiden, og gap'et "
        "siger, hvor langt fra det bedste det kan være."
    )
