"""Each service that changes a pool, its calls or its money checks its actor itself: the
pages check too, but a service called from elsewhere (a command, the API, a new page) must
not trust them. The path that was found: claim a pool's administrator, then create a band,
delegate the money and open a call."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from pulje.accounts.models import Membership, User
from pulje.calls.services import add_question, create_call, remove_question, update_call
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.funds.services import create_pool, create_sub_pool, set_reporting_rules, update_pool
from pulje.ledger.services import appropriate, delegate
from pulje.registry.models import Organisation, OrganisationKind
from tests.factories import CallFactory, OrganisationFactory, PoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def _pool(administrator: Organisation) -> Pool:
    """A top pool with money, that is a grant band itself so a call can be made on it."""
    pool = PoolFactory(
        administrator=administrator, grant_min_ore=kr(10_000), grant_max_ore=kr(50_000)
    )
    appropriate(actor=None, pool=pool, amount_ore=kr(10))
    return pool


def _writes(pool: Pool) -> dict[str, Callable[[User], Any]]:
    call = CallFactory(pool=pool)
    question = add_question(actor=None, call=call, label="Hvorfor?", kind="text")
    band = PoolFactory(
        parent=pool,
        administrator=pool.administrator,
        grant_min_ore=pool.grant_min_ore,
        grant_max_ore=pool.grant_max_ore,
    )
    now = timezone.now()
    return {
        "create_pool (top)": lambda actor: create_pool(
            actor=actor,
            code="ny-top",
            name="Ny",
            administrator=pool.administrator,
            period_start=dt.date(2020, 11, 6),
            period_end=dt.date(2021, 12, 31),
        ),
        "create_sub_pool": lambda actor: create_sub_pool(
            actor=actor,
            parent=pool,
            code="band",
            name="Bånd",
            administrator=pool.administrator,
            period_start=pool.period_start,
            period_end=pool.period_end,
            delegate_ore=kr(1),
        ),
        "update_pool": lambda actor: update_pool(actor=actor, pool=pool, name="Min pulje"),
        "set_reporting_rules": lambda actor: set_reporting_rules(actor=actor, pool=pool, rules=[]),
        "appropriate": lambda actor: appropriate(actor=actor, pool=pool, amount_ore=kr(1)),
        "delegate": lambda actor: delegate(actor=actor, pool=pool, to=band, amount_ore=kr(1)),
        "create_call": lambda actor: create_call(
            actor=actor,
            pool=pool,
            code="min-runde",
            reference_prefix="MR",
            title="Min runde",
            purpose="x",
            eligibility="x",
            opens_at=now,
            closes_at=now + dt.timedelta(days=30),
            project_start_earliest=dt.date(2021, 1, 1),
            project_end_latest=dt.date(2021, 12, 31),
        ),
        "update_call": lambda actor: update_call(actor=actor, call=call, title="Min runde"),
        "add_question": lambda actor: add_question(
            actor=actor, call=call, label="Mit spørgsmål", kind="text"
        ),
        "remove_question": lambda actor: remove_question(actor=actor, question=question),
    }


@pytest.mark.parametrize("who", ["outsider", "claimant of the administrator"])
@pytest.mark.parametrize(
    "service",
    [
        "create_pool (top)",
        "create_sub_pool",
        "update_pool",
        "set_reporting_rules",
        "appropriate",
        "delegate",
        "create_call",
        "update_call",
        "add_question",
        "remove_question",
    ],
)
def test_a_service_refuses_an_actor_who_does_not_manage_the_pool(who: str, service: str) -> None:
    administrator = OrganisationFactory(kind=OrganisationKind.HOUSING)
    pool = _pool(administrator)
    write = _writes(pool)[service]
    actor = UserFactory()
    if who != "outsider":
        # A membership that nobody has proven (as a claim would have made, were it allowed).
        Membership.objects.create(user=actor, organisation=administrator)
    events = AuditEvent.objects.count()

    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        write(actor)

    assert str(refused.value) in {
        "Only pulje's administrators create top pools.",
        f"Only the secretariat of {pool.name} may change it, its calls or its money.",
    }
    assert AuditEvent.objects.count() == events


def test_the_pools_secretariat_may() -> None:
    administrator = OrganisationFactory(kind=OrganisationKind.INTERMEDIARY)
    pool = _pool(administrator)
    caseworker = UserFactory(organisation=administrator)

    for name, write in _writes(pool).items():
        if name != "create_pool (top)":
            write(caseworker)


def test_a_pools_own_secretariat_tightens_but_cannot_lift_its_second_approval() -> None:
    ministry = OrganisationFactory(kind=OrganisationKind.FUNDER)
    bl = OrganisationFactory(kind=OrganisationKind.INTERMEDIARY)
    top = PoolFactory(administrator=ministry)
    pool = PoolFactory(parent=top, administrator=bl, second_approval_above_ore=kr(500_000))
    caseworker = UserFactory(organisation=bl)
    minister = UserFactory(organisation=ministry)

    update_pool(actor=caseworker, pool=pool, second_approval_above_ore=kr(100_000))
    for looser in (kr(200_000), None):
        with pytest.raises(PermissionDenied):
            update_pool(actor=caseworker, pool=pool, second_approval_above_ore=looser)
    pool.refresh_from_db()
    assert pool.second_approval_above_ore == kr(100_000)
    update_pool(actor=minister, pool=pool, second_approval_above_ore=None)
    pool.refresh_from_db()
    assert pool.second_approval_above_ore is None
