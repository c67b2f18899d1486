"""Money stranded in bands (issue 15.7): the moves a run proposes between its bands, and the
run page's sentence and link to the pool's "Flyt penge" form."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import run_allocation
from pulje.allocation.shortfalls import BandMove, band_moves
from pulje.allocation.solver import (
    Candidate,
    Method,
    Problem,
    problem_from_json,
    result_from_json,
    solve,
)
from pulje.core.money import kr
from tests.factories.allocation import Scarce

pytestmark = pytest.mark.django_db


def _candidate(id_: str, band: str, amount_kr: int, score: float) -> Candidate:
    return Candidate(id=id_, score=score, amount_ore=kr(amount_kr), band=band)


def test_a_short_band_gets_what_it_lacks_from_the_bands_with_money_left() -> None:
    problem = Problem(
        budget_ore=kr(1_000),
        candidates=(
            _candidate("a1", "a", 60, 5.0),
            _candidate("a2", "a", 60, 4.0),
            _candidate("a3", "a", 50, 3.0),
            _candidate("b1", "b", 30, 5.0),
            _candidate("c1", "c", 10, 5.0),
        ),
        method=Method.GREEDY,
        band_budgets={"a": kr(100), "b": kr(200), "c": kr(50)},
        labels={"band:a": "Bånd A", "band:b": "Bånd B", "band:c": "Bånd C"},
    )
    result = solve(problem)

    # Band A grants a1 (60) and leaves 40: a2 (60) and a3 (50) ask 110, 70 more than it has.
    # Band B has 170 left, band C 40: B, with the most, gives all 70.
    assert band_moves(problem, result) == [
        BandMove(
            band="a",
            band_name="Bånd A",
            source="b",
            source_name="Bånd B",
            amount_ore=kr(70),
            refused=2,
            wanted_ore=kr(110),
        )
    ]


def test_no_move_when_no_band_refuses_for_its_money_or_none_has_money_left() -> None:
    enough = Problem(
        budget_ore=kr(1_000),
        candidates=(_candidate("a1", "a", 60, 5.0), _candidate("b1", "b", 30, 5.0)),
        method=Method.GREEDY,
        band_budgets={"a": kr(100), "b": kr(100)},
    )
    both_short = Problem(
        budget_ore=kr(1_000),
        candidates=(_candidate("a1", "a", 60, 5.0), _candidate("b1", "b", 30, 5.0)),
        method=Method.GREEDY,
        band_budgets={"a": kr(50), "b": kr(20)},
    )

    assert band_moves(enough, solve(enough)) == []
    assert band_moves(both_short, solve(both_short)) == []


def test_the_run_page_proposes_the_move_with_a_link_to_the_filled_in_form(
    client: Client, scarce: Scarce, english: Client
) -> None:
    run = run_allocation(
        actor=scarce.caseworker,
        call=scarce.call,
        options=AllocationOptions(method=Method.GREEDY, group_min_counts={}),
    )
    assert run.result is not None
    moves = band_moves(problem_from_json(run.problem), result_from_json(run.result))
    client.force_login(scarce.caseworker)

    page = client.get(reverse("allocation:run", kwargs={"code": scarce.call.code, "pk": run.pk}))

    # Greedy: band 1 (40.000) grants knitting (30.000, score 4), refuses homework (20.000):
    # 10.000 short; band 2 (100.000) grants dining, refuses walking (60.000): 20.000 short;
    # band 3 (400.000) has no applications and gives both.
    band1, band2, band3 = scarce.bands
    assert sorted((m.band, m.source, m.amount_ore, m.refused) for m in moves) == sorted(
        [
            (band1.code, band3.code, kr(10_000), 1),
            (band2.code, band3.code, kr(20_000), 1),
        ]
    )
    transfer = reverse("funds:pool_transfer", kwargs={"pk": band3.pk})
    targets = {band1.code: band1, band2.code: band2}
    assert [hint.url for hint in page.context["band_moves"]] == [
        f"{transfer}?to={targets[move.band].pk}&amount_ore={move.amount_ore}" for move in moves
    ]
    html = page.content.decode()
    with translation.override("en"):
        sentences = [move.sentence for move in moves]
    assert [sentence in html for sentence in sentences] == [True, True]
    assert (
        "Bånd 1 refused 1 application for 20.000 kr. for want of money, while Bånd 3 has money "
        "the proposal does not use. Move 10.000 kr. from Bånd 3 to Bånd 1 and run again."
    ) in sentences


def test_the_transfer_form_is_filled_in_from_the_link(client: Client, scarce: Scarce) -> None:
    band1, _band2, band3 = scarce.bands
    client.force_login(scarce.caseworker)
    url = reverse("funds:pool_transfer", kwargs={"pk": band3.pk})

    form = client.get(url, {"to": band1.pk, "amount_ore": kr(10_000)}).context["form"]
    odd = client.get(url, {"to": "²", "amount_ore": "ti"}).context["form"]

    assert (form["to"].value(), form["amount_ore"].value()) == (band1.pk, "10.000 kr.")
    assert (odd["to"].value(), odd["amount_ore"].value()) == (None, None)
