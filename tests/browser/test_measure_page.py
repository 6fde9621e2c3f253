"""The measure page in the browser: after a 409 the whole measure section shows the measure as it is now, the
refused form open with what was typed."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import BROWSER, Watch, axe_check, field, submit, without_reload
from tests.factories import World

pytestmark = BROWSER


def open_action(page: Page, trigger: str) -> Locator:
    """Open an action's <details> on the measure page; returns its form."""
    page.locator(f"#action-{trigger} summary").click()
    form = page.locator(f"#action-{trigger} form")
    expect(form).to_be_visible()
    return form


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
