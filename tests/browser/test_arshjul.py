"""The årshjul page in Chromium: axe-core finds no WCAG 2.1 A/AA violation, no CSP complaint (the wheel has
no inline style), the wheel and the list are both there, and a milestone added through the form appears on
both. SAMORDNA_SCREENSHOT_DIR=docs/screenshots saves the page as arshjul.png (the README's picture)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import BROWSER, axe_check, field, submit
from tests.calendar.support import add_meeting
from tests.factories import World

pytestmark = BROWSER


def test_the_arshjul_page_is_accessible(web_world: World, user) -> None:
    year = datetime.now(UTC).year
    for month in range(1, 13):
        if month != 7:
            add_meeting(web_world, "coordination", datetime(year, month, 10, 9, 0), title="Koordineringsgruppen")
    for month in (2, 4, 6, 9, 11):
        add_meeting(web_world, "steering", datetime(year, month, 4, 13, 0), title="Politirådet")
    for month in (3, 5, 10, 12):
        add_meeting(web_world, "executing", datetime(year, month, 17, 12, 0), title="Faggruppe skole og fritid")
    add_meeting(web_world, "all", datetime(year, 10, 21, 9, 0), title="SLT-samling", hours=6)
    add_meeting(web_world, "coordination", datetime(year, 7, 30, 9, 0), title="Ekstramøte", state="cancelled")
    cal = web_world.samordna.calendar
    for title, month, day in (
        ("Ungdata-undersøkelsen", 2, None),
        ("Årsrapport til kommunestyret", 3, 20),
        ("Revisjon av handlingsplanen", 9, None),
        ("Budsjettvedtak", 12, 14),
    ):
        cal.add_milestone(
            actor=web_world.actors["coordinator"], slug="alfa", data={"title": title, "month": month, "day": day}
        )

    page = user("coordinator", viewport={"width": 1400, "height": 1000})
    page.goto("/areas/alfa/arshjul")
    wheel = page.get_by_role("img", name=f"Årshjul {year} for Alfa kommune")
    expect(wheel).to_be_visible()
    expect(page.locator("svg.wheel circle.wheel__dot")).to_have_count(22)
    expect(page.get_by_role("heading", name="Måned for måned")).to_be_visible()
    axe_check(page, "årshjul")

    directory = os.environ.get("SAMORDNA_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.locator(".arshjul__grid").screenshot(path=str(Path(directory) / "arshjul.png"))

    form = page.locator("#add-milestone form")
    field(form, "Tittel").fill("Sommertiltak for ungdom")
    field(form, "Måned (1–12)").fill("6")
    submit(page, form, "Legg til milepæl")
    expect(page.get_by_role("status")).to_contain_text("Milepælen «Sommertiltak for ungdom» er lagt til.")
    expect(page.locator("svg.wheel polygon.wheel__milestone")).to_have_count(5)
    expect(page.locator("#month-6 + ul")).to_contain_text("Sommertiltak for ungdom")
    axe_check(page, "årshjul etter ny milepæl")


def test_a_refused_milestone_is_accessible_too(web_world: World, user, watch) -> None:
    watch.allow(422)
    page = user("coordinator")
    page.goto("/areas/alfa/arshjul")
    form = page.locator("#add-milestone form")
    field(form, "Tittel").fill("Uten måned")
    submit(page, form, "Legg til milepæl")
    expect(page.get_by_role("alert").first).to_contain_text("Milepælen ble ikke lagt til")
    expect(field(page.locator("#add-milestone form"), "Tittel")).to_have_value("Uten måned")
    axe_check(page, "årshjul med feil")
