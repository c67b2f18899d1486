"""A pool tree shaped like the 2020 loneliness pool, built through the product's services."""

from dataclasses import dataclass

from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.services import appropriate, delegate
from pulje.registry.models import Organisation, OrganisationKind
from tests.factories import OrganisationFactory, PoolFactory


@dataclass
class Tree:
    """root (ministry, 50 mio.) → slks (10 mio.), bl (15 mio.) → BL's three bands."""

    ministry: Organisation
    slks: Organisation
    bl: Organisation
    root: Pool
    slks_pool: Pool
    bl_pool: Pool
    band1: Pool
    band2: Pool
    band3: Pool

    @property
    def pools(self) -> list[Pool]:
        return [
            self.root,
            self.slks_pool,
            self.bl_pool,
            self.band1,
            self.band2,
            self.band3,
        ]


def make_tree() -> Tree:
    """root (ministry, 50 mio.) → slks (10 mio.), bl (15 mio.) → BL's three bands, with the money
    appropriated and delegated."""
    ministry = OrganisationFactory(name="Kulturministeriet", kind=OrganisationKind.FUNDER)
    slks = OrganisationFactory(name="Slots- og Kulturstyrelsen", kind=OrganisationKind.FUNDER)
    bl = OrganisationFactory(name="BL", kind=OrganisationKind.INTERMEDIARY)
    root = PoolFactory(code="ensomhed", name="Pulje mod ensomhed", administrator=ministry)
    appropriate(actor=None, pool=root, amount_ore=kr(50_000_000), text="Aktstykke nr. 41")
    slks_pool = PoolFactory(
        code="slks", name="1.000 nye fællesskaber", administrator=slks, parent=root
    )
    delegate(actor=None, pool=root, to=slks_pool, amount_ore=kr(10_000_000))
    bl_pool = PoolFactory(code="bl", name="BL Vær Med", administrator=bl, parent=root)
    delegate(actor=None, pool=root, to=bl_pool, amount_ore=kr(15_000_000))
    bands = []
    for number, (low, high, amount) in enumerate(
        [
            (10_000, 49_999, 1_500_000),
            (50_000, 99_999, 3_500_000),
            (100_000, 1_000_000, 10_000_000),
        ],
        start=1,
    ):
        band = PoolFactory(
            code=f"bl-ramme-{number}",
            name=f"Ramme {number}",
            administrator=bl,
            parent=bl_pool,
            grant_min_ore=kr(low),
            grant_max_ore=kr(high),
        )
        delegate(actor=None, pool=bl_pool, to=band, amount_ore=kr(amount))
        bands.append(band)
    return Tree(ministry, slks, bl, root, slks_pool, bl_pool, *bands)
