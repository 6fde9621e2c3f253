"""Live boards in Chromium (DESIGN.md §15): two members of an area on the coordination board, each in a browser
context of their own; one assigns a measure from its card, the other sees the card move column and the counts
change without reloading, and hears which measure changed and who changed it (a polite live region). A member
of another area hears nothing of it. While a card's form is open, a change waits behind a notice. axe: none."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    BROWSER,
    axe_check,
    card,
    expect_count,
    expect_in_column,
    field,
    open_card_action,
    submit,
    without_reload,
)
from tests.factories import World

pytestmark = BROWSER

# Every text the live region is given, kept in the page: a region's text is replaced by the next one.
HEARD = """() => {
  window.__heard = [];
  const region = document.getElementById("live-status");
  const note = () => window.__heard.push(region.textContent);
  new MutationObserver(note).observe(region, {childList: true, characterData: true, subtree: true});
}"""


def _listening(page: Page) -> None:
    """Wait until the page's stream listens (it said `ready`), and note what its region says from now on."""
    page.evaluate(HEARD)
    expect(page.locator("#board-live[data-live='ready']")).to_have_count(1)


def test_a_card_moves_on_another_members_board(web_world: World, user) -> None:
    m = web_world.fire("coordination", web_world.register(title="Leksehjelp på biblioteket"), "initiate")
    board = "/areas/alfa/boards/coordination"
    mover, watcher = user("coordination"), user("coordinator")
    beta = user("beta_coordinator")
    for page, path in ((mover, board), (watcher, board), (beta, "/areas/beta/boards/coordination")):
        page.goto(path)
        _listening(page)
    expect_in_column(watcher, m.id, "initiated")
    expect_count(watcher, "initiated", 1)
    expect_count(watcher, "assigned", 0)

    with without_reload(mover):
        form = open_card_action(mover, m.id, "Tildel ansvar")
        field(form, "Ansvarlig enhet").select_option(label="Ungdomsskolene")
        field(form, "Bestilling").fill("Start leksehjelpen etter høstferien.")
        field(form, "Frist").fill((web_world.today() + timedelta(days=90)).isoformat())
        field(form, "Oppfølging hver (dager)").fill("14")
        assert submit(mover, form, "Tildel ansvar").status == 200
        expect_in_column(mover, m.id, "assigned")

    with without_reload(watcher):
        expect_in_column(watcher, m.id, "assigned")
        expect_count(watcher, "initiated", 0)
        expect_count(watcher, "assigned", 1)
        expect(watcher.locator("#live-status")).to_have_text(f"Tiltak {m.ref} ble oppdatert av Coordination.")
    axe_check(watcher, "koordineringstavla etter en endring fra en annen")

    # Beta's board heard nothing of alfa's measure: a change in beta is the first thing it hears.
    beta_need = web_world.register("beta_coordinator", area="beta", title="Trygg skolevei")
    expect(card(beta, beta_need.id)).to_be_visible()
    assert beta.evaluate("window.__heard") == [f"Tiltak {beta_need.ref} ble oppdatert av Beta Coordinator."]


def test_an_open_card_form_is_not_replaced(web_world: World, user) -> None:
    first = web_world.fire("coordination", web_world.register(title="Natteravner"), "initiate")
    other = web_world.register(title="Fritidsklubb")
    page = user("coordination")
    page.goto("/areas/alfa/boards/coordination")
    _listening(page)
    with without_reload(page):
        form = open_card_action(page, first.id, "Tildel ansvar")
        field(form, "Bestilling").fill("Halvferdig tekst")
        web_world.fire("coordinator", other, "initiate")  # someone else, meanwhile
        notice = page.locator("#live-notice")
        expect(notice).to_be_visible()
        expect(field(form, "Bestilling")).to_have_value("Halvferdig tekst")
        expect_in_column(page, other.id, "need_identified")  # not yet
        axe_check(page, "tavla med melding om endringer")
        notice.get_by_role("button", name="Vis endringene").click()
        expect_in_column(page, other.id, "initiated")
        expect(notice).to_be_hidden()
