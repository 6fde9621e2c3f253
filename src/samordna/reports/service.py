"""The steering report (styringsrapport) of an area over a period: per goal, the measures by state, the
follow-ups overdue, the evaluations' effects, the median days per stage and health over time.

Policy and orchestration only: every member of the area reads the report (another area's is not found),
the period is checked, the figures come from the event history (samordna.reports.history) and every
count goes through the small-number rule (samordna.domain.small_numbers) before it leaves: the counts of
one table are protected together with the sums shown of them. All SQL is in samordna.reports.repository.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from samordna.domain.actor import Actor, MemberView
from samordna.domain.clock import Clock
from samordna.domain.errors import FieldError, Invalid, NotFound
from samordna.domain.small_numbers import MIN_COUNT, Protected, Tally, protect, safe_count
from samordna.domain.vocabulary import HEALTHS, STATE_GROUPS
from samordna.i18n import gettext as _
from samordna.organisation.views import GoalView
from samordna.reports import history
from samordna.reports import repository as repo
from samordna.reports.views import MONTH, QUARTER, Bucket, FollowUp, GoalReport, Period, Report, StateGroup
from samordna.store.db import Database
from samordna.workflow import Workflow

__all__ = ["FIRST_YEAR", "LAST_YEAR", "MAX_YEARS", "ReportService", "parse_period"]

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_YEARS = 10  # the longest period a report covers
MONTHS_MAX = 24  # «health over time» by month up to two years, by quarter beyond
YEAR = re.compile(r"[0-9]{4}")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NO_GOAL = "none"


# ---------------------------------------------------------------- the period


def parse_period(*, year: str | None, start: str | None, end: str | None, today: date) -> Period:
    """The period a query asks for: `from`/`to` (ISO dates; either alone stretches to its year's other end),
    else `year`, else this year. Invalid (field `year`, `from` or `to`) with a message for each mistake."""
    year, start, end = (year or "").strip(), (start or "").strip(), (end or "").strip()
    errors: list[FieldError] = []
    if start or end:
        first = _day(start, "from", _("«Fra og med» må være en dato, for eksempel 2026-01-01."), errors)
        last = _day(end, "to", _("«Til og med» må være en dato, for eksempel 2026-12-31."), errors)
        if errors:
            raise Invalid(errors, " ".join(e.message for e in errors))
        first = first or date(last.year, 1, 1)  # type: ignore[union-attr]
        last = last or date(first.year, 12, 31)
        period = Period(first, last)
    elif year:
        if not YEAR.fullmatch(year):
            message = _("Året må være et årstall med fire sifre, for eksempel {year}.").format(year=today.year)
            raise Invalid([FieldError("year", message)], message)
        y = int(year)
        if not FIRST_YEAR <= y <= LAST_YEAR:
            message = _("Velg et år mellom {first} og {last}.").format(first=FIRST_YEAR, last=LAST_YEAR)
            raise Invalid([FieldError("year", message)], message)
        period = Period(date(y, 1, 1), date(y, 12, 31), y)
    else:
        period = Period(date(today.year, 1, 1), date(today.year, 12, 31), today.year)
    check_period(period)
    return period


def check_period(period: Period) -> None:
    """Invalid unless the period runs forwards, lies between FIRST_YEAR and LAST_YEAR and spans at most
    MAX_YEARS years."""
    field = "year" if period.year is not None else "from"
    if not (FIRST_YEAR <= period.start.year <= LAST_YEAR and FIRST_YEAR <= period.end.year <= LAST_YEAR):
        message = _("Velg en periode mellom {first} og {last}.").format(first=FIRST_YEAR, last=LAST_YEAR)
        raise Invalid([FieldError(field, message)], message)
    if period.start > period.end:
        message = _("«Fra og med» må være samme dag som eller før «til og med».")
        raise Invalid([FieldError("from", message)], message)
    if period.end > _add_years(period.start, MAX_YEARS):
        message = _("Perioden kan være høyst {years} år lang.").format(years=MAX_YEARS)
        raise Invalid([FieldError("to", message)], message)


def _day(text: str, field: str, message: str, errors: list[FieldError]) -> date | None:
    if not text:
        return None
    try:
        if DAY.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    errors.append(FieldError(field, message))
    return None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def buckets_of(period: Period, as_of: date) -> tuple[Bucket, ...]:
    """The months (quarters beyond MONTHS_MAX months) from the period's start up to `as_of`."""
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1
    step, kind = (1, MONTH) if months <= MONTHS_MAX else (3, QUARTER)
    first = date(period.start.year, period.start.month, 1)
    if kind == QUARTER:
        first = date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
    out = []
    while first <= as_of:
        nxt = _add_months(first, step)
        out.append(Bucket(max(first, period.start), min(nxt - timedelta(days=1), as_of), kind))
        first = nxt
    return tuple(out)


def _add_months(day: date, months: int) -> date:
    m = day.month - 1 + months
    return date(day.year + m // 12, m % 12 + 1, 1)


# ---------------------------------------------------------------- the service


REPLAYS_KEPT = 8  # replays of the history a process keeps (one area's year: a few MB at 100 000 measures)


class ReportService:
    """The steering report. Keyword-only; one read transaction per report.

    The figures come from replaying the period's history (samordna.reports.history): linear in the events,
    5 s of CPU for a year of a 100 000-measure area. A replay is kept, keyed by the window and the history's
    stamp (the database's newest event, the area's number of measures), so the page, its PDF and the next
    member's visit reuse it until something is written; the labels, goals and small-number protection are
    applied afresh each time."""

    def __init__(self, *, db: Database, workflow: Workflow, clock: Clock) -> None:
        self.db = db
        self.workflow = workflow
        self.clock = clock
        self._replays: OrderedDict[tuple[Any, ...], history.Tallies] = OrderedDict()
        self._replays_lock = threading.Lock()

    def period(self, *, year: str | None = None, start: str | None = None, end: str | None = None) -> Period:
        """The period a query asks for (see parse_period), on the service's clock."""
        return parse_period(year=year, start=start, end=end, today=self.clock.today())

    def years(self, *, actor: Actor, slug: str) -> tuple[int, ...]:
        """The years a report can be asked for: from the area's first measure to this year, newest first."""
        member = _member(actor, slug)
        with repo.reading(self.db) as conn:
            first = repo.first_event_at(conn, member.area_id)
        return self._years(first)

    def _years(self, first: datetime | None) -> tuple[int, ...]:
        this_year = self.clock.today().year
        return tuple(
            range(this_year, min(first.astimezone(self.clock.tz).year if first else this_year, this_year) - 1, -1)
        )

    def report(self, *, actor: Actor, slug: str, period: Period) -> Report:
        """The report of the area `slug` over `period`, for any member of the area (NotFound elsewhere)."""
        member = _member(actor, slug)
        check_period(period)
        wf, tz = self.workflow, self.clock.tz
        now = self.clock.now()
        today = now.astimezone(tz).date()
        start = day_start(period.start, tz)
        end = min(day_start(period.end + timedelta(days=1), tz), max(now, start))
        as_of = min(period.end, today) if today >= period.start else period.start
        buckets = buckets_of(period, as_of) if today >= period.start else ()
        readings = tuple(min(day_start(b.end + timedelta(days=1), tz), end) for b in buckets)
        window = history.Window(start=start, end=end, as_of=as_of, readings=readings, tz=tz)
        final = tuple(s for s, d in wf.states.items() if d.final)
        rules = history.Rules(
            final=frozenset(final), follow_up_state=self.follow_up_state(), effect_column=self._effect_column()
        )
        with repo.reading(self.db) as conn:
            area = repo.area_by_slug(conn, slug)
            if area is None or area[0] != member.area_id:
                raise NotFound(_("Fant ikke SLT-området."))
            goals = repo.goals_of(conn, member.area_id)
            first = repo.first_event_at(conn, member.area_id)
            # A period still running ends «now», and so does its last reading: without a new event, a later
            # «now» replays to the same figures (the day overdue is judged on is in the key).
            running = end >= now
            key = (
                member.area_id,
                start,
                None if running else end,
                as_of,
                tuple(None if running and r == end else r for r in readings),
                repo.history_stamp(conn, member.area_id),
            )
            with self._replays_lock:
                tallies = self._replays.get(key)
            if tallies is None:
                tallies = history.tally(
                    repo.events(conn, area_id=member.area_id, start=start, end=end, final_states=final), window, rules
                )
                with self._replays_lock:
                    self._replays[key] = tallies
                    while len(self._replays) > REPLAYS_KEPT:
                        self._replays.popitem(last=False)
        shown_goals = [g for g in goals if g.active or g.id in tallies.goals()]
        effects = self._effects()
        groups = self.state_groups()
        fu = rules.follow_up_state

        def by_state(goal_id: int | None) -> Tally:
            """goal → group → state (→ overdue, on time): one tree, protected as one."""
            counts = tallies.by_state.get(goal_id, {})

            def state(s: str) -> int | Tally:
                if s == fu:
                    return Tally.of({"overdue": tallies.overdue[goal_id], "on_time": tallies.on_time[goal_id]})
                return counts.get(s, 0)

            return Tally.of(
                {
                    key: state(members[0]) if len(members) == 1 else Tally.of({s: state(s) for s in members})
                    for key, members in groups
                }
            )

        measures = protect(
            Tally.of(
                {
                    **{str(g.id): by_state(g.id) for g in shown_goals},
                    NO_GOAL: sum(tallies.by_state.get(None, {}).values()),
                }
            )
        )
        evaluations = protect(
            Tally.of(
                {
                    str(g.id): Tally.of({k: tallies.by_effect.get(g.id, {}).get(k, 0) for k in effects})
                    for g in shown_goals
                }
            )
        )
        goal_reports = tuple(
            self._goal(g, measures[str(g.id)], evaluations[str(g.id)], tallies, buckets, groups) for g in shown_goals
        )
        return Report(
            area_slug=area[1],
            area_name=area[2],
            period=period,
            as_of=as_of,
            generated_at=now.astimezone(tz),
            states=tuple(wf.states),
            final_states=final,
            follow_up_state=fu or "",
            effects=effects,
            healths=HEALTHS,
            buckets=buckets,
            goals=goal_reports,
            without_goal=measures[NO_GOAL].count,
            measures=measures.count,
            evaluations=evaluations.count,
            years=self._years(first),
        )

    # ------------------------------------------------------------ what the workflow says

    def follow_up_state(self) -> str | None:
        """The state whose follow-ups can be overdue: where a status report is given (the trigger whose
        transition makes one), else none."""
        for t in self.workflow.transitions:
            if t.calls("status_report") and t.sources:
                return t.sources[0]
        return None

    def state_groups(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The workflow's states in the steering board's groups (domain.vocabulary.STATE_GROUPS), in the
        workflow's order within each; states no group names come last, as «other»."""
        states = list(self.workflow.states)
        out = [(key, tuple(s for s in states if s in members)) for key, members in STATE_GROUPS]
        grouped = {s for _key, members in STATE_GROUPS for s in members}
        out.append(("other", tuple(s for s in states if s not in grouped)))
        return tuple((key, members) for key, members in out if members)

    def _effect_column(self) -> str | None:
        field = self.workflow.fields.get("effect")
        return field.store if field else None

    def _effects(self) -> tuple[str, ...]:
        field = self.workflow.fields.get("effect")
        return tuple(field.options) if field else ()

    # ------------------------------------------------------------ one goal

    def _goal(
        self,
        goal: GoalView,
        measures: Protected,
        evaluations: Protected,
        tallies: history.Tallies,
        buckets: tuple[Bucket, ...],
        groups: tuple[tuple[str, tuple[str, ...]], ...],
    ) -> GoalReport:
        gid = goal.id
        fu = self.follow_up_state()
        by_group = []
        by_state: dict[str, Protected] = {}
        for key, members in groups:
            group = measures[key]
            states = {members[0]: group} if len(members) == 1 else dict(group.parts)
            by_state.update(states)
            shown = () if len(members) == 1 else tuple((s, p.count) for s, p in states.items())
            by_group.append(StateGroup(key, group.count, shown))
        follow_up = None
        if fu is not None and fu in by_state:
            running = by_state[fu]
            overdue, on_time = running["overdue"].count, running["on_time"].count
            share = None
            if running.count.shown and overdue.shown and on_time.shown:
                share = round(100 * overdue.value / running.count.value)  # type: ignore[operator]
            follow_up = FollowUp(running.count, overdue, on_time, share)
        stays = tallies.stays.get(gid, {})
        medians = tuple(
            (s, history.median_days(stays.get(s, []), at_least=MIN_COUNT))
            for s, d in self.workflow.states.items()
            if not d.final
        )
        readings = tallies.health.get(gid, [])
        health = tuple(
            (b, tuple((h, safe_count(readings[i][h] if i < len(readings) else 0)) for h in HEALTHS))
            for i, b in enumerate(buckets)
        )
        return GoalReport(
            goal_id=gid,
            title=goal.title,
            description=goal.description,
            active=goal.active,
            measures=measures.count,
            by_group=tuple(by_group),
            by_state=tuple((s, by_state[s].count) for s in self.workflow.states if s in by_state),
            follow_up=follow_up,
            evaluations=evaluations.count,
            by_effect=evaluations.counts(),
            median_days=medians,
            health=health,
        )


def _member(actor: Actor, slug: str) -> MemberView:
    """The actor's membership in the area `slug`; NotFound for an area the actor is no member of."""
    member = next((m for m in actor.memberships.values() if m.area_slug == slug), None)
    if member is None:
        raise NotFound(_("Fant ikke SLT-området."))
    return member


def day_start(day: date, tz: object) -> datetime:
    """Midnight at the start of `day` in the area's zone, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)  # type: ignore[arg-type]
