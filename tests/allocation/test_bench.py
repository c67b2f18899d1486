"""A smoke test of bench/allocate.py at one small size: every objective, solve() beside
greedy and through ``manage.py allocate`` on a file, the checks held. The figures are the
bench's to print (docs/bench.md), never asserted here."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_allocation_bench_runs_every_objective_and_the_file_at_a_small_size() -> None:
    done = subprocess.run(
        [sys.executable, "bench/allocate.py", "--sizes", "40", "--seeds", "1", "--no-reading"],
        cwd=ROOT,
        # pytest's own settings (tests.settings) are in the environment: the root on the path
        # lets the bench's Django find them.
        env={
            **os.environ,
            "DEBUG": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for objective in ("score", "participants", "count"):
        row = next(line.split() for line in lines if f"  {objective} " in line)
        assert row[:3] == ["40", objective, "1"]
        # solve(), greedy and the file command each "median / worst", then proven 1 of 1
        assert (row[4], row[7], row[10], row[12]) == ("/", "/", "/", "1/1")
    assert "selection proven within the gap: 3 of 3 instances (none stopped" in done.stdout
    assert "OK: every check held." in done.stdout
