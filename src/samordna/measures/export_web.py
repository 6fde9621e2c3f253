"""Exports of the measure list as files (DESIGN.md §12): /areas/{slug}/measures.csv, …/measures.xlsx and
…/measures-events.csv, taking the list's query (q, state, goal, unit, arena, health, year, mine, my_unit, sort,
dir) and giving exactly the rows of that view, every page, in its order. HTTP in, files out: one call to
MeasureService.export, then the rows as a person reads them — labels in the member's language, names, dates.

CSV is what Norwegian Excel opens with a double click: UTF-8 with a byte order mark, `;` between fields, dates
as dd.mm.yyyy and times as dd.mm.yyyy hh:mm (the area's time zone). It is streamed as it is read: each chunk
of rows read and written in a worker thread (web.streaming.in_thread). The events are a second file.

XLSX has typed cells (dates and times with a Norwegian format, numbers as numbers), a bold header row that
stays in view, an autofilter and column widths; the events are a second sheet («Hendelser»), left out with
`events=0`. A zip file cannot be streamed while it is written, so XlsxWriter writes it in `constant_memory`
mode (one row in memory at a time) into an anonymous temporary file — it has no name, so nothing is left
behind whatever happens — in the handler's worker thread; then the finished file is streamed and closed.

Formula injection: a text cell beginning with = + - @ (or a tab or carriage return) would be run by a
spreadsheet. CSV prefixes such a value with an apostrophe, as OWASP advises; XLSX writes every text as a
string cell, never as a formula.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter
from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Stream

from samordna.accounts.web import page_for
from samordna.domain.vocabulary import ARENA_LABELS
from samordna.measures.export import MeasureExport
from samordna.measures.list_web import filters_from
from samordna.measures.timeline import event_labels, fields_by_column, state_label
from samordna.measures.views import ExportEvent, ExportRow
from samordna.measures.web import MeasuresDep
from samordna.web.i18n import gettext as _
from samordna.web.streaming import in_thread

CSV_TYPE = "text/csv"  # Litestar adds "; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT, INT, DATE, DATETIME = "text", "int", "date", "datetime"
RISKY = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet takes a cell beginning so for a formula
MAX_ROWS = 1_048_576  # rows of an Excel sheet, the header included
READ_SIZE = 256 * 1024  # bytes per part of a streamed XLSX file
# The workbook's sheets by language: words of the domain, as in domain.vocabulary (gettext's «Tiltak» is the
# singular in English).
SHEETS = {"nb": ("Tiltak", "Hendelser"), "nn": ("Tiltak", "Hendingar"), "en": ("Measures", "Events")}


@dataclass(frozen=True)
class Column:
    heading: str
    kind: str  # TEXT, INT, DATE or DATETIME
    value: Callable[[Any], Any]  # the row's value: str, int, date or a naive local datetime (or None)
    width: float  # in Excel's character widths


@dataclass(frozen=True)
class Words:
    """Everything an export says in the member's language, looked up once before any row is read: the rows
    are written in worker threads, row by row, without asking gettext again."""

    states: dict[str, str]
    healths: dict[str, str]
    effects: dict[str, str]
    arenas: dict[str, str]
    events: dict[str, str]
    fields: dict[str, str]  # measure column or event value -> the field's label
    tz: Any
    lang: str

    @classmethod
    def of(cls, wf: Any, lang: str, tz: Any) -> Words:
        def options(name: str) -> dict[str, str]:
            fdef = wf.fields.get(name)
            return {v: (fdef.option_labels.get(v) or {}).get(lang) or v for v in fdef.options} if fdef else {}

        fields = {column: fdef.label.get(lang) or column for column, fdef in fields_by_column(wf).items()}
        fields.update({name: fdef.label.get(lang) or name for name, fdef in wf.fields.items()})
        fields["next_follow_up_at"] = _("Neste oppfølging")
        return cls(
            states={s: state_label(wf, s, lang) for s in wf.states},
            healths=options("health"),
            effects=options("effect"),
            arenas={k: v.get(lang, v["nb"]) for k, v in ARENA_LABELS.items()},
            events=event_labels(wf, lang),
            fields=fields,
            tz=tz,
            lang=lang,
        )

    def local(self, at: datetime) -> datetime:
        """An aware time as the area's wall clock shows it, without a zone (spreadsheets have none)."""
        return at.astimezone(self.tz).replace(tzinfo=None, microsecond=0)

    def note(self, e: ExportEvent) -> str:
        """The event's comment, and the values given that the measure does not keep (a reason, a note)."""
        parts = [e.comment] if e.comment else []
        parts += [f"{self.fields.get(k, k)}: {v}" for k, v in e.data.items() if v not in (None, "", [])]
        return "; ".join(str(p) for p in parts)


def measure_columns(w: Words) -> tuple[Column, ...]:
    """The list's columns, then what an analyst also wants."""
    return (
        Column(_("Ref."), TEXT, lambda r: r.ref, 14),
        Column(_("Tittel"), TEXT, lambda r: r.title, 40),
        Column(_("Tilstand"), TEXT, lambda r: w.states.get(r.state, r.state), 18),
        Column(_("Ansvarlig enhet"), TEXT, lambda r: r.unit_name or "", 22),
        Column(_("Deltakende enheter"), TEXT, lambda r: ", ".join(r.participating), 26),
        Column(_("Mål"), TEXT, lambda r: r.goal_title or "", 32),
        Column(_("Arena"), TEXT, lambda r: w.arenas.get(r.arena, r.arena), 13),
        Column(_("Målgruppe"), TEXT, lambda r: r.target_group, 24),
        Column(_("Alder fra"), INT, lambda r: r.age_from, 9),
        Column(_("Alder til"), INT, lambda r: r.age_to, 9),
        Column(_("Registrert"), DATE, lambda r: w.local(r.created_at).date(), 11),
        Column(_("Frist"), DATE, lambda r: r.due_date, 11),
        Column(_("Neste oppfølging"), DATE, lambda r: r.next_follow_up_at, 11),
        Column(_("Status"), TEXT, lambda r: w.healths.get(r.last_health, r.last_health) if r.last_health else "", 14),
        Column(
            _("Effekt"),
            TEXT,
            lambda r: w.effects.get(r.evaluation_effect, r.evaluation_effect) if r.evaluation_effect else "",
            14,
        ),
        Column(_("Sist endret"), DATETIME, lambda r: w.local(r.updated_at), 16),
    )


def event_columns(w: Words) -> tuple[Column, ...]:
    return (
        Column(_("Ref."), TEXT, lambda e: e.ref, 14),
        Column(_("Tittel"), TEXT, lambda e: e.title, 40),
        Column(_("Tidspunkt"), DATETIME, lambda e: w.local(e.at), 16),
        Column(_("Hendelse"), TEXT, lambda e: w.events.get(e.trigger, e.trigger), 22),
        Column(_("Fra tilstand"), TEXT, lambda e: w.states.get(e.from_state, e.from_state) if e.from_state else "", 18),
        Column(_("Til tilstand"), TEXT, lambda e: w.states.get(e.to_state, e.to_state), 18),
        Column(_("Utført av"), TEXT, lambda e: e.actor_name, 22),
        Column(_("Endret"), TEXT, lambda e: ", ".join(w.fields.get(c, c) for c in e.changed), 30),
        Column(_("Kommentar og opplysninger"), TEXT, w.note, 50),
        Column(_("Versjon"), INT, lambda e: e.version, 8),
    )


# ---------------------------------------------------------------- CSV


def _csv_text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(RISKY) else value


def _csv_number(value: int | None) -> Any:
    return "" if value is None else value


def _csv_date(value: date | None) -> str:
    # An f-string: strftime takes three times as long, and a large export writes hundreds of thousands.
    return "" if value is None else f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def _csv_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d} {value.hour:02d}:{value.minute:02d}"


CSV_CELLS: dict[str, Callable[[Any], Any]] = {
    TEXT: _csv_text,
    INT: _csv_number,
    DATE: _csv_date,
    DATETIME: _csv_datetime,
}


def csv_cell(kind: str, value: Any) -> Any:
    """A value as the CSV file writes it: dd.mm.yyyy, dd.mm.yyyy hh:mm, a risky text behind an apostrophe."""
    return CSV_CELLS[kind](value)


def csv_parts(export: MeasureExport, columns: tuple[Column, ...], *, events: bool) -> Iterator[bytes]:
    """The CSV file in parts: the byte order mark and the header, then one part per chunk read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.heading for c in columns])
    yield ("\ufeff" + buffer.getvalue()).encode()
    cells = [(CSV_CELLS[c.kind], c.value) for c in columns]
    for chunk in export.chunks(events=events):
        buffer.seek(0)
        buffer.truncate()
        items: Iterable[ExportRow | ExportEvent] = chunk.events if events else chunk.rows
        writer.writerows([cell(value(item)) for cell, value in cells] for item in items)
        yield buffer.getvalue().encode()


# ---------------------------------------------------------------- XLSX


class Sheet:
    """One worksheet written row by row: header, frozen panes, widths, autofilter. A sheet holds MAX_ROWS rows;
    past that, the last row says how many were left out (the CSV file has them all)."""

    def __init__(self, book: Any, name: str, columns: tuple[Column, ...], formats: dict[str, Any]) -> None:
        self.ws = book.add_worksheet(name)
        self.columns = columns
        self.row = 1
        self.left_out = 0
        self.ws.freeze_panes(1, 0)
        for i, c in enumerate(columns):
            self.ws.set_column(i, i, c.width)
            self.ws.write_string(0, i, c.heading, formats["head"])
        ws = self.ws
        writers = {
            TEXT: lambda r, i, v: ws.write_string(r, i, v) if v else None,
            INT: lambda r, i, v: ws.write_number(r, i, v) if v is not None else None,
            DATE: lambda r, i, v: ws.write_datetime(r, i, v, formats[DATE]) if v is not None else None,
            DATETIME: lambda r, i, v: ws.write_datetime(r, i, v, formats[DATETIME]) if v is not None else None,
        }
        self.cells = [(i, writers[c.kind], c.value) for i, c in enumerate(columns)]

    def add(self, items: Iterable[Any]) -> None:
        for item in items:
            if self.row >= MAX_ROWS - 1:  # keep the last row for the note
                self.left_out += 1
                continue
            row = self.row
            for i, write, value in self.cells:
                write(row, i, value(item))
            self.row += 1

    def finish(self) -> None:
        self.ws.autofilter(0, 0, self.row - 1, len(self.columns) - 1)
        if self.left_out:
            self.ws.write_string(
                self.row,
                0,
                _("Arket er fullt: %(n)s rader til er ikke med. CSV-filen har alle.") % {"n": self.left_out},
            )


def write_xlsx(out: IO[bytes], export: MeasureExport, w: Words, *, events: bool, names: tuple[str, str]) -> None:
    """The workbook into `out`: the measures on the first sheet, their events on the second (`events`)."""
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,  # one row in memory: rows go to a temporary file as they are written
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "tmpdir": tempfile.gettempdir(),
        },
    )
    formats = {
        "head": book.add_format({"bold": True, "bottom": 1}),
        DATE: book.add_format({"num_format": "dd.mm.yyyy"}),
        DATETIME: book.add_format({"num_format": "dd.mm.yyyy hh:mm"}),
    }
    try:
        measures = Sheet(book, names[0], measure_columns(w), formats)
        happened = Sheet(book, names[1], event_columns(w), formats) if events else None
        for chunk in export.chunks(events=events):
            measures.add(chunk.rows)
            if happened is not None:
                happened.add(chunk.events)
        measures.finish()
        if happened is not None:
            happened.finish()
    finally:
        book.close()


def file_parts(f: IO[bytes]) -> Iterator[bytes]:
    """The file from its start, READ_SIZE at a time; closed (and so gone: it has no name) at the end."""
    try:
        f.seek(0)
        while part := f.read(READ_SIZE):
            yield part
    finally:
        f.close()


# ---------------------------------------------------------------- the handlers


def filename(export: MeasureExport, stem: str, suffix: str) -> str:
    slug = re.sub(r"[^a-z0-9-]", "", export.slug.lower()) or "omrade"
    return f"{stem}-{slug}-{export.today.isoformat()}.{suffix}"


def headers(name: str, **more: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store", **more}


def opened(request: Request, measures: MeasuresDep, slug: str) -> tuple[MeasureExport, Words]:
    page = page_for(request, slug)
    filters = filters_from(request, tuple(measures.workflow.states))
    export = measures.export(actor=page.actor, slug=slug, filters=filters)
    return export, Words.of(measures.workflow, page.lang, export.tz)


@get("/areas/{slug:str}/measures.csv", sync_to_thread=True, name="measures_csv")
def measures_csv(request: Request, measures: MeasuresDep, slug: FromPath[str]) -> Stream:
    export, w = opened(request, measures, slug)
    parts = csv_parts(export, measure_columns(w), events=False)
    return Stream(in_thread(parts), media_type=CSV_TYPE, headers=headers(filename(export, "tiltak", "csv")))


@get("/areas/{slug:str}/measures-events.csv", sync_to_thread=True, name="measure_events_csv")
def measure_events_csv(request: Request, measures: MeasuresDep, slug: FromPath[str]) -> Stream:
    export, w = opened(request, measures, slug)
    parts = csv_parts(export, event_columns(w), events=True)
    return Stream(in_thread(parts), media_type=CSV_TYPE, headers=headers(filename(export, "hendelser", "csv")))


@get("/areas/{slug:str}/measures.xlsx", sync_to_thread=True, name="measures_xlsx")
def measures_xlsx(request: Request, measures: MeasuresDep, slug: FromPath[str]) -> Stream:
    export, w = opened(request, measures, slug)
    events = request.query_params.get("events") not in ("0", "false", "no")
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 — closed by file_parts, or below
    try:
        write_xlsx(out, export, w, events=events, names=SHEETS.get(w.lang, SHEETS["nb"]))
        size = out.tell()
    except BaseException:
        out.close()
        raise
    name = filename(export, "tiltak", "xlsx")
    return Stream(
        in_thread(file_parts(out)), media_type=XLSX_TYPE, headers=headers(name, **{"Content-Length": str(size)})
    )


HANDLERS = [measures_csv, measure_events_csv, measures_xlsx]
