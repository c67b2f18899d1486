"""Applying under load: the public call page and a draft autosave, next to the bare view.

    DEBUG=1 .venv/bin/python bench/apply.py [--database both] [--clients 16] [--requests 300]

Issue 3's proof that applicants can read a call and keep their drafts while many do so at
once. For each database (SQLite, PostgreSQL) the script runs itself again as a child process
(``--_child``; Django can be set up only once per process), which:

1. makes a fresh database (SQLite: a temporary file; PostgreSQL: ``pulje_bench_apply``,
   dropped afterwards), migrates it and creates, through the product's services, a pool
   with three grant bands, an open call with two questions of its own and ``--applicants``
   housing organisations, each with a member and a draft application;
2. logs every member in by writing a session the way ``django.contrib.auth.login`` does;
3. serves the site with gunicorn (production settings: ``DEBUG=0``, collected static files,
   persistent database connections; 2 × CPU sync workers) on a free port of 127.0.0.1;
4. fetches every member's edit page once, for the CSRF token and the form's fields;
5. lets ``--clients`` threads, each with its own connection, send ``--requests`` requests
   each (after ``--warmup`` more) to, in turn: (c) the bare view ``/sundhed/``, (a) the
   call page ``/opslag/<code>/``, anonymously, and (b) the autosave, posting the whole form
   with a changed ``title`` and ``_fields=title`` as htmx does. Every response is checked;
6. prints requests per second and latency percentiles per target next to the bare view's,
   and checks that every draft holds the last title its member sent: no write is lost.

See bench/README.md; results in docs/bench.md. Exit status: 0 when every request succeeded
and no write was lost on every database that could be reached; 1 otherwise.
"""

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import common

if TYPE_CHECKING:
    from pulje.accounts.models import User
    from pulje.applications.models import Application
    from pulje.calls.models import Call

SCRIPT = str(Path(__file__).resolve())
BENCH_DB = "pulje_bench_apply"
HOST = "127.0.0.1"
CALL_CODE = "bench-opslag"
CALL_TITLE = "Fællesskaber mod ensomhed (bench)"
FORM_ID = "application-form"
HEALTH = "/sundhed/"  # the bare view: no database, no template (docs/production.md)
# What the autosave answers when it kept the draft ("Saved at 17:04:12." or its Danish).
SAVED = (b"Gemt", b"Saved")
# Exit code of a child when a request failed or a write was lost (besides common.OK and
# common.UNAVAILABLE).
FAILED = 1
ERRORS_SHOWN = 10
# The call's grant bands, smallest and largest grant in kroner.
BANDS_KR = [(10_000, 49_999), (50_000, 149_999), (150_000, 400_000)]


# --- the load: clients, targets and their figures --------------------------------------------


@dataclass
class Member:
    """A logged-in applicant: their session, their draft and what they last sent."""

    number: int
    uuid: str
    edit_path: str
    save_path: str
    session: str
    csrf: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    last_title: str = ""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    cookies: dict[str, str]


class Client:
    """One simulated browser: its own connection (kept alive where the server allows it)."""

    def __init__(self, port: int, members: list[Member]) -> None:
        self.port = port
        self.members = members
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request opens a new connection
            raise
        cookies = SimpleCookie()
        for header in response.msg.get_all("Set-Cookie") or []:
            cookies.load(header)
        return Reply(response.status, content, {k: m.value for k, m in cookies.items()})

    def close(self) -> None:
        self.connection.close()


# A target does one request on a client (its n-th) and returns what was wrong, or None.
Target = Callable[[Client, int], str | None]


def expect(reply: Reply, *texts: bytes) -> str | None:
    if reply.status != 200:
        return f"status {reply.status}: {reply.body[:120]!r}"
    if texts and not any(text in reply.body for text in texts):
        return f"200 without {' or '.join(t.decode() for t in texts)}: {reply.body[:120]!r}"
    return None


def bare_view(client: Client, n: int) -> str | None:
    return expect(client.send("GET", HEALTH), b"ok")


def call_page(path: str) -> Target:
    def get(client: Client, n: int) -> str | None:
        return expect(client.send("GET", path), CALL_TITLE.encode())

    return get


def autosave(cookie_names: tuple[str, str]) -> Target:
    """The autosave as htmx sends it after the title changed: the whole form, ``_fields``
    naming the field that changed, the CSRF token in the form and the cookies."""
    session_cookie, csrf_cookie = cookie_names

    def post(client: Client, n: int) -> str | None:
        member = client.members[n % len(client.members)]
        title = f"Spisefællesskab {member.number}, udkast {n}"
        values = [(name, title if name == "title" else value) for name, value in member.fields]
        origin = f"http://{HOST}:{client.port}"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "Cookie": f"{session_cookie}={member.session}; {csrf_cookie}={member.csrf}",
            "Origin": origin,
            "Referer": origin + member.edit_path,
            "HX-Request": "true",
            "HX-Current-URL": origin + member.edit_path,
            "HX-Target": "autosave-status",
            "HX-Trigger": FORM_ID,
        }
        body = urlencode([*values, ("_fields", "title")]).encode()
        member.last_title = title
        return expect(client.send("POST", member.save_path, body, headers), *SAVED)

    return post


@dataclass
class Figures:
    target: str
    requests: int = 0
    clients: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)


def load(name: str, target: Target, clients: list[Client], requests: int, warmup: int) -> Figures:
    """Every client does ``warmup`` requests, then all start together on ``requests`` each;
    requests/s is all measured requests over the wall-clock time until the last finished."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors: list[str] = []
    start = threading.Barrier(len(clients) + 1)

    def once(client: Client, n: int) -> float:
        began = time.perf_counter()
        try:
            problem = target(client, n)
        except (OSError, http.client.HTTPException) as error:
            problem = f"{type(error).__name__}: {error}"
        if problem:
            errors.append(problem)
        return time.perf_counter() - began

    def work(number: int, client: Client) -> None:
        for n in range(warmup):
            once(client, n)
        start.wait()
        latencies[number].extend(once(client, warmup + n) for n in range(requests))

    threads = [
        threading.Thread(target=work, args=(number, client), daemon=True)
        for number, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(latency for per_client in latencies for latency in per_client)
    cuts = statistics.quantiles(every, n=100, method="inclusive")
    return Figures(
        target=name,
        requests=len(every),
        clients=len(clients),
        seconds=elapsed,
        p50_ms=cuts[49] * 1000,
        p95_ms=cuts[94] * 1000,
        p99_ms=cuts[98] * 1000,
        errors=len(errors),
        error_samples=errors[:ERRORS_SHOWN],
    )


class FormFields(HTMLParser):
    """The name/value pairs a browser sends from the form with ``form_id``, in order."""

    SKIPPED = frozenset({"submit", "button", "reset", "image", "file"})

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.textarea: tuple[str, list[str]] | None = None
        self.select: tuple[str, list[str], list[str]] | None = None  # name, chosen, first

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
            return
        name = attributes.get("name", "")
        if tag == "option" and self.select is not None:
            _name, chosen, first = self.select
            value = attributes.get("value", "")
            first.append(value)
            if "selected" in attributes:
                chosen.append(value)
        if not self.inside or not name or "disabled" in attributes:
            return
        if tag == "input":
            kind = attributes.get("type", "text").lower()
            if kind in self.SKIPPED or (
                kind in {"checkbox", "radio"} and "checked" not in attributes
            ):
                return
            self.fields.append((name, attributes.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self.textarea = (name, [])
        elif tag == "select":
            self.select = (name, [], [])

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            name, parts = self.textarea
            self.fields.append((name, "".join(parts).removeprefix("\n")))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            name, chosen, first = self.select
            self.fields.extend((name, value) for value in (chosen or first[:1]))
            self.select = None


def open_edit_pages(port: int, members: list[Member], cookie_names: tuple[str, str]) -> None:
    """Each member's edit page, as their browser loads it: the CSRF cookie and form."""
    session_cookie, csrf_cookie = cookie_names
    client = Client(port, members)
    try:
        for member in members:
            path = member.edit_path
            reply = client.send(
                "GET", path, headers={"Cookie": f"{session_cookie}={member.session}"}
            )
            if reply.status != 200:
                raise RuntimeError(f"{path} answered {reply.status} (is the session accepted?)")
            parser = FormFields(FORM_ID)
            parser.feed(reply.body.decode())
            member.fields = parser.fields
            member.csrf = reply.cookies.get(csrf_cookie, "")
            names = {name for name, _value in member.fields}
            if not member.csrf or not {"csrfmiddlewaretoken", "title"} <= names:
                raise RuntimeError(f"{path} has no CSRF cookie, token or title field")
    finally:
        client.close()


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def server_environment(database_url: str, static_root: str) -> dict[str, str]:
    """Production settings, as far as a bench on 127.0.0.1 without TLS allows."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pulje.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "ALLOWED_HOSTS": HOST,
        # Plain HTTP on 127.0.0.1: no secure cookies, no redirect to HTTPS.
        "SECURE_COOKIES": "0",
        "SECURE_SSL_REDIRECT": "0",
        # Nobody logs in through the login page (sessions are written directly), so the login
        # rate limits, which need a cache all workers share, do not matter here.
        "ALLOW_LOCAL_CACHE": "1",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "STATIC_ROOT": static_root,
    }


def answers(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", HEALTH)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def served(database_url: str, static_root: str, workers: int, log: Path) -> Iterator[int]:
    """gunicorn serving pulje on a free port until the block ends; yields the port once
    every worker has booted and ``/sundhed/`` answers."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "pulje.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "120",
        "--no-control-socket",  # it would live in ~/.gunicorn, shared with any other gunicorn
    ]
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603
            command,
            cwd=common.PROJECT_DIR,
            env=server_environment(database_url, static_root),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(server, port, workers, log)
        yield port
    except Exception:
        print(f"the server's log ends:\n{tail(log)}", file=sys.stderr)
        raise
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_ready(server: subprocess.Popen[bytes], port: int, workers: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped (exit {server.returncode}):\n{tail(log)}")
        booted = log.read_text().count("Booting worker")
        if booted >= workers and answers(port):
            time.sleep(1)  # the last worker to boot is still importing Django
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within a minute:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text().splitlines()[-lines:])


# --- the child: one database ----------------------------------------------------------------


@dataclass
class Result(common.ChildResult):
    workers: int = 0
    applicants: int = 0
    queries: dict[str, int] = field(default_factory=dict)
    figures: list[dict[str, Any]] = field(default_factory=list)
    load: str = ""
    drafts_checked: int = 0
    lost_writes: list[str] = field(default_factory=list)


def run_child(name: str, args: argparse.Namespace) -> int:
    result = Result(database=name, workers=args.workers, applicants=args.applicants)
    return common.run_child(
        result,
        args,
        bench_db=BENCH_DB,
        bench=lambda url: bench_database(result, url, args),
        environ={
            "STATIC_ROOT": args._static,
            # The server must sign sessions and hash auth data with the key used here.
            "SECRET_KEY": secrets.token_urlsafe(50),
        },
        prefix="pulje-bench-apply-",
        record_crash=True,
    )


def bench_database(result: Result, url: str, args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.urls import reverse

    label = common.migrate(result, BENCH_DB, ("fsync", "synchronous_commit", "max_connections"))

    common.progress(label, f"creating a call and {args.applicants} applicants with drafts")
    result.setup_s, (call, drafts) = common.timed(lambda: create_data(args.applicants + 1))
    # The extra draft is for counting queries, so the members' drafts stay as they sent them.
    members = log_in(drafts[:-1])
    result.queries = count_queries(call, drafts[-1])
    cookie_names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
    print(
        f"setup     a pool with 3 bands, an open call with 2 questions, {args.applicants + 1} "
        f"organisations with a member and a draft each, through the services: "
        f"{result.setup_s:.1f} s"
    )
    print(
        "          queries per request (counted once, in-process): "
        + ", ".join(f"{target} {n}" for target, n in result.queries.items())
    )

    page = reverse("calls:detail", kwargs={"code": call.code})
    targets: list[tuple[str, Target]] = [
        (f"(c) bare view {HEALTH}", bare_view),
        (f"(a) call page {page}", call_page(page)),
        ("(b) draft autosave", autosave(cookie_names)),
    ]
    with tempfile.TemporaryDirectory(prefix="pulje-bench-apply-") as directory:
        log = Path(directory) / "gunicorn.log"
        common.progress(label, f"starting gunicorn with {args.workers} sync workers")
        with served(url, args._static, args.workers, log) as port:
            open_edit_pages(port, members, cookie_names)
            clients = [Client(port, members[n :: args.clients]) for n in range(args.clients)]
            try:
                for name, target in targets:
                    common.progress(
                        label, f"{name}: {args.clients} clients × {args.requests} requests"
                    )
                    figures = load(name, target, clients, args.requests, args.warmup)
                    result.figures.append(asdict(figures))
            finally:
                for client in clients:
                    client.close()
        server_log = tail(log, 15)
    result.load = common.load_average()
    print_table(result, args)
    check_drafts(result, members)
    report_failures(result, server_log)
    return FAILED if result.failures else common.OK


def create_data(applicants: int) -> tuple["Call", list["Application"]]:
    """A call open now on a pool with three bands, and a draft for each applicant, all
    through the services (as tests/applications/conftest.py builds them)."""
    from pulje.applications.services import start_application
    from pulje.calls.models import QuestionKind
    from pulje.calls.services import add_question
    from pulje.core.money import kr

    _funder, pool, _bands = common.funded_pool(
        funder_cvr=900_000,
        funder_name="Benchmarkstyrelsen",
        code="bench-pulje",
        money_ore=kr(30_000_000),
        bands=[(kr(low), kr(high)) for low, high in BANDS_KR],
        band_money_ore=kr(10_000_000),
    )
    call = common.open_call(
        pool,
        code=CALL_CODE,
        reference_prefix="BENCH",
        title=CALL_TITLE,
        purpose="Lokale fællesskaber for beboere, der sidder alene.",
        eligibility="Almene boligorganisationer.",
    )
    add_question(actor=None, call=call, label="Har I samarbejdet før?", kind=QuestionKind.YES_NO)
    add_question(actor=None, call=call, label="Hvem er tovholder?", kind=QuestionKind.TEXT)
    return call, [
        start_application(actor=member, call=call, organisation=organisation)
        for member, organisation in (applicant(n) for n in range(applicants))
    ]


def applicant(n: int) -> tuple["User", Any]:
    """A housing organisation with a department and a member, through the services."""
    organisation = common.housing_organisation(50_000 + n, f"Boligselskabet Bench {n}", n + 1)
    common.department(organisation, n + 1)
    return common.member(organisation, f"bench{n}@pulje.invalid", f"Bench {n}"), organisation


def log_in(drafts: list["Application"]) -> list[Member]:
    """A session for each draft's creator, as ``django.contrib.auth.login`` writes it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.urls import reverse

    store = import_module(settings.SESSION_ENGINE).SessionStore
    members = []
    for number, draft in enumerate(drafts):
        user = draft.created_by
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        uuid = {"uuid": draft.uuid}
        members.append(
            Member(
                number=number,
                uuid=str(draft.uuid),
                edit_path=reverse("applications:edit", kwargs=uuid),
                save_path=reverse("applications:autosave", kwargs=uuid),
                session=session.session_key,
            )
        )
    return members


def count_queries(call: "Call", draft: "Application") -> dict[str, int]:
    """The SQL queries of one call page and one autosave, in this process (untimed)."""
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    counts = {}
    anonymous = TestClient(HTTP_HOST=HOST)
    with CaptureQueriesContext(connection) as queries:
        page = anonymous.get(reverse("calls:detail", kwargs={"code": call.code}))
    assert page.status_code == 200, page.status_code
    counts["call page"] = len(queries)
    member = TestClient(HTTP_HOST=HOST)
    member.force_login(draft.created_by)
    url = reverse("applications:autosave", kwargs={"uuid": draft.uuid})
    with CaptureQueriesContext(connection) as queries:
        saved = member.post(url, {"title": "Optalt", "_fields": "title"}, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200, saved.status_code
    counts["autosave"] = len(queries)
    return counts


def check_drafts(result: Result, members: list[Member]) -> None:
    """Every draft must hold the last title its member sent: autosave lost no write."""
    from pulje.applications.models import Application

    sent = {member.uuid: member.last_title for member in members if member.last_title}
    stored = {
        str(uuid): draft
        for uuid, draft in Application.objects.filter(uuid__in=sent).values_list("uuid", "draft")
    }
    for uuid, title in sent.items():
        kept = stored.get(uuid, {}).get("title")
        if kept != [title]:
            result.lost_writes.append(f"{uuid}: sent {title!r}, kept {kept!r}")
    result.drafts_checked = len(sent)
    if result.lost_writes:
        result.failures.append(f"{len(result.lost_writes)} drafts lost their last title")
        for problem in result.lost_writes[:ERRORS_SHOWN]:
            print(f"          LOST {problem}")
    print(
        f"verify    {len(sent)} drafts read back after the run: "
        + (
            f"{len(result.lost_writes)} do NOT hold the last title sent — FAIL"
            if result.lost_writes
            else "each holds the last title its member sent (no write lost)"
        )
    )


def print_table(result: Result, args: argparse.Namespace) -> None:
    figures = result.figures
    bare = figures[0]
    print(
        f"load      {args.clients} clients, each {args.requests} requests per target after "
        f"{args.warmup} warm-up; gunicorn, {result.workers} sync workers, DEBUG=0; "
        f"load avg {result.load} at the end"
    )
    header = (
        f"{'target':<36}{'requests':>9}{'clients':>8}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'errors':>7}{'req/s ÷ bare':>14}{'p95 ÷ bare':>12}"
    )
    print(header)
    print("-" * len(header))
    for row in figures:
        rate = row["requests"] / row["seconds"]
        bare_rate = bare["requests"] / bare["seconds"]
        print(
            f"{row['target']:<36}{row['requests']:>9,}{row['clients']:>8}{rate:>9,.0f}"
            f"{row['p50_ms']:>8.1f}{row['p95_ms']:>8.1f}{row['p99_ms']:>8.1f}{row['errors']:>7}"
            f"{rate / bare_rate:>14.2f}{row['p95_ms'] / bare['p95_ms']:>11.1f}×"
        )
    print("(errors count the warm-up requests too; every response was checked)")


def report_failures(result: Result, server_log: str) -> None:
    failed = [row for row in result.figures if row["errors"]]
    for row in failed:
        result.failures.append(f"{row['target']}: {row['errors']} requests failed")
        print(f"FAIL: {row['target']}: {row['errors']} requests failed, for example:")
        for sample in row["error_samples"]:
            print(f"          {sample}")
    if failed:
        print("          the server's log ends:\n" + server_log)


# --- the parent: one child per database, then the machine and the verdict --------------------


def collect_static(directory: str) -> None:
    """The static files as a deployment collects them (DEBUG=0 needs their manifest)."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "collectstatic-only",
        "ALLOW_LOCAL_CACHE": "1",
        "STATIC_ROOT": directory,
        "DATABASE_URL": "sqlite://:memory:",
    }
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(command, cwd=common.PROJECT_DIR, env=env, check=True)  # noqa: S603


def print_machine(results: list[dict[str, Any]], load_before: str, workers: int) -> None:
    versions = common.database_versions(results)
    common.print_facts(
        [
            *common.machine_facts(common.revision(), load_before),
            (
                "gunicorn",
                f"{version('gunicorn')}, {workers} sync workers (2 × CPU), same machine as "
                "the clients",
            ),
            ("SQLite", versions.get("sqlite", "not run")),
            ("PostgreSQL", versions.get("postgresql", "not run")),
        ]
    )


def run_parent(args: argparse.Namespace) -> int:
    names = common.databases(args)
    load_before = common.load_average()
    print(
        f"pulje apply bench: {args.clients} clients × {args.requests} requests per target, "
        f"{args.applicants} applicants, {args.workers} gunicorn workers",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="pulje-bench-apply-") as directory:
        static_root = str(Path(directory) / "static")
        collect_static(static_root)
        options = ["--_static", static_root]
        options += [
            f"--{option}={getattr(args, option.replace('-', '_'))}"
            for option in (
                "clients",
                "requests",
                "warmup",
                "applicants",
                "workers",
                "postgresql-url",
            )
        ]
        codes, results = common.run_children(
            SCRIPT, names, Path(directory), lambda name: options, Result
        )
    print()
    print_machine(results, load_before, args.workers)
    common.print_failures([], results)
    return common.exit_code(
        codes,
        "OK: every request succeeded and every draft kept its last title.",
        failed=all(code != common.OK for code in codes),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    common.add_database_option(parser)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=300, help="per client and target")
    parser.add_argument("--warmup", type=int, default=20, help="per client and target, untimed")
    parser.add_argument("--applicants", type=int, default=64, help="members with a draft")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    common.add_child_options(parser, BENCH_DB)
    parser.add_argument("--_static", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.clients, args.workers) < 1 or args.requests < 2 or args.warmup < 0:
        parser.error("--clients and --workers must be at least 1, --requests at least 2")
    if args.applicants < args.clients:
        parser.error("--applicants must be at least --clients (each client has its own)")
    return run_child(args._child, args) if args._child else run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
