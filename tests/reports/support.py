"""Moving measures through time for the report's tests: every step on the world's clock at 09:00 UTC of its
day, so the event history has known dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from samordna.domain.small_numbers import MIN_COUNT, SafeCount
from samordna.measures.service import MeasureView
from samordna.reports.views import GoalReport, Report
from tests.factories import World, valid_data

WHO = {
    "initiate": "coordination",
    "decline": "coordination",
    "assign": "coordination",
    "start": "executing",
    "report_status": "executing",
    "pause": "coordination",
    "resume": "coordination",
    "request_evaluation": "executing",
    "submit_evaluation": "coordination",
    "extend": "steering",
    "adjust": "steering",
    "close": "steering",
}


def at(day: str | date) -> datetime:
    return datetime.fromisoformat(f"{day}T09:00:00").replace(tzinfo=UTC)


def on(world: World, day: str | date) -> None:
    """Set the world's clock to 09:00 UTC of `day`."""
    moment = at(day)
    world.samordna.clock.source = lambda: moment


def measure(world: World, steps: Sequence[tuple[str, str]], *, title: str = "Tiltak", **data: Any) -> MeasureView:
    """A need registered and moved by `steps`: [(day, "register" | trigger)], each on its day. `data`
    overrides a trigger's data by trigger name (`submit_evaluation={"effect": "achieved", ...}`)."""
    m: MeasureView | None = None
    for day, trigger in steps:
        on(world, day)
        if trigger == "register":
            m = world.register(title=title)
            continue
        assert m is not None
        m = world.fire(WHO[trigger], m, trigger, **{**valid_data(world, trigger), **data.get(trigger, {})})
    assert m is not None
    return m


def every_count(report: Report) -> list[SafeCount]:
    """Every count the report holds."""
    out = [report.measures, report.evaluations, report.without_goal]
    for g in report.goals:
        out += [g.measures, g.evaluations, *[c for _k, c in g.by_state], *[c for _k, c in g.by_effect]]
        out += [grp.count for grp in g.by_group]
        if g.follow_up:
            out += [g.follow_up.running, g.follow_up.overdue, g.follow_up.on_time]
        out += [c for _b, counts in g.health for _h, c in counts]
    return out


def goal(report: Report, title: str) -> GoalReport:
    return next(g for g in report.goals if g.title == title)


def shown(c: SafeCount) -> int | None:
    assert c.value is None or c.value >= MIN_COUNT, c
    return c.value
