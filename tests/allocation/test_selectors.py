"""What an allocation is made from: the candidates, those left out and why, the money, the
homes by region, and the runs; each in a fixed number of queries."""

import pytest
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from pulje.allocation.problems import AllocationOptions
from pulje.allocation.selectors import (
    BandMoney,
    CandidateFacts,
    Excluded,
    allocation_facts,
    call_money,
    homes_by_region,
    runs_of,
)
from pulje.allocation.services import run_allocation
from pulje.applications.services import withdraw_application
from pulje.casework.models import Screening
from pulje.casework.services import override_screening
from pulje.core.money import kr
from pulje.decisions.services import decide_applications
from tests.factories.allocation import Scarce, scored, submitted

pytestmark = pytest.mark.django_db


def test_the_candidates_are_the_assessed_undecided_applications_with_their_facts(
    scarce: Scarce,
) -> None:
    facts = allocation_facts(scarce.call)

    dining = scarce.dining
    assert facts.candidates[0] == CandidateFacts(
        reference=dining.reference,
        status="in_assessment",
        organisation_cvr=dining.organisation.cvr,
        organisation_name="Boligselskabet Spiseklub",
        score=5.0,
        amount_ore=kr(60_000),
        band=scarce.bands[1].code,
        band_min_ore=kr(50_000),
        region="1084",
        municipality="101",
        target_groups=("adults", "elderly"),
        participants=40,
        submitted_at=dining.submitted_at,
    )
    assert [(c.reference, c.score, c.band, c.region, c.municipality) for c in facts.candidates] == [
        (scarce.dining.reference, 5.0, scarce.bands[1].code, "1084", "101"),
        (scarce.walking.reference, 4.0, scarce.bands[1].code, "1082", "751"),
        (scarce.homework.reference, 3.0, scarce.bands[0].code, "1083", "461"),
        (scarce.knitting.reference, 4.0, scarce.bands[0].code, "1084", "101"),
    ]
    assert facts.excluded == []


def test_withdrawn_decided_unscored_and_failed_applications_are_left_out(
    scarce: Scarce, english: object
) -> None:
    round_ = scarce.round
    withdrawn = scored(round_, value=5, title="Trukket", amount_kr=20_000)
    withdraw_application(actor=withdrawn.created_by, application=withdrawn)
    decided = scored(round_, value=5, title="Afgjort", amount_kr=20_000)
    decide_applications(
        actor=round_.caseworker, applications=[decided], outcome="reject", reason_code="budget"
    )
    unscored = submitted(round_, title="Uden score", amount_kr=20_000)
    failed = scored(round_, value=5, title="Dumpet", amount_kr=20_000)
    override_screening(
        actor=round_.caseworker,
        screening=Screening.objects.filter(application=failed).latest("pk"),
        outcome="fail",
        reason="Forkert ansøger.",
    )

    facts = allocation_facts(scarce.call)

    assert [c.reference for c in facts.candidates] == [
        scarce.dining.reference,
        scarce.walking.reference,
        scarce.homework.reference,
        scarce.knitting.reference,
    ]
    assert facts.excluded == [
        Excluded(unscored.reference, "Uden score", "Not scored by an assessor yet"),
        Excluded(failed.reference, "Dumpet", "Failed screening"),
    ]


def test_an_amount_outside_every_band_is_left_out(scarce: Scarce, english: object) -> None:
    # The application form keeps amounts inside the bands; one set outside them afterwards
    # (as a changed band would leave it) cannot be granted from any band.
    big = scored(scarce.round, value=5, title="For stor", amount_kr=400_000)
    big.amount_ore = kr(450_000)
    big.save(update_fields=["amount_ore"])

    facts = allocation_facts(scarce.call)

    assert facts.excluded == [
        Excluded(big.reference, "For stor", "No grant band of the call holds the amount")
    ]


def test_the_municipality_is_the_first_department_s_else_the_organisation_s(
    scarce: Scarce,
) -> None:
    application = scarce.walking
    application.departments.clear()
    organisation = application.organisation
    organisation.municipality_id = "851"
    organisation.save(update_fields=["municipality"])

    facts = {c.reference: c for c in allocation_facts(scarce.call).candidates}

    assert (facts[application.reference].municipality, facts[application.reference].region) == (
        "851",
        "1081",
    )


def test_the_money_is_the_pool_s_and_each_band_s_available(scarce: Scarce) -> None:
    money = call_money(scarce.call)

    assert money.available_ore == kr(1_000_000)
    assert money.pool_name == "BL-puljen"
    assert money.bands == [
        BandMoney(
            scarce.bands[0], scarce.bands[0].code, "Bånd 1", kr(10_000), kr(49_999), kr(40_000)
        ),
        BandMoney(
            scarce.bands[1], scarce.bands[1].code, "Bånd 2", kr(50_000), kr(149_999), kr(100_000)
        ),
        BandMoney(
            scarce.bands[2], scarce.bands[2].code, "Bånd 3", kr(150_000), kr(400_000), kr(400_000)
        ),
    ]


def test_homes_by_region_counts_every_department_and_lists_every_region(
    scarce: Scarce,
) -> None:
    assert homes_by_region() == {"1081": 0, "1082": 120, "1083": 120, "1084": 360, "1085": 0}


def test_the_facts_take_nine_queries_however_many_applications(
    scarce: Scarce, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(9):
        allocation_facts(scarce.call)
    for n in range(3):
        scored(scarce.round, value=3, title=f"Flere {n}", amount_kr=20_000, municipality="259")
    with django_assert_num_queries(9):
        facts = allocation_facts(scarce.call)
    assert len(facts.candidates) == 7


def test_runs_of_lists_the_newest_first_in_one_query(
    scarce: Scarce, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    first = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    second = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())

    with django_assert_num_queries(1):
        runs = runs_of(scarce.call)
        assert [(run.pk, run.created_by.name) for run in runs] == [
            (second.pk, "Sagsbehandler"),
            (first.pk, "Sagsbehandler"),
        ]


def test_group_names_are_danish_whatever_the_language(scarce: Scarce) -> None:
    with translation.override("en"):
        facts = allocation_facts(scarce.call)

    assert facts.group_names == {"children": "Børn og unge", "adults": "Voksne", "elderly": "Ældre"}
