"""Finding and reporting in Chromium, as a coordinator does it: open «Alle tiltak» from the menu, search for a
word that only a need description holds (the closed measure is found too, the word marked), save the search
as a view and come back to it from «Mine visninger» on another page, download the list as CSV and as Excel
(exactly the rows on screen, read back with Python's csv module and openpyxl), then open «Rapport», print it
(print media: no menus or forms) and download its PDF, whose text holds the report. axe-core finds no WCAG
2.1 A/AA violation on any page on the way."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import BROWSER, axe_check
from tests.factories import World

pytestmark = BROWSER

WORD = "skateparken"


def _areas(world: World) -> tuple[str, str]:
    """Two measures that hold the word (one of them closed, so off every board) and one that does not."""
    closed = world.register(title="Aktiviteter for ungdom om kvelden", need_description=f"Uro ved {WORD} etter ti.")
    world.advance(closed, "closed")
    world.register(title="Trygg vei til skolen", need_description=f"Ungdom samles ved {WORD} i helgene.")
    world.register(title="Natteravner i sentrum")
    return "Aktiviteter for ungdom om kvelden", "Trygg vei til skolen"


def _titles(page: Page) -> list[str]:
    return sorted(page.locator("table.measure-list tbody tr td:nth-child(2) > a").all_inner_texts())


def _download(page: Page, link: str, suffix: str) -> bytes:
    """Click `link` and return the file the browser saved, under a name with `suffix`."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link, exact=True).click()
    assert info.value.suggested_filename.endswith(suffix), info.value.suggested_filename
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


def test_list_search_save_export_and_report(user: Callable[..., Page], web_world: World) -> None:
    found = sorted(_areas(web_world))
    page = user("coordinator")
    page.goto("/areas/alfa/boards/coordination")
    page.get_by_role("link", name="Alle tiltak", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alle tiltak")
    expect(page.locator("#list-result")).to_have_text("3 tiltak")
    axe_check(page, "the measure list")

    # Search from the keyboard: a word only the need descriptions hold.
    page.get_by_label("Søk", exact=True).fill(WORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/areas/alfa/measures?q={WORD}*")
    expect(page.locator("#list-result")).to_have_text("2 tiltak passer søket")
    assert _titles(page) == found
    expect(page.locator(".measure-list__snippet mark").first).to_have_text(WORD)
    expect(page.locator("table.measure-list tbody")).to_contain_text("Avsluttet")
    axe_check(page, "the measure list, searched")

    # Save the search as a view; it is in the menu on every page and leads back to the same rows.
    page.get_by_label("Navn på visningen").fill("Skateparken")
    page.get_by_role("button", name="Lagre visningen").click()
    expect(page.get_by_role("status")).to_contain_text("Visningen er lagret.")
    page.get_by_role("link", name="Møter", exact=True).click()
    page.locator("summary", has_text="Mine visninger").click()
    page.get_by_role("link", name="Skateparken", exact=True).click()
    page.wait_for_url(f"**/areas/alfa/measures?q={WORD}*")
    assert _titles(page) == found

    # Exports: exactly the rows of the view.
    data = _download(page, "Last ned CSV", ".csv")
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    title = rows[0].index("Tittel")
    assert sorted(r[title] for r in rows[1:]) == found
    book = openpyxl.load_workbook(io.BytesIO(_download(page, "Last ned Excel", ".xlsx")), read_only=True)
    sheet = book.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert sorted(str(r[list(values[0]).index("Tittel")]) for r in values[1:]) == found
    book.close()

    # The report: on screen, printed, and as a PDF.
    page.get_by_role("link", name="Rapport", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Styringsrapport")
    axe_check(page, "the steering report")
    heading = page.get_by_role("heading", level=1).inner_text()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".report-period")).to_be_hidden()
    printed = PdfReader(io.BytesIO(page.pdf(format="A4"))).pages[0].extract_text()
    assert heading in printed and "Logg ut" not in printed
    page.emulate_media(media="screen")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(_download(page, "Last ned som PDF", ".pdf"))).pages)
    assert "Styringsrapport" in text and "Redusere rusbruk blant ungdom" in text
