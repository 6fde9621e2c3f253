"""What the steering report hands to the web layer and the PDF: a period in, the report out.

Plain frozen dataclasses: no SQL, no HTTP. Every count is a SafeCount (domain.small_numbers): a number
only where the small-number rule lets it be shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from samordna.domain.small_numbers import SafeCount

MONTH = "month"
QUARTER = "quarter"


@dataclass(frozen=True)
class Period:
    """The days a report covers, both included, in the area's time zone. `year` when it is one whole year."""

    start: date
    end: date
    year: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class EventRow(NamedTuple):
    """One event of a measure as the report replays it (samordna.reports.history). A tuple: a report of a
    large area replays hundreds of thousands of them, and a frozen dataclass costs several times more to make."""

    measure_id: int
    goal_id: int | None  # the measure's goal now
    at: datetime  # aware
    to_state: str
    changes: str  # JSON {column: [old, new]}


@dataclass(frozen=True)
class Bucket:
    """A month (or a quarter, for periods over two years) of «health over time»: its first day and the day
    it is read at (its last day, or the report's last day)."""

    start: date
    end: date
    kind: str  # MONTH | QUARTER


@dataclass(frozen=True)
class FollowUp:
    """The measures in follow-up at the period's end, and those among them whose next status report was
    overdue. `share`: overdue in per cent, only when both parts are shown."""

    running: SafeCount
    overdue: SafeCount
    on_time: SafeCount
    share: int | None


@dataclass(frozen=True)
class StateGroup:
    """A group of states as the steering board groups them (planning, running …), its count and, when it
    holds more than one state, each state's."""

    key: str
    count: SafeCount
    states: tuple[tuple[str, SafeCount], ...]


@dataclass(frozen=True)
class GoalReport:
    """One goal's part of the report (goal_id None: the needs not yet linked to a goal)."""

    goal_id: int | None
    title: str
    description: str
    active: bool
    measures: SafeCount  # measures of the period: the sum of by_group
    by_group: tuple[StateGroup, ...]  # by state at the period's end, the states grouped
    by_state: tuple[tuple[str, SafeCount], ...]  # the same per state, every state of the workflow
    follow_up: FollowUp | None  # None: the workflow has no state with status reports
    evaluations: SafeCount  # evaluations submitted in the period: the sum of by_effect
    by_effect: tuple[tuple[str, SafeCount], ...]
    median_days: tuple[tuple[str, float | None], ...]  # per non-final state; None: fewer than 5 stays ended
    health: tuple[tuple[Bucket, tuple[tuple[str, SafeCount], ...]], ...]  # measures by last health, per bucket


@dataclass(frozen=True)
class Report:
    area_slug: str
    area_name: str
    period: Period
    as_of: date  # the last day the report reads: the period's end, or today while the period runs
    generated_at: datetime  # local time
    states: tuple[str, ...]  # the workflow's states, in its order
    final_states: tuple[str, ...]
    follow_up_state: str  # the state whose follow-ups can be overdue (in_follow_up)
    effects: tuple[str, ...]
    healths: tuple[str, ...]
    buckets: tuple[Bucket, ...]
    goals: tuple[GoalReport, ...]
    without_goal: SafeCount  # needs of the period not linked to a goal
    measures: SafeCount  # every measure of the period: goals and without_goal together
    evaluations: SafeCount  # every evaluation of the period
    years: tuple[int, ...]  # the years with measures, newest first (for the year choice)

    @property
    def ongoing(self) -> bool:
        return self.as_of < self.period.end
