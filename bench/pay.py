"""A payment run at volume: prepare, approve (every posting), write and check the bank file,
next to posting the same payments one call each.

    DEBUG=1 .venv/bin/python bench/pay.py [--database both] [--instalments 10000]
                                          [--pools 1000] [--seeds 3]

Issue 16's proof that a national pool can pay thousands of grantees in one run. For each
database (SQLite, PostgreSQL), in a child process of its own (``--_child``; Django can be set up
only once per process), and for each seed:

1. **setup** (not the point): two pool trees of the same payer, each a root with ``--pools``
   sub-pools, and on each tree ``--instalments`` accepted grants spread over its sub-pools
   (seeded amounts of 20.000–100.000 kr., so the default rules pay each in one instalment on
   acceptance), to 100 housing organisations with payment accounts, all through the services
   (``open_grant_account``, ``commit``, ``create_payment_plan``);
2. **run**: ``payments.services.runs.prepare_run`` for the first tree (one person), then
   ``approve_run`` (a second person: every payment through ``ledger.services.pay_batch`` in one
   transaction, the pain.001 file written and validated against the ISO schema), then
   ``export_run`` (the download). Printed: each step and their sum, against the target of 10 s;
3. **baseline**: the second tree's instalments paid one ``ledger.services.pay`` call each (one
   transaction, lock, balance check and audit event each), as a run without batch posting would.

Checks, by code that is not the code under test: the file's ``NbOfTxs`` and ``CtrlSum`` (read
with lxml) equal the count and the sum in whole øre of the grants the setup made; every grant of
both trees is paid exactly its commitment; the ledger check (``find_ledger_discrepancies``) finds
nothing. The summary shows the worst seed. Exit status 0 when every check held on every database
that could be reached. See bench/README.md; results in docs/bench.md.
"""

import argparse
import random
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import common

if TYPE_CHECKING:
    from pulje.accounts.models import User
    from pulje.funds.models import Pool
    from pulje.ledger.models import GrantAccount

SCRIPT = str(Path(__file__).resolve())
BENCH_DB = "pulje_bench_pay"
CHECK_FAILED = 1
KR = 100
TARGET_S = 10.0
RECIPIENTS = 100
# The target is for the run as a whole: prepare, approve, write and validate the file.
STEPS = ("prepare", "approve", "export")


@dataclass
class Result(common.ChildResult):
    # Per seed: seconds of each step of the run, and of the baseline.
    seeds: list[dict[str, float]] = field(default_factory=list)
    queries: dict[str, int] = field(default_factory=dict)


def danish_iban(reg: int, account: int) -> str:
    """The IBAN of a Danish reg.nr. and account number (ISO 13616: the check digits make the
    number, with ``DK00`` moved to the end and letters as numbers, ≡ 1 mod 97)."""
    bban = f"{reg:04d}{account:010d}"
    check = 98 - int(bban + "132000") % 97
    return f"DK{check:02d}{bban}"


@dataclass
class Tree:
    root: "Pool"
    grants: list["GrantAccount"]
    total_ore: int


def make_tree(
    funder: Any, recipients: list[Any], *, code: str, pools: int, grants: int, rng: random.Random
) -> Tree:
    """A root pool with ``pools`` sub-pools and ``grants`` accepted grants over them, each with
    its payment plan (one instalment, due today)."""
    from django.db import transaction
    from django.utils import timezone

    from pulje.ledger.services import appropriate, commit, delegate, open_grant_account
    from pulje.payments.services.plans import create_payment_plan

    amounts = [rng.randint(20_000, 100_000) * KR for _ in range(grants)]
    leaf_of = [n % pools for n in range(grants)]
    rng.shuffle(leaf_of)
    need = [0] * pools
    for leaf, amount in zip(leaf_of, amounts, strict=True):
        need[leaf] += amount
    root = common.bench_pool(funder, code, f"Betalingspuljen {code}")
    appropriate(actor=None, pool=root, amount_ore=sum(need))
    leaves = []
    for n in range(pools):
        pool = common.bench_pool(funder, f"{code}-{n}", f"Delpulje {n + 1}", parent=root)
        if need[n]:
            delegate(actor=None, pool=root, to=pool, amount_ore=need[n])
        leaves.append(pool)
    today = timezone.localdate()
    made = []
    for n, (leaf, amount) in enumerate(zip(leaf_of, amounts, strict=True)):
        recipient = recipients[n % len(recipients)]
        with transaction.atomic():
            grant = open_grant_account(
                actor=None,
                pool=leaves[leaf],
                recipient=recipient,
                reference=f"{code}-{n}",
                title=f"Fællesskab nr. {n}",
            )
            commit(actor=None, grant=grant, amount_ore=amount)
            grant.refresh_from_db(fields=["committed_ore"])
            create_payment_plan(
                actor=None,
                grant=grant,
                call=None,
                confirmed_iban=recipient.payment_iban,
                accepted_on=today,
            )
        made.append(grant)
    return Tree(root=root, grants=made, total_ore=sum(amounts))


def make_trees(
    funder: Any, recipients: list[Any], *, args: argparse.Namespace, seed: int
) -> tuple[Tree, Tree]:
    """The seed's two trees: one paid by a run, one by the baseline."""
    rng = random.Random(seed)
    run_tree, base_tree = (
        make_tree(
            funder,
            recipients,
            code=f"pay{seed}{side}",
            pools=args.pools,
            grants=args.instalments,
            rng=rng,
        )
        for side in "ab"
    )
    return run_tree, base_tree


def file_figures(content: bytes) -> tuple[int, int]:
    """The count and control sum (in øre) the bank reads in the file's group header, read with
    lxml and exact decimals: not the writer's own figures."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(content, parser)
    header = root.find("./{*}CstmrCdtTrfInitn/{*}GrpHdr")
    if header is None:
        return -1, -1
    count = int(header.findtext("{*}NbOfTxs", "-1"))
    total = Decimal(header.findtext("{*}CtrlSum", "-1")) * 100
    return count, int(total) if total == total.to_integral_value() else -1


def run_child(name: str, args: argparse.Namespace) -> int:
    result = Result(database=name)
    return common.run_child(
        result,
        args,
        bench_db=BENCH_DB,
        bench=lambda url: bench_database(result, args),
        environ={"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
        prefix="pulje-bench-pay-",
        record_crash=True,
    )


def bench_database(result: Result, args: argparse.Namespace) -> int:
    label = common.migrate(result, BENCH_DB, ("fsync", "synchronous_commit"))
    funder, preparer, approver, recipients = create_payer()
    for seed in range(args.seeds):
        common.progress(label, f"seed {seed}: making 2 × {args.instalments} accepted grants")
        setup_s, (run_tree, base_tree) = common.timed(
            partial(make_trees, funder, recipients, args=args, seed=seed)
        )
        result.setup_s += setup_s
        common.progress(label, f"seed {seed}: the run")
        figures = measure_run(result, run_tree, preparer, approver, seed=seed)
        common.progress(label, f"seed {seed}: baseline, one pay() call each")
        figures["baseline"] = measure_baseline(base_tree, approver)
        check_paid(result, [run_tree, base_tree], seed=seed)
        result.seeds.append(figures)
        print(seed_line(seed, figures), flush=True)
    from pulje.ledger.selectors import find_ledger_discrepancies

    problems = find_ledger_discrepancies()
    if problems:
        result.failures.append(f"the ledger check found {len(problems)} discrepancies")
    return CHECK_FAILED if result.failures else common.OK


def create_payer() -> tuple[Any, "User", "User", list[Any]]:
    """The paying organisation with its bank profile and two caseworkers, and the grantees."""
    from pulje.payments.services.profile import set_bank_profile
    from pulje.registry.models import OrganisationKind
    from pulje.registry.services.organisations import register_organisation, update_organisation
    from pulje.registry.testing import fake_cvr

    funder = register_organisation(
        actor=None, cvr=fake_cvr(900_101), name="BL (bench)", kind=OrganisationKind.FUNDER
    )
    set_bank_profile(actor=None, organisation=funder, debtor_iban=danish_iban(4000, 4401162))
    preparer = common.member(funder, "forbereder@bench.invalid", "Forbereder")
    approver = common.member(funder, "godkender@bench.invalid", "Godkender")
    recipients = []
    for n in range(RECIPIENTS):
        organisation = common.housing_organisation(61_000 + n, f"Boligselskabet {n + 1}", n + 1)
        recipients.append(
            update_organisation(
                actor=None,
                organisation=organisation,
                payment_iban=danish_iban(1000 + n, 3_000_000 + n),
            )
        )
    return funder, preparer, approver, recipients


def measure_run(
    result: Result, tree: Tree, preparer: "User", approver: "User", *, seed: int
) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from pulje.payments.services.runs import approve_run, export_run, prepare_run

    today = timezone.localdate()
    figures: dict[str, float] = {}
    with CaptureQueriesContext(connection) as prepared:
        figures["prepare"], run = common.timed(
            lambda: prepare_run(
                actor=preparer, pools=[tree.root], due_up_to=today, execution_date=today
            )
        )
    with CaptureQueriesContext(connection) as approved:
        figures["approve"], run = common.timed(lambda: approve_run(actor=approver, run=run))
    figures["export"], (_, content) = common.timed(lambda: export_run(actor=approver, run=run))
    if seed == 0:
        result.queries = {"prepare": len(prepared), "approve": len(approved)}
    count, total = file_figures(content)
    expected = (len(tree.grants), tree.total_ore)
    if (count, total) != expected:
        result.failures.append(
            f"seed {seed}: the file says {count} payments, {total} øre; the grants {expected}"
        )
    return figures


def measure_baseline(tree: Tree, actor: "User") -> float:
    from pulje.ledger.services import pay
    from pulje.payments.models import Instalment

    instalments = list(
        Instalment.objects.filter(plan__grant__in=tree.grants).select_related(
            "plan__grant__pool", "plan__grant__recipient"
        )
    )
    seconds, _ = common.timed(
        lambda: [
            pay(
                actor=actor,
                grant=i.plan.grant,
                amount_ore=i.amount_ore,
                key=f"payment:{i.key}",
                text="baseline",
            )
            for i in instalments
        ]
    )
    return seconds


def check_paid(result: Result, trees: list[Tree], *, seed: int) -> None:
    """Every grant of every tree is paid exactly what was committed to it."""
    from pulje.ledger.models import GrantAccount

    for tree in trees:
        grants = GrantAccount.objects.filter(pk__in=[g.pk for g in tree.grants])
        unpaid = [g.reference for g in grants if g.paid_ore != g.committed_ore]
        if unpaid:
            result.failures.append(
                f"seed {seed}: {len(unpaid)} grants of {tree.root.code} not paid in full, "
                f"e.g. {unpaid[0]}"
            )


def run_total(figures: dict[str, float]) -> float:
    return sum(figures[step] for step in STEPS)


def seed_line(seed: int, figures: dict[str, float]) -> str:
    steps = "  ".join(f"{step} {figures[step]:6.2f} s" for step in STEPS)
    return (
        f"seed {seed}: {steps}  run {run_total(figures):6.2f} s"
        f"  baseline {figures['baseline']:6.2f} s"
    )


# --- the parent ---------------------------------------------------------------------------------


def summary(args: argparse.Namespace, result: dict[str, Any]) -> list[str]:
    """The worst seed of one database, against the target and the baseline."""
    label = common.LABELS[result["database"]]
    if not result["seeds"]:
        return [f"{label}: not measured"]
    worst = max(result["seeds"], key=run_total)
    total, base = run_total(worst), worst["baseline"]
    verdict = "meets" if total <= TARGET_S else "MISSES"
    queries = result["queries"]
    return [
        f"{label}: worst of {len(result['seeds'])} seeds, {args.instalments} instalments over "
        f"{args.pools} pools",
        *(f"  {step:<10}{worst[step]:>9.2f} s" for step in STEPS),
        f"  {'run':<10}{total:>9.2f} s  ({verdict} the target of {TARGET_S:.0f} s)",
        f"  {'baseline':<10}{base:>9.2f} s  one pay() call each; the run takes "
        f"{total / base:.2f} × its time"
        if base
        else "  baseline  not measured",
        f"  queries: prepare {queries.get('prepare', '?')}, approve {queries.get('approve', '?')}"
        f"; setup {result['setup_s']:.0f} s",
    ]


def run_parent(args: argparse.Namespace) -> int:
    names = common.databases(args)
    load_before = common.load_average()
    print(
        f"pulje pay bench: {args.instalments} instalments over {args.pools} pools, "
        f"{args.seeds} seeds",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="pulje-bench-pay-") as directory:

        def options(name: str) -> list[str]:
            return [
                f"--instalments={args.instalments}",
                f"--pools={args.pools}",
                f"--seeds={args.seeds}",
                f"--postgresql-url={args.postgresql_url}",
            ]

        codes, results = common.run_children(SCRIPT, names, Path(directory), options, Result)
    print()
    for result in results:
        print("\n".join(summary(args, result)))
    print()
    versions = common.database_versions(results)
    common.print_facts(
        [
            *common.machine_facts(common.revision(), load_before),
            ("SQLite", versions.get("sqlite", "not run")),
            ("PostgreSQL", versions.get("postgresql", "not run")),
        ]
    )
    failed = common.print_failures([], results)
    return common.exit_code(codes, "OK: every check held.", failed=failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    common.add_database_option(parser)
    parser.add_argument("--instalments", type=int, default=10_000)
    parser.add_argument("--pools", type=int, default=1_000)
    parser.add_argument("--seeds", type=int, default=3)
    common.add_child_options(parser, BENCH_DB)
    args = parser.parse_args()
    if min(args.instalments, args.pools, args.seeds) < 1:
        parser.error("--instalments, --pools and --seeds must be at least 1")
    return run_child(args._child, args) if args._child else run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
