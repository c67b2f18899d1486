"""The money picture and moving money in Chromium (issue 14 point 8, issue 15 point 7), at
desktop and phone width with axe-core on every page, walking from the front page by links:
BL's secretariat reads where its money is, moves 100.000 kr. from band 1 to band 2 after
seeing what the move does to both, and finds the move in both bands' ledgers; the ministry
sees what is available in its whole 50 mio. kr. tree, not the 0 kr. left in the top pool's
own account once the money is passed on."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from pulje.accounts.models import User
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.ledger.models import EntryKind, PoolAccount
from pulje.ledger.services import commit, delegate
from tests.browser.helpers import WIDTHS, assert_accessible, at, fits, follow_menu, log_in
from tests.factories import GrantAccountFactory, PoolFactory, UserFactory
from tests.factories.funds import Tree, make_tree

pytestmark = [pytest.mark.browser]

NewContext = Callable[[], BrowserContext]


@pytest.fixture
def tree() -> Tree:
    """The 2020 pool, with the rest of the ministry's money passed on and a grant in band 3."""
    tree = make_tree()
    rest = PoolFactory(name="Andre partnerskaber", administrator=tree.ministry, parent=tree.root)
    delegate(actor=None, pool=tree.root, to=rest, amount_ore=kr(25_000_000))
    commit(actor=None, grant=GrantAccountFactory(pool=tree.band3), amount_ore=kr(1_040_000))
    return tree


def window(new_context: NewContext, live_server: LiveServer, user: User, width: int) -> Page:
    context = new_context()
    log_in(context, live_server, user)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    return page


def checked(page: Page, width: int) -> None:
    assert_accessible(page)
    fits(page, width)


def open_pool(page: Page, pool: Pool, width: int) -> None:
    page.locator(f"main a[href='/puljer/{pool.pk}/']").first.click()
    page.wait_for_url(at(f"/puljer/{pool.pk}/"))
    checked(page, width)


def ledger_kinds(page: Page) -> list[str]:
    cells = page.locator("[aria-labelledby=ledger-heading] tbody tr td:nth-child(3)")
    return [re.sub(r"\s+", " ", text).strip() for text in cells.all_inner_texts()]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_secretariat_moves_money_between_bands_after_seeing_what_it_does(
    new_context: NewContext, live_server: LiveServer, tree: Tree, width: int
) -> None:
    page = window(new_context, live_server, UserFactory(organisation=tree.bl), width)
    follow_menu(page, "/puljer/")
    checked(page, width)

    open_pool(page, tree.bl_pool, width)
    expect(page.locator("main [data-money=headline]")).to_have_text(
        "Til rådighed i alt, med underpuljerne: 13.960.000 kr."
    )
    expect(page.locator("main [data-money=split]")).to_contain_text(
        "Heraf er 0 kr. i selve puljen og 13.960.000 kr. i underpuljerne"
    )

    open_pool(page, tree.band1, width)
    page.get_by_role(
        "link", name="Flyt penge til en anden underpulje eller tilbage til BL Vær Med"
    ).click()
    page.wait_for_url(at(f"/puljer/{tree.band1.pk}/flyt-penge/"))
    checked(page, width)
    expect(page.locator("main [data-figure=available]")).to_have_text("Kan flyttes: 1.500.000 kr.")
    page.get_by_label("Ramme 2").check()
    page.get_by_label("Beløb").fill("100.000")
    page.get_by_label("Hvorfor flyttes pengene?").fill("Ramme 2 har flere gode ansøgninger")
    page.get_by_role("button", name="Fortsæt").click()
    page.wait_for_load_state()

    # What the move will do, before it is done.
    expect(page.locator("h1")).to_have_text("Tjek flytningen")
    checked(page, width)
    after = page.locator("main tr[data-plan=after] td")
    expect(after).to_have_text(["1.400.000 kr.", "3.600.000 kr."])
    assert PoolAccount.objects.get(pool=tree.band2).budget_ore == kr(3_500_000)
    page.get_by_role("button", name="Flyt 100.000 kr.").click()
    page.wait_for_url(at(f"/puljer/{tree.band1.pk}/"))

    checked(page, width)
    expect(page.locator("main")).to_contain_text(
        "100.000 kr. blev flyttet fra “Ramme 1” til “Ramme 2”."
    )
    expect(page.locator("main [data-money=headline]")).to_have_text("Til rådighed: 1.400.000 kr.")
    assert ledger_kinds(page)[0] == "Flytning → Ramme 2"

    # The other band, by the breadcrumbs and BL's list of its bands.
    page.locator(f"nav.breadcrumbs a[href='/puljer/{tree.bl_pool.pk}/']").click()
    page.wait_for_url(at(f"/puljer/{tree.bl_pool.pk}/"))
    checked(page, width)
    open_pool(page, tree.band2, width)
    assert ledger_kinds(page)[0] == "Flytning ← Ramme 1"
    expect(page.locator("main [data-money=headline]")).to_have_text("Til rådighed: 3.600.000 kr.")
    assert PoolAccount.objects.get(pool=tree.band2).budget_ore == kr(3_600_000)
    assert tree.band1.entries.filter(kind=EntryKind.TRANSFER).count() == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_the_ministry_sees_what_its_whole_tree_has_available(
    new_context: NewContext, live_server: LiveServer, tree: Tree, width: int
) -> None:
    page = window(new_context, live_server, UserFactory(organisation=tree.ministry), width)
    follow_menu(page, "/puljer/")
    checked(page, width)

    top = page.locator("table.pool-tree tbody tr").first
    expect(top.locator("th")).to_contain_text(tree.root.name)
    expect(top.locator("td").first).to_have_text("48.960.000 kr.")
    expect(top.locator("td[data-figure=available-here]")).to_have_text("0 kr.")
    expect(page.locator("main")).to_contain_text("Til rådighed i alt")

    open_pool(page, tree.root, width)
    expect(page.locator("main [data-money=headline]")).to_have_text(
        "Til rådighed i alt, med underpuljerne: 48.960.000 kr."
    )
