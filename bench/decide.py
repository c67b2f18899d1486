"""Screening, deciding and decision letters at volume, each next to a simple baseline.

    DEBUG=1 .venv/bin/python bench/decide.py [--database both] [--screen 10000]
                                             [--decide 1000] [--letters 1000]

Issue 4's proof that a small secretariat can screen, decide and write to a whole round:

1. **screen** ``--screen`` applications with the pure screening function
   (``casework.screening.screen``: plain data in, reasons out; every rule on, each application
   checked against the earlier ones on its housing department for duplicates), next to a
   baseline that checks only the amount against the bands;
2. **render** ``--letters`` decision letters with ``letters.rendering.render_letter`` (typst,
   the call's Danish template, every placeholder filled), next to a baseline of a one-line
   typst PDF;
3. for each database (SQLite, PostgreSQL), in a child process of its own (``--_child``;
   Django can be set up only once per process): make ``2 × --decide`` screened applications
   through the services, then **decide** ``--decide`` of them as grants in one bulk action
   (``decisions.services.decide_applications``, its after-commit work included: the notices
   and queueing the letters job), next to the baseline of the other ``--decide`` decided one
   at a time with the same service; then run the queued letters job in-process
   (``letters.services.run_decision_letters``: render, store, e-mail each letter).

Checks: every screened application passes, every decision is written and every pool's
balance is what was delegated minus what was granted, the job ends done with one letter per
decision. See bench/README.md; results in docs/bench.md. Exit status 0 when every check held
on every database that could be reached.
"""

import argparse
import datetime as dt
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import common

if TYPE_CHECKING:
    from pulje.accounts.models import User
    from pulje.applications.models import Application

SCRIPT = str(Path(__file__).resolve())
BENCH_DB = "pulje_bench_decide"
CHECK_FAILED = 1
KR = 100
PROJECTS = (
    "Spisefællesskab hver torsdag",
    "Gåklub for seniorer",
    "Lektiecafé for børn",
    "Strikkecafé i beboerhuset",
    "Fælles køkkenhave",
    "Filmaftener med debat",
)


def line(name: str, seconds: float, count: int, baseline: float | None = None) -> str:
    per = seconds / count * 1000 if count else 0.0
    text = f"{name:<58}{seconds:>9.2f} s {per:>9.2f} ms each"
    if baseline:
        text += f"   {seconds / baseline:>6.1f}× the baseline"
    return text


# --- 1 and 2: pure functions, measured once in the parent ------------------------------------


def bench_screening(count: int) -> tuple[float, float, list[str]]:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulje.settings")
    import django

    django.setup()
    from pulje.applications.rules import CallTerms
    from pulje.casework.screening import Candidate, Earlier, PartnerFacts, Rules, screen

    bands = ((10_000 * KR, 49_999 * KR), (50_000 * KR, 149_999 * KR), (150_000 * KR, 400_000 * KR))
    rules = Rules(
        terms=CallTerms(
            applicant_kinds=("housing",),
            partner_kinds=("association",),
            bands=bands,
            project_start_earliest=dt.date(2021, 1, 1),
            project_end_latest=dt.date(2021, 12, 31),
        ),
        salary_cap_monthly_ore=34_000 * KR,
        excluded_cost_kinds=("other",),
    )
    departments = max(1, count // 5)
    candidates = []
    earlier: list[list[Earlier]] = []
    by_department: dict[int, list[Earlier]] = {}
    for n in range(count):
        department = n % departments
        amount = (20_000 + (n * 7919) % 300_000) * KR
        # Up to six applications share a department; their titles differ (no duplicates).
        title = f"{PROJECTS[n // departments % len(PROJECTS)]} i afdeling {department}"
        candidates.append(
            Candidate(
                organisation_kind="housing",
                organisation_cvr="29189706",
                title=title,
                department_ids=frozenset({department}),
                amount_ore=amount,
                budget={"activities": amount - amount // 4, "materials": amount // 4},
                partners=[PartnerFacts("Forening", "29189706", "association", registered=True)],
                period_start=dt.date(2021, 2, 1),
                period_end=dt.date(2021, 11, 30),
            )
        )
        earlier.append(list(by_department.get(department, [])))
        by_department.setdefault(department, []).append(
            Earlier(reference=f"B-{n:05d}", title=title, department_ids=frozenset({department}))
        )
    results: list[Any] = []
    seconds, _ = common.timed(
        lambda: results.extend(
            screen(c, rules, e) for c, e in zip(candidates, earlier, strict=True)
        )
    )

    def amount_only(candidate: Any) -> bool:
        return any(low <= candidate.amount_ore <= high for low, high in bands)

    flags: list[bool] = []
    baseline, _ = common.timed(lambda: flags.extend(amount_only(c) for c in candidates))
    failures = []
    outcomes = {r.outcome for r in results}
    if outcomes != {"pass"}:
        failures.append(f"screening: outcomes {sorted(outcomes)}, expected only pass")
    if not all(flags):
        failures.append("screening baseline: an amount outside the bands")
    return seconds, baseline, failures


def bench_rendering(count: int) -> tuple[float, float, list[str]]:
    import typst

    from pulje.letters.rendering import DEFAULT_BODIES, GRANT, LetterData, render_letter

    letters = [
        LetterData(
            kind=GRANT,
            body=DEFAULT_BODIES[GRANT],
            sender="BL – Danmarks Almene Boliger",
            date=dt.date(2021, 3, 5),
            reference=f"BL21-{n:04d}",
            recipient=f"Boligselskabet nr. {n}",
            address=f"Att.: Mette Hansen\nBenchvej {n}\n8000 Aarhus C",
            title=f"Fællesskab # {n}: *madklub* og [gåture]",
            signer="Sagsbehandler Jensen",
            amount_ore=(50_000 + n) * KR,
            requested_ore=(60_000 + n) * KR,
            reduction_reason="Lønudgifterne er for høje.",
            accept_by=dt.date(2021, 4, 4),
            spend_by=dt.date(2022, 6, 30),
            reporting="Regnskab og beretning.",
            use_of_grant="Aktiviteter efter budgettet.",
        )
        for n in range(count)
    ]
    pdfs: list[bytes] = []
    seconds, _ = common.timed(lambda: pdfs.extend(render_letter(letter) for letter in letters))
    trivial: list[bytes] = []
    baseline, _ = common.timed(
        lambda: trivial.extend(
            typst.compile(f"Tilsagn {n}".encode(), format="pdf", ignore_system_fonts=True)
            for n in range(count)
        )
    )
    failures = []
    if not all(pdf.startswith(b"%PDF-") for pdf in pdfs + trivial):
        failures.append("rendering: a letter is not a PDF")
    return seconds, baseline, failures


# --- 3: the database part, in a child per database --------------------------------------------


@dataclass
class Result(common.ChildResult):
    bulk_s: float = 0.0
    single_s: float = 0.0
    job_s: float = 0.0
    load: str = ""


def run_child(name: str, args: argparse.Namespace) -> int:
    result = Result(database=name)
    return common.run_child(
        result,
        args,
        bench_db=BENCH_DB,
        bench=lambda url: bench_database(result, args),
        environ={
            "MEDIA_ROOT": args._media,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            # The bench runs the letters job itself, in-process, to time it.
            "TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
        },
        prefix="pulje-bench-decide-",
        record_crash=True,
    )


def bench_database(result: Result, args: argparse.Namespace) -> int:
    from pulje.core.jobs import Job, JobStatus
    from pulje.decisions.models import Decision
    from pulje.decisions.services import decide_applications
    from pulje.ledger.models import PoolAccount
    from pulje.letters.models import Letter
    from pulje.letters.services import run_decision_letters

    label = common.migrate(result, BENCH_DB, ("fsync", "synchronous_commit"))
    common.progress(label, f"making {2 * args.decide} screened applications")
    result.setup_s, (caseworker, applications, band) = common.timed(
        lambda: create_data(2 * args.decide)
    )
    bulk, single = applications[: args.decide], applications[args.decide :]
    before = PoolAccount.objects.get(pool=band).balance.available

    common.progress(label, f"deciding {args.decide} in one bulk action")
    result.bulk_s, _ = common.timed(
        lambda: decide_applications(actor=caseworker, applications=bulk, outcome="grant")
    )
    common.progress(label, f"baseline: deciding {args.decide} one at a time")
    result.single_s, _ = common.timed(
        lambda: [
            decide_applications(actor=caseworker, applications=[a], outcome="grant") for a in single
        ]
    )
    granted = sum(a.amount_ore or 0 for a in applications)
    after = PoolAccount.objects.get(pool=band).balance.available
    if Decision.objects.count() != 2 * args.decide:
        result.failures.append(f"{Decision.objects.count()} decisions, not {2 * args.decide}")
    if before - after != granted:
        result.failures.append(f"the band's available fell by {before - after}, not {granted}")

    job = Job.objects.order_by("pk").first()
    if job is None or job.total != args.decide:
        result.failures.append("the bulk decision queued no letters job for all its decisions")
    else:
        common.progress(label, f"running the letters job: {args.decide} letters")
        result.job_s, _ = common.timed(lambda: run_decision_letters(job_id=job.pk))
        job.refresh_from_db()
        letters = Letter.objects.filter(job=job).count()
        if job.status != JobStatus.DONE or letters != args.decide:
            result.failures.append(f"letters job {job.status}, {letters} letters: {job.error}")
    result.load = common.load_average()
    print(
        f"setup     {2 * args.decide} screened applications through the services: "
        f"{result.setup_s:.1f} s"
    )
    print(
        line(
            f"decide {args.decide} in one bulk action", result.bulk_s, args.decide, result.single_s
        )
    )
    print(line(f"baseline: {args.decide} decided one at a time", result.single_s, args.decide))
    print(line(f"letters job: render, store, e-mail {args.decide}", result.job_s, args.decide))
    return CHECK_FAILED if result.failures else common.OK


def create_data(count: int) -> tuple["User", list["Application"], Any]:
    """A funded call with one band wide enough for every grant, a housing organisation and
    ``count`` screened applications, all through the services."""
    from django.db import transaction

    from pulje.applications.services import fingerprint, start_application, submit_application
    from pulje.applications.workflow import transition
    from pulje.registry.services.organisations import update_organisation

    money = count * 60_000 * KR
    funder, pool, (band,) = common.funded_pool(
        funder_cvr=900_001,
        funder_name="BL (bench)",
        code="bench-decide",
        money_ore=money,
        bands=[(10_000 * KR, 400_000 * KR)],
        band_money_ore=money,
    )
    call = common.open_call(
        pool,
        code="bench-decide",
        reference_prefix="DEC",
        title="Fællesskaber (bench)",
        purpose="Fællesskaber.",
        eligibility="Almene.",
    )
    organisation = common.housing_organisation(60_001, "Boligselskabet Bench", 1)
    update_organisation(
        actor=None,
        organisation=organisation,
        payment_iban="DK5000400440116243",
        contact_name="Mette Hansen",
        contact_email="mette@bench.invalid",
        contact_phone="12345678",
        finance_name="Ole Jensen",
        finance_email="ole@bench.invalid",
    )
    # About five applications a department, with different titles: the screening at
    # submission compares each with the earlier ones on its departments (duplicates).
    departments = [common.department(organisation, n + 1) for n in range(max(1, count // 5))]
    member = common.member(organisation, "bench@bench.invalid", "Ansøger")
    caseworker = common.member(funder, "sag@bench.invalid", "Sagsbehandler")
    applications = []
    for n in range(count):
        application = start_application(actor=member, call=call, organisation=organisation)
        application.draft = {
            "departments": [str(departments[n % len(departments)].pk)],
            "title": [f"{PROJECTS[n // len(departments) % len(PROJECTS)]} nr. {n}"],
            "summary": ["Fælles spisning."],
            "target_groups": ["adults"],
            "activities": ["Madlavning."],
            "loneliness": ["Personlige invitationer."],
            "period_start": ["2021-02-01"],
            "period_end": ["2021-11-30"],
            "expected_participants": ["40"],
            "amount": ["50.000"],
            "budget_activities": ["50.000"],
            "partner_1_name": ["Gellerup Kulturforening"],
            "partner_1_cvr": ["29189706"],
            "partner_1_kind": ["association"],
        }
        application.save(update_fields=["draft"])
        submit_application(
            actor=member, application=application, confirmed=fingerprint(application)
        )
        application.refresh_from_db()
        if application.status != "screened":
            with transaction.atomic():
                transition(actor=None, application=application, action="screen")
        applications.append(application)
    return caseworker, applications, band


# --- the parent ---------------------------------------------------------------------------------


def run_parent(args: argparse.Namespace) -> int:
    names = common.databases(args)
    load_before = common.load_average()
    print(
        f"pulje decide bench: screen {args.screen}, decide {args.decide}, render {args.letters}",
        flush=True,
    )
    screen_s, screen_base, failures = bench_screening(args.screen)
    render_s, render_base, render_failures = bench_rendering(args.letters)
    failures += render_failures
    print(
        line(f"screen {args.screen} (every rule, duplicates)", screen_s, args.screen, screen_base)
    )
    print(line(f"baseline: {args.screen} amount-in-band checks", screen_base, args.screen))
    print(
        line(f"render {args.letters} decision letters (typst)", render_s, args.letters, render_base)
    )
    print(line(f"baseline: {args.letters} one-line typst PDFs", render_base, args.letters))
    with tempfile.TemporaryDirectory(prefix="pulje-bench-decide-") as directory:

        def options(name: str) -> list[str]:
            return [
                f"--decide={args.decide}",
                f"--postgresql-url={args.postgresql_url}",
                "--_media",
                str(Path(directory) / f"media-{name}"),
            ]

        codes, results = common.run_children(SCRIPT, names, Path(directory), options, Result)
    print()
    versions = common.database_versions(results)
    common.print_facts(
        [
            *common.machine_facts(common.revision(), load_before),
            ("SQLite", versions.get("sqlite", "not run")),
            ("PostgreSQL", versions.get("postgresql", "not run")),
        ]
    )
    failed = common.print_failures(failures, results)
    return common.exit_code(codes, "OK: every check held.", failed=failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    common.add_database_option(parser)
    parser.add_argument("--screen", type=int, default=10_000)
    parser.add_argument("--decide", type=int, default=1_000)
    parser.add_argument("--letters", type=int, default=1_000)
    common.add_child_options(parser, BENCH_DB)
    parser.add_argument("--_media", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.screen, args.decide, args.letters) < 1:
        parser.error("--screen, --decide and --letters must be at least 1")
    return run_child(args._child, args) if args._child else run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
