"""Test data, built through the product's services wherever a service owns the write."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import factory

from pulje.accounts.models import User
from pulje.accounts.services.users import register_user
from pulje.calls.models import Call
from pulje.calls.services import create_call
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.funds.services import create_pool
from pulje.ledger.models import GrantAccount
from pulje.ledger.services import open_grant_account
from pulje.registry.models import HousingDepartment, Municipality, Organisation, OrganisationKind
from pulje.registry.services.memberships import add_membership
from pulje.registry.services.organisations import register_department, register_organisation
from pulje.registry.testing import fake_cvr


class UserFactory(factory.Factory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.dk")
    name = factory.Sequence(lambda n: f"Person {n}")
    password = "correct-horse-battery-staple"

    @classmethod
    def _create(cls, model_class: type[User], **kwargs: Any) -> User:
        organisation = kwargs.pop("organisation", None)
        user = register_user(actor=None, **kwargs)
        if organisation is not None:
            add_membership(actor=None, user=user, organisation=organisation)
        return user


class OrganisationFactory(factory.Factory):
    class Meta:
        model = Organisation

    cvr = factory.Sequence(lambda n: fake_cvr(50_000 + n))
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.HOUSING

    @classmethod
    def _create(cls, model_class: type[Organisation], **kwargs: Any) -> Organisation:
        return register_organisation(actor=None, **kwargs)


class HousingDepartmentFactory(factory.Factory):
    class Meta:
        model = HousingDepartment

    organisation = factory.SubFactory(OrganisationFactory)
    number = factory.Sequence(str)
    name = factory.Sequence(lambda n: f"Afdeling {n}")
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(code="101"))
    homes = 120

    @classmethod
    def _create(cls, model_class: type[HousingDepartment], **kwargs: Any) -> HousingDepartment:
        return register_department(actor=None, **kwargs)


class PoolFactory(factory.Factory):
    class Meta:
        model = Pool

    code = factory.Sequence(lambda n: f"pool-{n}")
    name = factory.Sequence(lambda n: f"Pulje {n}")
    administrator = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.FUNDER)
    period_start = dt.date(2020, 11, 6)
    period_end = dt.date(2021, 12, 31)
    parent = None

    @classmethod
    def _create(cls, model_class: type[Pool], **kwargs: Any) -> Pool:
        return create_pool(actor=None, **kwargs)


class GrantAccountFactory(factory.Factory):
    class Meta:
        model = GrantAccount

    pool = factory.SubFactory(PoolFactory)
    recipient = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"G-{n:05d}")
    title = factory.Sequence(lambda n: f"Fællesskab {n}")

    @classmethod
    def _create(cls, model_class: type[GrantAccount], **kwargs: Any) -> GrantAccount:
        return open_grant_account(actor=None, **kwargs)


COPENHAGEN = ZoneInfo("Europe/Copenhagen")


class CallFactory(factory.Factory):
    """A call on a pool that is itself a grant band of 10.000–50.000 kr. (pass ``pool`` for
    another), open from 4 January to 5 February 2021 at noon, Danish time."""

    class Meta:
        model = Call

    pool = factory.SubFactory(PoolFactory, grant_min_ore=kr(10_000), grant_max_ore=kr(50_000))
    code = factory.Sequence(lambda n: f"call-{n}")
    reference_prefix = factory.Sequence(lambda n: f"C{n}")
    title = factory.Sequence(lambda n: f"Opslag {n}")
    purpose = "Nye fællesskaber mod ensomhed."
    eligibility = "Almene boligorganisationer."
    opens_at = dt.datetime(2021, 1, 4, 10, 0, tzinfo=COPENHAGEN)
    closes_at = dt.datetime(2021, 2, 5, 12, 0, tzinfo=COPENHAGEN)
    project_start_earliest = dt.date(2021, 1, 1)
    project_end_latest = dt.date(2021, 12, 31)

    @classmethod
    def _create(cls, model_class: type[Call], **kwargs: Any) -> Call:
        return create_call(actor=None, **kwargs)
