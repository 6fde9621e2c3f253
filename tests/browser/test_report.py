"""The steering report in Chromium: axe finds nothing on the report or on a period it cannot read, and printed
(print media) it is a clean A4 document — no menus, forms or buttons, each goal from a new page, the charts and
tables kept — which Chromium's own PDF of the page confirms."""

from __future__ import annotations

import io
from collections.abc import Callable

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import BROWSER, Watch, axe_check
from tests.factories import World
from tests.reports.support import measure, on

pytestmark = BROWSER

PAGE = "/areas/alfa/report"
A4 = (595, 842)  # points


def history(world: World) -> None:
    start = [("2026-02-02", "register"), ("2026-02-05", "initiate")]
    for _ in range(6):
        measure(world, start)
    for _ in range(5):
        steps = [*start, ("2026-02-10", "assign"), ("2026-02-12", "start"), ("2026-03-01", "report_status")]
        measure(world, [*steps, ("2026-03-10", "request_evaluation"), ("2026-03-15", "submit_evaluation")])
    on(world, "2026-09-15")


def test_the_report_prints_as_a_clean_a4_document(user: Callable[..., Page], web_world: World) -> None:
    history(web_world)
    page = user("steering")
    page.goto(f"{PAGE}?year=2026")
    expect(page.get_by_role("heading", level=1)).to_have_text("Styringsrapport 2026")
    axe_check(page, "the steering report")

    page.emulate_media(media="print")
    for hidden in (".site-header", ".report-period", ".report__actions", ".site-footer"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator(".report-goal").first).to_be_visible()
    assert page.locator(".report-goal").first.evaluate("e => getComputedStyle(e).breakBefore") == "page"
    assert page.locator(".report-figure").first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.locator("table.report-table").first).to_be_visible()
    # Nothing sticks out to the side of an A4 page's printable width (210 mm less the margins).
    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('main *')].map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= page.evaluate("document.documentElement.clientWidth") + 1

    reader = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    assert len(reader.pages) >= 2  # the overview, then the goal on a page of its own
    size = reader.pages[0].mediabox
    assert abs(float(size.width) - A4[0]) < 2 and abs(float(size.height) - A4[1]) < 2
    first = reader.pages[0].extract_text()
    assert "Styringsrapport 2026" in first and "Oversikt over målene" in first
    for chrome in ("Velg periode", "Last ned som PDF", "Koordinering", "Logg ut"):
        assert chrome not in first, chrome
    assert "Mål: Redusere rusbruk blant ungdom" in reader.pages[1].extract_text()


def test_a_period_it_cannot_read_is_told_accessibly(user: Callable[..., Page], web_world: World, watch: Watch) -> None:
    watch.allow(400)
    page = user("viewer")
    answer = page.goto(f"{PAGE}?from=2026-05-01&to=2026-03-01")
    assert answer is not None and answer.status == 400
    expect(page.get_by_role("alert")).to_contain_text("«Fra og med» må være samme dag som eller før «til og med».")
    expect(page.get_by_label("Fra og med")).to_have_attribute("aria-invalid", "true")
    axe_check(page, "the report refused a period")
