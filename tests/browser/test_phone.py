"""The executing level on a phone (360×740, touch): log in, start a measure and report status from the
board, without the page growing wider than the screen."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.conftest import (
    BROWSER,
    card,
    expect_count,
    expect_in_column,
    field,
    without_reload,
)
from tests.factories import World
from tests.web_support import PASSWORD

pytestmark = BROWSER

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide on a 360px screen"


def tap_action(page: Page, measure_id: int, action: str) -> Locator:
    with page.expect_response(lambda r: r.request.method == "GET" and "/actions/" in r.url):
        card(page, measure_id).locator(".card__actions").get_by_role("link", name=action).tap()
    form = page.locator(f"#card-slot-{measure_id} form")
    expect(form).to_be_visible()
    return form


def tap_submit(page: Page, form: Locator, button: str) -> int:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name=button, exact=True).tap()
    return answer.value.status


def test_the_executing_user_starts_a_measure_and_reports_status_on_a_phone(
    new_context: Callable[..., BrowserContext], web_world: World
) -> None:
    m = web_world.advance(web_world.register(title="Kveldsåpen hall for 8. trinn"), "assigned")
    page = new_context(**PHONE).new_page()
    page.goto("/login")
    no_sideways_scrolling(page)
    page.get_by_label("E-postadresse").fill("executing@example.no")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").tap()
    page.wait_for_url(re.compile(r"/areas/alfa/boards/execution$"))
    expect_in_column(page, m.id, "assigned")
    no_sideways_scrolling(page)

    with without_reload(page):
        form = tap_action(page, m.id, "Start tiltaket")
        assert tap_submit(page, form, "Start tiltaket") == 200
        expect_in_column(page, m.id, "in_follow_up")
        expect_count(page, "assigned", 0)
        expect_count(page, "in_follow_up", 1)

        form = tap_action(page, m.id, "Rapporter status")
        no_sideways_scrolling(page)
        field(form, "Status").select_option(label="Går etter planen")
        field(form, "Merknad").fill("Fullt hus begge kveldene.")
        assert tap_submit(page, form, "Rapporter status") == 200
        expect(card(page, m.id).locator(".badge--on_track")).to_be_visible()
        no_sideways_scrolling(page)
