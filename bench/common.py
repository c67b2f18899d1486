"""What the benchmarks share: a throw-away database, the child process that measures one, and
the facts about the machine printed next to the figures.

The scripts run as files (``python bench/ledger.py``), so this directory is on ``sys.path`` and
they import this module as ``common``. Nothing here imports Django at module level: a child
may set up Django only after ``database()`` has given it its ``DATABASE_URL``.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATABASES = ("sqlite", "postgresql")
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Exit codes of a child shared by every bench: it ran and every check held; the database could
# not be set up (unreachable), so nothing was measured. A failed check is 1.
OK, UNAVAILABLE = 0, 3


def progress(label: str, message: str) -> None:
    print(f"[{label}] {message}", file=sys.stderr, flush=True)


# --- the child: a database of its own -------------------------------------------------------


class UnavailableError(Exception):
    """The database server cannot be reached, so this database is skipped."""


@contextmanager
def database(
    name: str, postgresql_url: str, *, bench_db: str, prefix: str = "pulje-bench-"
) -> Iterator[str]:
    """A fresh, empty database for the run, removed afterwards; yields its DATABASE_URL.

    SQLite: a file in a temporary directory named ``prefix…``; PostgreSQL: ``bench_db`` on
    ``postgresql_url``, dropped before (left over from a crash) and after, with any
    connection still open to it.
    """
    if name == "sqlite":
        with tempfile.TemporaryDirectory(prefix=prefix) as directory:
            yield f"sqlite:///{directory}/bench.sqlite3"
        return
    import psycopg
    from psycopg import sql

    admin_url = postgresql_url.rstrip("/") + "/postgres"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(bench_db))
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(drop)
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bench_db)))
    except psycopg.OperationalError as error:
        raise UnavailableError(f"cannot create {bench_db} on {postgresql_url}: {error}") from error
    try:
        yield postgresql_url.rstrip("/") + "/" + bench_db
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(drop)


def run_child(
    result: Any,
    *,
    postgresql_url: str,
    bench_db: str,
    result_file: str,
    bench: Callable[[str], int],
    environ: dict[str, str] | None = None,
    prefix: str = "pulje-bench-",
    record_crash: bool = False,
) -> int:
    """Measure one database (``result.database``) and hand ``result`` (a dataclass with
    ``failures``) to the parent in ``result_file``; returns the child's exit code.

    Makes the database, points ``DATABASE_URL`` (and ``environ``) at it, sets Django up and
    calls ``bench(url)``. An unreachable server is reported as UNAVAILABLE. With
    ``record_crash``, a crash also writes the result, naming the error, before it propagates.
    """
    label = LABELS[result.database]
    try:
        with database(result.database, postgresql_url, bench_db=bench_db, prefix=prefix) as url:
            os.environ["DATABASE_URL"] = url
            os.environ.update(environ or {})
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulje.settings")
            import django

            django.setup()
            code = bench(url)
    except UnavailableError as error:
        message = " ".join(str(error).split())
        print(f"== {label}: UNAVAILABLE, not measured: {message}", flush=True)
        result.failures.append("unavailable: " + message)
        code = UNAVAILABLE
    except Exception as error:
        if record_crash:
            result.failures.append(f"crashed: {type(error).__name__}: {error}")
            Path(result_file).write_text(json.dumps(asdict(result)))
        raise
    Path(result_file).write_text(json.dumps(asdict(result)))
    return code


def database_facts(bench_db: str, postgresql_settings: tuple[str, ...]) -> tuple[str, str]:
    """The database's version, and the settings that decide what a commit costs (on
    PostgreSQL, the ``SHOW`` of each of ``postgresql_settings``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            found = str(cursor.fetchone()[0])
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
            return found, f"temp file, journal_mode={journal}, synchronous={synchronous}"
        cursor.execute("SHOW server_version")
        found = str(cursor.fetchone()[0]).split(" ")[0]
        values = []
        for name in postgresql_settings:
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
        return found, f"database {bench_db}, " + ", ".join(values)


# --- the parent: a child per database, then the machine --------------------------------------


def add_child_options(parser: argparse.ArgumentParser, bench_db: str) -> None:
    """``--postgresql-url``, and the hidden options by which a parent starts its child."""
    parser.add_argument(
        "--postgresql-url",
        default="postgres://postgres@127.0.0.1:5432/",
        help=f"server to create (and afterwards drop) the database {bench_db} on",
    )
    parser.add_argument("--_child", choices=DATABASES, help=argparse.SUPPRESS)
    parser.add_argument("--_result", help=argparse.SUPPRESS)


def run_child_process(
    script: str,
    name: str,
    result_file: Path,
    options: list[str],
    result_type: Callable[..., Any],
) -> tuple[int, dict[str, Any]]:
    """Run ``script`` again as the child for database ``name``; returns its exit code and the
    result it wrote, or, where it crashed without writing one, a ``result_type`` saying so."""
    print(flush=True)
    command = [sys.executable, script, "--_child", name, "--_result", str(result_file), *options]
    code = subprocess.run(command, cwd=PROJECT_DIR, check=False).returncode  # noqa: S603
    if result_file.exists():
        return code, json.loads(result_file.read_text())
    print(f"== {LABELS[name]}: the run crashed (exit {code}); see above")
    return code, asdict(result_type(database=name, failures=[f"crashed ({code})"]))


def machine_facts(code: str, load_before: str) -> list[tuple[str, str]]:
    """What was measured, on what: the rows every bench prints below its figures."""
    import django

    return [
        ("code", code),
        ("CPU", f"{os.cpu_count()} × {cpu_model()}"),
        # Figures from a machine that is busy with other work are slower and noisier.
        ("load avg", f"{load_before} at the start, {load_average()} at the end (1, 5, 15 min)"),
        ("system", platform.platform()),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
    ]


def database_versions(results: list[dict[str, Any]]) -> dict[str, str]:
    return {result["database"]: result["version"] for result in results if result["version"]}


def print_facts(facts: list[tuple[str, str]]) -> None:
    for name, value in facts:
        print(f"{name:<12}{value}")


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def revision(source: Path = PROJECT_DIR, *, name_source: bool = False) -> str:
    """The commit of the git checkout ``source`` is in (followed by `` in <source>`` with
    ``name_source``) and how many tracked files differ from it."""

    def git(*args: str) -> str:
        command = ["git", "-C", str(source), *args]
        return subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"{source} (not a git checkout)"
    changed = len(git("status", "--porcelain", "--untracked-files=no").splitlines())
    return (
        commit
        + (f" in {source}" if name_source else "")
        + (f", with uncommitted changes in {changed} files" if changed else "")
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
