"""Live pages in Chromium (DESIGN.md §15) beyond the boards: a measure page being read shows a quiet notice when
someone else changes the measure, and keeps the form typed in; the measure list re-reads its results; the projector
view re-reads the item's facts after a decision recorded on another laptop, and the meeting page shows the notice.
Each page with the notice or the change in view: axe finds nothing."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import BROWSER, axe_check, field, open_card_action, submit, without_reload
from tests.factories import World

pytestmark = BROWSER

NOTICE_WITHIN_MS = 2000


def _listening(page: Page, root: str) -> None:
    """Wait until the page's stream listens (it said `ready`)."""
    expect(page.locator(f"#{root}[data-live='ready']")).to_have_count(1)


def _assign_from_the_board(page: Page, world: World, measure_id: int) -> None:
    form = open_card_action(page, measure_id, "Tildel ansvar")
    field(form, "Ansvarlig enhet").select_option(label="Ungdomsskolene")
    field(form, "Bestilling").fill("Start leksehjelpen etter høstferien.")
    field(form, "Frist").fill((world.today() + timedelta(days=90)).isoformat())
    field(form, "Oppfølging hver (dager)").fill("14")
    assert submit(page, form, "Tildel ansvar").status == 200


def test_a_measure_page_shows_a_notice_and_keeps_the_form(web_world: World, user) -> None:
    m = web_world.fire("coordination", web_world.register(title="Leksehjelp på biblioteket"), "initiate")
    other = web_world.fire("coordination", web_world.register(title="Natteravner"), "initiate")
    reader, mover = user("coordinator"), user("coordination")
    reader.goto(f"/measures/{m.id}")
    _listening(reader, "page-live")
    mover.goto("/areas/alfa/boards/coordination")
    _listening(mover, "board-live")
    state = reader.locator(".measure__head .badge--state")
    before = state.inner_text()
    notice = reader.locator("#live-notice")

    with without_reload(reader):
        reader.locator("#action-edit summary").click()
        typed = reader.locator("#action-edit form textarea").first
        typed.fill("Halvferdig tekst")
        # Another measure's change is not this page's business.
        _assign_from_the_board(mover, web_world, other.id)
        reader.wait_for_timeout(500)
        expect(notice).to_be_hidden()
        # This measure's is: a quiet notice within two seconds, and nothing under the reader's hands replaced.
        _assign_from_the_board(mover, web_world, m.id)
        expect(notice).to_be_visible(timeout=NOTICE_WITHIN_MS)
        expect(notice).to_contain_text("Tiltaket ble endret av Coordination.")
        expect(reader.locator("#live-status")).to_have_text("Tiltaket ble endret av Coordination.")
        expect(typed).to_have_value("Halvferdig tekst")
        expect(state).to_have_text(before)
    axe_check(reader, "tiltakssiden med melding om endringer")
    notice.get_by_role("link", name="Vis endringene").click()
    expect(state).not_to_have_text(before)
    expect(reader.locator("#live-notice")).to_be_hidden()


def test_the_readers_own_change_brings_no_notice(web_world: World, user) -> None:
    m = web_world.fire("coordination", web_world.register(title="Leksehjelp på biblioteket"), "initiate")
    page = user("coordination")
    page.goto(f"/measures/{m.id}")
    _listening(page, "page-live")
    with without_reload(page):
        page.locator("#action-assign summary").click()
        form = page.locator("#action-assign form")
        field(form, "Ansvarlig enhet").select_option(label="Ungdomsskolene")
        field(form, "Bestilling").fill("Start etter høstferien.")
        field(form, "Frist").fill((web_world.today() + timedelta(days=90)).isoformat())
        field(form, "Oppfølging hver (dager)").fill("14")
        assert submit(page, form, "Tildel ansvar").status == 200
        expect(page.locator(".measure__head .badge--state")).to_contain_text("Ansvar tildelt")
        page.wait_for_timeout(700)
        expect(page.locator("#live-notice")).to_be_hidden()


def test_the_list_updates_a_row_without_reload(web_world: World, user) -> None:
    m = web_world.register(title="Leksehjelp på biblioteket")
    page = user("coordinator")
    page.goto("/areas/alfa/measures")
    _listening(page, "list-live")
    row = page.locator("tr", has=page.get_by_role("link", name="Leksehjelp på biblioteket"))
    state = row.locator(".badge--state")
    before = state.inner_text()
    search = page.get_by_role("searchbox", name="Søk")
    with without_reload(page):
        search.fill("halvskrevet")
        search.focus()
        web_world.fire("coordination", m, "initiate")
        expect(state).not_to_have_text(before, timeout=NOTICE_WITHIN_MS)
        expect(page.locator("#live-status")).to_have_text(f"Tiltak {m.ref} ble oppdatert av Coordination.")
        expect(search).to_have_value("halvskrevet")
        expect(search).to_be_focused()
    axe_check(page, "tiltakslisten etter en endring fra en annen")


def test_the_projector_and_the_meeting_page_follow_a_decision(web_world: World, user) -> None:
    m = web_world.advance(web_world.register(title="Leksehjelp på biblioteket"), "evaluated")
    meetings, coordinator = web_world.samordna.meetings, web_world.actors["coordinator"]
    data = {"body": "steering", "day": web_world.today().isoformat(), "start": "09:00", "end": "11:00"}
    meeting = meetings.plan(actor=coordinator, slug="alfa", data=data)
    opened = meetings.agenda(actor=coordinator, meeting_id=meeting.id)
    meetings.send_agenda(actor=coordinator, meeting_id=meeting.id, version=opened.meeting.version)
    live = f"/meetings/{meeting.id}/live"

    projector = user("coordinator", viewport={"width": 1400, "height": 1000})
    projector.goto(live)
    _listening(projector, "projector-live")
    reader = user("coordinator")
    reader.goto(f"/meetings/{meeting.id}")
    _listening(reader, "meeting-live")
    laptop = user("coordinator", viewport={"width": 1400, "height": 1000})
    laptop.goto(live)
    expect(projector.get_by_text("Vedtak: Avslutte")).to_have_count(0)

    with without_reload(projector), without_reload(reader):
        form = laptop.locator("form[action$='/decision']").filter(has=laptop.locator("input[value='close']"))
        laptop.locator("summary", has_text="Avslutte").click()
        form.locator("textarea[name='decision_note']").fill("Tiltaket avsluttes; målet er nådd.")
        form.get_by_role("button", name="Avslutte").click()
        expect(laptop.get_by_text("Vedtak: Avslutte")).to_be_visible()

        expect(projector.get_by_text("Vedtak: Avslutte")).to_be_visible(timeout=NOTICE_WITHIN_MS)
        expect(projector.locator("#live-status")).to_have_text(f"Tiltak {m.ref} ble oppdatert av Coordinator.")
        notice = reader.locator("#live-notice")
        expect(notice).to_be_visible(timeout=NOTICE_WITHIN_MS)
        expect(notice).to_contain_text(f"Tiltak {m.ref} på sakslisten ble endret av Coordinator.")
    axe_check(projector, "møtevisning etter vedtak fra en annen")
    axe_check(reader, "møtesiden med melding om endringer")
