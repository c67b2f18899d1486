"""How fast the ledger posts and reads, against the simple baseline in the same run.

    DEBUG=1 .venv/bin/python bench/ledger.py [--entries 100000] [--pools 1000]
                                             [--databases sqlite,postgresql]

For each database this script runs itself again as a child process (``--_child``), because one
process can configure Django only once. The child sets up a database of its own, builds a pool
tree and posts entries through the product's services, times the same rows written bare, reads
every balance three ways and checks the whole ledger. It prints its figures and hands them to
the parent in a JSON file; the parent prints the summary table. See bench/README.md.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import common
from pulje.ledger.balances import Kind

if TYPE_CHECKING:
    from pulje.accounts.models import User
    from pulje.funds.models import Pool
    from pulje.ledger.balances import PoolBalance
    from pulje.ledger.models import GrantAccount

SCRIPT = str(Path(__file__).resolve())
BENCH_DB = "pulje_bench"
# Exit code of a child when a check failed (besides common.OK and common.UNAVAILABLE).
CHECK_FAILED = 1

# Plain Python, free of Django: importable before django.setup().
COMMITMENT, PAYMENT, RELEASE, RECOVERY = Kind.COMMITMENT, Kind.PAYMENT, Kind.RELEASE, Kind.RECOVERY
# The mix of postings: per 100 entries, what a busy pool sees over its life.
MIX = {COMMITMENT: 30, PAYMENT: 50, RELEASE: 12, RECOVERY: 8}
PLURALS = {
    COMMITMENT: "commitments",
    PAYMENT: "payments",
    RELEASE: "releases",
    RECOVERY: "recoveries",
}
ENTRIES_PER_GRANT = 8
RELEASE_REASONS = ("reduced", "cancelled", "lapsed", "unspent")
REPEAT_READS = 5
REPEAT_CHECK = 3

T = TypeVar("T")


# --- the plan: what to post, decided before the clock starts ----------------------------------


@dataclass(frozen=True)
class Posting:
    kind: Kind
    grant: int
    amount_ore: int
    reason: str = ""


@dataclass
class Plan:
    postings: list[Posting]
    grant_leaf: list[int]
    leaf_budget: list[int]


class _Bag:
    """A set of grant numbers with O(1) add, remove and random choice."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.index: dict[int, int] = {}

    def __bool__(self) -> bool:
        return bool(self.items)

    def set(self, item: int, present: bool) -> None:
        if present and item not in self.index:
            self.index[item] = len(self.items)
            self.items.append(item)
        elif not present and item in self.index:
            at = self.index.pop(item)
            last = self.items.pop()
            if last != item:
                self.items[at] = last
                self.index[last] = at

    def choice(self, rng: random.Random) -> int:
        return self.items[rng.randrange(len(self.items))]


def _part(rng: random.Random, ore: int) -> int:
    """A random part of ``ore`` (at least 1 øre, whole kroner where it can)."""
    if ore <= 100:
        return ore
    return rng.randint(1, ore // 100) * 100


def make_plan(*, entries: int, leaves: int, seed: int = 2020) -> Plan:
    """``entries`` postings that the services must all accept, and the budgets that make it so.

    A posting whose kind has no grant to act on yet (a payment before any commitment) becomes
    a commitment, so the real mix leans a little towards commitments; the bench prints it.
    """
    rng = random.Random(seed)
    grants = max(leaves, entries // ENTRIES_PER_GRANT)
    grant_leaf = [number % leaves for number in range(grants)]
    committed, paid, recovered = [0] * grants, [0] * grants, [0] * grants
    in_use, peak = [0] * leaves, [0] * leaves
    unpaid, recoverable = _Bag(), _Bag()
    kinds, weights = list(MIX), list(MIX.values())
    postings = []
    for _ in range(entries):
        kind = rng.choices(kinds, weights)[0]
        if kind in (PAYMENT, RELEASE) and not unpaid:
            kind = COMMITMENT
        if kind == RECOVERY and not recoverable:
            kind = COMMITMENT
        reason = ""
        if kind == COMMITMENT:
            grant = rng.randrange(grants)
            amount = rng.randint(200, 5_000) * 10_000  # 20.000–500.000 kr.
            committed[grant] += amount
            in_use[grant_leaf[grant]] += amount
        elif kind == PAYMENT:
            grant = unpaid.choice(rng)
            open_ore = committed[grant] - paid[grant]
            amount = open_ore if rng.random() < 0.3 else _part(rng, open_ore)
            paid[grant] += amount
        elif kind == RELEASE:
            grant = unpaid.choice(rng)
            open_ore = committed[grant] - paid[grant]
            amount = open_ore if rng.random() < 0.5 else _part(rng, open_ore)
            reason = rng.choice(RELEASE_REASONS)
            committed[grant] -= amount
            in_use[grant_leaf[grant]] -= amount
        else:
            grant = recoverable.choice(rng)
            amount = _part(rng, paid[grant] - recovered[grant]) // 10 or 1
            recovered[grant] += amount
            in_use[grant_leaf[grant]] -= amount
        unpaid.set(grant, committed[grant] > paid[grant])
        recoverable.set(grant, paid[grant] > recovered[grant])
        leaf = grant_leaf[grant]
        peak[leaf] = max(peak[leaf], in_use[leaf])
        postings.append(Posting(kind, grant, amount, reason))
    # Budgets with room to spare: 10 % and 1 mio. kr. over what each leaf ever has in use.
    leaf_budget = [need + need // 10 + 100_000_000 for need in peak]
    return Plan(postings, grant_leaf, leaf_budget)


def tree_levels(pools: int) -> list[int]:
    """Pools per level: 1 root, then about the cube root of the rest per node (1000 → 1, 10,
    100, 889)."""
    rest = pools - 1
    if rest == 0:
        return [1]
    branching = max(2, round(rest ** (1 / 3)))
    first = min(branching, rest)
    second = min(branching * branching, rest - first)
    sizes = [size for size in (1, first, second, rest - first - second) if size]
    # Every pool above the leaves must have children: a level smaller than the one above it
    # joins that one, which becomes the leaves.
    while len(sizes) > 2 and sizes[-1] < sizes[-2]:
        leaves = sizes.pop()
        sizes[-1] += leaves
    return sizes


# --- the child: one database ----------------------------------------------------------------


@dataclass
class Result(common.ChildResult):
    pools: int = 0
    levels: list[int] = field(default_factory=list)
    grants: int = 0
    entries: int = 0
    total_entries: int = 0
    post_s: float = 0.0
    create_s: float = 0.0
    bulk_s: float = 0.0
    subtrees_s: float = 0.0
    subtrees_q: int = 0
    recompute_s: float = 0.0
    recompute_q: int = 0
    naive_s: float = 0.0
    naive_q: int = 0
    check_s: float = 0.0
    check_q: int = 0
    discrepancies: int = 0
    chain_s: float = 0.0
    chain_events: int = 0
    chain_problems: int = 0
    queries_per_posting: dict[str, int] = field(default_factory=dict)
    mix: dict[str, int] = field(default_factory=dict)


def measure(function: Callable[[], T], repeat: int) -> tuple[float, int, T]:
    """Median seconds over ``repeat`` runs, the queries of one more run (untimed: capturing
    them slows each query down), and that run's result."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        value = function()
    seconds = statistics.median(common.timed(function)[0] for _ in range(repeat))
    return seconds, len(queries), value


def run_child(name: str, args: argparse.Namespace) -> int:
    result = Result(database=name)
    return common.run_child(
        result, args, bench_db=BENCH_DB, bench=lambda url: bench_database(result, args)
    )


def bench_database(result: Result, args: argparse.Namespace) -> int:
    label = common.migrate(result, BENCH_DB, ("fsync", "synchronous_commit", "shared_buffers"))

    levels = tree_levels(args.pools)
    result.levels = levels
    common.progress(
        label, f"building {args.pools:,} pools and the plan of {args.entries:,} postings"
    )
    plan = make_plan(entries=args.entries, leaves=levels[-1])
    actor = _actor()
    result.setup_s, (root, grants) = common.timed(lambda: build_tree(actor, levels, plan))
    result.pools = args.pools
    result.grants = len(grants)
    setup_entries = args.pools
    print(
        f"setup     {args.pools:,} pools ({' + '.join(f'{n:,}' for n in levels)}), "
        f"{setup_entries:,} entries (appropriation + delegations), "
        f"{len(grants):,} grant accounts, all through the services: {result.setup_s:.1f} s"
    )

    common.progress(label, f"posting {args.entries:,} entries through the services")
    result.post_s = common.timed(lambda: post_entries(label, actor, plan, grants))[0]
    result.entries = args.entries
    result.mix = dict.fromkeys(MIX, 0)
    for posting in plan.postings:
        result.mix[posting.kind] += 1
    rate = args.entries / result.post_s
    print(
        f"posting   {args.entries:,} entries through the services, one transaction each: "
        f"{result.post_s:.1f} s, {rate:,.0f} entries/s"
    )
    print(
        "          mix: "
        + ", ".join(f"{n:,} {PLURALS[Kind(kind)]}" for kind, n in result.mix.items())
    )

    from pulje.ledger.models import Entry

    result.total_entries = Entry.objects.count()
    reads(result, root)
    if not check(result):
        print(f"FAIL: {label}: " + "; ".join(result.failures))
        return CHECK_FAILED

    result.queries_per_posting = queries_per_posting(actor, grants[0])
    print(
        "          queries per posting (one of each, after the check): "
        + ", ".join(f"{kind} {n}" for kind, n in result.queries_per_posting.items())
    )
    baselines(result, label, actor, plan, grants)
    return common.OK


def _actor() -> "User":
    from pulje.accounts.services.users import register_user

    return register_user(actor=None, email="bench@pulje.invalid", name="Bench")


def build_tree(actor: "User", levels: list[int], plan: Plan) -> tuple["Pool", list["GrantAccount"]]:
    """The pool tree with money in every pool, and the grant accounts, through the services:
    each leaf gets its planned budget; each pool above gets the sum of its children's."""
    import datetime as dt

    from pulje.ledger.services import appropriate, delegate, open_grant_account
    from pulje.registry.models import OrganisationKind
    from pulje.registry.services.organisations import register_organisation
    from pulje.registry.testing import fake_cvr

    funder = register_organisation(
        actor=actor, cvr=fake_cvr(900_000), name="Benchmarkstyrelsen", kind=OrganisationKind.FUNDER
    )
    recipients = [
        register_organisation(
            actor=actor,
            cvr=fake_cvr(900_001 + n),
            name=f"Boligselskab {n}",
            kind=OrganisationKind.HOUSING,
        )
        for n in range(25)
    ]
    start, end = dt.date(2020, 11, 6), dt.date(2025, 12, 31)

    def pool(parent: "Pool | None", depth: int, number: int) -> "Pool":
        return common.bench_pool(
            funder,
            f"bench-{depth}-{number}",
            f"Pulje {depth}.{number}",
            actor=actor,
            period=(start, end),
            parent=parent,
        )

    tree: list[list[Pool]] = [[pool(None, 0, 0)]]
    for depth, size in enumerate(levels[1:], start=1):
        above = tree[-1]
        tree.append([pool(above[n * len(above) // size], depth, n) for n in range(size)])

    budgets: dict[int, int] = {leaf.pk: plan.leaf_budget[n] for n, leaf in enumerate(tree[-1])}
    for level in reversed(tree[1:]):
        for child in level:
            assert child.parent_id is not None
            budgets[child.parent_id] = budgets.get(child.parent_id, 0) + budgets[child.pk]
    root = tree[0][0]
    appropriate(actor=actor, pool=root, amount_ore=budgets[root.pk], text="Bevilling (bench)")
    for level in tree[1:]:
        for child in level:
            assert child.parent is not None
            delegate(actor=actor, pool=child.parent, to=child, amount_ore=budgets[child.pk])

    grants = [
        open_grant_account(
            actor=actor,
            pool=tree[-1][leaf],
            recipient=recipients[number % len(recipients)],
            reference=f"B-{number:06d}",
            title=f"Tilsagn {number}",
        )
        for number, leaf in enumerate(plan.grant_leaf)
    ]
    return root, grants


def post(actor: "User", posting: Posting, grant: "GrantAccount", key: str) -> None:
    from pulje.ledger.models import ReleaseReason
    from pulje.ledger.services import commit, pay, recover, release

    amount = posting.amount_ore
    if posting.kind == COMMITMENT:
        commit(actor=actor, grant=grant, amount_ore=amount, key=key)
    elif posting.kind == PAYMENT:
        pay(actor=actor, grant=grant, amount_ore=amount, key=key)
    elif posting.kind == RELEASE:
        reason = ReleaseReason(posting.reason)
        release(actor=actor, grant=grant, amount_ore=amount, reason=reason, key=key)
    else:
        recover(actor=actor, grant=grant, amount_ore=amount, key=key)


def post_entries(label: str, actor: "User", plan: Plan, grants: list["GrantAccount"]) -> None:
    quarter = max(1, len(plan.postings) // 4)
    start = time.perf_counter()
    for number, posting in enumerate(plan.postings, start=1):
        post(actor, posting, grants[posting.grant], f"bench-{number}")
        if number % quarter == 0 and number < len(plan.postings):
            elapsed = time.perf_counter() - start
            common.progress(label, f"  {number:,} posted, {number / elapsed:,.0f}/s")


def naive_balances(root: "Pool") -> dict[int, "PoolBalance"]:
    """The obvious way: for every pool, one aggregate over the entries that touch it."""
    from django.db.models import Case, F, Q, Sum, When
    from django.db.models.functions import Coalesce

    from pulje.funds.models import Pool
    from pulje.ledger.balances import PoolBalance
    from pulje.ledger.models import Entry

    signed = Case(When(reverses__isnull=True, then=F("amount_ore")), default=-F("amount_ore"))

    def total(**where: Any) -> Coalesce:
        return Coalesce(Sum(signed, filter=Q(**where)), 0)

    balances = {}
    for pool in Pool.objects.filter(Q(pk=root.pk) | Q(root=root)):
        sums = Entry.objects.filter(Q(pool=pool) | Q(target=pool)).aggregate(
            appropriated=total(kind=Kind.APPROPRIATION, pool=pool),
            received=total(kind=Kind.DELEGATION, target=pool),
            delegated=total(kind=Kind.DELEGATION, pool=pool),
            committed=total(kind=COMMITMENT, pool=pool),
            released=total(kind=RELEASE, pool=pool),
            paid=total(kind=PAYMENT, pool=pool),
            recovered=total(kind=RECOVERY, pool=pool),
        )
        balances[pool.pk] = PoolBalance(
            budget=sums["appropriated"] + sums["received"],
            delegated=sums["delegated"],
            committed=sums["committed"] - sums["released"],
            paid=sums["paid"],
            recovered=sums["recovered"],
        )
    return balances


def reads(result: Result, root: "Pool") -> None:
    from pulje.core.money import format_dkk
    from pulje.ledger.balances import PoolBalance
    from pulje.ledger.selectors import recompute_balances, subtrees

    label = common.LABELS[result.database]
    common.progress(label, "reading every balance three ways")
    result.subtrees_s, result.subtrees_q, nodes = measure(lambda: subtrees([root]), REPEAT_READS)
    result.recompute_s, result.recompute_q, (recomputed, _) = measure(
        recompute_balances, REPEAT_READS
    )
    result.naive_s, result.naive_q, naive = measure(lambda: naive_balances(root), REPEAT_READS)
    print(
        f"balances  of all {len(nodes):,} pools over {result.total_entries:,} entries "
        f"(median of {REPEAT_READS}):"
    )
    rows = [
        (
            "(a) subtrees([root]): stored balances, subtree sums in Python",
            result.subtrees_s,
            result.subtrees_q,
        ),
        (
            "(b) recompute_balances(): from the entries, grouped SQL",
            result.recompute_s,
            result.recompute_q,
        ),
        ("(c) naive baseline: one aggregate query per pool", result.naive_s, result.naive_q),
    ]
    for text, seconds, queries in rows:
        print(f"          {text:<62} {seconds * 1000:>9,.1f} ms {queries:>6,} queries")
    stored = {node.pool.pk: node.balance for node in nodes}
    differ = [
        pool_id
        for pool_id in stored
        if not stored[pool_id] == recomputed.get(pool_id, PoolBalance()) == naive.get(pool_id)
    ]
    if differ or set(stored) != set(naive):
        result.failures.append(f"the three ways disagree on pools {differ[:10]}")
    else:
        print(f"          (a), (b) and (c) agree on every one of the {len(stored):,} balances")
    top = nodes[0].subtree
    print(
        f"          whole tree: budget {format_dkk(top.budget)}, committed "
        f"{format_dkk(top.committed)}, paid {format_dkk(top.paid)}, recovered "
        f"{format_dkk(top.recovered)}, available {format_dkk(top.available)}"
    )


def check(result: Result) -> bool:
    from pulje.core.audit import find_chain_problems
    from pulje.ledger.selectors import find_ledger_discrepancies

    label = common.LABELS[result.database]
    common.progress(label, "checking the ledger and the audit chain")
    result.check_s, result.check_q, found = measure(find_ledger_discrepancies, REPEAT_CHECK)
    result.discrepancies = len(found)
    outcome = "none" if not found else f"{len(found):,} — FAIL"
    print(
        f"check     find_ledger_discrepancies() (= manage.py check_ledger), median of "
        f"{REPEAT_CHECK}: {result.check_s:.2f} s, {result.check_q:,} queries; "
        f"discrepancies: {outcome}"
    )
    for problem in found[:20]:
        print(
            f"          {problem.subject}: {problem.figure} {problem.message} "
            f"(stored {problem.stored}, entries say {problem.expected})"
        )
    if found:
        result.failures.append(f"find_ledger_discrepancies() found {len(found):,} problems")

    from pulje.core.models import AuditEvent

    result.chain_events = AuditEvent.objects.count()
    result.chain_s, problems = common.timed(lambda: list(find_chain_problems()))
    result.chain_problems = len(problems)
    outcome = "none" if not problems else f"{len(problems):,} — FAIL"
    print(
        f"audit     find_chain_problems() over {result.chain_events:,} events: "
        f"{result.chain_s:.2f} s; problems: {outcome}"
    )
    for chain_problem in problems[:20]:
        print(f"          event {chain_problem.seq}: {chain_problem.message}")
    if problems:
        result.failures.append(f"find_chain_problems() found {len(problems):,} problems")
    return not result.failures


def queries_per_posting(actor: "User", like: "GrantAccount") -> dict[str, int]:
    """Queries of one posting of each kind, on a new grant in the same pool as ``like``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pulje.ledger.services import open_grant_account

    grant = open_grant_account(
        actor=actor, pool=like.pool, recipient=like.recipient, reference="B-PROBE", title="Probe"
    )
    counts: dict[str, int] = {}
    steps = [
        Posting(COMMITMENT, 0, 1_000_000),
        Posting(PAYMENT, 0, 500_000),
        Posting(RELEASE, 0, 100_000, "reduced"),
        Posting(RECOVERY, 0, 100_000),
    ]
    for posting in steps:
        with CaptureQueriesContext(connection) as queries:
            post(actor, posting, grant, f"probe-{posting.kind}")
        counts[posting.kind] = len(queries)
    return counts


def baselines(
    result: Result, label: str, actor: "User", plan: Plan, grants: list["GrantAccount"]
) -> None:
    """The same rows, bare: no locks, no balances, no audit event.

    They run last, into the same table, because bare rows leave the balances behind and would
    (rightly) fail the check; the table is then already as big as the product's run left it.
    """
    from django.db import transaction

    from pulje.ledger.models import Entry

    def row(number: int, posting: Posting, prefix: str) -> Entry:
        grant = grants[posting.grant]
        return Entry(
            kind=posting.kind,
            amount_ore=posting.amount_ore,
            pool_id=grant.pool_id,
            grant=grant,
            release_reason=posting.reason,
            key=f"{prefix}-{number}",
            created_by=actor,
        )

    def create() -> None:
        for number, posting in enumerate(plan.postings, start=1):
            with transaction.atomic():
                row(number, posting, "create").save()

    def bulk() -> None:
        rows = (row(number, posting, "bulk") for number, posting in enumerate(plan.postings))
        batch: list[Entry] = []
        for entry in rows:
            batch.append(entry)
            if len(batch) == 1000:
                Entry.objects.bulk_create(batch)
                batch = []
        Entry.objects.bulk_create(batch)

    common.progress(label, f"baseline: {len(plan.postings):,} bare rows, one transaction each")
    result.create_s = common.timed(create)[0]
    common.progress(label, f"baseline: {len(plan.postings):,} bare rows by bulk_create")
    result.bulk_s = common.timed(bulk)[0]
    count = len(plan.postings)
    for text, seconds in [
        ("bare Entry(...).save(), one transaction each", result.create_s),
        ("bare Entry.objects.bulk_create, 1,000 a batch", result.bulk_s),
    ]:
        print(
            f"baseline  {count:,} {text}: {seconds:.1f} s, {count / seconds:,.0f} entries/s; "
            f"the services take {result.post_s / seconds:,.1f}× as long"
        )


# --- the parent: runs a child per database and prints the summary ----------------------------


def machine_facts(results: list[dict[str, Any]], load_before: str) -> list[tuple[str, str]]:
    import sqlite3

    import pulje

    versions = common.database_versions(results)
    # Which pulje was measured: where it was imported from and, in a git checkout, the commit.
    code = common.revision(Path(pulje.__file__).resolve().parent, name_source=True)
    return [
        *common.machine_facts(code, load_before),
        ("SQLite", versions.get("sqlite", sqlite3.sqlite_version)),
        ("PostgreSQL", versions.get("postgresql", "not run")),
    ]


def summary(results: list[dict[str, Any]], entries: int, pools: int, load_before: str) -> None:
    ran = [result for result in results if result["setup_s"]]
    print()
    print(f"== summary: {entries:,} entries, {pools:,} pools")
    if ran:
        width = 20

        def line(text: str, cells: list[str]) -> None:
            print(f"{text:<48}" + "".join(f"{cell:>{width}}" for cell in cells))

        def seconds(key: str) -> list[str]:
            return [f"{result[key]:,.2f} s" for result in ran]

        def per_second(key: str) -> list[str]:
            return [
                f"{result['entries'] / result[key]:,.0f}/s" if result[key] else "–"
                for result in ran
            ]

        def millis(key: str, queries: str) -> list[str]:
            return [f"{result[key] * 1000:,.1f} ms, {result[queries]:,} q" for result in ran]

        line("", [common.LABELS[result["database"]] for result in ran])
        line("post through the services", seconds("post_s"))
        line("  entries/second", per_second("post_s"))
        line("baseline: bare rows, one transaction each", seconds("create_s"))
        line("  entries/second", per_second("create_s"))
        line(
            "  services ÷ baseline",
            [
                f"{result['post_s'] / result['create_s']:,.1f}×" if result["create_s"] else "–"
                for result in ran
            ],
        )
        line("baseline: bulk_create", seconds("bulk_s"))
        line("  entries/second", per_second("bulk_s"))
        line("balances (a) subtrees([root])", millis("subtrees_s", "subtrees_q"))
        line("balances (b) recompute_balances()", millis("recompute_s", "recompute_q"))
        line("balances (c) naive, one query per pool", millis("naive_s", "naive_q"))
        line(
            "  naive ÷ subtrees",
            [f"{result['naive_s'] / result['subtrees_s']:,.0f}×" for result in ran],
        )
        line("find_ledger_discrepancies()", seconds("check_s"))
        line("  discrepancies", [f"{result['discrepancies']:,}" for result in ran])
        line("find_chain_problems()", seconds("chain_s"))
        line("  problems", [f"{result['chain_problems']:,}" for result in ran])
    for result in results:
        if result["failures"]:
            print(f"{common.LABELS[result['database']]}: " + "; ".join(result["failures"]))
    print()
    common.print_facts(machine_facts(results, load_before))


def run_parent(args: argparse.Namespace) -> int:
    names = [name.strip() for name in args.databases.split(",") if name.strip()]
    unknown = set(names) - set(common.DATABASES)
    if unknown or not names:
        print(f"--databases takes a list of {', '.join(common.DATABASES)}", file=sys.stderr)
        return 2
    load_before = common.load_average()
    print(f"pulje ledger bench: {args.entries:,} entries, {args.pools:,} pools", flush=True)
    results, codes = [], []
    for name in names:
        with tempfile.TemporaryDirectory(prefix="pulje-bench-") as directory:
            options = [
                "--entries",
                str(args.entries),
                "--pools",
                str(args.pools),
                "--postgresql-url",
                args.postgresql_url,
            ]
            result_file = Path(directory) / "result.json"
            code, result = common.run_child_process(SCRIPT, name, result_file, options, Result)
            codes.append(code)
            results.append(result)
    summary(results, args.entries, args.pools, load_before)
    if all(code != common.OK for code in codes):
        return 1
    return (
        CHECK_FAILED
        if any(code not in (common.OK, common.UNAVAILABLE) for code in codes)
        else common.OK
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--entries", type=int, default=100_000, help="entries to post")
    parser.add_argument("--pools", type=int, default=1_000, help="pools in the tree")
    parser.add_argument("--databases", default=",".join(common.DATABASES), help="sqlite,postgresql")
    common.add_child_options(parser, BENCH_DB)
    args = parser.parse_args()
    if args.entries < 1 or args.pools < 1:
        parser.error("--entries and --pools must be at least 1")
    return run_child(args._child, args) if args._child else run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
