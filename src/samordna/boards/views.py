"""What the boards hand to the web layer: filters in, boards, columns, cards and action outcomes out.

Plain frozen dataclasses: no SQL, no HTTP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from samordna.domain.errors import FieldError
from samordna.domain.small_numbers import SafeCount
from samordna.domain.vocabulary import ARENAS, HEALTHS
from samordna.measures.service import MeasureView
from samordna.organisation.repository import GoalView, UnitView

NO_HEALTH = "none"  # health filter: no status report yet
REGISTERED = "registered"  # the execution board's section «Behov vi har meldt» (not a workflow state)


@dataclass(frozen=True)
class BoardFilters:
    """What the user narrowed the board to (from the URL query). Unknown values mean no filter."""

    goal_id: int | None = None
    unit_id: int | None = None
    arena: str | None = None
    health: str | None = None  # on_track | at_risk | off_track | "none"
    all_units: bool = False  # execution board: every unit rather than the member's own

    def cleaned(self) -> BoardFilters:
        return BoardFilters(
            goal_id=self.goal_id if self.goal_id and self.goal_id > 0 else None,
            unit_id=self.unit_id if self.unit_id and self.unit_id > 0 else None,
            arena=self.arena if self.arena in ARENAS else None,
            health=self.health if self.health in (*HEALTHS, NO_HEALTH) else None,
            all_units=self.all_units,
        )

    @property
    def active(self) -> bool:
        return any((self.goal_id, self.unit_id, self.arena, self.health, self.all_units))


@dataclass(frozen=True)
class Evaluation:
    effect: str | None
    method: str | None
    findings: str | None
    recommendation: str | None


@dataclass(frozen=True)
class Card:
    id: int
    ref: str
    title: str
    state: str
    version: int
    responsible_unit_id: int | None
    responsible_unit: str | None
    goal_id: int | None
    goal: str | None
    arena: str
    health: str | None
    next_follow_up_at: date | None  # only while the measure is being followed up
    overdue: bool
    allowed_triggers: tuple[str, ...]
    evaluation: Evaluation | None = None


@dataclass(frozen=True)
class Column:
    state: str
    total: int
    cards: tuple[Card, ...]

    @property
    def has_more(self) -> bool:
        return len(self.cards) < self.total


@dataclass(frozen=True)
class GoalProgress:
    goal_id: int
    title: str
    active: bool
    total: SafeCount
    by_group: tuple[tuple[str, SafeCount], ...]
    by_health: tuple[tuple[str, SafeCount], ...]
    by_effect: tuple[tuple[str, SafeCount], ...]


@dataclass(frozen=True)
class BoardView:
    board: str
    area_id: int
    role: str
    member_unit_id: int | None
    columns: tuple[Column, ...]
    units: tuple[UnitView, ...]
    goals: tuple[GoalView, ...]
    filters: BoardFilters
    unit_id: int | None  # the unit the cards are narrowed to (filter, or the member's own on execution)
    unit_locked: bool  # an executing member sees only the own unit's measures
    may_register: bool
    progress: tuple[GoalProgress, ...] = ()
    decisions: tuple[Decision, ...] = ()  # the steering board's latest decisions
    # The execution board's «Behov vi har meldt»: needs the member or the member's unit registered that
    # are not (yet) anyone's measure, and the recently declined ones (state REGISTERED; cards carry their state).
    registered: Column | None = None

    def column(self, state: str) -> Column | None:
        return next((c for c in self.columns if c.state == state), None)


@dataclass(frozen=True)
class ColumnPage:
    state: str
    cards: tuple[Card, ...]
    has_more: bool


@dataclass(frozen=True)
class Placement:
    """Where a card is after an action: on this board (card) or not (None), and the column counts."""

    card: Card | None
    counts: dict[str, int]


@dataclass(frozen=True)
class ActionForm:
    """A card's action form as the service decided it: the measure as it is now, the fields this actor
    fills in (field, required), what the choice fields offer, and — when refused — why (`status`,
    `errors`). `changed`: refused because the measure changed since the form was opened (409)."""

    measure: MeasureView  # as it is now
    trigger: str
    fields: tuple[tuple[Any, bool], ...]  # (workflow FieldDef, required)
    choices: Mapping[str, Sequence[Any]]
    status: int = 200
    errors: tuple[FieldError, ...] = ()
    changed: bool = False

    @property
    def still_possible(self) -> bool:
        """Whether the actor may still fire the trigger on the measure as it is now."""
        return self.trigger in self.measure.allowed_triggers


@dataclass(frozen=True)
class CardMoved:
    """An accepted card action: the measure before (its state) and after, and where its card is now."""

    before_state: str
    measure: MeasureView  # after the action
    placement: Placement


@dataclass(frozen=True)
class Decision:
    """One line of the steering group's decision log: a decision (extend, adjust, close …) on a measure,
    and the meeting it was taken in when it was recorded from an agenda (`case`: «Sak 03/27»)."""

    event_id: int
    measure_id: int
    measure_ref: str
    measure_title: str
    measure_state: str  # the measure's state now
    trigger: str
    at: datetime  # local time
    actor_name: str
    note: str  # the decision's reasoning (decision_note), else the comment
    meeting_id: int | None
    meeting_day: date | None
    case: str


@dataclass(frozen=True)
class DecisionLog:
    """A page of decisions, newest first. `year`: the filter (None: every year); `years`: those there are
    decisions in, newest first; `next_after`: the key of the next page («eldre vedtak»), None at the end."""

    decisions: tuple[Decision, ...]
    year: int | None
    years: tuple[int, ...]
    next_after: str | None
