"""Without JavaScript every core path is a plain link or form: log in, report a need, fire a trigger
from the measure page (also refused and corrected), and reach it from a board card."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import BROWSER, Watch, field, fill_need
from tests.factories import World

pytestmark = BROWSER

NO_JS = {"java_script_enabled": False}


def test_report_a_need_without_javascript(user: Callable[..., Page], web_world: World) -> None:
    page = user("executing", **NO_JS)
    expect(page).to_have_url(re.compile(r"/areas/alfa/boards/execution$"))
    page.get_by_role("link", name="Meld behov").click()
    form = page.locator("#need-form form")
    fill_need(form, "Felles leksehjelp uten skript")
    form.get_by_role("button", name="Meld behov").click()
    page.wait_for_url(re.compile(r"/measures/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Felles leksehjelp uten skript")
    expect(page.locator(".alert--ok")).to_contain_text("Behovet er meldt som ALF-")
    expect(page.locator(".measure__head .badge--state")).to_contain_text("Behov avdekket")


def test_fire_a_trigger_from_the_measure_page_without_javascript(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(422)
    m = web_world.register(title="Trygg skolevei")
    page = user("coordination", **NO_JS)
    # the card's action is a link to the measure page when no script opens it in place
    page.locator(f"#measure-{m.id}").get_by_role("link", name="Initier tiltak").click()
    page.wait_for_url(re.compile(rf"/measures/{m.id}$"))

    action = page.locator("#action-initiate")
    action.locator("summary").click()  # <details>: opens without script
    field(action, "Plan for tiltaket").fill("Voksne langs skoleveien om morgenen.")
    action.get_by_role("button", name="Initier tiltak").click()  # no goal, no success criteria: refused
    page.wait_for_load_state()
    expect(page.locator(".alert--error[role='alert']")).to_contain_text("«Initier tiltak» ble ikke utført")
    action = page.locator("#action-initiate")
    expect(action.locator("details")).to_have_attribute("open", "")
    expect(action.locator("[aria-invalid='true']")).to_have_count(2)
    expect(field(action, "Plan for tiltaket")).to_have_value("Voksne langs skoleveien om morgenen.")

    field(action, "Mål").select_option(label="Redusere rusbruk blant ungdom")
    field(action, "Suksesskriterier").fill("Ingen ulykker i skoleåret.")
    action.get_by_role("button", name="Initier tiltak").click()
    page.wait_for_url(re.compile(rf"/measures/{m.id}$"))
    expect(page.locator(".alert--ok")).to_contain_text("«Initier tiltak» er registrert")
    expect(page.locator(".measure__head .badge--state")).to_contain_text("Initiert")
    expect(page.locator(".timeline .timeline__what strong").first).to_have_text("Initier tiltak")
    expect(page.locator("#action-assign")).to_be_attached()  # the next step is offered
