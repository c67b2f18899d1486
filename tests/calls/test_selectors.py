import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.selectors import call_figures
from pulje.calls.countdown import countdown_texts, time_left
from pulje.calls.models import Call
from pulje.calls.selectors import (
    call_letter_facts,
    open_calls,
    recently_closed_calls,
    upcoming_calls,
    with_bands,
)
from pulje.calls.services import update_call
from pulje.core.money import kr
from pulje.funds.services import update_pool
from pulje.ledger.services import commit
from pulje.registry.services.organisations import update_organisation
from tests.factories import CallFactory, GrantAccountFactory, OrganisationFactory
from tests.factories.calls import DEADLINE, OPENS
from tests.factories.funds import Tree

pytestmark = [
    pytest.mark.django_db,
]


def _calls(tree: Tree) -> dict[str, Call]:
    """Calls around 1 February 2021: two open, one upcoming, one closed in January, one
    closed a year before."""
    day = dt.timedelta(days=1)
    specs = {
        "open-late": (OPENS, DEADLINE + 10 * day),
        "open-soon": (OPENS, DEADLINE),
        "upcoming": (DEADLINE, DEADLINE + 30 * day),
        "closed": (OPENS - 30 * day, OPENS + day),
        "long-closed": (OPENS - 400 * day, OPENS - 360 * day),
    }
    return {
        code: CallFactory(pool=tree.bl_pool, code=code, opens_at=opens, closes_at=closes)
        for code, (opens, closes) in specs.items()
    }


def _codes(calls: object) -> list[str]:
    return [call.code for call in calls]  # type: ignore[attr-defined]


def test_open_upcoming_and_recently_closed_at_a_moment(tree: Tree) -> None:
    _calls(tree)
    moment = dt.datetime(2021, 2, 1, 12, 0, tzinfo=dt.UTC)

    assert _codes(open_calls(moment)) == ["open-soon", "open-late"]
    assert _codes(upcoming_calls(moment)) == ["upcoming"]
    assert _codes(recently_closed_calls(moment)) == ["closed"]


def test_a_call_is_open_from_its_opening_until_just_before_its_deadline(tree: Tree) -> None:
    CallFactory(pool=tree.band1, code="c", opens_at=OPENS, closes_at=DEADLINE)
    second = dt.timedelta(seconds=1)

    assert _codes(upcoming_calls(OPENS - second)) == ["c"]
    assert _codes(open_calls(OPENS)) == ["c"]
    assert _codes(open_calls(DEADLINE - second)) == ["c"]
    assert _codes(open_calls(DEADLINE)) == []
    assert _codes(recently_closed_calls(DEADLINE)) == ["c"]


def test_with_bands_reads_the_bands_of_many_calls_in_one_query(tree: Tree) -> None:
    on_parent = CallFactory(pool=tree.bl_pool)
    on_band = CallFactory(pool=tree.band3)
    calls = list(Call.objects.select_related("pool").order_by("pk"))

    with CaptureQueriesContext(connection) as queries:
        listed = with_bands(calls)

    assert len(queries) == 1
    assert [(item.call, item.bands) for item in listed] == [
        (on_parent, [tree.band1, tree.band2, tree.band3]),
        (on_band, [tree.band3]),
    ]


def test_call_figures_count_only_submitted_applications(tree: Tree, bl_user: User) -> None:
    call = CallFactory(pool=tree.bl_pool)
    # 1.000 kr. committed to a grant from band 1 is no longer available.
    commit(actor=None, grant=GrantAccountFactory(pool=tree.band1), amount_ore=kr(1_000))
    for number, (status, amount) in enumerate(
        [
            (ApplicationStatus.SUBMITTED, kr(45_000)),
            (ApplicationStatus.SUBMITTED, kr(250_000)),
            (ApplicationStatus.DRAFT, kr(99_000)),
            (ApplicationStatus.WITHDRAWN, kr(20_000)),
        ]
    ):
        Application.objects.create(
            call=call,
            organisation=OrganisationFactory(),
            created_by=bl_user,
            status=status,
            reference="" if status == ApplicationStatus.DRAFT else f"C-{number}",
            amount_ore=amount,
        )

    figures = call_figures(call)

    assert (figures.available_ore, figures.requested_ore, figures.submitted) == (
        kr(15_000_000) - kr(1_000),
        kr(295_000),
        2,
    )


# The countdown


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (dt.timedelta(days=4, hours=3, minutes=59, seconds=59), "4 days, 3 hours left"),
        (dt.timedelta(days=1), "1 day, 0 hours left"),
        (dt.timedelta(days=2, hours=1), "2 days, 1 hour left"),
        (dt.timedelta(hours=23, minutes=1), "23 hours, 1 minute left"),
        (dt.timedelta(hours=1), "1 hour, 0 minutes left"),
        (dt.timedelta(minutes=59, seconds=59), "59 minutes left"),
        (dt.timedelta(minutes=1), "1 minute left"),
        (dt.timedelta(seconds=59), "Less than a minute left"),
        (dt.timedelta(0), "The deadline has passed"),
        (-dt.timedelta(days=3), "The deadline has passed"),
    ],
)
def test_time_left(left: dt.timedelta, text: str) -> None:
    with translation.override("en"):
        assert time_left(DEADLINE, DEADLINE - left) == text


def test_countdown_texts_for_the_script() -> None:
    with translation.override("en"):
        texts = countdown_texts()

    assert texts == {
        "day_one": "{n} day",
        "day_other": "{n} days",
        "hour_one": "{n} hour",
        "hour_other": "{n} hours",
        "minute_one": "{n} minute",
        "minute_other": "{n} minutes",
        "pair": "{first}, {second} left",
        "only": "{only} left",
        "soon": "Less than a minute left",
        "passed": "The deadline has passed",
    }


# What the letters say


def test_call_letter_facts_come_from_the_call_then_the_pools_then_the_sender(
    tree: Tree, bl_call: Call
) -> None:

    update_organisation(
        actor=None,
        organisation=tree.bl,
        address="Studiestræde 50",
        postal_code="1554",
        city="København V",
        contact_email="info@bl.dk",
        contact_phone="33 76 20 00",
    )
    update_pool(actor=None, pool=tree.root, legal_basis="Aktstykke nr. 41", no_appeal=True)
    update_pool(actor=None, pool=tree.bl_pool, funding_source="Kulturministeriet")
    call = Call.objects.select_related("pool__administrator").get(pk=bl_call.pk)

    facts = call_letter_facts(call)

    assert (facts.sender, facts.sender_address, facts.sender_cvr) == (
        "BL",
        "Studiestræde 50, 1554 København V",
        tree.bl.cvr,
    )
    assert (facts.sender_email, facts.sender_phone) == ("info@bl.dk", "33 76 20 00")
    assert (facts.legal_basis, facts.funding_source) == ("Aktstykke nr. 41", "Kulturministeriet")
    assert (facts.complaints_guide, facts.no_appeal, facts.payment_terms, facts.report_by) == (
        "",
        True,
        "",
        None,
    )

    update_call(
        actor=None,
        call=call,
        letter_email="puljer@bl.dk",
        legal_basis="Aftale af 6. november 2020",
        complaints_guide="Skriv til os.",
    )
    call = Call.objects.select_related("pool__administrator").get(pk=bl_call.pk)
    facts = call_letter_facts(call)

    assert (facts.sender_email, facts.legal_basis, facts.funding_source) == (
        "puljer@bl.dk",
        "Aftale af 6. november 2020",
        "Kulturministeriet",
    )
    # A guide of the call's own replaces the pool's "no appeal".
    assert (facts.complaints_guide, facts.no_appeal) == ("Skriv til os.", False)


def test_a_nearer_pools_complaints_guide_wins_over_a_higher_no_appeal(
    tree: Tree, bl_call: Call
) -> None:

    update_pool(actor=None, pool=tree.root, no_appeal=True)
    update_pool(actor=None, pool=tree.bl_pool, complaints_guide="Klag til BL.")
    call = Call.objects.select_related("pool__administrator").get(pk=bl_call.pk)

    facts = call_letter_facts(call)

    assert (facts.complaints_guide, facts.no_appeal) == ("Klag til BL.", False)
