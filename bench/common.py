"""What the benchmarks share: a throw-away database, the child process that measures one, the
data it starts from, and the facts about the machine printed next to the figures.

The scripts run as files (``python bench/ledger.py``), so this directory is on ``sys.path`` and
they import this module as ``common``. Nothing here imports Django at module level: a child
may set up Django only after ``database()`` has given it its ``DATABASE_URL``.
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pulje.funds.models import Pool

T = TypeVar("T")

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATABASES = ("sqlite", "postgresql")
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _postgresql_server() -> str:
    """The PostgreSQL server, named once by ``PG_URL`` in the Makefile; a bench makes its own
    database there, so this is the URL without the database's name."""
    found = re.search(r"^PG_URL \?= (\S+)$", (PROJECT_DIR / "Makefile").read_text(), re.M)
    if found is None:
        raise RuntimeError("The Makefile sets no PG_URL.")
    return found[1].rsplit("/", 1)[0] + "/"


POSTGRESQL_SERVER = _postgresql_server()
# Exit codes of a child shared by every bench: it ran and every check held; the database could
# not be set up (unreachable), so nothing was measured. A failed check is 1.
OK, UNAVAILABLE = 0, 3


def progress(label: str, message: str) -> None:
    print(f"[{label}] {message}", file=sys.stderr, flush=True)


def timed(function: Callable[[], T]) -> tuple[float, T]:
    """The seconds ``function`` took, and what it returned."""
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


# --- the child: a database of its own -------------------------------------------------------


@dataclass
class ChildResult:
    """What a child hands its parent (a bench adds its figures): the database it measured, its
    version and settings, how long making the data took, and what failed."""

    database: str
    version: str = ""
    settings: str = ""
    setup_s: float = 0.0
    failures: list[str] = field(default_factory=list)


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
    result: ChildResult,
    args: argparse.Namespace,
    *,
    bench_db: str,
    bench: Callable[[str], int],
    environ: dict[str, str] | None = None,
    prefix: str = "pulje-bench-",
    record_crash: bool = False,
) -> int:
    """Measure one database (``result.database``) and hand ``result`` to the parent in the
    file ``--_result`` names (``args``: the options ``add_child_options`` added); returns the
    child's exit code.

    Makes the database, points ``DATABASE_URL`` (and ``environ``) at it, sets Django up and
    calls ``bench(url)``. An unreachable server is reported as UNAVAILABLE. With
    ``record_crash``, a crash also writes the result, naming the error, before it propagates.
    """
    label = LABELS[result.database]
    postgresql_url, result_file = args.postgresql_url, args._result
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


def migrate(result: ChildResult, bench_db: str, postgresql_settings: tuple[str, ...]) -> str:
    """Turn ``DEBUG`` off, migrate the child's database, note its version and settings in
    ``result`` and print them; returns the database's label.

    Production runs without ``DEBUG``; with it, Django keeps the SQL of every query in memory
    and every figure would include that bookkeeping. CaptureQueriesContext still counts.
    """
    from django.conf import settings
    from django.core.management import call_command

    label = LABELS[result.database]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    result.version, result.settings = database_facts(bench_db, postgresql_settings)
    print(f"== {label} {result.version} ({result.settings})", flush=True)
    return label


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


# --- the child: what it starts from, made through the services ----------------------------------

# Every bench pool runs over this period; the calls open in it run projects within 2021.
PERIOD = (dt.date(2020, 11, 1), dt.date(2030, 12, 31))


def funded_pool(
    *,
    funder_cvr: int,
    funder_name: str,
    code: str,
    money_ore: int,
    bands: Sequence[tuple[int, int]],
    band_money_ore: int,
) -> tuple[Any, "Pool", list["Pool"]]:
    """A funder, its pool ``code`` ("Bench-puljen") with ``money_ore`` appropriated and a band
    below it for each (smallest, largest) grant in øre, each delegated ``band_money_ore``;
    returns the funder, the pool and the bands."""
    from pulje.ledger.services import appropriate, delegate
    from pulje.registry.models import OrganisationKind
    from pulje.registry.services.organisations import register_organisation
    from pulje.registry.testing import fake_cvr

    funder = register_organisation(
        actor=None, cvr=fake_cvr(funder_cvr), name=funder_name, kind=OrganisationKind.FUNDER
    )
    pool = bench_pool(funder, code, "Bench-puljen")
    appropriate(actor=None, pool=pool, amount_ore=money_ore)
    made = []
    for n, (low, high) in enumerate(bands):
        band = bench_pool(
            funder,
            f"{code}-{n}",
            f"Bånd {n + 1}",
            parent=pool,
            grant_min_ore=low,
            grant_max_ore=high,
        )
        delegate(actor=None, pool=pool, to=band, amount_ore=band_money_ore)
        made.append(band)
    return funder, pool, made


def bench_pool(
    funder: Any,
    code: str,
    name: str,
    *,
    actor: Any = None,
    period: tuple[dt.date, dt.date] = PERIOD,
    **fields: Any,
) -> "Pool":
    """A pool of ``funder``'s over ``period``; ``fields``: the rest ``create_pool`` takes."""
    from pulje.funds.services import create_pool

    start, end = period
    return create_pool(
        actor=actor,
        code=code,
        name=name,
        administrator=funder,
        period_start=start,
        period_end=end,
        **fields,
    )


def open_call(
    pool: Any, *, code: str, reference_prefix: str, title: str, purpose: str, eligibility: str
) -> Any:
    """A call on ``pool``, open since yesterday for 30 days, for projects in 2021 with an
    association as partner."""
    from django.utils import timezone

    from pulje.calls.services import create_call

    now = timezone.now()
    return create_call(
        actor=None,
        pool=pool,
        code=code,
        reference_prefix=reference_prefix,
        title=title,
        purpose=purpose,
        eligibility=eligibility,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
        project_start_earliest=dt.date(2021, 1, 1),
        project_end_latest=dt.date(2021, 12, 31),
        partner_kinds=["association"],
    )


def housing_organisation(cvr: int, name: str, number: int) -> Any:
    """A housing organisation in Aarhus C at Benchvej ``number``."""
    from pulje.registry.models import OrganisationKind
    from pulje.registry.services.organisations import register_organisation
    from pulje.registry.testing import fake_cvr

    return register_organisation(
        actor=None,
        cvr=fake_cvr(cvr),
        name=name,
        kind=OrganisationKind.HOUSING,
        address=f"Benchvej {number}",
        postal_code="8000",
        city="Aarhus C",
    )


def department(organisation: Any, number: int) -> Any:
    """The organisation's department ``number``, 120 homes in Copenhagen (municipality 101)."""
    from pulje.registry.models import Municipality
    from pulje.registry.services.organisations import register_department

    return register_department(
        actor=None,
        organisation=organisation,
        number=str(number),
        name=f"Afdeling {number}",
        municipality=Municipality.objects.get(code="101"),
        homes=120,
    )


def member(organisation: Any, email: str, name: str) -> Any:
    """A new user, a member of ``organisation``."""
    from pulje.accounts.services.users import register_user
    from pulje.registry.services.memberships import add_membership

    user = register_user(actor=None, email=email, name=name)
    add_membership(actor=None, user=user, organisation=organisation)
    return user


# --- the parent: a child per database, then the machine --------------------------------------


def add_child_options(parser: argparse.ArgumentParser, bench_db: str) -> None:
    """``--postgresql-url``, and the hidden options by which a parent starts its child."""
    parser.add_argument(
        "--postgresql-url",
        default=POSTGRESQL_SERVER,
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


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """``--database``: one of DATABASES, or both (the default); see ``databases``."""
    parser.add_argument("--database", choices=[*DATABASES, "both"], default="both")


def databases(args: argparse.Namespace) -> list[str]:
    """The databases ``--database`` chose."""
    return list(DATABASES) if args.database == "both" else [args.database]


def run_children(
    script: str,
    names: list[str],
    directory: Path,
    options: Callable[[str], list[str]],
    result_type: Callable[..., Any],
) -> tuple[list[int], list[dict[str, Any]]]:
    """``run_child_process`` for each database in ``names``, with ``options(name)`` and its
    result file in ``directory``; returns their exit codes and results."""
    codes, results = [], []
    for name in names:
        result_file = directory / f"{name}.json"
        code, result = run_child_process(script, name, result_file, options(name), result_type)
        codes.append(code)
        results.append(result)
    return codes, results


def print_failures(failures: list[str], results: list[dict[str, Any]]) -> bool:
    """After a blank line, ``failures`` and every child's (named by its database), if any;
    returns whether there were any."""
    failures = failures + [
        f"{LABELS[r['database']]}: {failure}" for r in results for failure in r["failures"]
    ]
    print()
    if failures:
        print("FAIL: " + "\n      ".join(failures))
    return bool(failures)


def exit_code(codes: list[int], message: str, *, failed: bool) -> int:
    """The parent's exit status: 1 when ``failed`` or a child ended other than OK or
    UNAVAILABLE; otherwise 0, after printing ``message``."""
    if failed or any(code not in (OK, UNAVAILABLE) for code in codes):
        return 1
    print(message)
    return 0


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
