"""Exports of the measure list (/areas/{slug}/measures.csv, .xlsx, -events.csv) on SQLite and PostgreSQL: exactly
the rows of the list view (search, filters, order, every page), read back with Python's csv module and with
openpyxl; typed cells; the events of exactly those measures; formulas never run; one snapshot throughout; and
the answers over HTTP."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import anyio
import openpyxl
import pytest

from samordna.domain.errors import NotFound
from samordna.measures import export_web
from samordna.measures.export_web import Words, csv_parts, event_columns, measure_columns, write_xlsx
from samordna.measures.views import ListFilters
from samordna.web.streaming import in_thread
from tests.factories import World

CHUNK = 3  # small chunks: every export here crosses several keyset pages


def the_list(world: World, who: str = "viewer", **filters: Any) -> list[Any]:
    """Every row of the list view, all its pages, in its order."""
    rows, after = [], None
    while True:
        page = world.samordna.measures.list_page(
            actor=world.actors[who], slug="alfa", filters=ListFilters(**filters), after=after, limit=4
        )
        rows += page.rows
        if page.next_after is None:
            return rows
        after = page.next_after


def export_of(world: World, who: str = "viewer", **filters: Any) -> Any:
    return world.samordna.measures.export(
        actor=world.actors[who], slug="alfa", filters=ListFilters(**filters), chunk=CHUNK
    )


def words(world: World) -> Words:
    return Words.of(world.samordna.measures.workflow, "nb", world.samordna.clock.tz)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def measures_csv(world: World, who: str = "viewer", **filters: Any) -> list[list[str]]:
    w = words(world)
    return read_csv(b"".join(csv_parts(export_of(world, who, **filters), measure_columns(w), events=False)))


def events_csv(world: World, **filters: Any) -> list[list[str]]:
    w = words(world)
    return read_csv(b"".join(csv_parts(export_of(world, **filters), event_columns(w), events=True)))


def workbook(world: World, events: bool = True, **filters: Any) -> Any:
    out = io.BytesIO()
    write_xlsx(out, export_of(world, **filters), words(world), events=events, names=("Tiltak", "Hendelser"))
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


@pytest.fixture
def measures(world: World) -> list[Any]:
    """Eleven measures in several states, two arenas and a few words to search for."""
    made = []
    for i, state in enumerate(["need_identified", "initiated", "assigned", "in_follow_up", "closed", "declined"] * 2):
        if i == 11:
            break
        m = world.register(
            title=f"{'Natteravner' if i % 3 == 0 else 'Leksehjelp'} {i:02d}",
            need_description=f"Behov nummer {i} på {'skolen' if i % 2 else 'torget'}.",
            arena=("school", "nightlife")[i % 2],
        )
        if state == "declined":
            made.append(world.fire("coordination", m, "decline"))
        else:
            made.append(world.advance(m, state))
    return made


VIEWS = [
    {},
    {"q": "natteravner"},
    {"q": "torget", "sort": "title", "descending": True},
    {"states": ("closed", "in_follow_up", "need_identified")},
    {"arena": "school", "sort": "state"},
    {"sort": "follow_up"},
    {"sort": "unit", "descending": True},
    {"q": "behov", "states": ("initiated", "assigned", "declined")},
]


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: ",".join(f"{k}={v[k]}" for k in v) or "all")
def test_the_csv_holds_exactly_the_rows_of_the_list_view_in_its_order(
    world: World, measures: list[Any], view: dict[str, Any]
) -> None:
    listed = the_list(world, **view)
    assert listed, "a view that shows nothing proves little"
    header, *rows = measures_csv(world, **view)
    assert header[:3] == ["Ref.", "Tittel", "Tilstand"] and "Sist endret" in header
    assert [r[0] for r in rows] == [m.ref for m in listed]
    assert [r[1] for r in rows] == [m.title for m in listed]
    assert all(len(r) == len(header) for r in rows)


def test_csv_cells_are_what_norwegian_excel_reads(world: World, measures: list[Any]) -> None:
    header, *rows = measures_csv(world, sort="ref")
    col = {h: i for i, h in enumerate(header)}
    assigned = next(r for r in rows if r[col["Tilstand"]] == "Ansvar tildelt")  # the state's label, not its key
    m = world.samordna.measures.get(actor=world.actors["viewer"], measure_id=measures[2].id)
    assert assigned[col["Ref."]] == m.ref
    assert assigned[col["Ansvarlig enhet"]] == "Ungdomsskolene"
    assert assigned[col["Arena"]] == "Skole"  # the arena's label
    assert assigned[col["Frist"]] == m.due_date.strftime("%d.%m.%Y")  # dd.mm.yyyy
    assert assigned[col["Neste oppfølging"]] == m.next_follow_up_at.strftime("%d.%m.%Y")
    local = m.updated_at.astimezone(world.samordna.clock.tz)
    assert assigned[col["Sist endret"]] == local.strftime("%d.%m.%Y %H:%M")  # the area's wall clock
    assert datetime.strptime(assigned[col["Registrert"]], "%d.%m.%Y").date() == world.today()
    assert assigned[col["Målgruppe"]] == "Ungdom 14–18 år" and assigned[col["Alder fra"]] == ""


def test_a_view_with_no_rows_is_a_header_alone(world: World, measures: list[Any]) -> None:
    assert measures_csv(world, q="finnesikke")[1:] == []
    header, *rows = events_csv(world, q="finnesikke")
    assert header and rows == []


def test_another_area_has_no_export(world: World, measures: list[Any]) -> None:
    with pytest.raises(NotFound):
        export_of(world, "beta_coordinator")


# ---------------------------------------------------------------- events


@pytest.mark.parametrize("view", [{}, {"q": "natteravner"}, {"states": ("closed", "declined"), "sort": "title"}])
def test_the_events_are_exactly_the_events_of_those_measures(
    world: World, measures: list[Any], view: dict[str, Any]
) -> None:
    listed = the_list(world, **view)
    expected = []
    for m in listed:  # by measure in the list's order, each measure's oldest first
        for e in world.samordna.measures.events(actor=world.actors["viewer"], measure_id=m.id):
            expected.append((m.ref, e.version, e.actor["name"]))
    header, *rows = events_csv(world, **view)
    col = {h: i for i, h in enumerate(header)}
    got = [(r[col["Ref."]], int(r[col["Versjon"]]), r[col["Utført av"]]) for r in rows]
    assert got == expected and len(got) > len(listed)
    declined = [r for r in rows if r[col["Hendelse"]] == "Ikke prioriter"]
    if declined:
        assert "Dekkes av andre tiltak." in declined[0][col["Kommentar og opplysninger"]]
        assert declined[0][col["Til tilstand"]] == "Ikke prioritert"


# ---------------------------------------------------------------- XLSX


def test_the_xlsx_has_typed_cells_a_frozen_header_and_the_events_sheet(world: World, measures: list[Any]) -> None:
    view = {"q": "behov", "sort": "title"}
    listed = the_list(world, **view)
    book = workbook(world, **view)
    assert book.sheetnames == ["Tiltak", "Hendelser"]
    sheet = book["Tiltak"]
    assert sheet.freeze_panes == "A2"  # the header stays in view
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Ref.", "Tittel"] and sheet["A1"].font.b
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width  # widths set
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{len(listed) + 1}"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [m.ref for m in listed]
    col = {h: i for i, h in enumerate(header)}
    for r in rows:
        assert isinstance(r[col["Registrert"]], datetime | date)
        assert isinstance(r[col["Sist endret"]], datetime)
    running = next(r for r in rows if r[col["Tilstand"]] == "I gang – oppfølging")
    assert isinstance(running[col["Frist"]], datetime) and isinstance(running[col["Neste oppfølging"]], datetime)
    assert sheet.cell(2 + rows.index(running), col["Frist"] + 1).number_format == "dd.mm.yyyy"
    # The events sheet: typed times and numbers, the same events as the CSV file, in the same order.
    events = book["Hendelser"]
    assert events.freeze_panes == "A2"
    event_rows = list(events.iter_rows(min_row=2, values_only=True))
    _header, *csv_rows = events_csv(world, **view)
    assert [(r[0], r[9]) for r in event_rows] == [(r[0], int(r[9])) for r in csv_rows]
    assert all(isinstance(r[2], datetime) and isinstance(r[9], int) for r in event_rows)


def test_numbers_are_numbers(world: World) -> None:
    world.register(title="Med alder", age_from=13, age_to=16)
    sheet = workbook(world, events=False)["Tiltak"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(2, header.index("Alder fra") + 1)
    assert cell.value == 13 and cell.data_type == "n"
    assert workbook(world, events=False).sheetnames == ["Tiltak"]  # events=0: the measures alone


def test_a_full_sheet_says_what_it_left_out(world: World, measures: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_web, "MAX_ROWS", 5)  # header, three rows, the note
    rows = list(workbook(world, events=False)["Tiltak"].iter_rows(values_only=True))
    assert len(rows) == 5
    assert rows[-1][0] == f"Arket er fullt: {len(measures) - 3} rader til er ikke med. CSV-filen har alle."


# ---------------------------------------------------------------- formulas never run


RISKY_TITLES = ('=HYPERLINK("http://example.com";"Klikk")', "+47 tiltak", "-1 tiltak", "@SUM(A1:A2)")


def test_a_title_that_looks_like_a_formula_is_never_one(world: World) -> None:
    for title in RISKY_TITLES:
        world.register(title=title)
    world.register(title="Vanlig tittel")
    _header, *rows = measures_csv(world, sort="ref")
    titles = [r[1] for r in rows]
    assert titles[:4] == ["'" + t for t in RISKY_TITLES]  # an apostrophe first: text, not a formula
    assert titles[4] == "Vanlig tittel"
    sheet = workbook(world, events=False, sort="ref")["Tiltak"]
    cells = [sheet.cell(row, 2) for row in range(2, 7)]
    assert [c.value for c in cells] == [*RISKY_TITLES, "Vanlig tittel"]  # as typed, and strings
    assert all(c.data_type == "s" for c in cells)


# ---------------------------------------------------------------- one snapshot


def test_a_measure_changed_while_the_export_runs_is_met_once_as_it_was(world: World, measures: list[Any]) -> None:
    """Read by keyset in chunks, newest change first: a measure changed after the first chunk moves to the
    front, past the keyset. In one snapshot it is still met exactly once, as it was when the export began."""
    export = export_of(world)
    chunks = export.chunks()
    first = next(chunks)
    last = the_list(world)[-1]  # the oldest change, in the last chunk: the first need, untouched since
    assert last.id == measures[0].id and last.state == "need_identified"
    world.fire("coordination", world.samordna.measures.get(actor=world.actors["viewer"], measure_id=last.id), "decline")
    assert the_list(world)[0].id == last.id  # now the newest change
    rest = [r for chunk in chunks for r in chunk.rows]
    seen = [r.id for r in (*first.rows, *rest)]
    assert sorted(seen) == sorted(m.id for m in measures) and len(seen) == len(set(seen))
    assert next(r for r in rest if r.id == last.id).version == last.version


def test_the_stream_closes_the_export_when_the_client_goes(world: World, measures: list[Any]) -> None:
    closed = []

    def parts() -> Any:
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    async def read_one() -> bytes:
        stream = in_thread(parts())
        part = await stream.__anext__()
        await stream.aclose()  # the client went away after the first part
        return part

    # A thread of its own: a browser test earlier in this process may leave an event loop running here.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(anyio.run, read_one).result() == b"a" and closed == [True]


# ---------------------------------------------------------------- over HTTP


def test_the_files_over_http(browser, web_world: World) -> None:
    web_world.register(title="Natteravner på torget", need_description="Uro blant ungdom på torget.")
    web_world.advance(web_world.register(title="Leksehjelp", need_description="Lekser."), "closed")
    b = browser("executing")
    today = web_world.today().isoformat()
    r = b.get("/areas/alfa/measures.csv?q=torget&sort=title&dir=asc")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="tiltak-alfa-{today}.csv"'
    assert r.headers["cache-control"] == "no-store"
    _header, *rows = read_csv(r.content)
    assert [row[1] for row in rows] == ["Natteravner på torget"]
    r = b.get("/areas/alfa/measures-events.csv?state=closed")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.headers["content-disposition"] == f'attachment; filename="hendelser-alfa-{today}.csv"'
    _header, *rows = read_csv(r.content)
    assert {row[1] for row in rows} == {"Leksehjelp"} and len(rows) == 7  # registered, and six steps
    r = b.get("/areas/alfa/measures.xlsx?state=closed&state=need_identified&sort=title")
    assert r.status_code == 200
    assert r.headers["content-type"] == export_web.XLSX_TYPE
    assert r.headers["content-disposition"] == f'attachment; filename="tiltak-alfa-{today}.xlsx"'
    assert r.headers["cache-control"] == "no-store" and int(r.headers["content-length"]) == len(r.content)
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert [c.value for c in book["Tiltak"]["B"][1:]] == ["Leksehjelp", "Natteravner på torget"]
    assert book["Hendelser"].max_row == 1 + 7 + 1
    # The list page links the files of the view it shows (its query, no page key).
    page = b.get("/areas/alfa/measures?q=torget&sort=title&dir=asc").text
    assert 'href="/areas/alfa/measures.csv?q=torget&amp;sort=title&amp;dir=asc"' in page
    assert 'href="/areas/alfa/measures.xlsx?q=torget&amp;sort=title&amp;dir=asc"' in page
    assert 'href="/areas/alfa/measures-events.csv?q=torget&amp;sort=title&amp;dir=asc"' in page
    # Another area's members find nothing; the language is the member's.
    for path in ("/areas/alfa/measures.csv", "/areas/alfa/measures.xlsx", "/areas/alfa/measures-events.csv"):
        assert browser("beta_coordinator").get(path).status_code == 404
    b.post("/language", {"lang": "en", "next": "/areas/alfa/measures"})
    header = read_csv(b.get("/areas/alfa/measures.csv").content)[0]
    assert header[:3] == ["Ref.", "Title", "State"]
    assert openpyxl.load_workbook(io.BytesIO(b.get("/areas/alfa/measures.xlsx").content)).sheetnames == [
        "Measures",
        "Events",
    ]
