import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pulje.allocation.solver import (
    ProblemError,
    Status,
    problem_from_json,
    result_to_json,
    solve,
)
from pulje.core.money import format_dkk


class Command(BaseCommand):
    help = (
        "Solve an allocation problem in the JSON format of docs/allocation.md and write the "
        "result as JSON, so any problem can be solved and checked outside the web app. Reads "
        "nothing from the database and writes nothing to it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("problem", type=Path, help="The problem (.json); - reads stdin.")
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            help="Where to write the result (default: standard output).",
        )

    def handle(self, *args: Any, problem: Path, output: Path | None, **options: Any) -> None:
        try:
            text = sys.stdin.read() if str(problem) == "-" else problem.read_text("utf-8")
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s.") % {"file": problem, "error": error.strerror}
            ) from error
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                _("%(file)s is not valid JSON (line %(line)d, column %(column)d: %(error)s).")
                % {"file": problem, "line": error.lineno, "column": error.colno, "error": error.msg}
            ) from error
        try:
            read = problem_from_json(data)
        except ProblemError as error:
            raise CommandError(
                _("The problem cannot be read:") + "".join(f"\n- {e}" for e in error.errors)
            ) from error
        result = solve(read)
        # Compact: Python's JSON encoder runs in C only without an indent (at 100,000
        # candidates an indented result took 3 s to write; docs/bench.md).
        written = json.dumps(result_to_json(result), ensure_ascii=False, separators=(",", ":"))
        written += "\n"
        if output is None:
            self.stdout.write(written, ending="")
        else:
            output.write_text(written, "utf-8")
        self.stderr.write(
            _("%(status)s: %(selected)d of %(candidates)d selected, %(total)s, gap %(gap)s.")
            % {
                "status": result.status.value,
                "selected": len(result.selected),
                "candidates": len(result.outcomes),
                "total": format_dkk(result.total_ore),
                "gap": "–" if result.gap is None else f"{result.gap:.4%}",
            }
        )
        if result.stopped and result.status == Status.FEASIBLE:
            self.stderr.write(
                _(
                    "Stopped at the time limit: this is the best found in the time, and the "
                    "gap says how far from the best it may be."
                )
            )
        for conflict in result.conflicts:
            self.stderr.write(f"- {conflict.text}")
        if result.status == Status.INFEASIBLE:
            raise CommandError(_("No allocation meets every rule of the problem: see above."))
        if result.status == Status.TIME_LIMIT:
            raise CommandError(_("The solver found no allocation within the time limit."))
