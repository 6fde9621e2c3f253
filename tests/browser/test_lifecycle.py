"""One measure through its whole life, by three users in three browsers: the executing user reports a
need, coordination initiates and assigns it, the executing user starts it and reports status,
coordination asks for and delivers the evaluation, steering closes it. Every board action is served
by htmx in place: the card moves, the column counts change, and the page is never reloaded."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from samordna.domain.vocabulary import ARENA_LABELS, ARENAS
from tests.browser.conftest import (
    BROWSER,
    card,
    expect_count,
    expect_in_column,
    field,
    fill_need,
    open_card_action,
    submit,
    without_reload,
)
from tests.factories import World

pytestmark = BROWSER

TITLE = "Leksehjelp og aktiviteter i Nordbyen"


# Where the measure's card stands on each board in each state (None: not on that board). The executing
# user registered the need: until it is assigned, their board shows it under «Behov vi har meldt».
PLACES = {
    "need_identified": {"coordination": "need_identified", "execution": "registered", "steering": None},
    "initiated": {"coordination": "initiated", "execution": "registered", "steering": None},
    "assigned": {"coordination": "assigned", "execution": "assigned", "steering": None},
    "in_follow_up": {"coordination": "in_follow_up", "execution": "in_follow_up", "steering": None},
    "under_evaluation": {"coordination": "under_evaluation", "execution": "under_evaluation", "steering": None},
    "evaluated": {"coordination": None, "execution": None, "steering": "evaluated"},
    "closed": {"coordination": None, "execution": None, "steering": None},
}


def measure_id_of(page: Page) -> int:
    match = re.search(r"/measures/(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def expect_board(page: Page, board: str, measure_id: int, state: str) -> None:
    """The board as it is now: the card in its column (or absent) and every column's count (the world
    holds this one measure)."""
    column = PLACES[state][board]
    if column:
        expect_in_column(page, measure_id, column)
    else:
        expect(card(page, measure_id)).to_have_count(0)
    counts = page.locator(".column__count")
    expect(counts).not_to_have_count(0)
    for count_id in counts.evaluate_all("els => els.map(e => e.id)"):
        state_of_column = count_id.removeprefix("column-count-")
        expect_count(page, state_of_column, 1 if state_of_column == column else 0)


def expect_other_boards(boards: dict[str, Page], acting: str, measure_id: int, state: str) -> None:
    """The boards of the users who did not act, loaded afresh."""
    for board, page in boards.items():
        if board != acting:
            page.goto(f"/areas/alfa/boards/{board}")
            expect_board(page, board, measure_id, state)


def test_a_measure_from_need_to_closed_on_the_three_boards(user: Callable[..., Page], web_world: World) -> None:
    executing = user("executing")
    coordination = user("coordination")
    steering = user("steering")
    expect(executing).to_have_url(re.compile(r"/areas/alfa/boards/execution$"))
    expect(coordination).to_have_url(re.compile(r"/areas/alfa/boards/coordination$"))
    expect(steering).to_have_url(re.compile(r"/areas/alfa/boards/steering$"))
    boards = {"execution": executing, "coordination": coordination, "steering": steering}

    # 1. The executing user reports a need from their board.
    executing.get_by_role("link", name="Meld behov").click()
    expect(executing).to_have_url(re.compile(r"/areas/alfa/measures/new$"))
    form = executing.locator("#need-form form")
    fill_need(form, TITLE)
    form.get_by_role("button", name="Meld behov").click()
    executing.wait_for_url(re.compile(r"/measures/\d+$"))
    measure_id = measure_id_of(executing)
    expect(executing.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(executing.locator(".alert--ok")).to_contain_text("Behovet er meldt som")
    expect_other_boards(boards, "", measure_id, "need_identified")

    # 2. Coordination initiates it and assigns it to the executing user's unit, in the cards.
    with without_reload(coordination):
        form = open_card_action(coordination, measure_id, "Initier tiltak")
        expect(coordination.locator(f"#measure-{measure_id} [aria-expanded='true']")).to_have_count(1)
        field(form, "Mål").select_option(label="Redusere rusbruk blant ungdom")
        field(form, "Plan for tiltaket").fill("Leksehjelp to dager i uka med frivillige.")
        field(form, "Suksesskriterier").fill("Minst 20 elever deltar jevnlig.")
        assert submit(coordination, form, "Initier tiltak").status == 200
        expect_board(coordination, "coordination", measure_id, "initiated")
        expect(coordination.locator("#board-status")).to_contain_text("er flyttet til kolonnen «Initiert»")
    expect_other_boards(boards, "coordination", measure_id, "initiated")

    with without_reload(coordination):
        form = open_card_action(coordination, measure_id, "Tildel ansvar")
        field(form, "Ansvarlig enhet").select_option(label="Ungdomsskolene")
        field(form, "Bestilling").fill("Start leksehjelpen etter høstferien.")
        field(form, "Frist").fill((web_world.today() + timedelta(days=90)).isoformat())
        field(form, "Oppfølging hver (dager)").fill("14")
        assert submit(coordination, form, "Tildel ansvar").status == 200
        expect_board(coordination, "coordination", measure_id, "assigned")
        expect(card(coordination, measure_id)).to_contain_text("Ungdomsskolene")
    expect_other_boards(boards, "coordination", measure_id, "assigned")

    # 3. The executing user starts it and reports status.
    with without_reload(executing):
        form = open_card_action(executing, measure_id, "Start tiltaket")
        expect(form).to_contain_text("Bekreft at du vil utføre handlingen «Start tiltaket»")
        assert submit(executing, form, "Start tiltaket").status == 200
        expect_board(executing, "execution", measure_id, "in_follow_up")
    expect_other_boards(boards, "execution", measure_id, "in_follow_up")

    with without_reload(executing):
        form = open_card_action(executing, measure_id, "Rapporter status")
        field(form, "Status").select_option(label="I faresonen")
        field(form, "Merknad").fill("Færre frivillige enn ventet; oppmøtet er godt.")
        assert submit(executing, form, "Rapporter status").status == 200
        expect_board(executing, "execution", measure_id, "in_follow_up")  # the card stays, updated
        expect(card(executing, measure_id).locator(".badge--at_risk")).to_have_text(re.compile("I faresonen"))
        expect(executing.locator("#board-status")).to_contain_text("er oppdatert")
    expect_other_boards(boards, "execution", measure_id, "in_follow_up")
    expect(card(coordination, measure_id).locator(".badge--at_risk")).to_be_visible()

    # 4. Coordination asks for the evaluation and delivers it; the card leaves the coordination board.
    with without_reload(coordination):
        form = open_card_action(coordination, measure_id, "Be om evaluering")
        field(form, "Merknad").fill("Første halvår er over.")
        assert submit(coordination, form, "Be om evaluering").status == 200
        expect_board(coordination, "coordination", measure_id, "under_evaluation")
    expect_other_boards(boards, "coordination", measure_id, "under_evaluation")

    with without_reload(coordination):
        form = open_card_action(coordination, measure_id, "Lever evaluering")
        field(form, "Effekt").select_option(label="Delvis oppnådd")
        field(form, "Evalueringsmetode").fill("Oppmøtelister og samtaler med elevene.")
        field(form, "Funn").fill("Elevene som kom, fikk bedre rutiner.")
        field(form, "Anbefaling").select_option(label="Avslutte")
        assert submit(coordination, form, "Lever evaluering").status == 200
        expect_board(coordination, "coordination", measure_id, "evaluated")
        expect(coordination.locator("#board-status")).to_contain_text("vises ikke lenger på denne tavla")
    expect_other_boards(boards, "coordination", measure_id, "evaluated")
    expect(card(steering, measure_id)).to_contain_text("Delvis oppnådd")

    # 5. Steering closes it from the steering board.
    with without_reload(steering):
        form = open_card_action(steering, measure_id, "Avslutte")
        field(form, "Vedtak").fill("Avsluttes; erfaringene tas inn i skolens planer.")
        assert submit(steering, form, "Avslutte").status == 200
        expect_board(steering, "steering", measure_id, "closed")
        expect(steering.locator("#board-status")).to_contain_text("«Avsluttet»")
    expect_other_boards(boards, "steering", measure_id, "closed")

    # The measure page tells the whole story, newest first.
    steering.goto(f"/measures/{measure_id}")
    expect(steering.locator(".measure__head .badge--state")).to_contain_text("Avsluttet")
    steps = [
        "Avslutte",
        "Lever evaluering",
        "Be om evaluering",
        "Rapporter status",
        "Start tiltaket",
        "Tildel ansvar",
        "Initier tiltak",
        "Behov meldt",
    ]
    expect(steering.locator(".timeline .timeline__what strong")).to_have_text(steps)
    expect(steering.locator(".timeline")).to_contain_text("Avsluttes; erfaringene tas inn i skolens planer.")
    expect(steering.locator(".timeline")).to_contain_text("Færre frivillige enn ventet")


def test_the_need_form_names_the_arenas(user: Callable[..., Page], web_world: World) -> None:
    page = user("executing")
    page.goto("/areas/alfa/measures/new")
    options = page.locator("select[name=arena] option:not([value=''])")
    expect(options).to_have_text([ARENA_LABELS[a]["nb"] for a in ARENAS], timeout=1000)
