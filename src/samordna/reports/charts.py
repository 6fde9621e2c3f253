"""The steering report's charts, computed on the server: plain shapes (rectangles, lines, text) in a 640-wide
coordinate space with y growing downwards, which the page draws as SVG and the PDF as vector graphics —
the same geometry in both. Pure arithmetic: colours come from classes (the static CSS on the page, a table
of styles in the PDF), and no value is told by colour alone: every bar carries its number as text, the
series of a grouped chart differ by pattern (solid, hatched, cross-hatched) as well as colour, and a
hidden count is drawn as a dashed mark with «<5» or left out of the bar's length, never guessed at."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
SOLID, HATCH, CROSS = "solid", "hatch", "cross"
HATCH_GAP = 6.0


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str = ""


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    css: str
    anchor: str = "start"  # start | middle | end


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    rects: tuple[Rect, ...]
    lines: tuple[Line, ...]
    texts: tuple[Text, ...]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its label, its value (None: not shown), the text beside it, and its look."""

    label: str
    value: float | None
    text: str
    css: str = "chart__bar"
    pattern: str = SOLID


def scale(value: float) -> tuple[float, float]:
    """(top, step) of a value axis for counts up to `value`: round steps of 5, 10, 20, 25, 50 … and at most
    five of them. Every tick is a multiple of 5, so no axis label looks like a small count."""
    value = max(value, 1.0)
    power = 1
    while True:
        for base in (5, 10, 20, 25, 50):
            step = base * power
            if math.ceil(value / step) <= 5:
                return float(step * math.ceil(value / step)), float(step)
        power *= 10


def hatch(x: float, y: float, w: float, h: float, pattern: str, css: str) -> list[Line]:
    """The diagonal lines (both diagonals for CROSS) that fill the rectangle, clipped to it."""
    if pattern == SOLID or w <= 0 or h <= 0:
        return []
    lines: list[Line] = []
    c = x + y + HATCH_GAP / 2
    while c < x + w + y + h:  # «/»: x + y = c
        xa, xb = max(x, c - y - h), min(x + w, c - y)
        if xb > xa:
            lines.append(Line(round(xa, 2), round(c - xa, 2), round(xb, 2), round(c - xb, 2), css))
        c += HATCH_GAP
    if pattern == CROSS:
        c = x - y - h + HATCH_GAP / 2
        while c < x + w - y:  # «\»: x - y = c
            xa, xb = max(x, c + y), min(x + w, c + y + h)
            if xb > xa:
                lines.append(Line(round(xa, 2), round(xa - c, 2), round(xb, 2), round(xb - c, 2), css))
            c += HATCH_GAP
    return lines


def bars(rows: Sequence[Bar], *, label_width: float = 230, scale_to: float | None = None) -> Chart:
    """A horizontal bar chart: the labels on the left, each bar's text at its end. `scale_to`: the value the
    full width stands for (default: the largest value, rounded up)."""
    row_h, bar_h, top = 28.0, 18.0, 6.0
    x0 = label_width
    room = WIDTH - x0 - 110  # the value's text («141 dager») after the longest bar
    values = [r.value for r in rows if r.value is not None]
    full = scale_to or max(values, default=1.0) or 1.0
    rects: list[Rect] = []
    lines: list[Line] = []
    texts: list[Text] = []
    for i, r in enumerate(rows):
        y = top + i * row_h
        mid = y + row_h / 2
        texts.append(Text(x0 - 8, mid + 5, r.label, "chart__label", "end"))
        if r.value is None:
            lines.append(Line(x0 + 2, mid, x0 + 22, mid, "chart__hidden"))
            texts.append(Text(x0 + 28, mid + 5, r.text, "chart__value"))
            continue
        w = round(room * r.value / full, 2) if full else 0.0
        by = mid - bar_h / 2
        rects.append(Rect(x0, by, w, bar_h, f"{r.css} chart__bar--{r.pattern}", f"{r.label}: {r.text}"))
        lines.extend(hatch(x0, by, w, bar_h, r.pattern, "chart__hatch"))
        texts.append(Text(x0 + w + 6, mid + 5, r.text, "chart__value"))
    height = top * 2 + len(rows) * row_h
    lines.append(Line(x0, top, x0, height - top, "chart__axis"))
    return Chart(WIDTH, height, tuple(rects), tuple(lines), tuple(texts))


def columns(
    groups: Sequence[str],
    series: Sequence[tuple[str, str, str]],
    values: Sequence[Sequence[int | None]],
) -> Chart:
    """Grouped columns: for each group (a month) one column per series (css, pattern, label); `values[g][s]`
    is its count, or None when hidden (a dashed mark on the base line, which the legend explains). A value
    axis on the left, the groups below."""
    left, right, top, plot_h, bottom = 40.0, 8.0, 16.0, 180.0, 26.0
    plot_w = WIDTH - left - right
    base = top + plot_h
    shown = [v for row in values for v in row if v is not None]
    full, step = scale(max(shown, default=1))
    rects: list[Rect] = []
    lines: list[Line] = [Line(left, base, WIDTH - right, base, "chart__axis")]
    texts: list[Text] = []
    for i in range(1, round(full / step) + 1):
        y = round(base - plot_h * i * step / full, 2)
        lines.append(Line(left, y, WIDTH - right, y, "chart__grid"))
        texts.append(Text(left - 6, y + 4, f"{i * step:g}", "chart__tick", "end"))
    slot = plot_w / max(len(groups), 1)
    n = max(len(series), 1)
    width = min(slot * 0.8 / n, 28.0)
    label_every = 1 if slot >= 34 else 2 if slot >= 17 else 3
    for g, name in enumerate(groups):
        start = left + g * slot + (slot - width * n) / 2
        for s, (css, pattern, label) in enumerate(series):
            x = round(start + s * width, 2)
            v = values[g][s]
            if v is None:
                lines.append(Line(x + 1, base - 1.5, x + width - 1, base - 1.5, "chart__hidden"))
                continue
            h = round(plot_h * v / full, 2)
            rects.append(Rect(x, base - h, width - 1, h, f"{css} chart__bar--{pattern}", f"{name}, {label}: {v}"))
            lines.extend(hatch(x, base - h, width - 1, h, pattern, "chart__hatch"))
            if width >= 11:
                texts.append(Text(x + width / 2, base - h - 4, str(v), "chart__small", "middle"))
        if g % label_every == 0:
            texts.append(Text(left + g * slot + slot / 2, base + 18, name, "chart__tick", "middle"))
    return Chart(WIDTH, base + bottom, tuple(rects), tuple(lines), tuple(texts))
