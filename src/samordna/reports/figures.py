"""The steering report in words and figures: what the page and the PDF both show, decided once.

A Document holds, per goal, its figures: each a chart (samordna.reports.charts), the same data as a table,
and a sentence or two that say what the chart shows. The page (templates/pages/reports/report.html) and the
PDF (samordna.reports.pdf) only lay the Document out. Counts are written as the small-number rule left
them: «<5» (fewer than 5), «≥5» (5 or more, hidden so as not to give a small count away); sentences say
the same in words. No SQL, no HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babel.dates import get_month_names
from babel.numbers import format_decimal

from samordna.domain.small_numbers import AT_LEAST, MIN_COUNT, SafeCount
from samordna.reports.charts import CROSS, HATCH, SOLID, Bar, Chart, bars, columns
from samordna.reports.views import MONTH, Bucket, GoalReport, Report
from samordna.web.i18n import LOCALES, current_lang, fmt_date
from samordna.web.i18n import gettext as _
from samordna.workflow import Workflow

COUNT, DAYS, PERCENT, TEXT = "count", "days", "percent", "text"  # what a table column holds
HEALTH_LOOK = {"on_track": SOLID, "at_risk": HATCH, "off_track": CROSS}


@dataclass(frozen=True)
class Table:
    caption: str
    head: tuple[str, ...]
    kinds: tuple[str, ...]  # per column: COUNT, DAYS, PERCENT or TEXT (the first column heads its row)
    rows: tuple[tuple[str, ...], ...]
    foot: tuple[str, ...] | None = None  # the total row
    levels: tuple[int, ...] = ()  # per row: 0, or 1 for a row that is a part of the row above it

    def level(self, row: int) -> int:
        return self.levels[row] if row < len(self.levels) else 0


@dataclass(frozen=True)
class LegendEntry:
    css: str
    pattern: str
    label: str


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    summary: str
    chart: Chart
    table: Table
    legend: tuple[LegendEntry, ...] = ()


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    description: str
    active: bool
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Document:
    title: str
    area: str
    period: str  # «2026», or «1. mars 2026 – 31. mai 2026»
    as_of: str  # «Tall per 5. des. 2026» while the period runs, else ""
    generated: str
    summary: str
    overview: Table
    sections: tuple[Section, ...]
    notes: tuple[str, ...]


# ---------------------------------------------------------------- words


def count_text(c: SafeCount) -> str:
    """A count in a table or beside a bar: the number, «<5» or «≥5»."""
    if c.value is not None:
        return str(c.value)
    return f"≥{MIN_COUNT}" if c.hidden == AT_LEAST else f"<{MIN_COUNT}"


def count_words(c: SafeCount) -> str:
    """A count in a sentence: the number, «færre enn 5» or «5 eller flere»."""
    if c.value is not None:
        return str(c.value)
    return _("5 eller flere") if c.hidden == AT_LEAST else _("færre enn 5")


def days_text(days: float | None) -> str:
    if days is None:
        return "–"
    return format_decimal(days, format="#,##0.#", locale=LOCALES.get(current_lang.get(), "nb_NO"))


def period_text(report: Report) -> str:
    p = report.period
    if p.year is not None:
        return str(p.year)
    return f"{fmt_date(p.start, 'd. MMMM y')} – {fmt_date(p.end, 'd. MMMM y')}"


def bucket_label(bucket: Bucket, several_years: bool) -> str:
    lang = current_lang.get()
    if bucket.kind == MONTH:
        name = get_month_names("abbreviated", locale=LOCALES.get(lang, "nb_NO"))[bucket.start.month]
        return f"{name} {bucket.start.year % 100:02d}" if several_years else name
    quarter = (bucket.start.month - 1) // 3 + 1
    return _("K{quarter} {year}").format(quarter=quarter, year=bucket.start.year)


class Words:
    """The workflow's labels in the current language."""

    def __init__(self, workflow: Workflow) -> None:
        self.wf = workflow
        self.lang = current_lang.get()

    def state(self, state: str) -> str:
        st = self.wf.states.get(state)
        return st.label.get(self.lang) if st else state

    def option(self, field: str, value: str) -> str:
        f = self.wf.fields.get(field)
        if f and value in f.option_labels:
            return f.option_labels[value].get(self.lang)
        return value


# ---------------------------------------------------------------- the document


def document(report: Report, workflow: Workflow) -> Document:
    words = Words(workflow)
    period = period_text(report)
    title = _("Styringsrapport {period}").format(period=period) if report.period.year else _("Styringsrapport")
    as_of = _("Tallene gjelder til og med {day}.").format(day=fmt_date(report.as_of)) if report.ongoing else ""
    sections = tuple(_section(report, g, words) for g in report.goals)
    return Document(
        title=title,
        area=report.area_name,
        period=period,
        as_of=as_of,
        generated=_("Laget {when}").format(when=fmt_date(report.generated_at, "d. MMMM y")),
        summary=_summary(report),
        overview=_overview(report),
        sections=sections,
        notes=(
            _(
                "«<5» betyr færre enn 5. Av hensyn til taushetsplikten viser rapporten aldri antall under 5, "
                "heller ikke null."
            ),
            _(
                "«≥5» betyr 5 eller flere. En sum skjules når den sammen med tallene ved siden av ville vist "
                "hvor mange som står bak et skjult tall."
            ),
            _(
                "Tiltak i perioden: tiltak som fantes ved periodens slutt og ikke var avsluttet eller avvist før "
                "perioden begynte, etter status ved periodens slutt."
            ),
        ),
    )


def _summary(report: Report) -> str:
    parts = [
        _("{area} hadde {measures} tiltak i perioden, og {evaluations} ble evaluert.").format(
            area=report.area_name, measures=count_words(report.measures), evaluations=count_words(report.evaluations)
        )
    ]
    largest = [g for g in report.goals if g.measures.value is not None]
    if largest:
        top = max(largest, key=lambda g: g.measures.value or 0)
        parts.append(
            _("Flest tiltak hørte til målet «{goal}» ({n}).").format(goal=top.title, n=count_words(top.measures))
        )
    return " ".join(parts)


def _overview(report: Report) -> Table:
    rows = []
    for g in report.goals:
        share = f"{g.follow_up.share} %" if g.follow_up and g.follow_up.share is not None else "–"
        rows.append((g.title, count_text(g.measures), count_text(g.evaluations), share))
    rows.append((_("Behov uten mål"), count_text(report.without_goal), "–", "–"))
    return Table(
        caption=_("Oversikt over målene"),
        head=(_("Mål"), _("Tiltak i perioden"), _("Evaluert i perioden"), _("Forfalt oppfølging")),
        kinds=(TEXT, COUNT, COUNT, PERCENT),
        rows=tuple(rows),
        foot=(_("Hele området"), count_text(report.measures), count_text(report.evaluations), "–"),
    )


def _section(report: Report, goal: GoalReport, words: Words) -> Section:
    key = f"goal-{goal.goal_id}"
    figures = [_states(report, goal, words, key)]
    if goal.follow_up is not None:
        figures.append(_follow_up(report, goal, words, key))
    figures.append(_effects(report, goal, words, key))
    figures.append(_stages(goal, words, key))
    if report.buckets:
        figures.append(_health(report, goal, words, key))
    return Section(key, goal.title, goal.description, goal.active, tuple(figures))


def _largest(counts: Sequence[tuple[str, SafeCount]]) -> tuple[str, SafeCount] | None:
    shown = [(k, c) for k, c in counts if c.value is not None]
    return max(shown, key=lambda kc: kc[1].value or 0) if shown else None


def group_label(group: str) -> str:
    """The steering board's words for its groups of states (boards/web.py says the same)."""
    return {
        "planning": _("Under planlegging"),
        "running": _("I gjennomføring"),
        "evaluation": _("Evaluering og vedtak"),
        "closed": _("Avsluttet"),
        "declined": _("Ikke prioritert"),
    }.get(group, _("Annet"))


def _states(report: Report, goal: GoalReport, words: Words, key: str) -> Figure:
    rows = [Bar(group_label(g.key), g.count.value, count_text(g.count)) for g in goal.by_group]
    groups = ", ".join(f"{count_words(g.count)} {group_label(g.key).lower()}" for g in goal.by_group)
    summary = _("Ved periodens slutt hørte {n} tiltak til målet: {groups}.").format(
        n=count_words(goal.measures), groups=groups
    )
    table_rows: list[tuple[str, ...]] = []
    levels: list[int] = []
    for g in goal.by_group:
        table_rows.append((group_label(g.key), count_text(g.count)))
        levels.append(0)
        for s, c in g.states:
            table_rows.append((words.state(s), count_text(c)))
            levels.append(1)
    return Figure(
        id=f"{key}-states",
        title=_("Tiltak etter status"),
        summary=summary,
        chart=bars(rows),
        table=Table(
            caption=_("Tiltak etter status ved periodens slutt"),
            head=(_("Status"), _("Tiltak")),
            kinds=(TEXT, COUNT),
            rows=tuple(table_rows),
            foot=(_("I alt"), count_text(goal.measures)),
            levels=tuple(levels),
        ),
    )


def _follow_up(report: Report, goal: GoalReport, words: Words, key: str) -> Figure:
    fu = goal.follow_up
    assert fu is not None
    state = words.state(report.follow_up_state)
    rows = [
        Bar(_("Forfalt"), fu.overdue.value, count_text(fu.overdue), "chart__bar chart__bar--late", HATCH),
        Bar(_("I rute"), fu.on_time.value, count_text(fu.on_time)),
    ]
    if fu.share is not None:
        summary = _(
            "{share} % av tiltakene i «{state}» hadde forfalt oppfølging ved periodens slutt ({overdue} av {running})."
        ).format(share=fu.share, state=state, overdue=count_words(fu.overdue), running=count_words(fu.running))
    else:
        summary = _(
            "{running} tiltak var i «{state}» ved periodens slutt. Andelen med forfalt oppfølging vises ikke, "
            "fordi den ville avslørt et antall under 5."
        ).format(running=count_words(fu.running), state=state)
    return Figure(
        id=f"{key}-follow-up",
        title=_("Forfalt oppfølging"),
        summary=summary,
        chart=bars(rows),
        table=Table(
            caption=_("Tiltak i «{state}» ved periodens slutt, etter om neste statusrapport var forfalt").format(
                state=state
            ),
            head=(_("Oppfølging"), _("Tiltak"), _("Andel")),
            kinds=(TEXT, COUNT, PERCENT),
            rows=(
                (_("Forfalt"), count_text(fu.overdue), f"{fu.share} %" if fu.share is not None else "–"),
                (_("I rute"), count_text(fu.on_time), f"{100 - fu.share} %" if fu.share is not None else "–"),
            ),
            foot=(
                _("I alt"),
                count_text(fu.running),
                "100 %" if fu.share is not None else "–",
            ),
        ),
    )


def _effects(report: Report, goal: GoalReport, words: Words, key: str) -> Figure:
    rows = [Bar(words.option("effect", e), c.value, count_text(c)) for e, c in goal.by_effect]
    summary = [_("{n} tiltak ble evaluert i perioden.").format(n=count_words(goal.evaluations).capitalize())]
    top = _largest(goal.by_effect)
    if top:
        summary.append(
            _("Vanligste resultat: «{effect}» ({n}).").format(effect=words.option("effect", top[0]), n=top[1].value)
        )
    elif goal.evaluations.value is not None or goal.evaluations.hidden == AT_LEAST:
        summary.append(_("Ingen av resultatene gjaldt 5 eller flere tiltak."))
    return Figure(
        id=f"{key}-effects",
        title=_("Resultat av evalueringer"),
        summary=" ".join(summary),
        chart=bars(rows),
        table=Table(
            caption=_("Evalueringer i perioden etter resultat"),
            head=(_("Resultat"), _("Tiltak")),
            kinds=(TEXT, COUNT),
            rows=tuple((words.option("effect", e), count_text(c)) for e, c in goal.by_effect),
            foot=(_("I alt"), count_text(goal.evaluations)),
        ),
    )


def _stages(goal: GoalReport, words: Words, key: str) -> Figure:
    unit = _("dager")
    rows = [
        Bar(words.state(s), d, f"{days_text(d)} {unit}" if d is not None else _("færre enn 5"))
        for s, d in goal.median_days
    ]
    known = [(s, d) for s, d in goal.median_days if d is not None]
    if known:
        s, d = max(known, key=lambda sd: sd[1] or 0)
        summary = _("Lengst tid gikk med i «{state}»: median {days} dager.").format(
            state=words.state(s), days=days_text(d)
        )
    else:
        summary = _("Ingen fase hadde 5 eller flere avsluttede opphold i perioden.")
    summary += " " + _("En fase vises når minst 5 tiltak gikk ut av den i perioden.")
    return Figure(
        id=f"{key}-stages",
        title=_("Median dager per fase"),
        summary=summary,
        chart=bars(rows),
        table=Table(
            caption=_("Median antall dager i hver fase, for opphold som ble avsluttet i perioden"),
            head=(_("Fase"), _("Median dager")),
            kinds=(TEXT, DAYS),
            rows=tuple(
                (words.state(s), days_text(d) if d is not None else _("færre enn 5 opphold"))
                for s, d in goal.median_days
            ),
        ),
    )


def _health(report: Report, goal: GoalReport, words: Words, key: str) -> Figure:
    several = report.buckets[0].start.year != report.buckets[-1].start.year
    names = [bucket_label(b, several) for b in report.buckets]
    series = [
        (f"chart__bar chart__bar--{h}", HEALTH_LOOK.get(h, SOLID), words.option("health", h)) for h in report.healths
    ]
    values = [[c.value for _h, c in counts] for _b, counts in goal.health]
    last_bucket, last = goal.health[-1]
    parts = ", ".join(f"{words.option('health', h).lower()}: {count_words(c)}" for h, c in last)
    summary = _("Siste måling ({when}), tiltak etter siste statusrapport – {parts}.").format(
        when=fmt_date(last_bucket.end), parts=parts
    )
    return Figure(
        id=f"{key}-health",
        title=_("Status over tid"),
        summary=summary,
        chart=columns(names, series, values),
        table=Table(
            caption=_("Tiltak etter siste statusrapport, ved slutten av hver måned")
            if report.buckets[0].kind == MONTH
            else _("Tiltak etter siste statusrapport, ved slutten av hvert kvartal"),
            head=(_("Måned") if report.buckets[0].kind == MONTH else _("Kvartal"), *[s[2] for s in series]),
            kinds=(TEXT, *[COUNT] * len(series)),
            rows=tuple(
                (name, *[count_text(c) for _h, c in counts])
                for name, (_b, counts) in zip(names, goal.health, strict=True)
            ),
        ),
        legend=tuple(LegendEntry(css, pattern, label) for css, pattern, label in series),
    )
