import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.core.models import AuditEvent
from pulje.core.money import format_dkk, kr
from pulje.funds.models import Pool
from pulje.funds.services import update_pool
from pulje.ledger.models import Entry, PoolAccount
from pulje.ledger.services import appropriate, commit, delegate, pay, recover
from pulje.ledger.services import reverse as reverse_entry
from tests.factories import GrantAccountFactory, OrganisationFactory, PoolFactory, UserFactory
from tests.factories.funds import Tree

pytestmark = [
    pytest.mark.django_db,
]


def _counts() -> tuple[int, int, int]:
    return Pool.objects.count(), Entry.objects.count(), AuditEvent.objects.count()


def _codes(response: Any) -> list[str]:
    return [node.pool.code for node in response.context["nodes"]]


def _detail(pool: Pool) -> str:
    return reverse("funds:pool_detail", args=[pool.pk])


# The pool list


def test_pool_list_ministry_sees_the_whole_tree(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)

    response = client.get(reverse("funds:pool_list"))

    assert response.status_code == 200
    assert _codes(response) == ["ensomhed", "bl", "bl-ramme-1", "bl-ramme-2", "bl-ramme-3", "slks"]
    content = response.content.decode()
    for pool in tree.pools:
        assert pool.name in content
    nodes = {node.pool.code: node for node in response.context["nodes"]}
    assert nodes["ensomhed"].balance.available == kr(25_000_000)
    assert nodes["ensomhed"].subtree.available == kr(50_000_000)
    assert format_dkk(kr(25_000_000)) in content
    assert format_dkk(kr(50_000_000)) in content


def test_pool_list_bl_sees_only_its_part_and_bands(
    client: Client, tree: Tree, bl_user: User
) -> None:
    client.force_login(bl_user)

    response = client.get(reverse("funds:pool_list"))

    assert _codes(response) == ["bl", "bl-ramme-1", "bl-ramme-2", "bl-ramme-3"]
    content = response.content.decode()
    for pool in [tree.bl_pool, tree.band1, tree.band2, tree.band3]:
        assert pool.name in content
    for hidden in [tree.root, tree.slks_pool]:
        assert hidden.name not in content
        assert _detail(hidden) not in content
    # Nor the ministry's figures: 50 mio. budget, 25 mio. available at the top.
    assert format_dkk(kr(50_000_000)) not in content
    assert format_dkk(kr(25_000_000)) not in content


def test_pool_list_applicant_sees_none(client: Client, tree: Tree, applicant: User) -> None:
    client.force_login(applicant)

    response = client.get(reverse("funds:pool_list"))

    assert response.status_code == 200
    assert _codes(response) == []
    content = response.content.decode()
    for pool in tree.pools:
        assert pool.name not in content


def test_pool_list_superuser_sees_every_tree(client: Client, tree: Tree) -> None:
    other = PoolFactory(code="andet", name="Anden pulje")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    response = client.get(reverse("funds:pool_list"))

    assert _codes(response) == [
        "andet",
        "ensomhed",
        "bl",
        "bl-ramme-1",
        "bl-ramme-2",
        "bl-ramme-3",
        "slks",
    ]
    assert other.name in response.content.decode()


@pytest.mark.parametrize("name", ["funds:pool_list", "funds:pool_detail"])
def test_pool_pages_send_anonymous_users_to_login(client: Client, tree: Tree, name: str) -> None:
    url = reverse(name, args=[tree.root.pk] if name == "funds:pool_detail" else [])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def _tree_of(size: int, administrator: Any) -> Pool:
    top = PoolFactory(administrator=administrator)
    appropriate(actor=None, pool=top, amount_ore=kr(1_000_000))
    parents = [top]
    for number in range(size - 1):
        parent = parents[number // 4]
        pool = PoolFactory(administrator=administrator, parent=parent)
        delegate(actor=None, pool=parent, to=pool, amount_ore=kr(10_000 // 5**pool.depth))
        parents.append(pool)
    return top


@pytest.mark.parametrize("pools", [4, 40])
def test_pool_list_queries_do_not_grow_with_the_tree(
    client: Client, pools: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    ministry = OrganisationFactory()
    user = UserFactory(organisation=ministry)
    _tree_of(pools, ministry)
    client.force_login(user)
    client.get(reverse("funds:pool_list"))

    # One of them the user's roles, for the menu.
    with django_assert_num_queries(6):
        response = client.get(reverse("funds:pool_list"))

    assert len(response.context["nodes"]) == pools
    names = Pool.objects.filter(administrator=ministry).values_list("name", flat=True)
    assert [escape(name) in response.content.decode() for name in names] == [True] * pools


# The pool detail page


def test_pool_detail_shows_own_and_subtree_figures(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)

    response = client.get(_detail(tree.bl_pool))

    assert response.status_code == 200
    assert response.context["pool"] == tree.bl_pool
    assert response.context["ancestors"] == [tree.root]
    assert [child.pool.code for child in response.context["children"]] == [
        "bl-ramme-1",
        "bl-ramme-2",
        "bl-ramme-3",
    ]
    node = response.context["node"]
    assert (node.balance.budget, node.balance.delegated, node.balance.available) == (
        kr(15_000_000),
        kr(15_000_000),
        0,
    )
    assert node.subtree.available == kr(15_000_000)
    content = response.content.decode()
    assert format_dkk(kr(15_000_000)) in content
    assert format_dkk(kr(3_500_000)) in content


def test_pool_detail_shows_all_six_figures_of_the_pool(
    client: Client, tree: Tree, bl_user: User
) -> None:
    grant = GrantAccountFactory(pool=tree.band2, recipient=OrganisationFactory())
    commit(actor=None, grant=grant, amount_ore=kr(60_000))
    pay(actor=None, grant=grant, amount_ore=kr(40_000))
    recover(actor=None, grant=grant, amount_ore=100_050)
    client.force_login(bl_user)

    response = client.get(_detail(tree.band2))

    balance = response.context["node"].balance
    assert (
        balance.budget,
        balance.delegated,
        balance.committed,
        balance.paid,
        balance.recovered,
        balance.available,
    ) == (kr(3_500_000), 0, kr(60_000), kr(40_000), 100_050, kr(3_440_000) + 100_050)
    content = response.content.decode()
    for text in ["3.500.000 kr.", "60.000 kr.", "40.000 kr.", "1.000,50 kr.", "3.441.000,50 kr."]:
        assert text in content
    # And on BL's page, the totals of BL's whole subtree.
    subtree = client.get(_detail(tree.bl_pool)).context["node"].subtree
    assert (subtree.budget, subtree.committed, subtree.available) == (
        kr(15_000_000),
        kr(60_000),
        kr(14_940_000) + 100_050,
    )


@pytest.mark.parametrize(
    ("user_fixture", "hidden"),
    [
        ("bl_user", "root"),
        ("bl_user", "slks_pool"),
        ("applicant", "root"),
        ("applicant", "bl_pool"),
        ("applicant", "band1"),
    ],
)
def test_pool_detail_404_for_a_pool_the_user_may_not_see(
    client: Client, tree: Tree, request: pytest.FixtureRequest, user_fixture: str, hidden: str
) -> None:
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(_detail(getattr(tree, hidden)))

    assert response.status_code == 404


def test_pool_detail_bl_member_sees_its_bands(client: Client, tree: Tree, bl_user: User) -> None:
    client.force_login(bl_user)

    response = client.get(_detail(tree.band2))

    assert response.status_code == 200
    # The breadcrumbs name the pools above, the ministry's top pool included.
    assert response.context["ancestors"] == [tree.root, tree.bl_pool]


def test_pool_detail_manage_forms_for_the_administering_organisation_only(
    client: Client, tree: Tree, ministry_user: User, bl_user: User
) -> None:
    def manage(user: User, pool: Pool) -> tuple[bool, bool, list[str] | None]:
        client.force_login(user)
        context = client.get(_detail(pool)).context
        delegation = context["delegation_form"]
        return (
            context["can_manage"],
            context["appropriation_form"] is not None,
            [p.code for p in delegation.fields["to"].queryset] if delegation else None,
        )

    assert manage(ministry_user, tree.root) == (True, True, ["bl", "slks"])
    assert manage(ministry_user, tree.bl_pool) == (False, False, None)
    assert manage(ministry_user, tree.band1) == (False, False, None)
    assert manage(bl_user, tree.bl_pool) == (
        True,
        False,
        ["bl-ramme-1", "bl-ramme-2", "bl-ramme-3"],
    )
    assert manage(bl_user, tree.band1) == (True, False, None)


def test_pool_detail_hides_manage_links_from_viewers(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)

    content = client.get(_detail(tree.bl_pool)).content.decode()

    assert reverse("funds:sub_pool_create", args=[tree.bl_pool.pk]) not in content
    assert reverse("funds:pool_delegate", args=[tree.bl_pool.pk]) not in content


@pytest.mark.parametrize("changes", [0, 29])
def test_pool_detail_queries_do_not_grow_with_entries_and_events(
    client: Client, changes: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    ministry = OrganisationFactory()
    user = UserFactory(organisation=ministry)
    top = PoolFactory(administrator=ministry)
    child = PoolFactory(administrator=ministry, parent=top)
    appropriate(actor=user, pool=top, amount_ore=kr(1_000_000))
    grant = GrantAccountFactory(pool=top)
    for number in range(changes):
        actor = UserFactory(organisation=ministry, name=f"Medarbejder {number}")
        update_pool(actor=actor, pool=top, name=f"Pulje {number}")
        if number % 3 == 0:
            appropriate(actor=actor, pool=top, amount_ore=kr(1_000))
        elif number % 3 == 1:
            delegate(actor=actor, pool=top, to=child, amount_ore=kr(1_000))
        else:
            entry = commit(actor=actor, grant=grant, amount_ore=kr(100))
            if number == 2:
                reverse_entry(actor=actor, entry=entry, text="Fejl")
    client.force_login(user)
    client.get(_detail(top))

    # One of them the user's roles, for the menu.
    with django_assert_num_queries(13):
        response = client.get(_detail(top))

    entries, events = response.context["entries"], response.context["events"]
    assert (len(entries), len(events)) == ((1, 1) if changes == 0 else (31, 30))
    content = response.content.decode()
    # Each change is listed with who made it.
    listed = [bool(re.search(rf"Medarbejder {n}\b", content)) for n in range(changes)]
    assert listed == [True] * changes


# Posting money


def test_appropriation_posts_exactly_the_amount_typed(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)
    last_entry = Entry.objects.latest("id").pk

    response = client.post(
        reverse("funds:pool_appropriate", args=[tree.root.pk]),
        {"amount_ore": "12.500,50 kr.", "text": "Aktstykke nr. 99"},
    )

    assert response.status_code == 302
    assert response["Location"] == _detail(tree.root)
    assert list(
        Entry.objects.filter(pk__gt=last_entry).values_list(
            "kind", "pool_id", "target_id", "amount_ore", "text", "created_by_id"
        )
    ) == [("appropriation", tree.root.pk, None, 1_250_050, "Aktstykke nr. 99", ministry_user.pk)]
    assert PoolAccount.objects.get(pool=tree.root).budget_ore == kr(50_000_000) + 1_250_050


def test_appropriation_with_a_bad_amount_rerenders_and_writes_nothing(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)
    counts = _counts()

    response = client.post(
        reverse("funds:pool_appropriate", args=[tree.root.pk]),
        {"amount_ore": "12.5", "text": "Aktstykke nr. 99"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "amount_ore": [
            "“12.5” er ikke et beløb. Skriv det på dansk med punktum mellem tusinder og komma "
            "før øre, for eksempel 12.500,50 kr."
        ]
    }
    assert _counts() == counts
    assert PoolAccount.objects.get(pool=tree.root).budget_ore == kr(50_000_000)


def test_appropriation_to_a_part_is_refused_by_the_ledger(
    client: Client, tree: Tree, bl_user: User
) -> None:
    client.force_login(bl_user)
    counts = _counts()

    response = client.post(
        reverse("funds:pool_appropriate", args=[tree.bl_pool.pk]),
        {"amount_ore": "1.000 kr.", "text": "Forsøg"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "amount_ore": [
            "Der kan kun bevilges penge til en øverste pulje; “BL Vær Med” er en del af en "
            "anden pulje."
        ]
    }
    assert _counts() == counts


def test_delegation_over_the_available_amount_names_the_shortfall(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)
    counts = _counts()

    response = client.post(
        reverse("funds:pool_delegate", args=[tree.root.pk]),
        {"to": tree.slks_pool.pk, "amount_ore": "30.000.000 kr.", "text": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "amount_ore": [
            "“Pulje mod ensomhed” har ikke 30.000.000 kr. til rådighed: "
            "den har 25.000.000 kr., 5.000.000 kr. for lidt."
        ]
    }
    assert _counts() == counts
    assert PoolAccount.objects.get(pool=tree.slks_pool).budget_ore == kr(10_000_000)


def test_delegation_moves_the_money(client: Client, tree: Tree, ministry_user: User) -> None:
    client.force_login(ministry_user)

    response = client.post(
        reverse("funds:pool_delegate", args=[tree.root.pk]),
        {"to": tree.slks_pool.pk, "amount_ore": "25.000.000 kr.", "text": "Resten"},
    )

    assert response.status_code == 302
    accounts = dict(
        PoolAccount.objects.filter(pool__in=[tree.root, tree.slks_pool]).values_list(
            "pool__code", "budget_ore"
        )
    )
    assert accounts == {"ensomhed": kr(50_000_000), "slks": kr(35_000_000)}
    assert PoolAccount.objects.get(pool=tree.root).balance.available == 0


def test_delegation_only_to_own_sub_pools(client: Client, tree: Tree, bl_user: User) -> None:
    client.force_login(bl_user)
    counts = _counts()

    response = client.post(
        reverse("funds:pool_delegate", args=[tree.bl_pool.pk]),
        {"to": tree.slks_pool.pk, "amount_ore": "1 kr.", "text": ""},
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["to"]
    assert _counts() == counts


# Creating sub-pools


def _sub_pool_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Ekstra pulje",
        "code": "ekstra",
        "administrator": "",
        "purpose": "Til det, der mangler",
        "period_start": "2020-11-06",
        "period_end": "2021-12-31",
        "spend_by": "",
        "grant_min_ore": "",
        "grant_max_ore": "",
        "delegate_ore": "",
    }
    return data | overrides


def test_sub_pool_create_form_starts_from_the_parent(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)

    response = client.get(reverse("funds:sub_pool_create", args=[tree.root.pk]))

    assert response.status_code == 200
    form = response.context["form"]
    assert (
        form["administrator"].initial,
        form["period_start"].initial,
        form["period_end"].initial,
    ) == (tree.ministry.pk, tree.root.period_start, tree.root.period_end)


def test_sub_pool_create_with_an_initial_delegation(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)

    response = client.post(
        reverse("funds:sub_pool_create", args=[tree.root.pk]),
        _sub_pool_data(administrator=tree.bl.pk, delegate_ore="5.000.000 kr."),
    )

    pool = Pool.objects.get(code="ekstra")
    assert response.status_code == 302
    assert response["Location"] == _detail(pool)
    assert (pool.parent_id, pool.root_id, pool.depth, pool.administrator_id, pool.name) == (
        tree.root.pk,
        tree.root.pk,
        1,
        tree.bl.pk,
        "Ekstra pulje",
    )
    assert list(Entry.objects.filter(target=pool).values_list("kind", "pool_id", "amount_ore")) == [
        ("delegation", tree.root.pk, kr(5_000_000))
    ]
    assert PoolAccount.objects.get(pool=pool).budget_ore == kr(5_000_000)
    assert PoolAccount.objects.get(pool=tree.root).balance.available == kr(20_000_000)
    assert list(
        AuditEvent.objects.filter(object_type="funds.pool", object_id=str(pool.pk)).values_list(
            "action", "actor_id"
        )
    ) == [("funds.pool.created", ministry_user.pk)]


def test_sub_pool_create_band_with_limits(client: Client, tree: Tree, bl_user: User) -> None:
    client.force_login(bl_user)

    response = client.post(
        reverse("funds:sub_pool_create", args=[tree.bl_pool.pk]),
        _sub_pool_data(
            code="bl-ramme-4",
            administrator=tree.bl.pk,
            grant_min_ore="1.000.001 kr.",
            grant_max_ore="2.000.000 kr.",
        ),
    )

    assert response.status_code == 302
    band = Pool.objects.get(code="bl-ramme-4")
    assert (band.grant_min_ore, band.grant_max_ore, band.depth) == (
        kr(1_000_001),
        kr(2_000_000),
        2,
    )
    assert band.account.budget_ore == 0


def test_sub_pool_create_delegation_too_large_writes_nothing(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)
    counts = _counts()

    response = client.post(
        reverse("funds:sub_pool_create", args=[tree.root.pk]),
        _sub_pool_data(administrator=tree.bl.pk, delegate_ore="25.000.000,01 kr."),
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "delegate_ore": [
            "“Pulje mod ensomhed” har ikke 25.000.000,01 kr. til rådighed: "
            "den har 25.000.000 kr., 0,01 kr. for lidt."
        ]
    }
    assert _counts() == counts


def test_sub_pool_create_period_outside_the_parents_writes_nothing(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)
    counts = _counts()

    response = client.post(
        reverse("funds:sub_pool_create", args=[tree.root.pk]),
        _sub_pool_data(administrator=tree.bl.pk, period_end="2022-01-31"),
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["period_end"]
    assert _counts() == counts


# Posting as someone who may look but not manage


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("funds:pool_delegate", {"amount_ore": "1 kr.", "text": ""}),
        ("funds:pool_appropriate", {"amount_ore": "1 kr.", "text": "x"}),
        ("funds:sub_pool_create", _sub_pool_data(delegate_ore="1 kr.")),
    ],
)
def test_post_by_a_viewer_who_may_not_manage_is_404_and_writes_nothing(
    client: Client, tree: Tree, ministry_user: User, name: str, data: dict[str, Any]
) -> None:
    # The ministry sees BL's part (it is under the ministry's pool) but BL manages it.
    client.force_login(ministry_user)
    counts = _counts()
    data = data | {"to": tree.band1.pk, "administrator": tree.ministry.pk}

    response = client.post(reverse(name, args=[tree.bl_pool.pk]), data)

    assert response.status_code == 404
    assert _counts() == counts


def test_post_by_a_user_who_may_not_see_the_pool_is_404(
    client: Client, tree: Tree, bl_user: User
) -> None:
    client.force_login(bl_user)
    counts = _counts()

    response = client.post(
        reverse("funds:pool_appropriate", args=[tree.root.pk]),
        {"amount_ore": "1.000 kr.", "text": "x"},
    )

    assert response.status_code == 404
    assert _counts() == counts


def test_sub_pool_create_page_404_for_a_viewer(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    client.force_login(ministry_user)

    response = client.get(reverse("funds:sub_pool_create", args=[tree.bl_pool.pk]))

    assert response.status_code == 404


def test_pool_detail_with_both_manage_forms_has_unique_ids(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    """Appropriation and delegation forms on one page: every label must point at its own input."""
    client.force_login(ministry_user)
    html = client.get(_detail(tree.root)).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert "appropriation-amount_ore" in ids
    assert "delegation-amount_ore" in ids
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []


def test_pool_history_names_people_but_never_shows_their_e_mail_address(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    nameless = UserFactory(name="", email="hemmelig@ministeriet.dk", organisation=tree.ministry)
    update_pool(actor=nameless, pool=tree.root, purpose="Nyt formål")
    update_pool(actor=ministry_user, pool=tree.root, purpose="Andet formål")
    client.force_login(ministry_user)
    html = client.get(_detail(tree.root)).content.decode()
    assert "hemmelig@ministeriet.dk" not in html
    assert "Ændret – en bruger" in html
    assert "Ændret – Mette Ministeriel" in html
