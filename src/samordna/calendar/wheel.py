"""The annual wheel's geometry, computed on the server: twelve month sectors (January at the top, going
clockwise), one ring per body level the member reads, a dot per meeting on its date, milestones on the
outer ring. Pure arithmetic: the template draws the shapes, colours come from classes in the static CSS
(the Content-Security-Policy allows no inline style)."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date

from samordna.calendar.views import WheelView

SIZE = 720
C = SIZE / 2
HOLE = 78  # the centre, with the year
RINGS_OUT = 262  # the body rings lie between HOLE and here
MILESTONES_OUT = 298  # the milestone ring
LABELS_AT = 326  # month names
PAD = 60  # room left and right of the wheel for the longest month names («September», «Desember»)


@dataclass(frozen=True)
class Sector:
    path: str
    css: str
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class Ring:
    level: str
    inner: float
    outer: float
    css: str


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    css: str
    title: str
    points: str = ""  # a milestone's diamond


@dataclass(frozen=True)
class Drawing:
    size: int
    centre: float
    view_box: str
    sectors: tuple[Sector, ...]
    rings: tuple[Ring, ...]
    milestone_ring: Ring
    dots: tuple[Mark, ...]
    milestones: tuple[Mark, ...]
    today: tuple[float, float, float, float] | None  # a line from the hole to the rim


def _point(fraction: float, radius: float) -> tuple[float, float]:
    angle = fraction * 2 * math.pi
    return round(C + radius * math.sin(angle), 2), round(C - radius * math.cos(angle), 2)


def _sector_path(start: float, end: float, inner: float, outer: float) -> str:
    x0, y0 = _point(start, outer)
    x1, y1 = _point(end, outer)
    x2, y2 = _point(end, inner)
    x3, y3 = _point(start, inner)
    return f"M{x0} {y0}A{outer} {outer} 0 0 1 {x1} {y1}L{x2} {y2}A{inner} {inner} 0 0 0 {x3} {y3}Z"


def year_fraction(year: int, month: int, day: float | None) -> float:
    """Where a date lies on the wheel: each month an equal twelfth, the day inside it (None: mid-month)."""
    days = calendar.monthrange(year, month)[1]
    within = 0.5 if day is None else (min(day, days) - 0.5) / days
    return (month - 1 + within) / 12


def draw(view: WheelView, month_names: list[str], today: date) -> Drawing:
    sectors = []
    for m in range(12):
        x, y = _point((m + 0.5) / 12, LABELS_AT)
        css = "wheel__sector" + (" wheel__sector--alt" if m % 2 else "")
        sectors.append(Sector(_sector_path(m / 12, (m + 1) / 12, HOLE, MILESTONES_OUT), css, month_names[m], x, y))
    levels = view.levels or ("all",)
    width = (RINGS_OUT - HOLE) / len(levels)
    rings = tuple(
        Ring(level, HOLE + i * width, HOLE + (i + 1) * width, f"wheel__ring wheel__ring--{level}")
        for i, level in enumerate(levels)
    )
    middle = {r.level: (r.inner + r.outer) / 2 for r in rings}
    dots = []
    for month in view.months:
        for meeting in month.meetings:
            fraction = year_fraction(view.year, month.number, meeting.starts_at.day)
            x, y = _point(fraction, middle.get(meeting.level, middle[levels[-1]]))
            css = f"wheel__dot wheel__dot--{meeting.level}"
            if meeting.state == "cancelled":
                css += " wheel__dot--cancelled"
            title = f"{meeting.starts_at:%d.%m. %H:%M} {meeting.body_name}: {meeting.title}"
            dots.append(Mark(x, y, css, title))
    marks = []
    ring_middle = (RINGS_OUT + MILESTONES_OUT) / 2
    for ms in view.milestones:
        x, y = _point(year_fraction(view.year, ms.month, ms.day), ring_middle)
        d = 9
        points = f"{x} {y - d} {x + d} {y} {x} {y + d} {x - d} {y}"
        marks.append(Mark(x, y, "wheel__milestone", ms.title, points))
    line = None
    if today.year == view.year:
        fraction = year_fraction(today.year, today.month, today.day)
        line = (*_point(fraction, HOLE), *_point(fraction, MILESTONES_OUT))
    return Drawing(
        size=SIZE,
        centre=C,
        view_box=f"{-PAD} 0 {SIZE + 2 * PAD} {SIZE}",
        sectors=tuple(sectors),
        rings=rings,
        milestone_ring=Ring("milestones", RINGS_OUT, MILESTONES_OUT, "wheel__ring wheel__ring--milestones"),
        dots=tuple(dots),
        milestones=tuple(marks),
        today=line,  # type: ignore[arg-type]
    )
