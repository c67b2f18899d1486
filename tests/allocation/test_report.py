"""The run in sentences (``report.reading``), from hand-made solver results: what the proposal
does, how good it is, the rules that hold it down with their figures, what fairness costs,
and the warning when much of the run's budget is left while applications are refused. The
amounts are worked out in each test."""

from collections.abc import Iterator

import pytest
from django.utils import translation

from pulje.allocation.report import reading
from pulje.allocation.solver import (
    Candidate,
    Limit,
    Method,
    Objective,
    Outcome,
    PriceOfFairness,
    Problem,
    ReasonCode,
    Result,
    RuleUsage,
    Status,
    solve,
)
from pulje.core.money import kr


@pytest.fixture(autouse=True)
def _danish() -> Iterator[None]:
    with translation.override("da"):
        yield


def asks(**amounts_kr: int) -> Problem:
    """A problem of candidates asking these kroner, in band "1", with a budget of 1.000.000 kr.
    (only the amounts, bands and budget are read by the sentences)."""
    return Problem(
        budget_ore=kr(1_000_000),
        candidates=tuple(
            Candidate(id=name, score=3.0, amount_ore=kr(amount), band="1")
            for name, amount in amounts_kr.items()
        ),
    )


def granted(
    name: str, amount_kr: int, reason: ReasonCode = ReasonCode.SELECTED, rule: str = ""
) -> Outcome:
    return Outcome(name, True, kr(amount_kr), 1, reason, "", rule)


def refused(name: str, reason: ReasonCode = ReasonCode.BLOCKED, rule: str = "") -> Outcome:
    return Outcome(name, False, 0, 1, reason, "", rule)


def usage(
    key: str,
    label: str,
    sense: str,
    limit_kr: int,
    used_kr: int,
    *,
    binding: bool = True,
    fairness: bool = True,
) -> RuleUsage:
    return RuleUsage(key, label, sense, "ore", kr(limit_kr), kr(used_kr), binding, True, fairness)


def budget(limit_kr: int, used_kr: int, *, binding: bool = True) -> RuleUsage:
    return usage("budget", "budgettet", "le", limit_kr, used_kr, binding=binding, fairness=False)


def result(
    outcomes: list[Outcome],
    rules: list[RuleUsage],
    *,
    status: Status = Status.OPTIMAL,
    gap: float | None = 0.0,
    price: PriceOfFairness | None = None,
    objective: Objective = Objective.SCORE,
    method: Method = Method.OPTIMAL,
) -> Result:
    return Result(
        method=method,
        objective_kind=objective,
        status=status,
        objective=1.0,
        bound=1.0,
        gap=gap,
        total_ore=sum(outcome.amount_ore for outcome in outcomes if outcome.selected),
        cutoff_score=3.0,
        outcomes=tuple(outcomes),
        rules=tuple(rules),
        price_of_fairness=price,
    )


def with_budget(problem: Problem, budget_kr: int) -> Problem:
    return Problem(budget_ore=kr(budget_kr), candidates=problem.candidates)


# --- what the proposal does --------------------------------------------------------------------


def test_the_proposal_in_one_sentence_counts_grants_refusals_and_reductions() -> None:
    """a 60.000 in full and b 30.000 of 40.000 make 90.000 kr. of 100.000; c is refused."""
    problem = with_budget(asks(a=60_000, b=40_000, c=50_000), 100_000)
    found = result(
        [granted("a", 60_000), granted("b", 30_000, ReasonCode.SELECTED_REDUCED), refused("c")],
        [budget(100_000, 90_000)],
    )

    assert reading(problem, found).does == (
        "Forslaget giver 2 tilsagn for 90.000 kr. af kørslens budget på 100.000 kr.; "
        "1 ansøgning får afslag; 1 får et mindre beløb end søgt."
    )


def test_a_proposal_that_grants_everyone_in_full_ends_with_one_full_stop() -> None:
    problem = with_budget(asks(a=60_000, b=40_000), 150_000)
    found = result([granted("a", 60_000), granted("b", 40_000)], [budget(150_000, 100_000)])

    assert reading(problem, found).does == (
        "Forslaget giver 2 tilsagn for 100.000 kr. af kørslens budget på 150.000 kr."
    )


# --- how good it is ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "gap", "method", "expected"),
    [
        (Status.OPTIMAL, 0.0, Method.OPTIMAL, "Det bedste forslag inden for reglerne – bevist."),
        # 0,004 % rounds up, never down: "at most" must hold.
        (
            Status.OPTIMAL,
            0.00004,
            Method.OPTIMAL,
            "Højst 0,01 % fra det bedste forslag inden for reglerne – bevist.",
        ),
        (
            Status.FEASIBLE,
            0.01234,
            Method.OPTIMAL,
            "Beregningen stoppede, før det bedste forslag var fundet: dette forslag "
            "overholder alle reglerne og er højst 1,24 % fra det bedste.",
        ),
        (
            Status.FEASIBLE,
            None,
            Method.OPTIMAL,
            "Beregningen stoppede, før det bedste forslag var fundet: dette forslag "
            "overholder alle reglerne, men hvor langt det er fra det bedste, vides ikke.",
        ),
        (
            Status.DONE,
            None,
            Method.GREEDY,
            "Lavet efter metodens egen regel (Rangordning efter point), uden at lede efter det "
            "bedste forslag. Det overholder alle reglerne.",
        ),
    ],
)
def test_how_good_the_proposal_is_in_words(
    status: Status, gap: float | None, method: Method, expected: str
) -> None:
    problem = asks(a=60_000)
    found = result(
        [granted("a", 60_000)],
        [budget(1_000_000, 60_000, binding=False)],
        status=status,
        gap=gap,
        method=method,
    )

    assert reading(problem, found).quality == expected


def test_a_method_that_breaks_a_rule_says_which() -> None:
    problem = asks(a=60_000)
    floor = RuleUsage(
        "region:1085:floor",
        "gulvet for Region Sjælland",
        "ge",
        "ore",
        kr(200_000),
        0,
        False,
        False,
        True,
    )
    found = result(
        [granted("a", 60_000)], [floor], status=Status.DONE, gap=None, method=Method.GREEDY
    )

    assert reading(problem, found).quality.endswith("Det bryder gulvet for Region Sjælland.")


# --- what holds it down ------------------------------------------------------------------------


def test_the_run_s_budget_spent_says_what_did_not_fit() -> None:
    """60.000 + 40.000 spend the 100.000 kr.; c (20.000) and d (30.000) are refused for the
    budget: 50.000 kr. in all."""
    problem = with_budget(asks(a=60_000, b=40_000, c=20_000, d=30_000), 100_000)
    found = result(
        [
            granted("a", 60_000),
            granted("b", 40_000),
            refused("c", rule="budget"),
            refused("d", rule="budget"),
        ],
        [budget(100_000, 100_000)],
    )

    assert reading(problem, found).bounds == [
        "Kørslens budget på 100.000 kr. er brugt: 2 ansøgninger på 50.000 kr. i alt fik ikke plads."
    ]


def test_a_band_with_money_left_says_how_much() -> None:
    """Bånd 1 has 40.000 kr.; a takes 30.000, so 10.000 are left, too little for b's 20.000."""
    problem = asks(a=30_000, b=20_000)
    band = usage("band:1", "budgettet for Bånd 1", "le", 40_000, 30_000, fairness=False)
    found = result(
        [granted("a", 30_000), refused("b", rule="band:1")],
        [budget(1_000_000, 30_000, binding=False), band],
    )

    assert reading(problem, found).bounds == [
        "Budgettet for Bånd 1 på 40.000 kr. har kun 10.000 kr. tilbage: 1 ansøgning på "
        "20.000 kr. fik ikke plads."
    ]


def test_a_cap_says_its_figure_and_what_it_keeps_out() -> None:
    problem = asks(a=150_000, b=50_000, c=30_000)
    cap = usage("region:1084:cap", "loftet for Region Hovedstaden", "le", 150_000, 150_000)
    found = result(
        [granted("a", 150_000), refused("b", rule=cap.key), refused("c", rule=cap.key)],
        [budget(1_000_000, 150_000, binding=False), cap],
    )

    assert reading(problem, found).bounds == [
        "Loftet for Region Hovedstaden på 150.000 kr. holder 2 ansøgninger ude, som søger "
        "80.000 kr. i alt."
    ]


def share_floor_case() -> tuple[Problem, Result]:
    """The walkthrough's case: Nordjylland must have half of what is granted, and its
    applicants ask for little, so 276.500 kr. of 1.000.000 are granted. b, c and d (300.000
    kr. each, 900.000 in all) are refused for the floor; 723.500 kr. are left, and so at most
    723.500 kr. more could be granted without it."""
    problem = asks(a=138_250, e=138_250, b=300_000, c=300_000, d=300_000)
    floor = usage(
        "region:1081:floor_share", "gulvet for Region Nordjylland (50,0 %)", "ge", 138_250, 138_250
    )
    found = result(
        [
            granted("a", 138_250),
            granted("e", 138_250),
            refused("b", rule=floor.key),
            refused("c", rule=floor.key),
            refused("d", ReasonCode.DISPLACED_BY_RULE, rule=floor.key),
        ],
        [budget(1_000_000, 276_500, binding=False), floor],
        price=PriceOfFairness(objective_without=10.0, lost=7.0, share=0.7),
    )
    return problem, found


def test_a_floor_that_holds_the_proposal_down_says_how_much_more_could_be_granted() -> None:
    problem, found = share_floor_case()

    assert reading(problem, found).bounds == [
        "Gulvet for Region Nordjylland (50,0 %) holder forslaget nede: uden den regel kunne op "
        "til 723.500 kr. mere gives."
    ]


def test_what_a_floor_could_add_is_no_more_than_each_band_has_left() -> None:
    """Bånd 1 has 100.000 kr. left: of b's, c's and d's 900.000 kr. only that could be
    granted."""
    problem, found = share_floor_case()
    band = usage(
        "band:1", "budgettet for Bånd 1", "le", 376_500, 276_500, binding=False, fairness=False
    )
    found = result(list(found.outcomes), [*found.rules, band], price=found.price_of_fairness)

    assert reading(problem, found).bounds == [
        "Gulvet for Region Nordjylland (50,0 %) holder forslaget nede: uden den regel kunne op "
        "til 100.000 kr. mere gives."
    ]


def test_what_a_floor_holds_back_counts_the_money_its_own_grants_would_free() -> None:
    """At least one grant for children: Lektiecafé (20.000 kr.) is granted for it, Strikkeklub
    (30.000 kr.) refused for it; Spiseklub has 60.000 kr., so 20.000 of the run's (and Bånd
    1's) 100.000 kr. are left. Without the rule Lektiecafé's 20.000 kr. would be free and
    Strikkeklub's 30.000 fit in the 40.000: 90.000 kr. granted, 10.000 more than now (not the
    20.000 left)."""
    problem = with_budget(asks(spise=60_000, lektie=20_000, strik=30_000), 100_000)
    rule = RuleUsage(
        "group:children:count",
        "mindst 1 bevilling(er) til børn og unge",
        "ge",
        "count",
        1,
        1,
        True,
        True,
        True,
    )
    band = usage(
        "band:1", "budgettet for Bånd 1", "le", 100_000, 80_000, binding=False, fairness=False
    )
    found = result(
        [
            granted("spise", 60_000),
            granted("lektie", 20_000, ReasonCode.SELECTED_FOR_RULE, rule.key),
            refused("strik", ReasonCode.DISPLACED_BY_RULE, rule.key),
        ],
        [budget(100_000, 80_000, binding=False), band, rule],
        price=PriceOfFairness(objective_without=10.0, lost=1.0, share=0.1),
    )

    assert reading(problem, found).bounds == [
        "Mindst 1 bevilling(er) til børn og unge holder forslaget nede: uden den regel kunne op "
        "til 10.000 kr. mere gives."
    ]


def test_a_floor_that_only_moves_money_says_so() -> None:
    """The budget is spent either way: F is granted for Sjælland's floor, D refused for it."""
    problem = with_budget(asks(A=300_000, F=200_000, D=100_000), 500_000)
    floor = usage("region:1085:floor", "gulvet for Region Sjælland", "ge", 200_000, 200_000)
    found = result(
        [
            granted("A", 300_000),
            granted("F", 200_000, ReasonCode.SELECTED_FOR_RULE, floor.key),
            refused("D", ReasonCode.DISPLACED_BY_RULE, floor.key),
        ],
        [budget(500_000, 500_000, binding=False), floor],
        price=PriceOfFairness(objective_without=10.0, lost=1.0, share=0.1),
    )

    assert reading(problem, found).bounds == [
        "Gulvet for Region Sjælland ændrer forslaget: 1 ansøgning får tilsagn for at opfylde "
        "reglen og 1 får afslag på grund af reglen."
    ]


def test_a_price_below_the_gap_names_no_floor_as_holding_down_and_gives_no_price() -> None:
    """The rules for fairness cost nothing the solver can tell: no sentence says a floor
    holds the proposal down, and there is no price; the warning still names what refused."""
    problem, found = share_floor_case()
    found = result(
        list(found.outcomes),
        list(found.rules),
        price=PriceOfFairness(objective_without=10.0, lost=0.0, share=0.0, below_gap=True),
    )

    read = reading(problem, found)

    assert read.bounds == []
    assert read.price is None
    assert read.warning == (
        "72 % af kørslens budget, 723.500 kr., bliver ikke givet, selv om 3 ansøgninger får "
        "afslag. Det holder forslaget tilbage: gulvet for Region Nordjylland (50,0 %)."
    )


def test_a_warning_with_nothing_to_name_says_the_refused_ask_for_more_than_is_left() -> None:
    """a takes 400.000 of 1.000.000 kr.; b asks 700.000 and is refused for the budget (600.000
    kr. left): 60 % left, and no rule but the budget to name."""
    problem = asks(a=400_000, b=700_000)
    found = result(
        [granted("a", 400_000), refused("b", rule="budget")], [budget(1_000_000, 400_000)]
    )

    assert reading(problem, found).warning == (
        "60 % af kørslens budget, 600.000 kr., bliver ikke givet, selv om 1 ansøgning får "
        "afslag. De ansøgninger, der får afslag, søger mere, end der er tilbage."
    )


# --- what fairness costs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objective", "lost", "share", "expected"),
    [
        (
            Objective.SCORE,
            600_000.0,
            600_000 / 2_120_000,
            "Uden reglerne for regioner, målgrupper og organisationer kunne forslaget være "
            "28,3 % bedre, målt som score gange beløb.",
        ),
        (
            Objective.COUNT,
            2.0,
            0.2,
            "Uden reglerne for regioner, målgrupper og organisationer kunne forslaget give 2 "
            "tilsagn mere.",
        ),
        (
            Objective.PARTICIPANTS,
            1.0,
            0.01,
            "Uden reglerne for regioner, målgrupper og organisationer kunne forslaget nå 1 "
            "deltager mere.",
        ),
    ],
)
def test_the_price_of_fairness_in_the_objective_s_own_terms(
    objective: Objective, lost: float, share: float, expected: str
) -> None:
    problem = asks(a=60_000)
    found = result(
        [granted("a", 60_000)],
        [budget(1_000_000, 60_000, binding=False)],
        objective=objective,
        price=PriceOfFairness(objective_without=lost / share, lost=lost, share=share),
    )

    assert reading(problem, found).price == expected


def test_a_price_not_proven_in_time_is_no_sentence() -> None:
    problem = asks(a=60_000)
    found = result(
        [granted("a", 60_000)],
        [budget(1_000_000, 60_000, binding=False)],
        price=PriceOfFairness(objective_without=None, lost=0.0, share=0.0, unproven=True),
    )

    assert reading(problem, found).price is None


# --- the warning -------------------------------------------------------------------------------


def test_most_of_the_budget_unspent_while_applications_are_refused_names_the_rule() -> None:
    problem, found = share_floor_case()

    assert reading(problem, found).warning == (
        "72 % af kørslens budget, 723.500 kr., bliver ikke givet, selv om 3 ansøgninger får "
        "afslag. Det holder forslaget tilbage: gulvet for Region Nordjylland (50,0 %)."
    )


def test_the_warning_names_the_minimum_score_and_the_locks() -> None:
    """a 100.000 of 1.000.000 kr.: 90 % left, b under the minimum score, c locked out."""
    problem = asks(a=100_000, b=100_000, c=100_000)
    found = result(
        [
            granted("a", 100_000),
            refused("b", ReasonCode.BELOW_MIN_SCORE),
            refused("c", ReasonCode.LOCKED_OUT),
        ],
        [budget(1_000_000, 100_000, binding=False)],
    )

    assert reading(problem, found).warning == (
        "90 % af kørslens budget, 900.000 kr., bliver ikke givet, selv om 2 ansøgninger får "
        "afslag. Det holder forslaget tilbage: minimumsscoren; de ansøgninger, der er låst ude."
    )


@pytest.mark.parametrize(
    ("granted_kr", "refusals"),
    [
        (750_000, 1),  # exactly 25 % left: no warning
        (100_000, 0),  # 90 % left, but no one refused: no one went without
    ],
)
def test_no_warning_when_a_quarter_or_less_is_left_or_no_one_is_refused(
    granted_kr: int, refusals: int
) -> None:
    problem = asks(a=granted_kr, b=100_000)
    outcomes = [granted("a", granted_kr)] + [refused("b")] * refusals
    found = result(outcomes, [budget(1_000_000, granted_kr, binding=False)])

    assert reading(problem, found).warning is None


# --- from the solver itself --------------------------------------------------------------------


def test_the_solver_s_own_result_reads_as_its_figures_say() -> None:
    """Nordjylland must have half: a (100.000 kr.) alone is granted, b (200.000 kr.) is
    refused for the floor, and 200.000 of the 300.000 kr. are left. Without the floor both
    would be granted: 4 × 100.000 + 3 × 200.000 = 1.000.000 against 400.000, 60 % better."""
    problem = Problem(
        budget_ore=kr(300_000),
        candidates=(
            Candidate(id="a", score=4.0, amount_ore=kr(100_000), region="1081"),
            Candidate(id="b", score=3.0, amount_ore=kr(200_000), region="1084"),
        ),
        regions={"1081": Limit(floor_share=0.5)},
        labels={"region:1081": "Region Nordjylland"},
        gap=0.0,
    )

    read = reading(problem, solve(problem))

    assert read.does == (
        "Forslaget giver 1 tilsagn for 100.000 kr. af kørslens budget på 300.000 kr.; "
        "1 ansøgning får afslag."
    )
    assert read.quality == "Det bedste forslag inden for reglerne – bevist."
    assert read.bounds == [
        "Gulvet for Region Nordjylland (50,0 %) holder forslaget nede: uden den regel kunne op "
        "til 200.000 kr. mere gives."
    ]
    assert read.price == (
        "Uden reglerne for regioner, målgrupper og organisationer kunne forslaget være "
        "60,0 % bedre, målt som score gange beløb."
    )
    assert read.warning == (
        "67 % af kørslens budget, 200.000 kr., bliver ikke givet, selv om 1 ansøgning får "
        "afslag. Det holder forslaget tilbage: gulvet for Region Nordjylland (50,0 %)."
    )
