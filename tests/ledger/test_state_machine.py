"""Random sequences of ledger operations, checked after every step against a plain model.

The model below is written independently of ``pulje.ledger.balances``: it says, in the
simplest terms, when each operation must succeed and what it must change. After every step
the stored balances must equal the model's, and ``check_ledger``'s full consistency check
must find nothing.
"""

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from pulje.funds.models import Pool
from pulje.funds.services import create_pool
from pulje.ledger import services
from pulje.ledger.models import Entry, GrantAccount, PoolAccount, ReleaseReason
from pulje.ledger.selectors import find_ledger_discrepancies
from pulje.ledger.services import LedgerError
from pulje.registry.models import Organisation
from tests.factories import OrganisationFactory, PoolFactory

# An amount is a plain number, or exactly the most the operation allows, or one øre more:
# the edges are where a ledger goes wrong.
amounts = st.one_of(st.integers(min_value=1, max_value=600), st.sampled_from(["all", "over"]))


def _amount(size: int | str, most: int) -> int:
    if size == "all":
        return max(most, 1)
    if size == "over":
        return most + 1
    assert isinstance(size, int)
    return size


@dataclass
class PoolModel:
    parent: int | None
    budget: int = 0
    delegated: int = 0
    committed: int = 0
    paid: int = 0
    recovered: int = 0

    @property
    def available(self) -> int:
        return self.budget - self.delegated - self.committed + self.recovered


@dataclass
class GrantModel:
    pool: int
    committed: int = 0
    paid: int = 0
    recovered: int = 0


@dataclass
class EntryModel:
    kind: str
    amount: int
    pool: int
    target: int | None = None
    grant: int | None = None
    is_reversal: bool = False
    reversed: bool = False


@dataclass
class Model:
    pools: dict[int, PoolModel] = field(default_factory=dict)
    grants: dict[int, GrantModel] = field(default_factory=dict)
    entries: dict[int, EntryModel] = field(default_factory=dict)


class LedgerMachine(RuleBasedStateMachine):
    pools = Bundle("pools")
    grants = Bundle("grants")
    entries = Bundle("entries")

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.model = Model()
        self.administrator: Organisation = OrganisationFactory(kind="funder")
        self.counter = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _expect(self, allowed: bool, operation: Any, **arguments: Any) -> Entry | None:
        """Run ``operation``; it must succeed exactly when the model says it is allowed."""
        try:
            entry: Entry = operation(actor=None, **arguments)
        except LedgerError as error:
            if allowed:
                raise AssertionError(f"refused ({error.code}) but the model allows it") from error
            return None
        assert allowed, "posted but the model forbids it"
        return entry

    def _record(self, entry: Entry | None, model: EntryModel) -> list[int]:
        if entry is None:
            return []
        self.model.entries[entry.pk] = model
        return [entry.pk]

    @initialize(target=grants)
    def funded_grant(self) -> int:
        """A top pool with money and a grant on it, so that payments and recoveries happen in
        most runs; ``funded_pool_again`` puts the pool in the pools bundle."""
        pool = PoolFactory(administrator=self.administrator)
        services.appropriate(actor=None, pool=pool, amount_ore=3_000)
        self.model.pools[pool.pk] = PoolModel(parent=None, budget=3_000)
        self.funded_pool = int(pool.pk)
        return self._open_grant(int(pool.pk))

    @rule(target=pools)
    def funded_pool_again(self) -> int:
        return self.funded_pool

    @rule(target=pools)
    def top_pool(self) -> int:
        pool = PoolFactory(administrator=self.administrator)
        self.model.pools[pool.pk] = PoolModel(parent=None)
        return int(pool.pk)

    @rule(target=pools, parent=pools)
    def sub_pool(self, parent: int) -> int:
        self.counter += 1
        pool = create_pool(
            actor=None,
            parent=Pool.objects.get(pk=parent),
            code=f"sub-{parent}-{self.counter}-{id(self)}",
            name="Sub",
            administrator=self.administrator,
            period_start=Pool.objects.get(pk=parent).period_start,
            period_end=Pool.objects.get(pk=parent).period_end,
        )
        self.model.pools[pool.pk] = PoolModel(parent=parent)
        return int(pool.pk)

    @rule(target=grants, pool=pools)
    def open_grant(self, pool: int) -> int:
        return self._open_grant(pool)

    def _open_grant(self, pool: int) -> int:
        self.counter += 1
        grant = services.open_grant_account(
            actor=None,
            pool=Pool.objects.get(pk=pool),
            recipient=self.administrator,
            reference=f"G-{id(self)}-{self.counter}",
            title="Grant",
        )
        self.model.grants[grant.pk] = GrantModel(pool=pool)
        return int(grant.pk)

    @rule(target=entries, pool=pools, size=amounts)
    def appropriate(self, pool: int, size: int | str) -> Any:
        amount = _amount(size, 500)
        model = self.model.pools[pool]
        entry = self._expect(
            model.parent is None,
            services.appropriate,
            pool=Pool.objects.get(pk=pool),
            amount_ore=amount,
        )
        if entry:
            model.budget += amount
        return self._multiple(self._record(entry, EntryModel("appropriation", amount, pool)))

    @rule(target=entries, child=pools, size=amounts)
    def delegate(self, child: int, size: int | str) -> Any:
        parent_id = self.model.pools[child].parent
        if parent_id is None:
            return self._multiple([])
        parent = self.model.pools[parent_id]
        amount = _amount(size, parent.available)
        entry = self._expect(
            parent.available >= amount,
            services.delegate,
            pool=Pool.objects.get(pk=parent_id),
            to=Pool.objects.get(pk=child),
            amount_ore=amount,
        )
        if entry:
            parent.delegated += amount
            self.model.pools[child].budget += amount
        return self._multiple(
            self._record(entry, EntryModel("delegation", amount, parent_id, target=child))
        )

    @rule(target=entries, source=pools, to=pools, size=amounts)
    def transfer(self, source: int, to: int, size: int | str) -> Any:
        """To a sibling or the parent; to anything else (itself, a child, a cousin) it must
        be refused whatever the amount."""
        pool = self.model.pools[source]
        amount = _amount(size, pool.available)
        parent = pool.parent
        kind: str | None = None
        if parent is not None and to == parent:
            kind = "return"
        elif parent is not None and to != source and self.model.pools[to].parent == parent:
            kind = "transfer"
        entry = self._expect(
            kind is not None and pool.available >= amount,
            services.transfer,
            pool=Pool.objects.get(pk=source),
            to=Pool.objects.get(pk=to),
            amount_ore=amount,
        )
        if entry:
            assert kind is not None
            self._move(kind, source, to, amount)
        return self._multiple(
            self._record(entry, EntryModel(kind or "", amount, source, target=to))
        )

    def _move(self, kind: str, source: int, to: int, amount: int) -> None:
        """A transfer's or a return's effect on the model (a negative amount undoes it)."""
        self.model.pools[source].budget -= amount
        if kind == "return":
            self.model.pools[to].delegated -= amount
        else:
            self.model.pools[to].budget += amount

    def _grant_operation(self, kind: str, grant_id: int, size: int | str, most: int) -> Any:
        grant = self.model.grants[grant_id]
        pool = self.model.pools[grant.pool]
        amount = _amount(size, most)
        allowed = amount <= most
        operation = getattr(
            services,
            {"commitment": "commit", "payment": "pay", "recovery": "recover", "release": "release"}[
                kind
            ],
        )
        extra = {"reason": ReleaseReason.REDUCED} if kind == "release" else {}
        entry = self._expect(
            allowed,
            operation,
            grant=GrantAccount.objects.get(pk=grant_id),
            amount_ore=amount,
            **extra,
        )
        if entry:
            figure = {
                "commitment": "committed",
                "release": "committed",
                "payment": "paid",
                "recovery": "recovered",
            }[kind]
            delta = -amount if kind == "release" else amount
            setattr(grant, figure, getattr(grant, figure) + delta)
            setattr(pool, figure, getattr(pool, figure) + delta)
        return self._multiple(
            self._record(entry, EntryModel(kind, amount, grant.pool, grant=grant_id))
        )

    @rule(target=entries, grant=grants, size=amounts)
    def commit(self, grant: int, size: int | str) -> Any:
        pool = self.model.pools[self.model.grants[grant].pool]
        return self._grant_operation("commitment", grant, size, pool.available)

    @rule(target=entries, grant=grants, size=amounts)
    def release(self, grant: int, size: int | str) -> Any:
        g = self.model.grants[grant]
        return self._grant_operation("release", grant, size, g.committed - g.paid)

    @rule(target=entries, grant=grants, size=amounts)
    def pay(self, grant: int, size: int | str) -> Any:
        g = self.model.grants[grant]
        return self._grant_operation("payment", grant, size, g.committed - g.paid)

    @rule(target=entries, grant=grants, size=amounts)
    def recover(self, grant: int, size: int | str) -> Any:
        g = self.model.grants[grant]
        return self._grant_operation("recovery", grant, size, g.paid - g.recovered)

    @rule(entry_id=consumes(entries))
    def reverse(self, entry_id: int) -> None:
        original = self.model.entries[entry_id]
        pool = self.model.pools[original.pool]
        grant = self.model.grants.get(original.grant) if original.grant else None
        a = original.amount
        if original.is_reversal or original.reversed:
            allowed = False
        elif original.kind == "appropriation":
            allowed = pool.available >= a
        elif original.kind in ("delegation", "transfer", "return"):
            assert original.target is not None
            allowed = self.model.pools[original.target].available >= a
        elif original.kind == "commitment":
            assert grant is not None
            allowed = grant.committed - grant.paid >= a
        elif original.kind == "release":
            allowed = pool.available >= a
        elif original.kind == "payment":
            assert grant is not None
            allowed = grant.paid - a >= grant.recovered
        else:
            allowed = pool.available >= a
        entry = self._expect(
            allowed,
            services.reverse,
            entry=Entry.objects.get(pk=entry_id),
            text="Correction",
        )
        if not entry:
            return
        original.reversed = True
        self.model.entries[entry.pk] = EntryModel(original.kind, a, original.pool, is_reversal=True)
        if original.kind == "appropriation":
            pool.budget -= a
        elif original.kind == "delegation":
            assert original.target is not None
            pool.delegated -= a
            self.model.pools[original.target].budget -= a
        elif original.kind in ("transfer", "return"):
            assert original.target is not None
            self._move(original.kind, original.pool, original.target, -a)
        else:
            assert grant is not None
            figure = {
                "commitment": "committed",
                "release": "committed",
                "payment": "paid",
                "recovery": "recovered",
            }[original.kind]
            delta = a if original.kind == "release" else -a
            setattr(grant, figure, getattr(grant, figure) + delta)
            setattr(pool, figure, getattr(pool, figure) + delta)

    @invariant()
    def stored_balances_match_the_model(self) -> None:
        for account in PoolAccount.objects.all():
            if account.pool_id not in self.model.pools:
                continue
            m = self.model.pools[account.pool_id]
            assert (
                account.budget_ore,
                account.delegated_ore,
                account.committed_ore,
                account.paid_ore,
                account.recovered_ore,
            ) == (m.budget, m.delegated, m.committed, m.paid, m.recovered)
            assert account.balance.available == m.available >= 0
        for grant in GrantAccount.objects.filter(pk__in=self.model.grants):
            g = self.model.grants[grant.pk]
            assert (grant.committed_ore, grant.paid_ore, grant.recovered_ore) == (
                g.committed,
                g.paid,
                g.recovered,
            )
            assert g.committed >= g.paid >= g.recovered >= 0

    @invariant()
    def check_ledger_finds_nothing(self) -> None:
        assert find_ledger_discrepancies() == []

    def _multiple(self, values: list[int]) -> Any:
        return multiple(*values)


@pytest.mark.django_db
def test_random_ledger_operations_keep_every_invariant() -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
