"""The exact method held to the rules exactly: whole øre, shares as exact fractions of the
total, the true optimum at gap 0, equal applications in the published order, apportionment
ties by the documented rule, and every bad input refused by name.

The checker here is written from docs/allocation.md alone and imports nothing of the
solver's rule code (``rules``, ``explain``, ``solve.broken_rules``): it sums the øre of each
rule's members and compares them with the rule's limit, a share ``s`` of the total ``T`` as
the exact fraction ``Fraction(repr(s)) × T`` (a share is the decimal it is written as).
"""

import dataclasses
import datetime as dt
import io
import json
import math
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from pulje.allocation.solver import (
    Apportionment,
    Candidate,
    Conflict,
    GroupRule,
    Limit,
    Objective,
    OrganisationRule,
    Problem,
    ProblemError,
    ReasonCode,
    Status,
    apportion,
    problem_from_json,
    solve,
)
from pulje.core.money import kr

EXACT = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REGIONS = ("1081", "1082", "1083")
GROUPS = ("children", "elderly")


# --- the exact checker, from docs/allocation.md ---------------------------------------------------


def share(value: float) -> Fraction:
    """A share as the decimal it is written as: 0.137 is 137/1000."""
    return Fraction(repr(value))


def broken_amounts(problem: Problem, granted: Mapping[str, int]) -> list[str]:
    """ "amount:<id>" for an amount the candidate cannot be granted, "lock:<id>" for a lock
    not kept and "min_score:<id>" for a grant under the minimum score."""
    by_id = {candidate.id: candidate for candidate in problem.candidates}
    out = []
    for key, amount in granted.items():
        candidate = by_id[key]
        lowest = candidate.lowest_ore if problem.allow_reductions else candidate.amount_ore
        # In full, or reduced to a whole multiple of the reduction unit (issue 14.6).
        whole = amount == candidate.amount_ore or amount % problem.reduction_unit_ore == 0
        if not lowest <= amount <= candidate.amount_ore or not whole:
            out.append(f"amount:{key}")
        if key in problem.locked_out:
            out.append(f"lock:{key}")
        below = problem.min_score is not None and candidate.score < problem.min_score
        if below and key not in problem.locked_in:
            out.append(f"min_score:{key}")
    return out + [f"lock:{key}" for key in sorted(problem.locked_in) if key not in granted]


def broken(problem: Problem, amounts: Mapping[str, int]) -> list[str]:
    """The keys of the rules (docs/allocation.md) that ``amounts`` (id → øre) breaks,
    exactly, after those of ``broken_amounts``."""
    granted = {key: amount for key, amount in amounts.items() if amount > 0}
    total = sum(granted.values())
    out = broken_amounts(problem, granted)

    def money(members: list[str]) -> int:
        return sum(granted.get(key, 0) for key in members)

    if total > problem.budget_ore:
        out.append("budget")
    for band, budget in problem.band_budgets.items():
        if money([c.id for c in problem.candidates if c.band == band]) > budget:
            out.append(f"band:{band}")
    for region, limit in problem.regions.items():
        used = money([c.id for c in problem.candidates if c.region == region])
        floor_ore, cap_ore = limit.floor_ore, limit.cap_ore
        floor_share, cap_share = limit.floor_share, limit.cap_share
        for kind, wrong in (
            ("floor", floor_ore is not None and used < floor_ore),
            ("cap", cap_ore is not None and used > cap_ore),
            ("floor_share", floor_share is not None and used < share(floor_share) * total),
            ("cap_share", cap_share is not None and used > share(cap_share) * total),
        ):
            if wrong:
                out.append(f"region:{region}:{kind}")
    for group, rule in problem.target_groups.items():
        members = [c.id for c in problem.candidates if group in c.target_groups]
        count = sum(1 for key in members if key in granted)
        if rule.min_count is not None and count < rule.min_count:
            out.append(f"group:{group}:count")
        if rule.min_share is not None and money(members) < share(rule.min_share) * total:
            out.append(f"group:{group}:share")
    organisations = {c.organisation for c in problem.candidates if c.organisation}
    limits = problem.organisation
    for organisation in sorted(organisations):
        members = [c.id for c in problem.candidates if c.organisation == organisation]
        grants = sum(1 for key in members if key in granted)
        if limits.max_grants is not None and grants > limits.max_grants:
            out.append(f"organisation:{organisation}:grants")
        if limits.max_ore is not None and money(members) > limits.max_ore:
            out.append(f"organisation:{organisation}:amount")
    return out


def worth(problem: Problem, amounts: Mapping[str, int]) -> Fraction:
    """The objective exactly: Σ score × kroner, participants reached, or grants."""
    by_id = {candidate.id: candidate for candidate in problem.candidates}
    chosen = [(by_id[key], amount) for key, amount in amounts.items() if amount > 0]
    if problem.objective == Objective.SCORE:
        return sum((Fraction(c.score) * amount / 100 for c, amount in chosen), Fraction(0))
    if problem.objective == Objective.PARTICIPANTS:
        return Fraction(sum(c.participants for c, _amount in chosen))
    return Fraction(len(chosen))


def exact_limit(problem: Problem, key: str, total: int) -> int | None:
    """The limit a share rule shows in øre: ⌈s·T⌉ for a floor, ⌊s·T⌋ for a cap."""
    parts = key.split(":")
    if parts[0] == "region" and parts[2] in ("floor_share", "cap_share"):
        value = getattr(problem.regions[parts[1]], parts[2])
        exact = share(value) * total
        return math.ceil(exact) if parts[2] == "floor_share" else math.floor(exact)
    if parts[0] == "group" and parts[2] == "share":
        min_share = problem.target_groups[parts[1]].min_share
        assert min_share is not None
        return math.ceil(share(min_share) * total)
    return None


# --- problems where a tolerance would show -------------------------------------------------------


@st.composite
def share_problems(draw: st.DrawFn, *, reductions: bool, max_candidates: int = 14) -> Problem:
    """Large amounts (up to 2 mio. kr., so a millionth of the total is hundreds of øre) and
    shares with three decimals, as the problems that broke by up to 247 øre."""
    size = draw(st.integers(2, max_candidates))
    candidates = []
    for number in range(size):
        amount = draw(st.integers(1_000_00, 2_000_000_00))
        candidates.append(
            Candidate(
                id=f"c{number:02d}",
                score=draw(st.integers(4, 20)) / 4,
                amount_ore=amount,
                min_amount_ore=draw(st.integers(amount // 3, amount)) if reductions else None,
                region=draw(st.sampled_from(REGIONS)),
                organisation=draw(st.sampled_from(("A", "B", "C", "D"))),
                target_groups=tuple(sorted(draw(st.sets(st.sampled_from(GROUPS))))),
                participants=draw(st.integers(0, 60)),
            )
        )
    asked = sum(candidate.amount_ore for candidate in candidates)
    thousandths = st.integers(1, 999).map(lambda n: n / 1000)
    return Problem(
        budget_ore=asked // draw(st.integers(2, 4)),
        candidates=tuple(candidates),
        objective=draw(st.sampled_from(Objective)),
        allow_reductions=reductions,
        regions={
            "1081": Limit(floor_share=draw(thousandths.filter(lambda s: s <= 0.45))),
            "1082": Limit(cap_share=draw(thousandths.filter(lambda s: s >= 0.2))),
        },
        target_groups={
            "children": GroupRule(min_share=draw(thousandths.filter(lambda s: s <= 0.5)))
        },
        organisation=OrganisationRule(max_grants=draw(st.none() | st.integers(1, 4))),
        gap=draw(st.sampled_from((0.0, 1e-4))),
    )


def check_exact(problem: Problem) -> None:
    result = solve(problem)
    note(f"{result.status} {result.amounts}")
    if result.status == Status.INFEASIBLE:
        assert result.selected == ()
        return
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert broken(problem, result.amounts) == []
    assert result.met_all_rules
    total = result.total_ore
    for usage in result.rules:
        limit = exact_limit(problem, usage.key, total)
        if limit is not None:
            assert usage.limit == limit, usage
        assert usage.met


@EXACT
@given(share_problems(reductions=True))
def test_share_rules_hold_exactly_with_reductions(problem: Problem) -> None:
    check_exact(problem)


@EXACT
@given(share_problems(reductions=False))
def test_share_rules_hold_exactly_without_reductions(problem: Problem) -> None:
    check_exact(problem)


@pytest.mark.parametrize("objective", list(Objective))
def test_a_floor_share_missed_by_a_few_ore_is_never_met(objective: Objective) -> None:
    """What the tolerance let through: a floor of 33.3 % of 300.000,01 kr. is 99.900,003 kr.,
    so 99.900 kr. is 0,3 øre short — and the result said met. Now the table shows the limit
    as ⌈s·T⌉ = 9.990.001 øre and the check is exact."""
    problem = Problem(
        budget_ore=30_000_001,
        candidates=(
            Candidate(id="a", score=3.0, amount_ore=9_990_000, region="1081"),
            Candidate(id="b", score=3.0, amount_ore=20_010_001, region="1082"),
        ),
        objective=objective,
        regions={"1081": Limit(floor_share=0.333)},
        gap=0.0,
    )
    assert broken(problem, {"a": 9_990_000, "b": 20_010_001}) == ["region:1081:floor_share"]

    result = solve(problem)

    assert broken(problem, result.amounts) == []
    floor = next(usage for usage in result.rules if usage.key == "region:1081:floor_share")
    assert floor.limit == math.ceil(Fraction(333, 1000) * result.total_ore)
    assert floor.met == (floor.used >= floor.limit)


# --- the true optimum at gap 0 -------------------------------------------------------------------


def best_of_every_subset(problem: Problem) -> Fraction:
    candidates = problem.candidates
    best = Fraction(-1)
    for mask in range(2 ** len(candidates)):
        amounts = {c.id: c.amount_ore for bit, c in enumerate(candidates) if mask >> bit & 1}
        if not broken(problem, amounts):
            best = max(best, worth(problem, amounts))
    return best


@EXACT
@given(share_problems(reductions=False, max_candidates=9))
def test_at_gap_nothing_the_objective_is_the_optimum_exactly(problem: Problem) -> None:
    """Not within a millionth: the same number. The rank bonus of before made the answer up
    to 4·10⁻⁵ worse and still called it optimal with gap 0."""
    problem = dataclasses.replace(problem, gap=0.0)
    best = best_of_every_subset(problem)
    result = solve(problem)
    if best <= 0:
        return  # nothing worth granting meets the rules
    assert result.status == Status.OPTIMAL
    assert result.gap is not None
    assert result.gap <= 1e-9
    assert worth(problem, result.amounts) == best


def test_a_one_ore_better_selection_wins_over_rank() -> None:
    """``b`` is ranked below ``a`` (a lower score) but worth one øre of score more: 2 × 5.000,01
    kr. against 2,5 × 4.000 kr. With the rank bonus, the rank won at gap 0."""
    problem = Problem(
        budget_ore=500_001,
        candidates=(
            Candidate(id="a", score=2.5, amount_ore=400_000),
            Candidate(id="b", score=2.0, amount_ore=500_001),
        ),
        gap=0.0,
    )
    assert worth(problem, {"b": 500_001}) - worth(problem, {"a": 400_000}) == Fraction(2, 100)

    result = solve(problem)

    assert result.amounts == {"b": 500_001}
    assert (result.status, result.gap) == (Status.OPTIMAL, 0.0)


# --- equal applications in the published order ----------------------------------------------------

START = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def equal_applications(count: int, *, reductions: bool) -> tuple[Candidate, ...]:
    """``count`` applications alike in all but id and submission time, in two regions; their
    published order is by submission time (all scores are equal), not by id."""
    return tuple(
        Candidate(
            id=f"e{(count - number) * 7 % 1000:03d}-{number}",
            score=3.0,
            amount_ore=kr(10_000),
            min_amount_ore=kr(5_000) if reductions else None,
            region="1081" if number % 3 == 0 else "1082",
            participants=10,
            target_groups=("children",),
            submitted_at=START + dt.timedelta(minutes=number),
        )
        for number in range(count)
    )


@pytest.mark.parametrize("objective", list(Objective))
@pytest.mark.parametrize("reductions", [False, True])
@pytest.mark.parametrize("gap", [0.0, 1e-4])
def test_hundreds_of_equal_applications_are_granted_in_the_published_order(
    objective: Objective, reductions: bool, gap: float
) -> None:
    """300 equal applications, money for about 123, a region's floor share: within each
    region (what the rules see), an application is never refused while one submitted after
    it is granted, nor granted less. Before, from about 105 on, rank 53 was granted and 52
    refused."""
    candidates = equal_applications(300, reductions=reductions)
    problem = Problem(
        budget_ore=kr(1_234_567),
        candidates=candidates,
        objective=objective,
        allow_reductions=reductions,
        regions={"1081": Limit(floor_share=0.3)},
        gap=gap,
    )

    result = solve(problem)

    assert result.status == Status.OPTIMAL
    assert broken(problem, result.amounts) == []
    region = {candidate.id: candidate.region for candidate in candidates}
    for name in ("1081", "1082"):
        amounts = [o.amount_ore for o in result.outcomes if region[o.id] == name]
        assert amounts == sorted(amounts, reverse=True), name
    order = {candidate.id: number for number, candidate in enumerate(candidates)}
    assert [order[o.id] for o in result.outcomes] == list(range(300))


def test_a_lock_out_makes_an_application_unlike_the_others() -> None:
    candidates = equal_applications(6, reductions=False)
    problem = Problem(
        budget_ore=kr(30_000),
        candidates=candidates,
        locked_out=frozenset({candidates[0].id}),
        gap=0.0,
    )

    result = solve(problem)

    assert set(result.amounts) == {c.id for c in candidates[1:4]}


# --- apportionment ties ---------------------------------------------------------------------------


def test_sainte_lague_breaks_an_exact_tie_by_the_key_not_by_rounding() -> None:
    """For the ninth unit ``a``'s quotient 4 / 1 and ``c``'s 20 / 5 are both 4: the tie goes
    to the key that sorts first, ``a``. In floats (weights divided by the largest) ``c``'s
    came out larger and took it."""
    seats = apportion({"a": 4, "b": 48, "c": 20}, 9, Apportionment.SAINTE_LAGUE)

    assert seats == {"a": 1, "b": 6, "c": 2}


def test_largest_remainder_breaks_an_exact_tie_by_the_key_not_by_rounding() -> None:
    """Quotas 24 × 56 / 116 and 24 × 27 / 116 leave the same remainder, 68/116: the last unit
    goes to ``a``. In floats ``c``'s remainder was the larger."""
    seats = apportion({"a": 56, "b": 33, "c": 27}, 24, Apportionment.LARGEST_REMAINDER)

    assert seats == {"a": 12, "b": 7, "c": 5}


@EXACT
@given(
    st.dictionaries(st.sampled_from("abcdef"), st.integers(1, 60), min_size=2),
    st.integers(0, 60),
)
def test_sainte_lague_is_seat_by_seat_in_exact_fractions(
    weights: dict[str, int], units: int
) -> None:
    seats = dict.fromkeys(weights, 0)
    for _ in range(units):
        best = min(weights, key=lambda key: (-Fraction(weights[key], 2 * seats[key] + 1), key))
        seats[best] += 1

    assert (
        apportion({k: float(w) for k, w in weights.items()}, units, Apportionment.SAINTE_LAGUE)
        == seats
    )


# --- bad input is refused, by name ----------------------------------------------------------------

GOOD: dict[str, Any] = {
    "budget_ore": 100_000,
    "candidates": [{"id": "a", "score": 3, "amount_ore": 50_000}],
}


def with_(change: Mapping[str, Any], candidate: Mapping[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(GOOD)) | dict(change)
    if candidate is not None:
        data["candidates"] = [GOOD["candidates"][0] | dict(candidate)]
    return data


BAD_INPUT = [
    (with_({"budgett_ore": 5}), "Problemet: ukendt felt «budgett_ore»."),
    (with_({}, {"amount": 5}), "Ansøger «a»: ukendt felt «amount»."),
    (
        with_({"regions": {"1081": {"floor_shares": 0.1}}}),
        "Regionen «1081»: ukendt felt «floor_shares».",
    ),
    (
        with_({"target_groups": {"children": {"min": 1}}}),
        "Målgruppen «children»: ukendt felt «min».",
    ),
    (with_({"organisation": {"max": 1}}), "Organisationsgrænsen: ukendt felt «max»."),
    (with_({"lottery": {"seed": "x", "treshold": 2}}), "Lodtrækningen: ukendt felt «treshold»."),
    (
        with_({"objective": "impact"}),
        'Problemet: «objective» skal være en af: score, participants, count, ikke "impact".',
    ),
    (
        with_({"apportionment": "dhondt"}),
        "Problemet: «apportionment» skal være en af: largest_remainder, sainte_lague, "
        'ikke "dhondt".',
    ),
    (with_({"min_score": "3"}), 'Problemet: «min_score» skal være et tal, ikke "3".'),
    (with_({"min_score": math.nan}), "Problemet: «min_score» skal være et endeligt tal, ikke NaN."),
    (
        with_({"allow_reductions": "false"}),
        'Problemet: «allow_reductions» skal være true eller false, ikke "false".',
    ),
    (
        with_({}, {"amount_ore": -5}),
        "Ansøger «a»: «amount_ore» skal være et helt tal på mindst 1, ikke -5.",
    ),
    (
        with_({}, {"amount_ore": 12.5}),
        "Ansøger «a»: «amount_ore» skal være et helt tal på mindst 1, ikke 12.5.",
    ),
    (with_({}, {"score": math.nan}), "Ansøger «a»: «score» skal være et endeligt tal, ikke NaN."),
    (with_({}, {"region": ["1081"]}), 'Ansøger «a»: «region» skal være en tekst, ikke ["1081"].'),
    (
        with_({}, {"submitted_at": 20250301}),
        "Ansøger «a»: «submitted_at» skal være et tidspunkt i ISO 8601-format.",
    ),
    (with_({"regions": []}), "Problemet: «regions» skal være et objekt, ikke []."),
    (with_({"labels": {"region:1081": 5}}), "Navnet «region:1081» skal være en tekst, ikke 5."),
    (with_({"locked_in": "a"}), 'Problemet: «locked_in» skal være en liste af id\'er, ikke "a".'),
    (with_({"version": True}), "Formatet har version 1, ikke true."),
    (with_({"gap": "0"}), 'Problemet: «gap» skal være et tal, ikke "0".'),
    (with_({"time_limit": 0}), "Problemet: «time_limit» skal være et tal på mindst 0,001, ikke 0."),
]


@pytest.mark.parametrize(("data", "message"), BAD_INPUT, ids=[m for _d, m in BAD_INPUT])
def test_bad_input_is_refused_with_one_danish_message_naming_the_key(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProblemError) as raised:
        problem_from_json(data)

    assert raised.value.errors == [message]


@pytest.mark.parametrize(("data", "message"), BAD_INPUT[:3], ids=[m for _d, m in BAD_INPUT[:3]])
def test_the_command_fails_with_the_errors_of_bad_input(
    tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(data), "utf-8")

    with pytest.raises(CommandError) as refused:
        call_command("allocate", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert str(refused.value) == f"Problemet kan ikke læses:\n- {message}"
    assert refused.value.returncode == 1


def test_null_is_the_same_as_leaving_a_key_out() -> None:
    data = with_({"min_score": None, "regions": None, "allow_reductions": None})

    assert problem_from_json(data) == problem_from_json(GOOD)


def test_repeated_ids_among_many_are_named_once() -> None:
    candidates = [{"id": f"c{i % 5000}", "amount_ore": 100} for i in range(10_001)]

    with pytest.raises(ProblemError) as raised:
        problem_from_json({"budget_ore": 1, "candidates": candidates})

    assert raised.value.errors == [
        "Disse id'er optræder flere gange: " + ", ".join(sorted(f"c{i}" for i in range(5000))) + "."
    ]


# --- what the result says -------------------------------------------------------------------------


def test_a_floor_share_for_a_region_with_no_candidates_is_a_conflict() -> None:
    """Only granting nothing meets 10 % for a region nobody applies from: that is a conflict
    to name, not an empty optimal proposal."""
    problem = Problem(
        budget_ore=kr(100_000),
        candidates=(Candidate(id="a", score=3.0, amount_ore=kr(50_000), region="1082"),),
        regions={"1081": Limit(floor_share=0.1)},
        target_groups={"elderly": GroupRule(min_share=0.05)},
        labels={"region:1081": "Region Nordjylland", "group:elderly": "ældre"},
    )

    result = solve(problem)

    assert result.status == Status.INFEASIBLE
    assert result.conflicts == (
        Conflict(
            rules=("region:1081:floor_share",),
            text="Ingen ansøgning fra Region Nordjylland kan vælges, men mindst 10 % af "
            "pengene skal gå dertil.",
        ),
        Conflict(
            rules=("group:elderly:share",),
            text="Ingen ansøgning til ældre kan vælges, men mindst 5 % af pengene skal gå dertil.",
        ),
    )


def test_a_conflict_names_the_locks_that_cause_it() -> None:
    """Locking in ``a`` and ``b`` (both Midtjylland) leaves too little for Nordjylland's floor;
    the lock in of ``d`` (with ``a`` and ``b`` only 90.000 kr.) and the lock out of ``e`` have
    nothing to do with it and are not named."""
    problem = Problem(
        budget_ore=kr(100_000),
        candidates=(
            Candidate(id="a", score=3.0, amount_ore=kr(40_000), region="1082"),
            Candidate(id="b", score=3.0, amount_ore=kr(40_000), region="1082"),
            Candidate(id="c", score=3.0, amount_ore=kr(30_000), region="1081"),
            Candidate(id="d", score=3.0, amount_ore=kr(10_000), region="1082"),
            Candidate(id="e", score=3.0, amount_ore=kr(10_000), region="1082"),
        ),
        regions={"1081": Limit(floor_ore=kr(30_000))},
        locked_in=frozenset({"a", "b", "d"}),
        locked_out=frozenset({"e"}),
        labels={"region:1081": "Region Nordjylland"},
    )

    result = solve(problem)

    assert result.conflicts == (
        Conflict(
            rules=("region:1081:floor", "locked_in"),
            text="Inden for budgettet (og båndenes budgetter) kan dette ikke opfyldes: gulvet "
            "for Region Nordjylland; de ansøgninger, der er låst ind (a, b).",
        ),
    )


def test_a_lock_in_granted_reduced_says_so() -> None:
    problem = Problem(
        budget_ore=kr(800),
        candidates=(Candidate(id="a", score=5.0, amount_ore=kr(1_000), min_amount_ore=kr(500)),),
        allow_reductions=True,
        locked_in=frozenset({"a"}),
    )

    (outcome,) = solve(problem).outcomes

    assert (outcome.reason, outcome.amount_ore) == (ReasonCode.LOCKED_IN, kr(800))
    assert outcome.text == "Låst ind af sagsbehandleren – nedsat fra 1.000 kr. til 800 kr."


def test_a_price_of_fairness_within_the_gap_is_no_figure() -> None:
    """The rule costs nothing (``a`` is in the region anyway), but each solve is proven only
    within its gap of 10 %: a "price" the size of that is noise and is not given as one."""
    problem = Problem(
        budget_ore=kr(100_000),
        candidates=(
            Candidate(id="a", score=3.0, amount_ore=kr(60_000), region="1081"),
            Candidate(id="b", score=2.9, amount_ore=kr(40_000), region="1082"),
            Candidate(id="c", score=2.8, amount_ore=kr(41_000), region="1082"),
        ),
        regions={"1081": Limit(floor_share=0.5)},
        gap=0.1,
    )

    price = solve(problem).price_of_fairness

    assert price is not None
    assert (price.lost, price.share, price.below_gap) == (0.0, 0.0, True)


def test_reductions_bands_and_shares_are_measured_on_amounts_granted() -> None:
    """A share counts against the total *granted* (after reductions), not the budget or the
    amounts asked: with 40 % for Nordjylland and ``a`` cut to its lowest, the floor is 40 %
    of what is granted in all."""
    problem = Problem(
        budget_ore=kr(100_000),
        candidates=(
            Candidate(
                id="a", score=2.0, amount_ore=kr(60_000), min_amount_ore=kr(30_000), region="1081"
            ),
            Candidate(
                id="b", score=5.0, amount_ore=kr(70_000), min_amount_ore=kr(60_000), region="1082"
            ),
        ),
        allow_reductions=True,
        regions={"1081": Limit(floor_share=0.4)},
        gap=0.0,
    )

    result = solve(problem)

    # 40.000 kr. is 40 % of the 100.000 kr. granted; 30.000 kr. (a's lowest) would be 33 %.
    assert result.amounts == {"a": kr(40_000), "b": kr(60_000)}
    assert broken(problem, result.amounts) == []
