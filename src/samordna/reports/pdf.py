"""The steering report as an A4 PDF, drawn with ReportLab from the same Document the page shows
(samordna.reports.figures): headings, sentences and tables as real text, the charts as vector graphics
from the same shapes the page draws as SVG.

ReportLab is pure Python (a wheel with no system libraries), so the PDF works wherever `make run` does.
Text is set in DejaVu Sans when the system has it (it covers the Sami letters too), else in Bitstream Vera,
which ReportLab ships (every Norwegian letter, «», – and ≥). No SQL, no HTTP.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from samordna.reports.charts import Chart, hatch
from samordna.reports.figures import TEXT, Document, Figure
from samordna.reports.figures import Table as FigureTable
from samordna.web.i18n import current_lang
from samordna.web.i18n import gettext as _

FONT, BOLD = "SamordnaSans", "SamordnaSans-Bold"
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    (
        str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"),
        str(Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"),
    ),
)
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 16 * mm, 16 * mm, 18 * mm
WIDTH = A4[0] - 2 * MARGIN_X
INK = colors.HexColor("#1c2430")
SOFT = colors.HexColor("#4a5565")
LINE = colors.HexColor("#cfd6df")
HEAD = colors.HexColor("#eef1f5")

# The charts' classes (the page's CSS draws the same ones): fill, stroke, and for text its size and weight.
FILLS = {
    "chart__bar": "#0b4f8a",
    "chart__bar--late": "#fbe5e7",
    "chart__bar--on_track": "#1d6b3a",
    "chart__bar--at_risk": "#fdf0d5",
    "chart__bar--off_track": "#fbe5e7",
}
STROKES = {
    "chart__bar--late": "#a11d2b",
    "chart__bar--at_risk": "#7a4b00",
    "chart__bar--off_track": "#a11d2b",
    "chart__hatch": "#1c2430",
    "chart__axis": "#4a5565",
    "chart__grid": "#cfd6df",
    "chart__hidden": "#4a5565",
}
TEXTS = {
    "chart__label": (13, False),
    "chart__value": (13, True),
    "chart__tick": (11, False),
    "chart__small": (10, False),
}

_fonts = threading.Lock()
_registered: list[str] = []


def font_file() -> str:
    """The regular font file the PDF is set in."""
    _register()
    return _registered[0]


def _register() -> None:
    with _fonts:
        if _registered:
            return
        for regular, bold in FONT_CANDIDATES:
            if Path(regular).is_file() and Path(bold).is_file():
                pdfmetrics.registerFont(TTFont(FONT, regular))
                pdfmetrics.registerFont(TTFont(BOLD, bold))
                pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
                _registered.append(regular)
                return
        raise RuntimeError("no font for the PDF: ReportLab's own Vera.ttf is missing")


def _style(
    name: str, size: float, *, bold: bool = False, after: float = 4, color: colors.Color = INK
) -> ParagraphStyle:
    return ParagraphStyle(
        name, fontName=BOLD if bold else FONT, fontSize=size, leading=size * 1.3, spaceAfter=after, textColor=color
    )


def _colour(classes: str, table: dict[str, str]) -> colors.Color | None:
    found = None
    for css in classes.split():  # the last class that has one wins, as in CSS with equal weight
        if css in table:
            found = colors.HexColor(table[css])
    return found


def drawing(chart: Chart, width: float) -> Drawing:
    """The chart's shapes as a ReportLab drawing `width` points wide (y turned upwards)."""
    s = width / chart.width
    h = chart.height
    d = Drawing(width, h * s)
    for r in chart.rects:
        fill = _colour(r.css, FILLS)
        stroke = _colour(r.css, STROKES)
        d.add(Rect(r.x * s, (h - r.y - r.h) * s, r.w * s, r.h * s, fillColor=fill, strokeColor=stroke, strokeWidth=0.8))
    for ln in chart.lines:
        dash = (2, 2) if "chart__hidden" in ln.css else None
        d.add(
            Line(
                ln.x1 * s,
                (h - ln.y1) * s,
                ln.x2 * s,
                (h - ln.y2) * s,
                strokeColor=_colour(ln.css, STROKES) or INK,
                strokeWidth=0.6 if "chart__hatch" in ln.css else 0.8,
                strokeDashArray=dash,
            )
        )
    for t in chart.texts:
        size, bold = TEXTS.get(t.css.split()[0], (12, False))
        d.add(
            String(
                t.x * s,
                (h - t.y) * s,
                t.text,
                fontName=BOLD if bold else FONT,
                fontSize=size * s,
                fillColor=INK,
                textAnchor=t.anchor,
            )
        )
    return d


class _Legend(Flowable):
    """The series of a grouped chart: a swatch with the series' pattern, then its name."""

    def __init__(self, figure: Figure) -> None:
        super().__init__()
        self.entries = figure.legend
        self.height = 14

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return available_width, self.height

    def draw(self) -> None:
        c = self.canv
        x = 0.0
        for e in self.entries:
            d = Drawing(12, 10)
            fill, stroke = _colour(e.css, FILLS), _colour(e.css, STROKES)
            d.add(Rect(0, 0, 12, 10, fillColor=fill, strokeColor=stroke, strokeWidth=0.8))
            for ln in hatch(0, 0, 12, 10, e.pattern, "chart__hatch"):
                d.add(Line(ln.x1, 10 - ln.y1, ln.x2, 10 - ln.y2, strokeColor=INK, strokeWidth=0.5))
            d.drawOn(c, x, 1)
            c.setFont(FONT, 9)
            c.setFillColor(INK)
            c.drawString(x + 16, 2, e.label)
            x += 24 + pdfmetrics.stringWidth(e.label, FONT, 9)


def _table(t: FigureTable, styles: dict[str, ParagraphStyle]) -> Table:
    cell, head = styles["cell"], styles["head"]
    numeric = [k != TEXT for k in t.kinds]

    def row(values: tuple[str, ...], style: ParagraphStyle) -> list[object]:
        out: list[object] = []
        for i, v in enumerate(values):
            p_style = ParagraphStyle(f"{style.name}-{i}", parent=style, alignment=TA_RIGHT) if numeric[i] else style
            out.append(Paragraph(escape(v), p_style))
        return out

    part = ParagraphStyle("part", parent=cell, leftIndent=10, textColor=SOFT)
    data = [row(t.head, head)]
    for i, r in enumerate(t.rows):
        cells = row(r, cell if not t.levels else head if t.level(i) == 0 else cell)
        if t.level(i):
            cells[0] = Paragraph(escape(r[0]), part)
        data.append(cells)
    if t.foot:
        data.append(row(t.foot, head))
    first = WIDTH * (0.46 if len(t.head) > 2 else 0.6)
    rest = (WIDTH - first) / max(len(t.head) - 1, 1)
    table = Table(data, colWidths=[first] + [rest] * (len(t.head) - 1), repeatRows=1, hAlign="LEFT")
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, SOFT),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if t.foot:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, SOFT))
    table.setStyle(TableStyle(commands))
    return table


def _figure(figure: Figure, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    parts: list[Flowable] = [
        Paragraph(escape(figure.title), styles["h3"]),
        drawing(figure.chart, WIDTH * (0.92 if figure.legend else 0.8)),
    ]
    if figure.legend:
        parts.append(_Legend(figure))
    parts += [
        Spacer(1, 3),
        Paragraph(escape(figure.summary), styles["body"]),
        _table(figure.table, styles),
        Spacer(1, 10),
    ]
    return [KeepTogether(parts)]


class _NumberedCanvas(Canvas):
    """Writes «side X av Y» at the foot of every page once the number of pages is known."""

    footer = ""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._pages: list[dict[str, object]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 8)
            self.setFillColor(SOFT)
            page = _("side {page} av {pages}").format(page=self._pageNumber, pages=total)
            self.drawString(MARGIN_X, 10 * mm, self.footer)
            self.drawRightString(A4[0] - MARGIN_X, 10 * mm, page)
            super().showPage()
        super().save()


def render(doc: Document) -> bytes:
    """The report as PDF bytes."""
    _register()
    styles = {
        "title": _style("title", 20, bold=True, after=2),
        "area": _style("area", 12, bold=True, after=2),
        "meta": _style("meta", 9, after=2, color=SOFT),
        "h2": _style("h2", 14, bold=True, after=4),
        "h3": _style("h3", 11.5, bold=True, after=3),
        "body": _style("body", 9.5, after=5),
        "note": _style("note", 8.5, after=2, color=SOFT),
        "cell": _style("cell", 9, after=0),
        "head": _style("head", 9, bold=True, after=0),
    }
    story: list[Flowable] = [
        Paragraph(escape(doc.area), styles["area"]),
        Paragraph(escape(doc.title), styles["title"]),
        Paragraph(escape(_("Periode: {period}").format(period=doc.period)), styles["meta"]),
    ]
    if doc.as_of:
        story.append(Paragraph(escape(doc.as_of), styles["meta"]))
    story += [
        Paragraph(escape(doc.generated), styles["meta"]),
        Spacer(1, 8),
        Paragraph(escape(doc.summary), styles["body"]),
        _table(doc.overview, styles),
        Spacer(1, 6),
        *[Paragraph(escape(n), styles["note"]) for n in doc.notes],
        Spacer(1, 10),
    ]
    for section in doc.sections:
        heading = [Paragraph(escape(_("Mål: {goal}").format(goal=section.title)), styles["h2"])]
        if section.description:
            heading.append(Paragraph(escape(section.description), styles["body"]))
        figures = [f for fig in section.figures for f in _figure(fig, styles)]
        story += [PageBreak(), *heading, *figures]  # each goal on a page of its own, as printed from the page
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{doc.title} – {doc.area}",
        author="Samordna",
        subject=f"{doc.area}: {doc.period}",
        creator="Samordna",
        lang={"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}.get(current_lang.get(), "nb-NO"),
        invariant=True,
    )
    footer = f"{doc.area} – {doc.title}" + ("" if doc.period in doc.title else f", {doc.period}")
    canvas = type("ReportCanvas", (_NumberedCanvas,), {"footer": footer})
    pdf.build(story, canvasmaker=canvas)
    return out.getvalue()
