"""The measure page in the browser: after a 409 the whole measure section shows the measure as it is now, the
refused form open with what was typed; the contact person is chosen among the members of the chosen unit
(with a script the other units' members are not offered; without one the server refuses a mismatch)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import BROWSER, Watch, axe_check, field, open_card_action, submit, without_reload
from tests.factories import World

pytestmark = BROWSER

NO_JS = {"java_script_enabled": False}
MISMATCH = "Kontaktpersonen må være medlem av den ansvarlige enheten."


def open_action(page: Page, trigger: str) -> Locator:
    """Open an action's <details> on the measure page; returns its form."""
    page.locator(f"#action-{trigger} summary").click()
    form = page.locator(f"#action-{trigger} form")
    expect(form).to_be_visible()
    return form


OFFERED = "s => Array.from(s.options).filter(o => o.value && !o.hidden && !o.disabled).map(o => o.textContent.trim())"


def expect_offered(select: Locator, names: list[str], timeout: float = 5.0) -> None:
    """The options a person can pick («Velg …» left out, hidden and disabled ones too) become `names`.

    Retried like Playwright's own expectations: the page's script narrows the list after a change or a
    swap, and a single read can come before it has run.
    """
    deadline = time.monotonic() + timeout
    while (now := select.evaluate(OFFERED)) != names and time.monotonic() < deadline:
        select.page.wait_for_timeout(50)
    assert now == names


# ---------------------------------------------------------------- 409


def test_a_409_shows_the_measure_as_it_is_now_and_keeps_what_was_typed(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(409)
    w = web_world
    m = w.advance(w.register(), "in_follow_up")
    page = user("coordinator")
    page.goto(f"/measures/{m.id}")
    head = page.locator(".measure__head")
    expect(head.locator(".badge--off_track")).to_have_count(0)
    with without_reload(page):
        form = open_action(page, "report_status")
        field(form, "Status").select_option(label="I faresonen")
        field(form, "Merknad").fill("Færre deltakere enn ventet etter jul.")
        # Meanwhile the executing unit reports first: the measure moves on to a new version.
        w.fire("executing", m, "report_status", health="off_track", note="Ingen frivillige i helgen.")
        assert submit(page, form, "Rapporter status").status == 409

        # The header, the fields and the history as they are now …
        expect(head.locator(".badge--off_track")).to_have_text("Siste rapport: Ute av kurs")
        expect(page.locator(".timeline")).to_contain_text("Ingen frivillige i helgen.")
        status = page.locator("#measure-status .alert--error")
        expect(status).to_have_text("«Rapporter status» ble ikke utført. Se meldingen ved skjemaet.")
        expect(status).to_be_focused()
        # … and the refused form open, with what was typed, the reason and the new version.
        action = page.locator("#action-report_status")
        expect(action.locator("details")).to_have_attribute("open", "")
        form = action.locator("form")
        expect(form.locator(".alert--error")).to_contain_text(
            "Noen andre har endret tiltaket mens du fylte ut skjemaet. Det har nå status «I gang – oppfølging»."
        )
        expect(field(form, "Merknad")).to_have_value("Færre deltakere enn ventet etter jul.")
        expect(field(form, "Status")).to_have_value("at_risk")
        expect(form.locator("input[name=version]")).to_have_value(str(m.version + 1))
        axe_check(page, "the measure page after a 409")

        assert submit(page, form, "Rapporter status").status == 200  # sent again, on the version now shown
        expect(page.locator("#measure-status .alert--ok")).to_contain_text("«Rapporter status» er registrert")
        expect(head.locator(".badge--at_risk")).to_have_text("Siste rapport: I faresonen")


# ---------------------------------------------------------------- the contact person


def test_the_contact_person_is_chosen_among_the_members_of_the_chosen_unit(
    user: Callable[..., Page], web_world: World
) -> None:
    w = web_world
    m = w.advance(w.register(), "initiated")
    page = user("coordinator")
    page.goto(f"/measures/{m.id}")
    with without_reload(page):
        form = open_action(page, "assign")
        unit, contact = form.locator("#f-assign-responsible_unit_id"), form.locator("#f-assign-contact_user_id")
        everyone = ["Coordination (Kultur og fritid)", "Executing (Ungdomsskolene)", "Executing Police (Politiet)"]
        expect_offered(contact, everyone)  # no unit chosen yet: every member of a unit

        unit.select_option(label="Politiet")
        expect_offered(contact, ["Executing Police (Politiet)"])
        contact.select_option(label="Executing Police (Politiet)")
        unit.select_option(label="Ungdomsskolene")  # the choice no longer fits: undone
        expect(contact).to_have_value("")
        expect_offered(contact, ["Executing (Ungdomsskolene)"])
        contact.select_option(label="Executing (Ungdomsskolene)")
        axe_check(page, "the assign form with a unit chosen")

        field(form, "Bestilling").fill("Start leksehjelpen etter høstferien.")
        field(form, "Frist").fill((w.today() + timedelta(days=90)).isoformat())
        field(form, "Oppfølging hver (dager)").fill("14")
        assert submit(page, form, "Tildel ansvar").status == 200
    expect(page.locator(".measure__head .badge--state")).to_contain_text("Ansvar tildelt")
    expect(page.locator("#h-plan + .facts")).to_contain_text("Executing")


def test_a_card_form_opened_in_place_narrows_the_contact_persons_too(
    user: Callable[..., Page], web_world: World
) -> None:
    m = web_world.advance(web_world.register(), "initiated")
    page = user("coordinator")
    page.goto("/areas/alfa/boards/coordination")
    with without_reload(page):
        form = open_card_action(page, m.id, "Tildel ansvar")  # swapped in by htmx
        field(form, "Ansvarlig enhet").select_option(label="Kultur og fritid")
        expect_offered(form.locator(f"#f{m.id}-assign-contact_user_id"), ["Coordination (Kultur og fritid)"])


def test_a_refused_contact_person_stays_chosen_beside_its_message(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    """A form the server sent back keeps every choice visible, even the refused one, until the unit changes."""
    watch.allow(422)
    m = web_world.advance(web_world.register(), "initiated")
    page = user("coordinator", **NO_JS)
    page.goto(f"/measures/{m.id}")
    form = open_action(page, "assign")
    field(form, "Ansvarlig enhet").select_option(label="Politiet")
    form.locator("#f-assign-contact_user_id").select_option(label="Executing (Ungdomsskolene)")  # all are offered
    field(form, "Bestilling").fill("Trygg vei hjem.")
    field(form, "Frist").fill((web_world.today() + timedelta(days=30)).isoformat())
    field(form, "Oppfølging hver (dager)").fill("14")
    form.get_by_role("button", name="Tildel ansvar").click()
    page.wait_for_load_state()
    form = page.locator("#action-assign form")
    expect(page.locator("#f-assign-contact_user_id-error")).to_have_text(MISMATCH)
    expect(form.locator("#f-assign-contact_user_id")).to_have_value(str(web_world.user_ids["executing"]))
    expect(field(form, "Bestilling")).to_have_value("Trygg vei hjem.")

    form.locator("#f-assign-contact_user_id").select_option(label="Executing Police (Politiet)")
    form.get_by_role("button", name="Tildel ansvar").click()
    page.wait_for_url(re.compile(rf"/measures/{m.id}$"))
    expect(page.locator(".alert--ok")).to_contain_text("«Tildel ansvar» er registrert")
    expect(page.locator("#h-plan + .facts")).to_contain_text("Executing Police")


def test_the_refused_choice_stays_visible_with_a_script_too(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(422)
    w = web_world
    m = w.advance(w.register(), "initiated")
    page = user("coordinator")
    page.goto(f"/measures/{m.id}")
    with without_reload(page):
        form = open_action(page, "assign")
        contact = form.locator("#f-assign-contact_user_id")
        contact.select_option(label="Executing (Ungdomsskolene)")  # the contact first, then a unit of another
        field(form, "Ansvarlig enhet").select_option(label="Politiet")
        expect(contact).to_have_value("")  # undone at once in the browser
        # A crafted (or raced) request still meets the server's rule.
        contact.evaluate(
            "(s, v) => { const o = Array.from(s.options).find(o => o.value === v); o.disabled = false; s.value = v; }",
            str(w.user_ids["executing"]),
        )
        field(form, "Bestilling").fill("Trygg vei hjem.")
        field(form, "Frist").fill((w.today() + timedelta(days=30)).isoformat())
        field(form, "Oppfølging hver (dager)").fill("14")
        assert submit(page, form, "Tildel ansvar").status == 422
        contact = page.locator("#f-assign-contact_user_id")
        expect(page.locator("#f-assign-contact_user_id-error")).to_have_text(MISMATCH)
        expect(contact).to_have_value(str(w.user_ids["executing"]))
        expect_offered(contact, ["Executing (Ungdomsskolene)", "Executing Police (Politiet)"])
        expect(contact).to_be_focused()
