import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.funds.models import Pool, ReportingRequirement, ReportingRule
from pulje.funds.services import create_pool, create_sub_pool, set_reporting_rules, update_pool
from pulje.ledger.models import Entry, PoolAccount
from pulje.ledger.services import LedgerError
from pulje.registry.models import Organisation, OrganisationKind
from tests.factories import OrganisationFactory, PoolFactory, UserFactory
from tests.factories.funds import Tree

pytestmark = pytest.mark.django_db

START, END = dt.date(2020, 11, 6), dt.date(2021, 12, 31)

# What a letter says of a pool, unset (funds.models.Pool).
NO_LETTER_FACTS = {
    "legal_basis": "",
    "funding_source": "",
    "complaints_guide": "",
    "no_appeal": False,
}


def _counts() -> tuple[int, int, int]:
    return Pool.objects.count(), PoolAccount.objects.count(), AuditEvent.objects.count()


def _pool_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "code": "ny-pulje",
        "name": "Ny pulje",
        "period_start": START,
        "period_end": END,
    }
    return fields | overrides


@pytest.fixture
def funder() -> Organisation:
    organisation: Organisation = OrganisationFactory(kind=OrganisationKind.FUNDER)
    return organisation


def test_create_pool_sets_root_and_depth_at_every_level(funder: Organisation) -> None:
    actor = UserFactory(is_superuser=True)
    top = create_pool(actor=actor, **_pool_fields(code="top", administrator=funder))
    middle = create_pool(
        actor=actor, parent=top, **_pool_fields(code="middle", administrator=funder)
    )
    band = create_pool(
        actor=actor, parent=middle, **_pool_fields(code="band", administrator=funder)
    )
    leaf = create_pool(actor=actor, parent=band, **_pool_fields(code="leaf", administrator=funder))

    stored = {p.code: (p.parent_id, p.root_id, p.depth) for p in Pool.objects.all()}
    assert stored == {
        "top": (None, None, 0),
        "middle": (top.pk, top.pk, 1),
        "band": (middle.pk, top.pk, 2),
        "leaf": (band.pk, top.pk, 3),
    }
    assert leaf.account.balance.budget == 0


def test_create_pool_opens_account_and_audits_with_actor() -> None:
    actor = UserFactory(is_superuser=True)
    administrator = OrganisationFactory(kind=OrganisationKind.FUNDER)
    before = AuditEvent.objects.count()

    pool = create_pool(
        actor=actor,
        code="top",
        name="Top",
        administrator=administrator,
        period_start=START,
        period_end=END,
        spend_by=dt.date(2021, 12, 31),
    )

    assert PoolAccount.objects.filter(pool=pool).count() == 1
    events = list(AuditEvent.objects.filter(seq__gt=before))
    assert [(e.action, e.actor_id, e.object_id, e.before) for e in events] == [
        ("funds.pool.created", actor.pk, str(pool.pk), None)
    ]
    assert events[0].after == NO_LETTER_FACTS | {
        "parent": None,
        "code": "top",
        "name": "Top",
        "administrator": administrator.pk,
        "purpose": "",
        "period_start": "2020-11-06",
        "period_end": "2021-12-31",
        "spend_by": "2021-12-31",
        "grant_min_ore": None,
        "grant_max_ore": None,
        "second_approval_above_ore": None,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"period_start": dt.date(2020, 11, 5)}, "period_end", id="starts-before"),
        pytest.param({"period_end": dt.date(2022, 1, 1)}, "period_end", id="ends-after"),
        pytest.param({"grant_min_ore": kr(10_000)}, "grant_max_ore", id="band-only-min"),
        pytest.param({"grant_max_ore": kr(10_000)}, "grant_max_ore", id="band-only-max"),
        pytest.param(
            {"grant_min_ore": kr(50_000), "grant_max_ore": kr(49_999)},
            "grant_max_ore",
            id="band-min-above-max",
        ),
        pytest.param(
            {"grant_min_ore": 0, "grant_max_ore": kr(49_999)}, "grant_min_ore", id="band-min-zero"
        ),
        pytest.param({"code": "taken"}, "code", id="duplicate-code"),
    ],
)
def test_create_pool_refuses_invalid_naming_the_field_and_writes_nothing(
    funder: Organisation, overrides: dict[str, Any], field: str
) -> None:
    parent = PoolFactory(code="taken", period_start=START, period_end=END)
    counts = _counts()

    with pytest.raises(ValidationError) as error:
        create_pool(actor=None, parent=parent, **_pool_fields(administrator=funder, **overrides))

    assert list(error.value.message_dict) == [field]
    assert _counts() == counts


def test_create_pool_refuses_period_that_ends_before_it_starts_naming_the_field(
    funder: Organisation,
) -> None:
    counts = _counts()

    with pytest.raises(ValidationError) as error:
        create_pool(
            actor=None, **_pool_fields(administrator=funder, period_start=END, period_end=START)
        )

    assert list(error.value.message_dict) == ["period_end"]
    assert _counts() == counts


def test_create_pool_accepts_period_equal_to_parents(funder: Organisation) -> None:
    parent = PoolFactory(period_start=START, period_end=END)

    child = create_pool(actor=None, parent=parent, **_pool_fields(administrator=funder))

    assert (child.period_start, child.period_end) == (START, END)


def test_update_pool_audits_exact_before_and_after() -> None:
    actor = UserFactory(is_superuser=True)
    pool = PoolFactory(code="bl", name="BL", purpose="", period_start=START, period_end=END)
    events_before = AuditEvent.objects.count()

    update_pool(actor=actor, pool=pool, name="BL Vær Med", spend_by=dt.date(2021, 12, 31))

    pool.refresh_from_db()
    assert (pool.name, pool.spend_by) == ("BL Vær Med", dt.date(2021, 12, 31))
    events = list(AuditEvent.objects.filter(seq__gt=events_before))
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("funds.pool.updated", actor.pk, str(pool.pk))
    ]
    unchanged = NO_LETTER_FACTS | {
        "parent": None,
        "code": "bl",
        "administrator": pool.administrator_id,
        "purpose": "",
        "period_start": "2020-11-06",
        "period_end": "2021-12-31",
        "grant_min_ore": None,
        "grant_max_ore": None,
        "second_approval_above_ore": None,
    }
    assert events[0].before == unchanged | {"name": "BL", "spend_by": None}
    assert events[0].after == unchanged | {"name": "BL Vær Med", "spend_by": "2021-12-31"}


def test_update_pool_writes_no_event_when_nothing_changes() -> None:
    pool = PoolFactory(name="BL")
    events_before = AuditEvent.objects.count()

    update_pool(actor=None, pool=pool, name="BL", period_end=pool.period_end)

    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize("field", ["parent", "code"])
def test_update_pool_refuses_to_change_place_in_tree_or_code(field: str) -> None:
    other = PoolFactory(code="other")
    pool = PoolFactory(code="pool")
    events_before = AuditEvent.objects.count()
    value = {"parent": other, "code": "renamed"}[field]

    with pytest.raises(TypeError):
        update_pool(actor=None, pool=pool, **{field: value})

    stored = Pool.objects.get(pk=pool.pk)
    assert (stored.code, stored.parent_id) == ("pool", None)
    assert AuditEvent.objects.count() == events_before


def test_update_pool_refuses_invalid_naming_the_field_and_writes_nothing() -> None:
    pool = PoolFactory(period_start=START, period_end=END)
    events_before = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as error:
        update_pool(actor=None, pool=pool, grant_min_ore=kr(50_000), grant_max_ore=kr(10_000))

    assert list(error.value.message_dict) == ["grant_max_ore"]
    stored = Pool.objects.get(pk=pool.pk)
    assert (stored.grant_min_ore, stored.grant_max_ore) == (None, None)
    assert AuditEvent.objects.count() == events_before


def test_create_sub_pool_delegates_the_initial_amount(tree: Tree) -> None:
    actor = UserFactory(is_superuser=True)

    pool = create_sub_pool(
        actor=actor,
        parent=tree.root,
        delegate_ore=kr(250_000),
        **_pool_fields(code="ekstra", administrator=tree.ministry),
    )

    assert (pool.parent_id, pool.root_id, pool.depth) == (tree.root.pk, tree.root.pk, 1)
    entry = Entry.objects.get(target=pool)
    assert (entry.kind, entry.pool_id, entry.amount_ore, entry.created_by_id) == (
        "delegation",
        tree.root.pk,
        kr(250_000),
        actor.pk,
    )
    assert PoolAccount.objects.get(pool=pool).budget_ore == kr(250_000)
    # 10 mio. to SLKS and 15 mio. to BL before.
    assert PoolAccount.objects.get(pool=tree.root).delegated_ore == kr(25_250_000)


def test_create_sub_pool_without_delegation_moves_no_money(tree: Tree) -> None:
    entries_before = Entry.objects.count()

    pool = create_sub_pool(
        actor=None, parent=tree.bl_pool, **_pool_fields(code="bl-ekstra", administrator=tree.bl)
    )

    assert Entry.objects.count() == entries_before
    assert pool.account.budget_ore == 0


def test_create_sub_pool_larger_than_available_creates_nothing(tree: Tree) -> None:
    counts = _counts()
    entries_before = Entry.objects.count()

    # BL has delegated all of its 15 mio. to its bands.
    with pytest.raises(LedgerError) as error:
        create_sub_pool(
            actor=None,
            parent=tree.bl_pool,
            delegate_ore=kr(1),
            **_pool_fields(code="bl-ekstra", administrator=tree.bl),
        )

    assert error.value.code == "insufficient_funds"
    assert not Pool.objects.filter(code="bl-ekstra").exists()
    assert _counts() == counts
    assert Entry.objects.count() == entries_before


def test_set_reporting_rules_replaces_rules_and_audits() -> None:
    actor = UserFactory(is_superuser=True)
    pool = PoolFactory()
    set_reporting_rules(actor=None, pool=pool, rules=[(0, ReportingRequirement.DECLARATION)])
    events_before = AuditEvent.objects.count()

    set_reporting_rules(
        actor=actor,
        pool=pool,
        rules=[
            (kr(500_000), ReportingRequirement.AUDITED),
            (0, ReportingRequirement.DECLARATION),
            (kr(100_000), ReportingRequirement.ACCOUNTS),
        ],
    )

    assert list(
        ReportingRule.objects.filter(pool=pool).values_list("from_amount_ore", "requirement")
    ) == [(0, "declaration"), (kr(100_000), "accounts"), (kr(500_000), "audited")]
    events = list(AuditEvent.objects.filter(seq__gt=events_before))
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("funds.pool.reporting_rules_set", actor.pk, str(pool.pk))
    ]
    assert events[0].before == {"rules": [[0, "declaration"]]}
    assert events[0].after == {
        "rules": [[0, "declaration"], [kr(100_000), "accounts"], [kr(500_000), "audited"]]
    }


def test_set_reporting_rules_leaves_other_pools_alone() -> None:
    pool, other = PoolFactory(), PoolFactory()
    set_reporting_rules(actor=None, pool=other, rules=[(0, ReportingRequirement.AUDITED)])

    set_reporting_rules(actor=None, pool=pool, rules=[])

    assert list(ReportingRule.objects.values_list("pool_id", "requirement")) == [
        (other.pk, "audited")
    ]


def test_update_pool_refuses_a_period_that_leaves_a_sub_pool_outside() -> None:
    parent = PoolFactory(period_start=dt.date(2020, 11, 1), period_end=dt.date(2021, 12, 31))
    child = PoolFactory(
        parent=parent,
        administrator=parent.administrator,
        period_start=dt.date(2021, 1, 1),
        period_end=dt.date(2021, 12, 31),
    )
    before = _counts()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        update_pool(actor=None, pool=parent, period_end=dt.date(2021, 6, 30))
    assert error.value.message_dict == {
        "period_end": [
            f"The sub-pool “{child.name}” runs Jan. 1, 2021–Dec. 31, 2021, outside this period."
        ]
    }
    assert _counts() == before
    assert Pool.objects.get(pk=parent.pk).period_end == dt.date(2021, 12, 31)


@pytest.mark.postgresql
def test_create_sub_pool_locks_the_parent_before_the_audit_head(tree: Tree) -> None:
    """Every posting locks pool accounts before the audit head; creating a sub-pool with a
    delegation must too, or it deadlocks against a posting on the parent."""
    with CaptureQueriesContext(connection) as queries:
        create_sub_pool(
            actor=None,
            parent=tree.root,
            delegate_ore=kr(1_000),
            **_pool_fields(code="locks-in-order", administrator=tree.ministry),
        )
    locks = [
        "ledger_poolaccount" if "ledger_poolaccount" in q["sql"] else "core_audithead"
        for q in queries.captured_queries
        if "FOR UPDATE" in q["sql"]
        and ("ledger_poolaccount" in q["sql"] or "core_audithead" in q["sql"])
    ]
    assert locks[0] == "ledger_poolaccount"
    assert locks.index("core_audithead") > 0
