"""Small builders for ledger tests: a funded pool tree and grants on it."""

from dataclasses import dataclass

from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.balances import GrantBalance, PoolBalance
from pulje.ledger.models import GrantAccount, PoolAccount
from pulje.ledger.services import appropriate, delegate
from tests.factories import GrantAccountFactory, PoolFactory


@dataclass
class Tree:
    root: Pool
    part: Pool
    band: Pool


def funded_tree(*, root_kr: int = 1_000, part_kr: int = 600, band_kr: int = 400) -> Tree:
    """root (appropriated) → part → band, each delegated the given amounts."""
    root = PoolFactory()
    part = PoolFactory(parent=root, administrator=root.administrator)
    band = PoolFactory(parent=part, administrator=root.administrator)
    appropriate(actor=None, pool=root, amount_ore=kr(root_kr))
    if part_kr:
        delegate(actor=None, pool=root, to=part, amount_ore=kr(part_kr))
    if band_kr:
        delegate(actor=None, pool=part, to=band, amount_ore=kr(band_kr))
    return Tree(root, part, band)


def grant_on(pool: Pool) -> GrantAccount:
    return GrantAccountFactory(pool=pool)


def balance(pool: Pool) -> PoolBalance:
    return PoolAccount.objects.get(pool=pool).balance


def grant_balance(grant: GrantAccount) -> GrantBalance:
    return GrantAccount.objects.get(pk=grant.pk).balance
