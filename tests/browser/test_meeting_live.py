"""The projector view in Chromium: axe-core finds no WCAG 2.1 A/AA violation (nor does it after a refused
decision, nor on the minutes), the arrow keys walk the items, a decision recorded from it shows in place."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import BROWSER, axe_check
from tests.factories import World

pytestmark = BROWSER


def test_the_projector_view_is_accessible_and_records_a_decision(web_world: World, user, watch) -> None:
    watch.allow(422)
    web_world.advance(web_world.register(title="Leksehjelp på biblioteket"), "evaluated")
    meetings, coordinator = web_world.samordna.meetings, web_world.actors["coordinator"]
    data = {"body": "steering", "day": web_world.today().isoformat(), "start": "09:00", "end": "11:00"}
    meeting = meetings.plan(actor=coordinator, slug="alfa", data=data)
    opened = meetings.agenda(actor=coordinator, meeting_id=meeting.id)
    meetings.send_agenda(actor=coordinator, meeting_id=meeting.id, version=opened.meeting.version)

    page = user("coordinator", viewport={"width": 1400, "height": 1000})
    page.goto(f"/meetings/{meeting.id}/live")
    expect(page.get_by_text("Sak 1 av 2")).to_be_visible()
    axe_check(page, "møtevisning")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_text("Sak 2 av 2")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_text("Sak 1 av 2")).to_be_visible()

    form = page.locator("form[action$='/decision']").filter(has=page.locator("input[value='close']"))
    page.locator("summary", has_text="Avslutte").click()
    form.locator("textarea[name='note']").fill("Notatet beholdes")
    form.get_by_role("button", name="Avslutte").click()
    expect(page.get_by_role("alert").first).to_contain_text("Vedtaket ble ikke ført")
    expect(page.locator("#d-close-note")).to_have_value("Notatet beholdes")
    axe_check(page, "møtevisning med feil")

    form = page.locator("form[action$='/decision']").filter(has=page.locator("input[value='close']"))
    form.locator("textarea[name='decision_note']").fill("Tiltaket avsluttes; målet er nådd.")
    form.get_by_role("button", name="Avslutte").click()
    expect(page.get_by_role("status")).to_contain_text("Vedtaket er ført i referatet.")
    expect(page.get_by_text("Vedtak: Avslutte")).to_be_visible()
    axe_check(page, "møtevisning etter vedtak")
