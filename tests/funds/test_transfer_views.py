"""The page that moves a pool's uncommitted money to a sibling or back up, with its
confirmation (issue 15 point 7), and the money picture on the pool pages (issue 14 point 8)."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from pulje.accounts.models import User
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.models import Entry, EntryKind, PoolAccount
from pulje.ledger.services import commit
from tests.factories import GrantAccountFactory, PoolFactory
from tests.factories.funds import Tree

pytestmark = [pytest.mark.django_db]


def _move(pool: Pool) -> str:
    return reverse("funds:pool_transfer", args=[pool.pk])


def _detail(pool: Pool) -> str:
    return reverse("funds:pool_detail", args=[pool.pk])


def _counts() -> tuple[int, int]:
    return Entry.objects.count(), AuditEvent.objects.count()


def _form(response: Any, **changes: str) -> dict[str, Any]:
    """What the page's form posts, as the browser would send it."""
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {**{k: ("" if v is None else v) for k, v in data.items()}, **changes}


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_form_offers_the_parent_and_the_siblings(
    client: Client, tree: Tree, bl_user: User
) -> None:
    client.force_login(bl_user)

    response = client.get(_move(tree.band1))

    assert response.status_code == 200
    choices = [(str(label)) for _value, label in response.context["form"].fields["to"].choices]
    assert choices == ["Tilbage til BL Vær Med", "Ramme 2", "Ramme 3"]
    assert "Kan flyttes: 1.500.000 kr." in _text(response)


def test_moving_money_shows_both_sides_then_moves_it_once(
    client: Client, tree: Tree, bl_user: User
) -> None:
    commit(actor=None, grant=GrantAccountFactory(pool=tree.band1), amount_ore=kr(400_000))
    client.force_login(bl_user)
    form = client.get(_move(tree.band1))
    counts = _counts()

    data = _form(form, to=str(tree.band3.pk), amount_ore="100.000 kr.", text="Ramme 3 mangler")
    check = client.post(_move(tree.band1), data)

    assert check.status_code == 200
    assert check.templates[0].name == "funds/transfer_confirm.html"
    text = _text(check)
    assert "100.000 kr. flyttes fra Ramme 1 til Ramme 3." in text
    assert "Til rådighed nu 1.100.000 kr. 10.000.000 kr." in text
    assert "Til rådighed efter flytningen 1.000.000 kr. 10.100.000 kr." in text
    assert "Givet i tilsagn (ændres ikke) 400.000 kr. 0 kr." in text
    assert _counts() == counts

    confirm = {**_form(check), "confirm": "1"}
    done = client.post(_move(tree.band1), confirm, follow=True)
    client.post(_move(tree.band1), confirm)  # sent twice: moved once

    assert done.redirect_chain == [(_detail(tree.band1), 302)]
    assert [str(m) for m in done.context["messages"]] == [
        "100.000 kr. blev flyttet fra “Ramme 1” til “Ramme 3”."
    ]
    entry = Entry.objects.get(kind=EntryKind.TRANSFER)
    assert (entry.pool, entry.target, entry.amount_ore, entry.text, entry.created_by) == (
        tree.band1,
        tree.band3,
        kr(100_000),
        "Ramme 3 mangler",
        bl_user,
    )
    assert PoolAccount.objects.get(pool=tree.band3).budget_ore == kr(10_100_000)
    # In both pools' ledgers.
    assert "Flytning → Ramme 3" in _text(done)
    assert "Flytning ← Ramme 1" in _text(client.get(_detail(tree.band3)))


def test_money_goes_back_to_the_parent(client: Client, tree: Tree, bl_user: User) -> None:
    client.force_login(bl_user)
    form = client.get(_move(tree.band2))
    data = _form(form, to=str(tree.bl_pool.pk), amount_ore="500.000", text="Til overs")

    check = client.post(_move(tree.band2), data)
    client.post(_move(tree.band2), {**_form(check), "confirm": "1"})

    entry = Entry.objects.get(kind=EntryKind.RETURN)
    assert (entry.pool, entry.target) == (tree.band2, tree.bl_pool)
    parent = client.get(_detail(tree.bl_pool))
    assert parent.context["node"].balance.available == kr(500_000)
    assert "Tilbageført til puljen over ← Ramme 2" in _text(parent)


def test_too_much_is_refused_on_the_form_in_danish_and_nothing_moves(
    client: Client, tree: Tree, bl_user: User
) -> None:
    commit(actor=None, grant=GrantAccountFactory(pool=tree.band1), amount_ore=kr(1_450_000))
    client.force_login(bl_user)
    data = _form(client.get(_move(tree.band1)), to=str(tree.band2.pk), amount_ore="60.000")
    data["text"] = "Flyt"
    counts = _counts()

    for extra in ({}, {"confirm": "1"}):
        response = client.post(_move(tree.band1), {**data, **extra})

        assert response.status_code == 400
        assert response.context["form"].errors == {
            "amount_ore": [
                "“Ramme 1” har ikke 60.000 kr. til rådighed: den har 50.000 kr., "
                "10.000 kr. for lidt."
            ]
        }
    assert _counts() == counts


def test_change_goes_back_to_the_form_with_what_was_typed(
    client: Client, tree: Tree, bl_user: User
) -> None:
    client.force_login(bl_user)
    data = _form(client.get(_move(tree.band1)), to=str(tree.band2.pk), amount_ore="1.000")
    check = client.post(_move(tree.band1), {**data, "text": "Flyt"})

    back = client.post(_move(tree.band1), {**_form(check), "edit": "1"})

    assert back.templates[0].name == "funds/transfer_form.html"
    assert back.context["form"]["amount_ore"].value() == "1.000"
    assert Entry.objects.filter(kind=EntryKind.TRANSFER).count() == 0


@pytest.mark.parametrize(
    ("user_fixture", "pool"),
    [
        ("ministry_user", "band1"),  # oversees BL's bands, does not manage BL's pool
        ("bl_user", "bl_pool"),  # the ministry's money above BL
        ("bl_user", "root"),  # a top pool
        ("applicant", "band1"),
    ],
)
def test_the_page_is_only_for_the_parents_secretariat(
    client: Client, tree: Tree, request: pytest.FixtureRequest, user_fixture: str, pool: str
) -> None:
    client.force_login(request.getfixturevalue(user_fixture))
    url = _move(getattr(tree, pool))

    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"to": tree.band2.pk, "amount_ore": "1", "confirm": "1"}).status_code
        == 404
    )
    assert Entry.objects.filter(kind__in=[EntryKind.TRANSFER, EntryKind.RETURN]).count() == 0


def test_the_pool_page_links_the_move_for_those_who_may(
    client: Client, tree: Tree, bl_user: User, ministry_user: User
) -> None:
    def linked(user: User, pool: Pool) -> bool:
        client.force_login(user)
        return _move(pool) in client.get(_detail(pool)).content.decode()

    assert linked(bl_user, tree.band1)
    assert not linked(bl_user, tree.bl_pool)
    assert not linked(ministry_user, tree.band1)
    assert linked(ministry_user, tree.bl_pool)
    assert not linked(ministry_user, tree.root)


# The money picture


def _rows(html: str) -> dict[str, dict[str, str]]:
    """Each pool row of a money table: its pool's name → figure → amount."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        name = re.search(r"<a [^>]*>([^<]+)</a>", row)
        if name:
            figures = re.findall(r'data-figure="([\w-]+)">(?:<strong>)?([^<]+)', row)
            rows[name[1]] = dict(figures)
    return rows


def test_the_pool_tree_leads_with_what_is_available_in_all(
    client: Client, tree: Tree, ministry_user: User
) -> None:
    commit(actor=None, grant=GrantAccountFactory(pool=tree.band3), amount_ore=kr(1_040_000))
    client.force_login(ministry_user)

    response = client.get(reverse("funds:pool_list"))

    html = response.content.decode()
    rows = _rows(html)
    assert rows["Pulje mod ensomhed"] == {
        "available-in-all": "48.960.000 kr.",
        "received": "50.000.000 kr.",
        "granted": "1.040.000 kr.",
        "paid": "0 kr.",
        "passed-on": "25.000.000 kr.",
        "available-here": "25.000.000 kr.",
    }
    assert rows["BL Vær Med"] == {
        "available-in-all": "13.960.000 kr.",
        "received": "15.000.000 kr.",
        "granted": "1.040.000 kr.",
        "paid": "0 kr.",
        "passed-on": "15.000.000 kr.",
        "available-here": "0 kr.",
    }
    assert rows["Ramme 3"]["available-in-all"] == rows["Ramme 3"]["available-here"]
    # The figure in all comes first and in bold; the one of the pool itself is plain.
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', html)
    assert headers[:2] == ["Pulje", "Til rådighed i alt"]
    assert "<strong>13.960.000 kr.</strong>" in html
    assert "<strong>0 kr.</strong>" not in html
    assert "tæller med dér" in _text(response)


def test_a_parents_page_explains_where_its_money_is(
    client: Client, tree: Tree, bl_user: User
) -> None:
    commit(actor=None, grant=GrantAccountFactory(pool=tree.band3), amount_ore=kr(1_040_000))
    client.force_login(bl_user)

    parent = _text(client.get(_detail(tree.bl_pool)))
    band = _text(client.get(_detail(tree.band3)))

    assert "Til rådighed i alt, med underpuljerne: 13.960.000 kr." in parent
    assert "Heraf er 0 kr. i selve puljen og 13.960.000 kr. i underpuljerne" in parent
    assert "Til rådighed: 8.960.000 kr." in band
    assert "med underpuljerne" not in band


@pytest.mark.parametrize("extra", [0, 9])
def test_a_pool_page_with_its_sub_pools_runs_a_bounded_number_of_queries(
    client: Client,
    tree: Tree,
    bl_user: User,
    extra: int,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    for _ in range(extra):
        PoolFactory(parent=tree.bl_pool, administrator=tree.bl)
    client.force_login(bl_user)
    client.get(_detail(tree.bl_pool))

    # One of them the user's roles, for the menu (desk.context_processors).
    with django_assert_num_queries(19):
        response = client.get(_detail(tree.bl_pool))

    assert len(_rows(response.content.decode())) == 3 + extra
