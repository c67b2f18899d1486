"""The arithmetic of the ledger, free of the database.

Every entry kind moves money between at most two accounts; ``EFFECTS`` says which figures it
changes and in which direction. The services apply it to the locked balances before they
write, and ``check_ledger`` applies it to all entries to recompute what the balances should
be: one table, so the two can never disagree about what an entry means.
"""

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Literal, Self

Side = Literal["pool", "target", "grant"]


class Kind(StrEnum):
    APPROPRIATION = "appropriation"
    DELEGATION = "delegation"
    COMMITMENT = "commitment"
    RELEASE = "release"
    PAYMENT = "payment"
    RECOVERY = "recovery"
    TRANSFER = "transfer"
    RETURN = "return"


# kind → the (side, figure, sign) it changes. "pool" is the entry's pool, "target" the other
# pool (the child a delegation goes to, the sibling a transfer goes to, the parent a return
# goes back to), "grant" the grant account.
EFFECTS: dict[Kind, tuple[tuple[Side, str, int], ...]] = {
    Kind.APPROPRIATION: (("pool", "budget", +1),),
    Kind.DELEGATION: (("pool", "delegated", +1), ("target", "budget", +1)),
    Kind.COMMITMENT: (("pool", "committed", +1), ("grant", "committed", +1)),
    Kind.RELEASE: (("pool", "committed", -1), ("grant", "committed", -1)),
    Kind.PAYMENT: (("pool", "paid", +1), ("grant", "paid", +1)),
    Kind.RECOVERY: (("pool", "recovered", +1), ("grant", "recovered", +1)),
    # Uncommitted money moved to a sibling sub-pool: the parent's delegated stays the same.
    Kind.TRANSFER: (("pool", "budget", -1), ("target", "budget", +1)),
    # Uncommitted money given back to the parent: a delegation undone in part.
    Kind.RETURN: (("pool", "budget", -1), ("target", "delegated", -1)),
}


class Violation(StrEnum):
    NEGATIVE = "negative"
    OVERSPENT = "overspent"
    OVERPAID = "overpaid"
    OVERRECOVERED = "overrecovered"


@dataclass(frozen=True)
class GrantBalance:
    """A grant's money: committed to it, paid out of that, and recovered out of what was paid."""

    committed: int = 0
    paid: int = 0
    recovered: int = 0

    @property
    def unpaid(self) -> int:
        return self.committed - self.paid

    def moved(self, figure: str, delta: int) -> Self:
        return replace(self, **{figure: getattr(self, figure) + delta})

    def violations(self) -> list[Violation]:
        found = []
        if min(getattr(self, f.name) for f in fields(self)) < 0:
            found.append(Violation.NEGATIVE)
        if self.paid > self.committed:
            found.append(Violation.OVERPAID)
        if self.recovered > self.paid:
            found.append(Violation.OVERRECOVERED)
        return found


@dataclass(frozen=True)
class PoolBalance(GrantBalance):
    """A pool's money. ``available`` is what it may still delegate or commit.

    Recovered money returns to the pool it was committed from, so it is available again.
    """

    budget: int = 0
    delegated: int = 0

    @property
    def available(self) -> int:
        return self.budget - self.delegated - self.committed + self.recovered

    def violations(self) -> list[Violation]:
        found = super().violations()
        if self.available < 0:
            found.insert(0, Violation.OVERSPENT)
        return found

    def __add__(self, other: "PoolBalance") -> "PoolBalance":
        return PoolBalance(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )
