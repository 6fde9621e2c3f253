"""axe-core (WCAG 2.1 A and AA) on every page and after every kind of htmx swap, and the keyboard path
into the page: the skip link is the first tab stop and takes focus to the main content."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import (
    BROWSER,
    Watch,
    axe_check,
    expect_in_column,
    field,
    open_card_action,
    submit,
)
from tests.factories import World
from tests.web_support import PASSWORD

pytestmark = BROWSER


@pytest.fixture
def busy_world(web_world: World) -> dict[str, int]:
    """Measures in every state a board shows, one of them overdue, one with a status report."""
    w = web_world
    ids = {}
    for state in (
        "need_identified",
        "initiated",
        "assigned",
        "in_follow_up",
        "under_evaluation",
        "evaluated",
        "closed",
    ):
        ids[state] = w.advance(w.register(title=f"Tiltak som er {state}"), state).id
    real = w.samordna.clock.source
    w.samordna.clock.source = lambda: real() - timedelta(days=40)  # assigned and started long ago: now overdue
    try:
        late = w.advance(w.register(title="Tiltak med forfalt oppfølging"), "in_follow_up")
    finally:
        w.samordna.clock.source = real
    ids["overdue"] = late.id
    m = w.samordna.measures.get(actor=w.actors["coordination"], measure_id=ids["in_follow_up"])
    w.fire("executing", m, "report_status", health="at_risk", note="Lite oppmøte i høstferien.")
    paused = w.advance(w.register(title="Tiltak som venter"), "in_follow_up")
    ids["paused"] = w.fire("coordination", paused, "pause", reason="Venter på nye midler.").id
    return ids


PAGES = [
    ("coordinator", "/areas/alfa/boards/coordination"),
    ("coordinator", "/areas/alfa/boards/execution"),
    ("coordinator", "/areas/alfa/boards/steering"),
    ("executing", "/areas/alfa/boards/execution"),
    ("steering", "/areas/alfa/boards/steering"),
    ("viewer", "/areas/alfa/boards/steering/decisions"),
    ("executing", "/areas/alfa/measures"),
    ("coordinator", "/areas/alfa/measures?q=natteravner&state=in_follow_up&sort=title"),
    ("coordinator", "/measures/{in_follow_up}"),
    ("steering", "/measures/{evaluated}"),
    ("viewer", "/measures/{closed}"),
    ("coordinator", "/workflows/measure"),
    ("coordinator", "/areas/alfa/admin"),
    ("steering", "/areas/alfa/report"),
    ("executing", "/account/password"),
    ("executing", "/notifications"),
    ("executing", "/notifications/preferences"),
    ("coordinator", "/areas/alfa/notifications"),
    ("coordinator", "/measures/999999"),  # the 404 page
    ("coordinator", "/areas/nowhere/boards/coordination"),  # also a 404 page
]


def test_the_login_page(new_context: Callable[..., BrowserContext], web_world: World, watch: Watch) -> None:
    watch.allow(401)
    page = new_context().new_page()
    page.goto("/login")
    axe_check(page, "the login page")
    page.get_by_label("E-postadresse").fill("executing@example.no")
    page.get_by_label("Passord").fill("feil passord")
    page.get_by_role("button", name="Logg inn").click()
    expect(page.locator("#login-error")).to_have_text("Feil e-postadresse eller passord.")
    axe_check(page, "the login page after a wrong password")


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_every_page(user: Callable[..., Page], busy_world: dict[str, int], watch: Watch, who: str, path: str) -> None:
    watch.allow(404)
    page = user(who)
    answer = page.goto(path.format(**busy_world))
    assert answer is not None
    assert answer.status == (404 if "999999" in path or "nowhere" in path else 200), answer.status
    expect(page.locator("h1")).to_have_count(1)
    if path.endswith("/boards/coordination") and answer.status == 200:  # every kind of card is there
        expect(page.locator(f"#measure-{busy_world['overdue']} .badge--overdue")).to_have_text("Forfalt")
        expect(page.locator(f"#measure-{busy_world['in_follow_up']} .badge--at_risk")).to_be_visible()
        expect(page.locator(".column__count")).to_have_count(6)
    axe_check(page, f"{path} as {who}")


def test_the_need_form(user: Callable[..., Page], web_world: World, watch: Watch) -> None:
    watch.allow(422)
    page = user("executing")
    page.goto("/areas/alfa/measures/new")
    axe_check(page, "the need form")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Meld behov").click()
    assert answer.value.status == 422
    expect(page.locator("[aria-invalid='true']").first).to_be_focused()
    axe_check(page, "the need form refused (htmx)")


def test_the_need_forms_title_field_has_its_label(user: Callable[..., Page], web_world: World) -> None:
    page = user("executing")
    page.goto("/areas/alfa/measures/new")
    expect(page.get_by_label("Tittel", exact=True)).to_have_attribute("name", "title", timeout=1000)
    axe_check(page, "the need form")


def test_board_swaps(user: Callable[..., Page], busy_world: dict[str, int], watch: Watch) -> None:
    watch.allow(422)
    page = user("coordinator")
    m = busy_world["need_identified"]
    form = open_card_action(page, m, "Initier tiltak")
    expect(page.locator(f"#card-form-{m}-title")).to_be_focused()
    axe_check(page, "a card's form opened in place")

    assert submit(page, form, "Initier tiltak").status == 422
    expect(page.locator(f"#card-slot-{m} [aria-invalid='true']").first).to_be_focused()
    axe_check(page, "a card's form refused")

    field(form, "Mål").select_option(label="Redusere rusbruk blant ungdom")
    field(form, "Plan for tiltaket").fill("Plan.")
    field(form, "Suksesskriterier").fill("Kriterier.")
    assert submit(page, form, "Initier tiltak").status == 200
    expect_in_column(page, m, "initiated")
    expect(page.locator(f"#measure-{m} .card__title a")).to_be_focused()  # focus follows the card
    axe_check(page, "the board after a card moved")

    page.get_by_label("Status").select_option("at_risk")  # the filter swaps the board body
    expect(page.locator("#board-body .card")).to_have_count(1)
    axe_check(page, "the board filtered")

    steering = user("steering")
    e = busy_world["evaluated"]
    form = open_card_action(steering, e, "Avslutte")
    axe_check(steering, "the steering decision form")
    field(form, "Vedtak").fill("Avsluttes.")
    assert submit(steering, form, "Avslutte").status == 200
    expect(steering.locator(f"#measure-{e}")).to_have_count(0)
    axe_check(steering, "the steering board after a decision")


def test_measure_page_swaps(user: Callable[..., Page], busy_world: dict[str, int], watch: Watch) -> None:
    watch.allow(422)
    page = user("coordination")
    page.goto(f"/measures/{busy_world['in_follow_up']}")
    action = page.locator("#action-pause")
    action.locator("summary").click()
    axe_check(page, "a measure page with a form opened")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        action.get_by_role("button", name="Sett på vent").click()
    assert answer.value.status == 422
    expect(page.locator("#action-pause [aria-invalid='true']")).to_be_focused()
    axe_check(page, "a measure page with a refused form (htmx)")
    page.locator("#action-pause").get_by_label("Begrunnelse").fill("Venter på lokaler.")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("#action-pause").get_by_role("button", name="Sett på vent").click()
    assert answer.value.status == 200
    expect(page.locator(".measure__head .badge--state")).to_contain_text("Satt på vent")
    axe_check(page, "a measure page after an accepted action (htmx)")


@pytest.mark.parametrize("path", ["/login", "/areas/alfa/boards/coordination"])
def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(
    new_context: Callable[..., BrowserContext], user: Callable[..., Page], busy_world: dict[str, int], path: str
) -> None:
    page = new_context().new_page() if path == "/login" else user("coordinator")
    page.goto(path)
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_have_text("Hopp til hovedinnholdet")
    expect(skip).to_be_visible()  # visible when focused, not only to screen readers
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")  # and the next stop is inside main, not back in the header
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_the_login_page_in_another_language(new_context: Callable[..., BrowserContext], web_world: World) -> None:
    page = new_context().new_page()
    page.goto("/login")
    languages = page.get_by_role("group", name="Språk")
    expect(languages.get_by_role("button", name="Bokmål")).to_have_attribute("aria-pressed", "true")
    languages.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_role("group", name="Language").get_by_role("button", name="English")).to_have_attribute(
        "aria-pressed", "true"
    )
    axe_check(page, "the login page in English")
    page.get_by_label("Email address").fill("coordinator@example.no")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordination board")


def test_escape_closes_a_cards_form_and_gives_focus_back_to_its_button(
    user: Callable[..., Page], web_world: World
) -> None:
    m = web_world.register()
    page = user("coordinator")
    opener = page.locator(f"#measure-{m.id} .card__actions").get_by_role("link", name="Initier tiltak")
    slot = page.locator(f"#card-slot-{m.id}")
    for where in ("Plan for tiltaket", "Mål"):  # a text box, and a closed select
        opener.focus()
        with page.expect_response(lambda r: "/actions/" in r.url):
            page.keyboard.press("Enter")
        form = slot.locator("form")
        expect(form).to_be_visible()
        expect(opener).to_have_attribute("aria-expanded", "true")
        field(form, where).focus()
        if where == "Plan for tiltaket":
            page.keyboard.type("Noe som ikke skal lagres")
        page.keyboard.press("Escape")
        expect(form).to_have_count(0)
        expect(opener).to_be_focused()
        expect(opener).to_have_attribute("aria-expanded", "false")
    # Escape elsewhere on the board closes nothing
    opener.focus()
    with page.expect_response(lambda r: "/actions/" in r.url):
        page.keyboard.press("Enter")
    expect(slot.locator("form")).to_be_visible()
    page.locator("#filter-goal").focus()
    page.keyboard.press("Escape")
    expect(slot.locator("form")).to_be_visible()
