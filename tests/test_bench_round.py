"""A smoke test of bench/round.py at a tiny round: every page of the round's path, from the
applicant's login to the grantee's acceptance, is found by its link or form and answers, so a
broken path fails here. The figures are the bench's to print (docs/bench.md); only the counts
that follow from the path itself are asserted."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPLICATIONS = 4


def test_the_round_replays_through_the_pages_from_application_to_acceptance() -> None:
    done = subprocess.run(  # noqa: S603 - this checkout's own bench
        [
            sys.executable,
            "bench/round.py",
            "--applications",
            str(APPLICATIONS),
            "--organisations",
            "3",
            "--assessors",
            "2",
            "--quiet",
        ],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1", "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        # Generous: a busy CI machine migrates the fresh database slowly.
        timeout=900,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    rows = {
        line.split()[0]: line.split()[1:]
        for line in done.stdout.splitlines()
        if re.match(r"^(apply|score|accept) ", line)
    }
    # applicant, caseworker, assessor: three submits per application (start, check, submit),
    # two per assignment (declaration, scores), none by the caseworker.
    assert rows["apply"][:3] == [str(3 * APPLICATIONS), "0", "0"]
    assert rows["score"][:3] == ["0", "0", str(2 * 2 * APPLICATIONS)]
    decided = re.search(r"(\d+) full, (\d+) reduced, (\d+) rejected", done.stdout)
    assert decided is not None
    assert sum(int(n) for n in decided.groups()) == APPLICATIONS
    grants = int(decided[1]) + int(decided[2])
    assert rows["accept"][:3] == [str(grants), "0", "0"]
    assert re.search(rf"{APPLICATIONS} of {APPLICATIONS} letters e-mailed", done.stdout)
    assert re.search(r"^slowest +(GET|POST) /\S* \d+ ms", done.stdout, re.M)
