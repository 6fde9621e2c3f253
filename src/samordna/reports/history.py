"""The steering report's figures, computed from the measures' event history: pure Python over the events the
repository reads, no SQL and no small-number rule (the service protects what comes out of here).

Every measure is replayed event by event (each event carries the state it led to and the fields it
changed), so the report can stand at any moment of the past:

- the measures of a period: those that existed at its end and were not already closed or declined at its
  start, counted by their state at the end;
- overdue: of those in follow-up at the end, the ones whose next follow-up date had passed (the same test
  the boards make: the date lies before the day);
- evaluations: the events in the period that recorded an evaluation's effect;
- days per stage: each stay in a state runs from the event that entered it to the event that left it for
  another state (a status report or a new responsible unit leaves the state as it is); a stay counts in
  the period it ended in, measured in calendar days in the area's time zone;
- health over time: at the end of each month (or quarter), the measures not closed or declined, by the
  health their last status report gave.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from itertools import groupby
from typing import Any

from samordna.reports.views import EventRow

FOLLOW_UP = "next_follow_up_at"
HEALTH = "last_health"


@dataclass(frozen=True)
class Window:
    """What the report reads: [start, end) as instants (end: the period's end, or now while it runs), the
    day overdue is judged on, the instants each bucket of «health over time» is read at."""

    start: datetime
    end: datetime
    as_of: date
    readings: tuple[datetime, ...]
    tz: tzinfo


@dataclass(frozen=True)
class Rules:
    """What the workflow says the report needs: final states, the state whose follow-ups can be overdue,
    the column an evaluation's effect is stored in."""

    final: frozenset[str]
    follow_up_state: str | None
    effect_column: str | None


@dataclass
class Tallies:
    """Raw counts per goal (None: no goal), before any small-number protection."""

    by_state: dict[int | None, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    overdue: Counter[int | None] = field(default_factory=Counter)
    on_time: Counter[int | None] = field(default_factory=Counter)
    by_effect: dict[int | None, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    stays: dict[int | None, dict[str, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    health: dict[int | None, list[Counter[str]]] = field(default_factory=dict)

    def goals(self) -> set[int | None]:
        return set(self.by_state) | set(self.by_effect) | set(self.stays) | set(self.health)


@dataclass
class _Moment:
    """A measure as it stood at one instant."""

    state: str | None = None
    follow_up: date | None = None
    health: str | None = None


def median_days(stays: Sequence[int], *, at_least: int) -> float | None:
    """The median of `stays` (days), or None when there are fewer than `at_least` of them."""
    return float(statistics.median(stays)) if len(stays) >= at_least else None


def tally(events: Iterable[EventRow], window: Window, rules: Rules) -> Tallies:
    """Replay every measure's events (grouped by measure, in version order) against `window`."""
    out = Tallies()
    checkpoints = sorted({window.start, window.end, *window.readings})
    for _measure_id, rows in groupby(events, key=lambda e: e.measure_id):
        _replay(list(rows), window, checkpoints, rules, out)
    return out


def _replay(events: list[EventRow], window: Window, checkpoints: list[datetime], rules: Rules, out: Tallies) -> None:
    goal = events[0].goal_id
    moments = dict(zip(checkpoints, _moments(events, checkpoints), strict=True))
    at_start, at_end = moments[window.start], moments[window.end]
    if at_end.state is None or (at_start.state is not None and at_start.state in rules.final):
        return  # not there yet at the end, or done before the period began
    out.by_state[goal][at_end.state] += 1
    if rules.follow_up_state is not None and at_end.state == rules.follow_up_state:
        late = at_end.follow_up is not None and at_end.follow_up < window.as_of
        (out.overdue if late else out.on_time)[goal] += 1
    readings = out.health.get(goal)
    if readings is None:
        readings = out.health[goal] = [Counter() for _ in window.readings]
    for i, at in enumerate(window.readings):
        m = moments[at]
        if m.state is not None and m.state not in rules.final and m.health:
            readings[i][m.health] += 1
    for state, days in _stays(events, window):
        out.stays[goal][state].append(days)
    if rules.effect_column:
        for e in events:
            if window.start <= e.at < window.end and rules.effect_column in e.changes:
                effect = _new(_changed(e.changes), rules.effect_column)
                if isinstance(effect, str) and effect:
                    out.by_effect[goal][effect] += 1


def _moments(events: list[EventRow], checkpoints: list[datetime]) -> Iterator[_Moment]:
    """The measure at each checkpoint (ascending): every event strictly before it applied."""
    now = _Moment()
    i = 0
    for at in checkpoints:
        while i < len(events) and events[i].at < at:
            e = events[i]
            now.state = e.to_state
            if FOLLOW_UP in e.changes or HEALTH in e.changes:
                changed = _changed(e.changes)
                if FOLLOW_UP in changed:
                    now.follow_up = _day(_new(changed, FOLLOW_UP))
                if HEALTH in changed:
                    health = _new(changed, HEALTH)
                    now.health = health if isinstance(health, str) else None
            i += 1
        yield _Moment(now.state, now.follow_up, now.health)


def _stays(events: list[EventRow], window: Window) -> Iterator[tuple[str, int]]:
    """(state, days) of every stay that ended inside the window."""
    state, entered = events[0].to_state, events[0].at
    for e in events[1:]:
        if e.to_state == state:
            continue
        if window.start <= e.at < window.end:
            yield state, (e.at.astimezone(window.tz).date() - entered.astimezone(window.tz).date()).days
        state, entered = e.to_state, e.at


def _changed(changes: str) -> dict[str, Any]:
    try:
        value = json.loads(changes or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _new(changed: dict[str, Any], key: str) -> Any:
    """The value an event gave `key` ({key: [old, new]})."""
    pair = changed.get(key)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
