"""The Django admin: in Danish, every save audited, and the money tables read-only."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from pulje.accounts.models import Membership, User
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.funds.models import Pool, ReportingRule
from pulje.ledger.models import Entry, GrantAccount, PoolAccount
from pulje.ledger.services import appropriate, commit
from pulje.registry.models import Municipality, Organisation, OrganisationKind
from tests.factories import GrantAccountFactory, OrganisationFactory, PoolFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
]


@pytest.fixture(autouse=True)
def _fast_passwords() -> Iterator[None]:
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def superuser() -> User:
    user: User = UserFactory(name="Stine Stab", is_staff=True, is_superuser=True)
    return user


@pytest.fixture
def staff(client: Client, superuser: User) -> Client:
    client.force_login(superuser)
    return client


def _new_events(after_seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=after_seq).order_by("seq"))


def _last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_admin_index_is_in_danish(staff: Client) -> None:
    response = staff.get(reverse("admin:index"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Website-administration" in content
    assert "Log ud" in content


def test_the_admin_login_is_puljes_login_in_danish(client: Client) -> None:
    """The admin has no login form of its own (pulje.urls.admin_login): pulje's, in Danish."""
    response = client.get(reverse("admin:login"), follow=True)

    assert response.redirect_chain == [(f"{reverse('accounts:login')}?next=/admin/", 302)]
    assert "Log ind" in response.content.decode()


def _organisation_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "cvr": "",
        "name": "Boligselskabet Nord",
        "kind": OrganisationKind.HOUSING,
        "housing_number": "999",
        "address": "Nørregade 1",
        "postal_code": "9000",
        "city": "Aalborg",
        "municipality": "851",
        "_save": "Gem",
    }
    return data | overrides


# The organisation's "tell us once" profile and the register's address, empty unless the
# test sets them.
# An organisation a person adds in the admin is not verified: only a caseworker's act is.
NOT_VERIFIED = {"verified_at": None, "verified_by": None}
NO_PROFILE = {
    "registry_email": "",
    "payment_iban": "",
    "contact_name": "",
    "contact_email": "",
    "contact_phone": "",
    "finance_name": "",
    "finance_email": "",
    "finance_phone": "",
}


def test_admin_add_organisation_is_audited_with_the_actor(staff: Client, superuser: User) -> None:
    cvr = OrganisationFactory.build().cvr
    seq = _last_seq()

    response = staff.post(reverse("admin:registry_organisation_add"), _organisation_data(cvr=cvr))

    assert response.status_code == 302
    organisation = Organisation.objects.get(cvr=cvr)
    events = _new_events(seq)
    assert [(e.action, e.actor_id, e.object_type, e.object_id, e.before) for e in events] == [
        (
            "admin.registry.organisation.added",
            superuser.pk,
            "registry.organisation",
            str(organisation.pk),
            None,
        )
    ]
    assert (
        events[0].after
        == {
            "cvr": cvr,
            "name": "Boligselskabet Nord",
            "kind": "housing",
            "housing_number": "999",
            "address": "Nørregade 1",
            "postal_code": "9000",
            "city": "Aalborg",
            "municipality": "851",
        }
        | NO_PROFILE
        | NOT_VERIFIED
    )


def test_admin_change_organisation_audits_before_and_after(staff: Client, superuser: User) -> None:
    organisation = OrganisationFactory(
        name="Boligselskabet Nord",
        housing_number="999",
        municipality=Municipality.objects.get(code="851"),
    )
    seq = _last_seq()

    response = staff.post(
        reverse("admin:registry_organisation_change", args=[organisation.pk]),
        _organisation_data(cvr=organisation.cvr, name="Boligselskabet Nordjylland", city=""),
    )

    assert response.status_code == 302
    events = _new_events(seq)
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("admin.registry.organisation.changed", superuser.pk, str(organisation.pk))
    ]
    unchanged = {
        "cvr": organisation.cvr,
        "kind": "housing",
        "housing_number": "999",
        "municipality": "851",
        # The factory's organisation is pulje's own, verified; the admin leaves that alone.
        "verified_at": DjangoJSONEncoder().default(organisation.verified_at),
        "verified_by": None,
    } | NO_PROFILE
    assert events[0].before == unchanged | {
        "name": "Boligselskabet Nord",
        "address": "",
        "postal_code": "",
        "city": "",
    }
    assert events[0].after == unchanged | {
        "name": "Boligselskabet Nordjylland",
        "address": "Nørregade 1",
        "postal_code": "9000",
        "city": "",
    }


def test_admin_refuses_an_invalid_organisation_and_writes_nothing(staff: Client) -> None:
    seq = _last_seq()
    organisations = Organisation.objects.count()

    response = staff.post(
        reverse("admin:registry_organisation_add"), _organisation_data(cvr="12345678")
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["cvr"]
    assert Organisation.objects.count() == organisations
    assert _new_events(seq) == []


def test_admin_audit_of_a_user_never_holds_the_password(superuser: User) -> None:
    user = UserFactory(email="bruger@example.dk", name="Bruger")
    request = RequestFactory().post("/admin/")
    request.user = superuser
    user_admin = admin.site._registry[User]
    seq = _last_seq()

    user.name = "Bruger Omdøbt"
    user_admin.save_model(request, user, form=None, change=True)

    events = _new_events(seq)
    assert [(e.action, e.actor_id) for e in events] == [
        ("admin.accounts.user.changed", superuser.pk)
    ]
    before, after = events[0].before, events[0].after
    assert before is not None
    assert after is not None
    assert "password" not in before
    assert "password" not in after
    assert user.password not in str(before) + str(after)
    assert (before["name"], after["name"]) == ("Bruger", "Bruger Omdøbt")


def _user_change_data(user: User, memberships: list[Membership]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": user.email,
        "name": user.name,
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "10:00:00",
        "memberships-TOTAL_FORMS": str(len(memberships) + 1),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "_save": "Gem",
    }
    for number, membership in enumerate(memberships):
        data |= {
            f"memberships-{number}-id": membership.pk,
            f"memberships-{number}-user": user.pk,
            f"memberships-{number}-organisation": membership.organisation_id,
            f"memberships-{number}-role": membership.role,
        }
    return data


def test_admin_membership_added_inline_is_audited(staff: Client, superuser: User) -> None:
    user = UserFactory(name="Bruger")
    ministry = OrganisationFactory(kind=OrganisationKind.FUNDER)
    seq = _last_seq()
    data = _user_change_data(user, []) | {
        "memberships-0-user": user.pk,
        "memberships-0-organisation": ministry.pk,
        "memberships-0-role": "administrator",
    }

    response = staff.post(reverse("admin:accounts_user_change", args=[user.pk]), data)

    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    events = _new_events(seq)
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("admin.accounts.user.changed", superuser.pk, str(user.pk)),
        ("admin.accounts.membership.added", superuser.pk, str(membership.pk)),
    ]
    assert events[1].before is None
    # pulje's administrators add a membership proven by themselves.
    assert membership.proven_at is not None
    assert {
        k: v for k, v in (events[1].after or {}).items() if k not in {"created_at", "proven_at"}
    } == {
        "user": user.pk,
        "organisation": ministry.pk,
        "role": "administrator",
        "proof": "staff",
        "needs_secretariat": False,
    }


def test_admin_membership_removed_inline_is_audited(staff: Client, superuser: User) -> None:
    ministry = OrganisationFactory(kind=OrganisationKind.FUNDER)
    user = UserFactory(name="Bruger", organisation=ministry)
    membership = Membership.objects.get(user=user)
    seq = _last_seq()
    data = _user_change_data(user, [membership]) | {
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-DELETE": "on",
    }

    response = staff.post(reverse("admin:accounts_user_change", args=[user.pk]), data)

    assert response.status_code == 302
    assert not Membership.objects.filter(user=user).exists()
    events = _new_events(seq)
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("admin.accounts.user.changed", superuser.pk, str(user.pk)),
        ("admin.accounts.membership.deleted", superuser.pk, str(membership.pk)),
    ]
    assert {
        k: v for k, v in (events[1].before or {}).items() if k not in {"created_at", "proven_at"}
    } == {
        "user": user.pk,
        "organisation": ministry.pk,
        "role": "administrator",
        "proof": "staff",
        "needs_secretariat": False,
    }
    assert events[1].after is None


@pytest.mark.parametrize("model", [Entry, PoolAccount, GrantAccount, AuditEvent])
def test_admin_of_service_written_tables_allows_no_add_change_or_delete(
    model: type[models.Model], superuser: User
) -> None:
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[model]

    assert (
        model_admin.has_view_permission(request),
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request),
        model_admin.has_delete_permission(request),
        "delete_selected" in model_admin.get_actions(request),
    ) == (True, False, False, False, False)


@pytest.fixture
def money() -> dict[type[models.Model], models.Model]:
    """One row of each service-written table: an entry, its pool's account, a grant, an event."""
    pool = PoolFactory()
    appropriate(actor=None, pool=pool, amount_ore=kr(1_000))
    grant = GrantAccountFactory(pool=pool)
    entry = commit(actor=None, grant=grant, amount_ore=kr(100))
    return {
        Entry: entry,
        PoolAccount: pool.account,
        GrantAccount: grant,
        AuditEvent: AuditEvent.objects.latest("seq"),
    }


@pytest.mark.parametrize("model", [Entry, PoolAccount, GrantAccount, AuditEvent])
def test_admin_pages_of_service_written_tables_refuse_writes(
    staff: Client, money: dict[type[models.Model], models.Model], model: type[models.Model]
) -> None:
    obj = money[model]
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    seq = _last_seq()
    rows = model._default_manager.count()

    assert staff.get(reverse(f"{info}_changelist")).status_code == 200
    assert staff.get(reverse(f"{info}_change", args=[obj.pk])).status_code == 200
    assert staff.get(reverse(f"{info}_add")).status_code == 403
    assert staff.post(reverse(f"{info}_add"), {}).status_code == 403
    assert staff.post(reverse(f"{info}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    response = staff.post(reverse(f"{info}_change", args=[obj.pk]), {})

    assert response.status_code == 403
    assert model._default_manager.count() == rows
    assert _last_seq() == seq


def _pool_data(administrator: Organisation, **overrides: Any) -> dict[str, Any]:
    data = {
        "parent": "",
        "code": "admin-pulje",
        "name": "Pulje oprettet i admin",
        "administrator": administrator.pk,
        "purpose": "",
        "period_start": "2020-11-06",
        "period_end": "2021-12-31",
        "spend_by": "",
        "grant_min_ore": "",
        "grant_max_ore": "",
        "reporting_rules-TOTAL_FORMS": "0",
        "reporting_rules-INITIAL_FORMS": "0",
        "reporting_rules-MIN_NUM_FORMS": "0",
        "reporting_rules-MAX_NUM_FORMS": "1000",
        "_save": "Gem",
    }
    return data | overrides


def test_admin_add_pool_goes_through_the_service(staff: Client, superuser: User) -> None:
    funder = OrganisationFactory(kind=OrganisationKind.FUNDER)
    seq = _last_seq()

    response = staff.post(reverse("admin:funds_pool_add"), _pool_data(funder))

    assert response.status_code == 302
    pool = Pool.objects.get(code="admin-pulje")
    assert PoolAccount.objects.get(pool=pool).balance.budget == 0
    events = _new_events(seq)
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("funds.pool.created", superuser.pk, str(pool.pk))
    ]
    assert events[0].after == {
        "parent": None,
        "code": "admin-pulje",
        "name": "Pulje oprettet i admin",
        "administrator": funder.pk,
        "purpose": "",
        "period_start": "2020-11-06",
        "period_end": "2021-12-31",
        "spend_by": None,
        "grant_min_ore": None,
        "grant_max_ore": None,
        "second_approval_above_ore": None,
        "legal_basis": "",
        "funding_source": "",
        "complaints_guide": "",
        "no_appeal": False,
    }


def test_admin_add_sub_pool_with_reporting_rules(staff: Client, superuser: User) -> None:
    parent = PoolFactory(code="top")
    seq = _last_seq()

    response = staff.post(
        reverse("admin:funds_pool_add"),
        _pool_data(
            parent.administrator,
            parent=parent.pk,
            grant_min_ore=str(kr(10_000)),
            grant_max_ore=str(kr(49_999)),
            **{
                "reporting_rules-TOTAL_FORMS": "1",
                "reporting_rules-0-from_amount_ore": "0",
                "reporting_rules-0-requirement": "declaration",
            },
        ),
    )

    assert response.status_code == 302
    pool = Pool.objects.get(code="admin-pulje")
    assert (pool.parent_id, pool.root_id, pool.depth) == (parent.pk, parent.pk, 1)
    assert PoolAccount.objects.filter(pool=pool).count() == 1
    assert list(ReportingRule.objects.filter(pool=pool).values_list("requirement", flat=True)) == [
        "declaration"
    ]
    events = _new_events(seq)
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("funds.pool.created", superuser.pk, str(pool.pk)),
        ("funds.pool.reporting_rules_set", superuser.pk, str(pool.pk)),
    ]
    assert (events[1].before, events[1].after) == (
        {"rules": []},
        {"rules": [[0, "declaration"]]},
    )


def test_admin_change_pool_goes_through_the_service(staff: Client, superuser: User) -> None:
    pool = PoolFactory(code="admin-pulje", name="Gammelt navn")
    seq = _last_seq()

    response = staff.post(
        reverse("admin:funds_pool_change", args=[pool.pk]),
        _pool_data(pool.administrator, name="Nyt navn"),
    )

    assert response.status_code == 302
    events = _new_events(seq)
    assert [(e.action, e.actor_id) for e in events] == [("funds.pool.updated", superuser.pk)]
    assert (events[0].before or {}).get("name") == "Gammelt navn"
    assert (events[0].after or {}).get("name") == "Nyt navn"
    assert Pool.objects.get(pk=pool.pk).name == "Nyt navn"


def test_admin_add_sub_pool_outside_parents_period_is_a_form_error(staff: Client) -> None:
    parent = PoolFactory(code="top")
    seq = _last_seq()
    pools = Pool.objects.count()

    response = staff.post(
        reverse("admin:funds_pool_add"),
        _pool_data(parent.administrator, parent=parent.pk, period_end="2022-06-30"),
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["period_end"]
    assert Pool.objects.count() == pools
    assert _new_events(seq) == []


def test_admin_change_pool_the_service_would_refuse_is_a_form_error(staff: Client) -> None:
    pool = PoolFactory(code="admin-pulje")
    seq = _last_seq()

    # Only a smallest grant: the database's check passes it (NULL), the pool's rules do not.
    response = staff.post(
        reverse("admin:funds_pool_change", args=[pool.pk]),
        _pool_data(pool.administrator, grant_min_ore=str(kr(10_000))),
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["grant_max_ore"]
    assert Pool.objects.get(pk=pool.pk).grant_min_ore is None
    assert _new_events(seq) == []


def test_admin_pool_cannot_be_deleted(staff: Client) -> None:
    pool = PoolFactory()

    response = staff.post(reverse("admin:funds_pool_delete", args=[pool.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Pool.objects.filter(pk=pool.pk).exists()


def test_admin_save_without_changes_writes_no_event(staff: Client) -> None:
    organisation = OrganisationFactory(name="Boligselskabet Syd")
    seq = _last_seq()
    data = _organisation_data(cvr=organisation.cvr, name="Boligselskabet Syd")
    data.update(address="", postal_code="", city="", housing_number="", municipality="")
    response = staff.post(
        reverse("admin:registry_organisation_change", args=[organisation.pk]), data
    )
    assert response.status_code == 302
    assert _new_events(seq) == []


def test_admin_has_no_unaudited_group_editor(staff: Client) -> None:
    assert staff.get("/admin/auth/group/").status_code == 404
