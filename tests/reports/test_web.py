"""The steering report over HTTP: the page (charts drawn as SVG, each with its table and a sentence), the
PDF read back with pypdf (area, period, goals and the tables' figures as text), no number below 5 anywhere
in either when the area holds one measure, a period that cannot be read answered with a Norwegian message
(400), another area's report not found, and the links to it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from pypdf import PdfReader

from tests.factories import World
from tests.reports.support import measure, on
from tests.web_support import WebClient, text_of

PAGE = "/areas/alfa/report"
GOAL = "Redusere rusbruk blant ungdom"
Browser = Callable[[str], WebClient]


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def main_of(page: str) -> str:
    """The report itself: the page's <main>, without the period forms (years and dates to choose from)."""
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r'<section class="panel report-period.*?</section>', "", main, flags=re.S)


def numbers(text: str) -> list[int]:
    """Every whole number in `text`, dates' days and years included (a decimal like «12,5» counts as 12 and 5)."""
    return [int(n) for n in re.findall(r"\d+", text)]


def busy(world: World) -> None:
    """Six measures initiated and five evaluated as achieved in 2026 under the goal, one need without a goal."""
    start = [("2026-02-02", "register"), ("2026-02-05", "initiate")]
    for _ in range(6):
        measure(world, start)
    for _ in range(5):
        steps = [*start, ("2026-02-10", "assign"), ("2026-02-12", "start"), ("2026-03-10", "request_evaluation")]
        measure(world, [*steps, ("2026-03-15", "submit_evaluation")], submit_evaluation={"effect": "achieved"})
    measure(world, [("2026-04-01", "register")])
    on(world, "2026-09-15")


def test_the_page_draws_each_figure_with_its_table_and_sentence(web_world: World, browser: Browser) -> None:
    busy(web_world)
    r = browser("steering").get(f"{PAGE}?year=2026")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    page = r.text
    assert "<h1>Styringsrapport 2026</h1>" in page
    assert "Tallene gjelder til og med 15. sep. 2026." in text_of(page)
    assert f"Mål: {GOAL}" in page
    figures = re.findall(
        r'<section class="report-figure" aria-labelledby="([\w-]+)-heading">(.*?)</section>', page, re.S
    )
    assert len(figures) == 5  # states, follow-up, effects, stages, health
    for fid, body in figures:
        assert f'aria-describedby="{fid}-summary"' in body and 'role="img"' in body  # the chart, described
        assert f'<p class="report-figure__summary" id="{fid}-summary">' in body  # in words
        assert "<table" in body and "<caption>" in body  # and as a table
    states = text_of(dict(figures)[f"goal-{web_world.goals['alfa']}-states"])
    assert "Initiert 6" in states and "Evaluert – til behandling 5" in states
    assert 'class="chart__value" x=' in page and ">5</text>" in page  # «Oppnådd»: 5, beside its bar
    effects = text_of(dict(figures)[f"goal-{web_world.goals['alfa']}-effects"])
    assert "Oppnådd 5" in effects and "Vanligste resultat: «Oppnådd» (5)." in effects
    assert "style=" not in page  # the Content-Security-Policy allows no inline style
    assert f'href="{PAGE}.pdf?year=2026"' in page
    assert 'aria-current="page">Rapport</a>' in page


def test_one_measure_shows_no_number_below_five_on_the_page_or_in_the_pdf(web_world: World, browser: Browser) -> None:
    steps = [("2026-02-02", "register"), ("2026-02-05", "initiate"), ("2026-02-10", "assign"), ("2026-02-12", "start")]
    measure(web_world, [*steps, ("2026-03-01", "report_status")])
    on(web_world, "2026-09-15")
    b = browser("coordinator")
    page = b.get(f"{PAGE}?year=2026").text
    main = main_of(page)
    cells = re.findall(r'<td class="num" data-kind="count">([^<]*)</td>', main)
    assert "&lt;5" in cells and set(cells) <= {"&lt;5", "–"}, set(cells)  # every count cell («–»: does not apply)
    svg_numbers = [t for t in re.findall(r'<text class="chart__(?:value|small)"[^>]*>([^<]*)</text>', main)]
    assert svg_numbers and set(svg_numbers) <= {"&lt;5", "færre enn 5"}, set(svg_numbers)
    # And no other number in the report: the days of its dates, its year and the 5 of «<5».
    assert all(n >= 5 for n in numbers(text_of(main))), sorted(set(numbers(text_of(main))))

    pdf = b.get(f"{PAGE}.pdf?year=2026")
    assert pdf.status_code == 200
    text = re.sub(r"side \d+ av \d+", "", pdf_text(pdf.content))  # the page numbers at the foot
    assert "<5" in text
    assert all(n >= 5 for n in numbers(text)), sorted(set(numbers(text)))


def test_the_pdf_has_the_area_the_period_the_goals_and_the_tables_as_text(web_world: World, browser: Browser) -> None:
    busy(web_world)
    b = browser("viewer")
    r = b.get(f"{PAGE}.pdf?year=2026")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="styringsrapport-alfa-2026.pdf"'
    text = pdf_text(r.content)
    flat = re.sub(r"\s+", " ", text)
    assert "Alfa kommune" in text and "Styringsrapport 2026" in text and "Periode: 2026" in text
    assert f"Mål: {GOAL}" in flat
    # Every figure of the page's tables is in the PDF, beside its row's label.
    page = b.get(f"{PAGE}?year=2026").text
    section = page[page.index(f'id="goal-{web_world.goals["alfa"]}"') :]
    rows = re.findall(
        r'<th scope="row">([^<]+)</th><td class="num" data-kind="(?:count|days)">(\d[\d,]*)</td>', section
    )
    assert ("Initiert", "6") in rows and ("Oppnådd", "5") in rows
    for label, value in rows:
        assert re.search(rf"{re.escape(label)}\s+{re.escape(value)}\b", flat), (label, value)
    # A period of dates, in its own words.
    text = pdf_text(b.get(f"{PAGE}.pdf?from=2026-03-01&to=2026-03-31").content)
    assert "Periode: 1. mars 2026 – 31. mars 2026" in text
    assert "Oppnådd 5" in re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=abc", "Året må være et årstall med fire sifre, for eksempel 2026."),
        ("from=2026-05-01&to=2026-03-01", "«Fra og med» må være samme dag som eller før «til og med»."),
        ("from=2026-13-01", "«Fra og med» må være en dato, for eksempel 2026-01-01."),
        ("year=1850", "Velg et år mellom 2000 og 2100."),
    ],
)
def test_a_period_that_cannot_be_read_is_a_400_with_a_norwegian_message(
    web_world: World, browser: Browser, query: str, message: str
) -> None:
    on(web_world, "2026-09-15")
    b = browser("steering")
    for path in (PAGE, f"{PAGE}.pdf"):
        r = b.get(f"{path}?{query}")
        assert r.status_code == 400, (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
        assert "Rapporten kan ikke lages for denne perioden." in r.text
        assert message in text_of(r.text)
        assert 'aria-invalid="true"' in r.text  # the field to correct


def test_another_areas_report_is_404(web_world: World, browser: Browser) -> None:
    b = browser("beta_coordinator")
    for path in (PAGE, f"{PAGE}.pdf", f"{PAGE}?year=abc"):
        assert b.get(path).status_code == 404, path


def test_the_steering_board_and_the_menu_link_to_it(web_world: World, browser: Browser) -> None:
    b = browser("steering")
    board = b.get("/areas/alfa/boards/steering").text
    assert f'<a class="button" href="{PAGE}">Styringsrapport</a>' in board
    assert f'<a href="{PAGE}">Rapport</a>' in b.get("/areas/alfa/boards/coordination").text


def test_the_report_in_nynorsk_and_english(web_world: World, browser: Browser) -> None:
    busy(web_world)
    b = browser("steering")
    b.post("/language", {"lang": "en", "next": PAGE})
    page = b.get(f"{PAGE}?year=2026").text
    assert "<h1>Steering report 2026</h1>" in page and "Goal: Redusere rusbruk blant ungdom" in page
    assert "Period: 2026" in pdf_text(b.get(f"{PAGE}.pdf?year=2026").content)
    b.post("/language", {"lang": "nn", "next": PAGE})
    assert "Vel periode" in b.get(f"{PAGE}?year=2026").text
