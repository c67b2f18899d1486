"""The allocation pages: who may use them, the form with its defaults and errors, the run
page (status, proposal, locks, charts, comparison, runs), running again, confirming; and
the queries the pages run."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from pulje.allocation.models import AllocationRun
from pulje.allocation.plans import Refusal
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import run_allocation, solve_queued_run
from pulje.applications.models import ApplicationStatus
from pulje.core.money import kr
from pulje.decisions.models import Decision
from tests.factories import UserFactory
from tests.factories.allocation import FORM, Scarce, scored, submitted
from tests.factories.decisions import close_call

pytestmark = pytest.mark.django_db


def _runs(scarce: Scarce) -> str:
    return reverse("allocation:runs", kwargs={"code": scarce.call.code})


def _new(scarce: Scarce) -> str:
    return reverse("allocation:new", kwargs={"code": scarce.call.code})


def _url(name: str, run: AllocationRun) -> str:
    return reverse(f"allocation:{name}", kwargs={"code": run.call.code, "pk": run.pk})


def _run(scarce: Scarce, **options: Any) -> AllocationRun:
    return run_allocation(
        actor=scarce.caseworker, call=scarce.call, options=AllocationOptions(**options)
    )


# Who may use the pages


def test_anonymous_users_are_sent_to_log_in(client: Client, scarce: Scarce) -> None:
    run = _run(scarce)
    for url in (_runs(scarce), _new(scarce), _url("run", run), _url("confirm", run)):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('accounts:login')}?next={url}",
        )


def test_applicants_assessors_and_strangers_get_404(client: Client, scarce: Scarce) -> None:
    run = _run(scarce)
    other_caseworker = UserFactory(name="Anden organisations sagsbehandler")
    for user in (scarce.dining.created_by, scarce.round.assessor, other_caseworker):
        client.force_login(user)
        pages = [_runs(scarce), _new(scarce), _url("run", run), _url("confirm", run)]
        assert [client.get(url).status_code for url in pages] == [404, 404, 404, 404]
        posts = [_new(scarce), _url("rerun", run), _url("confirm", run)]
        assert [client.post(url, FORM).status_code for url in posts] == [404, 404, 404]
    assert (AllocationRun.objects.count(), Decision.objects.count()) == (1, 0)


def test_the_funder_reads_the_runs_but_cannot_act(client: Client, scarce: Scarce) -> None:
    run = _run(scarce)
    client.force_login(scarce.round.funded.funder)

    listing = client.get(_runs(scarce))
    page = client.get(_url("run", run))

    assert (listing.status_code, page.status_code) == (200, 200)
    assert listing.context["works"] is False
    assert page.context["works"] is False
    content = page.content.decode()
    assert 'name="locked_in"' not in content
    assert 'data-action="confirm"' not in content
    assert [
        client.get(_new(scarce)).status_code,
        client.get(_url("confirm", run)).status_code,
        client.post(_new(scarce), FORM).status_code,
        client.post(_url("rerun", run), {}).status_code,
        client.post(_url("confirm", run), {}).status_code,
    ] == [403, 403, 403, 403, 403]
    assert (AllocationRun.objects.count(), Decision.objects.count()) == (1, 0)


# The form


def test_the_form_is_filled_in_with_the_defaults(client: Client, scarce: Scarce) -> None:
    client.force_login(scarce.caseworker)

    response = client.get(_new(scarce))

    assert response.status_code == 200
    form = response.context["form"]
    assert {name: form[name].value() for name in FORM} == {
        "method": "optimal",
        "objective": "score",
        "budget": None,
        "min_score": None,
        "reduce_to_percent": None,
        "reduction_unit": "500 kr.",
        "region_floor_percent": None,
        "region_cap_percent": None,
        "group_children": 1,
        "group_adults": 1,
        "group_elderly": 1,
        "max_grants_per_organisation": None,
        "apportionment": "sainte_lague",
        "lottery_seed": "",
        "lottery_threshold": None,
    }
    facts = response.context["facts"]
    assert (len(facts.candidates), facts.money.available_ore) == (4, kr(1_000_000))
    assert "Tom: alt, hvad puljen har til rådighed, 1.000.000 kr." in response.content.decode()


def test_the_form_starts_from_the_newest_run_s_options_without_its_locks(
    client: Client, scarce: Scarce
) -> None:
    _run(
        scarce,
        reduce_to_percent=80,
        group_min_counts={"children": 0, "adults": 2, "elderly": 1},
        locked_out=frozenset({scarce.walking.reference}),
    )
    client.force_login(scarce.caseworker)

    form = client.get(_new(scarce)).context["form"]

    assert (
        form["reduce_to_percent"].value(),
        form["group_children"].value(),
        form["group_adults"].value(),
    ) == (80, 0, 2)


def test_posting_the_form_makes_a_run_and_shows_it(client: Client, scarce: Scarce) -> None:
    client.force_login(scarce.caseworker)

    response = client.post(_new(scarce), {**FORM, "budget": "500.000 kr.", "min_score": "2,5"})

    run = AllocationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("run", run)
    assert (run.problem["budget_ore"], run.problem["min_score"], run.created_by) == (
        kr(500_000),
        2.5,
        scarce.caseworker,
    )


def test_the_reduction_unit_goes_into_the_problem_and_shows_on_the_run_page(
    client: Client, scarce: Scarce
) -> None:
    client.force_login(scarce.caseworker)

    response = client.post(
        _new(scarce), {**FORM, "reduce_to_percent": "80", "reduction_unit": "1.000 kr."}
    )

    run = AllocationRun.objects.get()
    assert response.status_code == 302
    assert (run.reduction_unit_ore, run.problem["reduction_unit_ore"]) == (kr(1_000),) * 2
    assert run.options["reduction_unit_ore"] == kr(1_000)
    page = client.get(_url("run", run)).content.decode()
    assert '<dd data-figure="reduction-unit">1.000 kr.</dd>' in page


def test_bad_input_is_listed_in_the_error_summary(
    client: Client, scarce: Scarce, english: object
) -> None:
    client.force_login(scarce.caseworker)

    response = client.post(
        _new(scarce),
        {
            **FORM,
            "method": "lottery",
            "budget": "12.5",
            "reduce_to_percent": "0",
            "group_children": "",
        },
    )

    assert response.status_code == 400
    # The page was in English; Django's own messages are translated as they are read.
    with translation.override("en"):
        errors = {
            name: list(messages) for name, messages in response.context["form"].errors.items()
        }
    assert errors == {
        "budget": [
            "“12.5” is not an amount. Write it in Danish notation, with a full stop between "
            "thousands and a comma before øre, for example 12.500,50 kr."
        ],
        "reduce_to_percent": ["The number must be at least 1."],
        "group_children": ["Write a number; 0 for no minimum."],
        "lottery_seed": ["A lottery needs a seed that is published with the draw."],
    }
    content = response.content.decode()
    assert 'data-module="error-summary"' in content
    assert 'href="#id_budget"' in content
    assert AllocationRun.objects.count() == 0


def test_a_budget_above_what_is_available_is_refused_on_its_field(
    client: Client, scarce: Scarce, english: object
) -> None:
    client.force_login(scarce.caseworker)

    response = client.post(_new(scarce), {**FORM, "budget": "1.000.001"})

    assert response.status_code == 400
    # The page was in English; Django's own messages are translated as they are read.
    with translation.override("en"):
        errors = {
            name: list(messages) for name, messages in response.context["form"].errors.items()
        }
    assert errors == {
        "budget": ["The budget can be at most the 1.000.000 kr. the pool has available"]
    }
    assert AllocationRun.objects.count() == 0


# The run page


def test_the_run_page_shows_the_proposal_charts_and_comparison(
    client: Client, scarce: Scarce
) -> None:
    run = _run(scarce)
    client.force_login(scarce.caseworker)

    response = client.get(_url("run", run))

    assert response.status_code == 200
    report = response.context["report"]
    assert [
        (row.rank, row.reference, row.proposed_ore, row.baseline_ore) for row in report.rows
    ] == [
        (1, scarce.dining.reference, kr(60_000), kr(60_000)),
        (2, scarce.walking.reference, None, None),
        (3, scarce.knitting.reference, None, kr(30_000)),
        (4, scarce.homework.reference, kr(20_000), None),
    ]
    region, band, group = report.charts
    assert [(bar.label, bar.count, bar.amount_ore, bar.floor, bar.cap) for bar in region.bars] == [
        ("Region Nordjylland", 0, 0, None, None),
        ("Region Midtjylland", 0, 0, None, None),
        ("Region Syddanmark", 1, kr(20_000), None, None),
        ("Region Hovedstaden", 1, kr(60_000), None, None),
        ("Region Sjælland", 0, 0, None, None),
    ]
    assert [
        (bar.label, bar.amount_ore, bar.cap, bar.value_pct, bar.cap_pct) for bar in band.bars
    ] == [
        ("Bånd 1", kr(20_000), kr(40_000), "5.0", "10.0"),
        ("Bånd 2", kr(60_000), kr(100_000), "15.0", "25.0"),
        ("Bånd 3", 0, kr(400_000), "0.0", "100.0"),
    ]
    assert [(bar.label, bar.count, bar.floor, bar.met) for bar in group.bars] == [
        ("Voksne", 1, 1, True),
        ("Børn og unge", 1, 1, True),
        ("Ældre", 1, 1, True),
    ]
    comparison = report.comparison
    assert (comparison.proposal.met_all_rules, comparison.baseline.met_all_rules) == (True, False)
    assert comparison.baseline.broken == ["mindst 1 bevilling(er) til Børn og unge"]
    assert [(d.reference, d.proposed_ore, d.baseline_ore) for d in comparison.differences] == [
        (scarce.homework.reference, kr(20_000), None),
        (scarce.knitting.reference, None, kr(30_000)),
    ]
    content = response.content.decode()
    assert 'data-action="confirm"' in content
    assert content.count('name="locked_in"') == 4
    assert content.count('<svg class="chart"') == 11
    assert 'tabindex="0" role="region" aria-labelledby="proposal-caption"' in content


def _price_of_fairness(content: str) -> str:
    found = re.search(r'<dd data-total="price-of-fairness">(.*?)</dd>', content, re.S)
    assert found is not None
    return found.group(1)


def test_a_price_of_fairness_below_the_gap_is_a_sentence_never_a_figure(
    client: Client, scarce: Scarce, english: object
) -> None:
    """Spiseklub, the best score, is for adults and granted anyway: the one rule (a grant
    for adults) costs nothing the solver can tell from its gap, and the page says so in
    words, with no amount and no percentage."""
    run = _run(scarce, group_min_counts={"adults": 1})
    assert run.result is not None
    assert run.result["price_of_fairness"]["below_gap"] is True
    client.force_login(scarce.caseworker)

    price = _price_of_fairness(client.get(_url("run", run)).content.decode())

    assert price == (
        "Below the solver's gap: the rules for fairness cost nothing that can be measured."
    )
    assert not re.search(r"\d", price)


def test_a_price_of_fairness_not_proven_in_time_is_a_sentence_never_a_figure(
    client: Client, scarce: Scarce, english: object
) -> None:
    run = _run(scarce)
    assert run.result is not None
    stopped = {
        **run.result,
        "stopped": True,
        "price_of_fairness": {
            "objective_without": None,
            "lost": 0.0,
            "share": 0.0,
            "below_gap": False,
            "unproven": True,
        },
    }
    AllocationRun.objects.filter(pk=run.pk).update(result=stopped)
    client.force_login(scarce.caseworker)

    content = client.get(_url("run", run)).content.decode()

    price = _price_of_fairness(content)
    assert price == (
        "Not measured: the solve without the rules for fairness was not proven within the "
        "time limit."
    )
    assert not re.search(r"\d", price)
    # The selection itself was proven: only the price of fairness ran out of time.
    assert "data-stopped" not in content


def _reading(content: str, part: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found)).strip()
        for found in re.findall(rf'data-reading="{part}"[^>]*>(.*?)</(?:p|ul|div)>', content, re.S)
    ]


def test_the_run_page_says_in_sentences_what_the_run_gives_and_what_holds_it_down(
    client: Client, scarce: Scarce
) -> None:
    """Without a rule per target group: Spiseklub (60.000) and Strikkeklub (30.000) of the
    1.000.000 kr.; Gåklub does not fit in Bånd 2's 40.000 kr. left, Lektiecafé not in Bånd
    1's 10.000. The words "Målværdi" and "bevist grænse" are gone; the figures are under
    Detaljer."""
    run = _run(scarce, group_min_counts={})
    client.force_login(scarce.caseworker)

    with translation.override("da"):
        content = client.get(_url("run", run)).content.decode()

    assert _reading(content, "does") == [
        "Forslaget giver 2 tilsagn for 90.000 kr. af kørslens budget på 1.000.000 kr.; "
        "2 ansøgninger får afslag."
    ]
    assert _reading(content, "quality") == ["Det bedste forslag inden for reglerne – bevist."]
    assert re.findall(
        r"<li>(.*?)</li>", content.split('data-reading="bounds"')[1].split("</ul>")[0]
    ) == [
        "Budgettet for Bånd 1 på 40.000 kr. har kun 10.000 kr. tilbage: 1 ansøgning på "
        "20.000 kr. fik ikke plads.",
        "Budgettet for Bånd 2 på 100.000 kr. har kun 40.000 kr. tilbage: 1 ansøgning på "
        "60.000 kr. fik ikke plads.",
    ]
    assert "91 % af kørslens budget, 910.000 kr., bliver ikke givet" in content
    assert 'data-details="figures"' in content
    assert 'data-figure="objective"' in content
    assert "Målværdi" not in content
    assert "bevist grænse" not in content


def test_a_lock_in_granted_less_than_it_asked_is_shown_as_reduced(
    client: Client, scarce: Scarce
) -> None:
    """Grants may be cut to half: Bånd 1's 40.000 kr. go to Strikkeklub (30.000) and
    Lektiecafé cut from 20.000 to 10.000, locked in or not."""
    run = _run(
        scarce,
        group_min_counts={},
        reduce_to_percent=50,
        locked_in=frozenset({scarce.homework.reference}),
    )
    client.force_login(scarce.caseworker)

    with translation.override("da"):
        content = client.get(_url("run", run)).content.decode()

    row = content.split(f'data-reference="{scarce.homework.reference}"')[1].split("</tr>")[0]
    assert '<strong data-state="locked-in-reduced">Låst ind – nedsat fra 20.000 kr. til ' in row
    assert "til 10.000 kr.</strong>" in row
    assert "Låst ind af sagsbehandleren – nedsat fra 20.000 kr. til 10.000 kr." in row


def test_an_infeasible_run_shows_its_conflicts_and_no_confirmation(
    client: Client, scarce: Scarce
) -> None:
    run = _run(scarce, group_min_counts={"children": 2})
    client.force_login(scarce.caseworker)

    response = client.get(_url("run", run))

    content = response.content.decode()
    assert "Kun 1 ansøgning(er) kan vælges til Børn og unge, men reglen kræver mindst 2." in content
    assert 'data-action="confirm"' not in content
    assert response.context["report"].charts == []


def test_a_stale_run_says_which_applications_changed(client: Client, scarce: Scarce) -> None:
    run = _run(scarce)
    newcomer = scored(scarce.round, value=2, title="Ny", amount_kr=20_000)
    client.force_login(scarce.caseworker)

    response = client.get(_url("run", run))

    assert response.context["refusal"] == Refusal(
        "changed",
        f"Ansøgningerne er ændret, siden kørslen blev lavet ({newcomer.reference}). Lav en ny "
        "kørsel, og bekræft den.",
    )
    content = response.content.decode()
    assert 'data-run-state="changed"' in content
    assert response.context["refusal"].message in content
    assert 'data-action="confirm"' not in content


def test_an_older_run_says_it_is_superseded(client: Client, scarce: Scarce) -> None:
    older = _run(scarce)
    _run(scarce)
    client.force_login(scarce.caseworker)

    response = client.get(_url("run", older))

    assert response.context["refusal"].state == "superseded"
    assert 'data-run-state="superseded"' in response.content.decode()
    assert 'data-action="confirm"' not in response.content.decode()


@pytest.mark.parametrize("why", ["infeasible", "superseded", "changed"])
def test_the_confirmation_step_of_a_run_that_cannot_be_confirmed_offers_nothing(
    client: Client, scarce: Scarce, english: object, why: str
) -> None:
    impossible = {"group_min_counts": {"children": 2}}
    run = _run(scarce, **(impossible if why == "infeasible" else {}))
    if why == "superseded":
        _run(scarce)
    if why == "changed":
        scored(scarce.round, value=2, title="Ny", amount_kr=20_000)
    client.force_login(scarce.caseworker)

    response = client.get(_url("confirm", run))

    refusal = response.context["refusal"]
    assert refusal.state == {"infeasible": "no_proposal"}.get(why, why)
    assert response.context["plan"] is None
    content = response.content.decode()
    assert f'<p data-refusal="{refusal.state}">{refusal.message}</p>' in content
    assert f'action="{_url("confirm", run)}"' not in content


# Running again


def test_run_again_with_the_ticked_locks(client: Client, scarce: Scarce) -> None:
    run = _run(scarce, group_min_counts={})
    client.force_login(scarce.caseworker)

    response = client.post(_url("rerun", run), {"locked_out": [scarce.dining.reference]})

    again = AllocationRun.objects.get(parent=run)
    assert response["Location"] == _url("run", again)
    assert (again.problem["locked_in"], again.problem["locked_out"]) == (
        [],
        [scarce.dining.reference],
    )
    assert again.status == "queued"
    solve_queued_run(run_id=again.pk)
    page = client.get(_url("run", again))
    assert page.context["ticked_out"] == {scarce.dining.reference}
    assert re.search(
        rf'value="{scarce.dining.reference}" id="id_locked_out_\d+" checked', page.content.decode()
    )


def test_run_again_refuses_unknown_and_doubled_locks(
    client: Client, scarce: Scarce, english: object
) -> None:
    run = _run(scarce)
    client.force_login(scarce.caseworker)
    reference = scarce.dining.reference

    unknown = client.post(_url("rerun", run), {"locked_out": ["X-1"]})
    doubled = client.post(_url("rerun", run), {"locked_in": [reference], "locked_out": [reference]})

    assert (unknown.status_code, doubled.status_code) == (400, 400)
    assert unknown.context["locks_form"].errors == {
        "locked_out": ["X-1 is not one of this run's applications."]
    }
    assert doubled.context["locks_form"].errors == {
        "locked_out": [f"These are both locked in and locked out: {reference}."]
    }
    content = doubled.content.decode()
    assert 'data-module="error-summary"' in content
    # The page keeps what was ticked.
    assert doubled.context["ticked_in"] == doubled.context["ticked_out"] == {reference}
    assert AllocationRun.objects.count() == 1


# Confirming


def test_the_confirmation_step_says_what_will_be_decided(client: Client, scarce: Scarce) -> None:
    run = _run(scarce)
    client.force_login(scarce.caseworker)

    response = client.get(_url("confirm", run))

    # The call is still open, and its applicants may change what they sent: blocked.
    preview = response.context["preview"]
    assert preview.blocked
    assert preview.warnings[0].code == "call_open"
    assert f'action="{_url("confirm", run)}"' not in response.content.decode()
    assert scarce.dining.reference in preview.letter or scarce.walking.reference in preview.letter

    plan = response.context["plan"]
    assert (plan.grants, plan.rejections, plan.total_ore, plan.reduced) == (2, 2, kr(80_000), [])
    content = response.content.decode()
    assert "2 tilsagn, 80.000 kr. i alt" in content
    assert "2 afslag" in content
    assert Decision.objects.count() == 0


def test_confirming_makes_the_decisions(client: Client, scarce: Scarce) -> None:
    run = _run(scarce)
    close_call(scarce.call)
    client.force_login(scarce.caseworker)
    page = client.get(_url("confirm", run))
    preview = page.context["preview"]
    assert [(item.reference, item.outcome) for item in preview.items] == sorted(
        [
            (scarce.dining.reference, "grant"),
            (scarce.homework.reference, "grant"),
            (scarce.walking.reference, "reject"),
            (scarce.knitting.reference, "reject"),
        ]
    )
    assert not preview.blocked
    data = {"reduction_reason": "", "token": preview.token}

    unticked = client.post(_url("confirm", run), data)
    assert unticked.context["form"].non_field_errors() == [
        "Sæt kryds ved, at du har set advarslerne, før du bekræfter."
    ]
    stale = client.post(_url("confirm", run), {**data, "token": "0" * 64, "seen": "on"})
    assert stale.status_code == 400
    assert Decision.objects.count() == 0
    response = client.post(_url("confirm", run), {**data, "seen": "on"})

    assert response["Location"] == _url("run", run)
    assert sorted(Decision.objects.values_list("application__reference", "outcome")) == sorted(
        [
            (scarce.dining.reference, "grant"),
            (scarce.homework.reference, "grant"),
            (scarce.walking.reference, "reject"),
            (scarce.knitting.reference, "reject"),
        ]
    )
    page = client.get(_url("run", run))
    assert 'data-run-state="confirmed"' in page.content.decode()
    assert client.get(_url("confirm", run))["Location"] == _url("run", run)


def test_a_refused_confirmation_is_shown_in_the_error_summary(
    client: Client, scarce: Scarce, english: object
) -> None:
    run = _run(scarce)
    scarce.walking.status = ApplicationStatus.RECOMMENDED
    scarce.walking.save(update_fields=["status"])
    client.force_login(scarce.caseworker)

    response = client.post(_url("confirm", run), {"reduction_reason": ""})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The applications have changed since this run was made "
        f"({scarce.walking.reference}). Make a new run and confirm that."
    ]
    assert Decision.objects.count() == 0


# Queries


def _queries(client: Client, url: str) -> int:
    """How many queries a GET of ``url`` runs, after a first GET that extends the session."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_run_page_runs_a_constant_number_of_queries(
    client: Client, scarce: Scarce, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client.force_login(scarce.caseworker)
    few = _queries(client, _url("run", _run(scarce)))
    for n in range(4):
        scored(scarce.round, value=3, title=f"Mere {n}", amount_kr=20_000, municipality="259")
    many = _run(scarce)

    with django_assert_num_queries(few):
        response = client.get(_url("run", many))

    assert len(response.context["report"].rows) == 8


def test_the_new_run_page_runs_a_constant_number_of_queries(
    client: Client, scarce: Scarce, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """It lists the candidates and the applications left out and why: more of each cost no
    more queries."""
    client.force_login(scarce.caseworker)
    _run(scarce)
    few = _queries(client, _new(scarce))
    for n in range(3):
        scored(scarce.round, value=3, title=f"Mere {n}", amount_kr=20_000, municipality="259")
        submitted(scarce.round, title=f"Uscoret {n}", amount_kr=20_000)

    with django_assert_num_queries(few):
        response = client.get(_new(scarce))

    facts = response.context["facts"]
    assert (len(facts.candidates), len(facts.excluded)) == (7, 3)


def test_the_runs_list_runs_a_constant_number_of_queries(
    client: Client, scarce: Scarce, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client.force_login(scarce.caseworker)
    _run(scarce)
    one = _queries(client, _runs(scarce))
    for _n in range(3):
        _run(scarce)

    with django_assert_num_queries(one):
        response = client.get(_runs(scarce))

    assert len(response.context["runs"]) == 4
