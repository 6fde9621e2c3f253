"""Board reads: the cards each level's board shows, most urgent first, in a constant number of queries.

Reads only (actions go through MeasureService). A board selects only the columns a card shows and
costs the same number of SQL statements whether the area holds twenty measures or twenty thousand:
the area, its units and goals, one query for every column's first page, and at most one lookup of
participating units and one aggregate for the steering board's goals. Never one per card.

The work follows the cards shown, not the measures stored: each column's first page is read by walking
the index `ix_measure_board` (area, state, next follow-up, last change, id) in the board's order and
stopping after the page — twice per column, for the measures with a follow-up date and for those
without (the index keeps NULL first, the board shows them last) — and only the column totals count
every matching measure, from the same index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import Connection, Integer, String, bindparam, func, or_, select, type_coerce, union_all

from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.clock import Clock
from samordna.domain.errors import NotFound
from samordna.domain.vocabulary import ARENAS, HEALTHS
from samordna.i18n import gettext
from samordna.organisation import repository as org
from samordna.store.db import Database
from samordna.store.models import Measure, MeasureUnit
from samordna.workflow import Workflow

MEASURE = Measure.__table__
BOARDS = ("coordination", "execution", "steering")
PAGE_SIZE = 20
MAX_LIMIT = 500  # cards one column shows at most when a page asks for more without JavaScript
MIN_COUNT = 5  # reports never show counts below this (DESIGN §5)
NO_HEALTH = "none"  # health filter: no status report yet
CREATE_ROLES = policy.REGISTER_NEED

# What a card shows; the steering board adds the evaluation.
CARD_COLUMNS = (
    MEASURE.c.id,
    MEASURE.c.ref,
    MEASURE.c.title,
    MEASURE.c.state,
    MEASURE.c.version,
    MEASURE.c.responsible_unit_id,
    MEASURE.c.goal_id,
    MEASURE.c.arena,
    MEASURE.c.last_health,
    MEASURE.c.next_follow_up_at,
)
EVALUATION_COLUMNS = (
    MEASURE.c.evaluation_effect,
    MEASURE.c.evaluation_method,
    MEASURE.c.evaluation_findings,
    MEASURE.c.evaluation_recommendation,
)

# The steering board's goal overview groups states; states a custom workflow adds fall under "other".
STATE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("planning", ("need_identified", "initiated")),
    ("running", ("assigned", "in_follow_up", "paused")),
    ("evaluation", ("under_evaluation", "evaluated")),
    ("closed", ("closed",)),
    ("declined", ("declined",)),
)


# ---------------------------------------------------------------- views


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
class SafeCount:
    """A count as a report may show it: the number only when it is 5 or more (DESIGN §5)."""

    value: int | None  # None: hidden
    # "fewer" (fewer than 5), or "at_least" (5 or more, hidden so that no small count can be derived)
    hidden: str | None = None


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
    units: tuple[org.UnitView, ...]
    goals: tuple[org.GoalView, ...]
    filters: BoardFilters
    unit_id: int | None  # the unit the cards are narrowed to (filter, or the member's own on execution)
    unit_locked: bool  # an executing member sees only the own unit's measures
    may_register: bool
    progress: tuple[GoalProgress, ...] = ()

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


# ---------------------------------------------------------------- columns of each board


def board_states(workflow: Workflow, board: str) -> tuple[str, ...]:
    """The columns of `board`, in the workflow's declaration order.

    coordination: every state on the coordination or execution board (the overview of all work);
    execution: the states on the execution board, plus the states the executing level hands a
    measure on to itself (a request for evaluation), which it still follows;
    steering: the states on the steering board.
    """
    states = workflow.states
    if board == "coordination":
        return tuple(s for s, d in states.items() if d.board in ("coordination", "execution"))
    if board == "execution":
        running = workflow.states_on_board("execution")
        handed_on = {
            t.dest
            for t in workflow.transitions
            if set(t.sources) & set(running)
            and t.dest not in running
            and not states[t.dest].final
            and any(rule.role == "executing" for rule in t.allow)
        }
        return running + tuple(s for s in states if s in handed_on)
    if board == "steering":
        return workflow.states_on_board("steering")
    raise NotFound(gettext("Fant ikke tavla."))


# ---------------------------------------------------------------- reads


# ---------------------------------------------------------------- the queries


# The statements are built once per shape (board, which filters are on, whether ids are skipped) with
# bound parameters for every value: building a statement of a dozen subqueries costs more than running it.

Shape = tuple[bool, bool, str | None, bool]  # goal filter, arena filter, health filter kind, unit filter


def _shape(filters: BoardFilters, unit_id: int | None) -> Shape:
    health = None if not filters.health else (NO_HEALTH if filters.health == NO_HEALTH else "value")
    return bool(filters.goal_id), bool(filters.arena), health, bool(unit_id)


def _params(area_id: int, filters: BoardFilters, unit_id: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"b_area": area_id}
    if filters.goal_id:
        params["b_goal"] = filters.goal_id
    if filters.arena:
        params["b_arena"] = filters.arena
    if filters.health and filters.health != NO_HEALTH:
        params["b_health"] = filters.health
    if unit_id:
        params["b_unit"] = unit_id
    return params


MEASURE_UNIT = MeasureUnit.__table__
EXISTS_PARTICIPATION = (
    select(MEASURE_UNIT.c.measure_id)
    .where(MEASURE_UNIT.c.measure_id == MEASURE.c.id, MEASURE_UNIT.c.unit_id == bindparam("b_unit"))
    .exists()
)
PARTICIPATIONS = select(MEASURE_UNIT.c.measure_id).where(MEASURE_UNIT.c.unit_id == bindparam("b_unit"))


def _scope(shape: Shape, *, participation: str = "probe") -> list[Any]:
    """The area and the filters (not the states), as bound parameters named in _params.

    «Takes part» as a probe of measure_unit's key per measure (for walks that stop after a page), or
    as the list of the unit's participations (for counting every measure)."""
    goal, arena, health, unit = shape
    c = MEASURE.c
    out = [c.area_id == bindparam("b_area")]
    if goal:
        out.append(c.goal_id == bindparam("b_goal"))
    if arena:
        out.append(c.arena == bindparam("b_arena"))
    if health == NO_HEALTH:
        out.append(c.last_health.is_(None))
    elif health:
        out.append(c.last_health == bindparam("b_health"))
    if unit:
        # «Our measures»: the unit is responsible or takes part.
        out.append(
            or_(
                c.responsible_unit_id == bindparam("b_unit"),
                EXISTS_PARTICIPATION if participation == "probe" else c.id.in_(PARTICIPATIONS),
            )
        )
    return out


def _totals(states: tuple[str, ...], shape: Shape) -> Any:
    """SELECT state, total: the measures in each column, counted from the indexes (the participations of
    «our measures» as one list, rather than one probe per measure)."""
    c = MEASURE.c
    scope = _scope(shape, participation="list")
    return select(c.state, func.count().label("total")).where(c.state.in_(states), *scope).group_by(c.state)


def _urgency(c: Any) -> tuple[Any, ...]:
    """Most urgent first: overdue follow-ups, then the nearest follow-up, then the oldest change.

    A follow-up is overdue when its date has passed, so the nearest date first already puts the
    overdue ones on top (and states without follow-up are never overdue): the order is the follow-up
    date (none last), then the oldest change, then the id — the order of the index ix_measure_board.
    """
    return (c.next_follow_up_at.asc().nulls_last(), c.updated_at.asc(), c.id.asc())


def _first_of_state(columns: Sequence[Any], state: str, conditions: Sequence[Any], limit: Any) -> list[Any]:
    """A column's first `limit` cards as two index walks that stop after `limit` rows: the measures with
    a follow-up date in date order, and those without in order of change (the caller merges them)."""
    c = MEASURE.c
    parts = []
    # The two dates as the database gives them (ISO text on SQLite, in the same order as the dates):
    # sorting needs no parsing, and cards() parses only the follow-up dates of the cards it keeps.
    columns = [as_given(col) if col.name == "next_follow_up_at" else col for col in columns]
    for dated in (True, False):
        query = select(*columns, as_given(c.updated_at)).where(*conditions, c.state == state)
        if dated:
            query = query.where(c.next_follow_up_at.is_not(None)).order_by(c.next_follow_up_at, c.updated_at, c.id)
        else:
            query = query.where(c.next_follow_up_at.is_(None)).order_by(c.updated_at, c.id)
        # Wrapped, since SQLite allows no ORDER BY/LIMIT on the members of a UNION itself.
        parts.append(select(query.limit(limit).subquery()))
    return parts


def as_given(column: Any) -> Any:
    """`column` without SQLAlchemy's conversion of the value (the driver's own type: a date or datetime
    from psycopg, ISO text from sqlite3, which SQLAlchemy would otherwise parse row by row)."""
    return type_coerce(column, String).label(column.name)


def _date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _columns(steering: bool) -> tuple[Any, ...]:
    return CARD_COLUMNS + (EVALUATION_COLUMNS if steering else ())


@lru_cache(maxsize=512)
def _walks_statement(states: tuple[str, ...], steering: bool, shape: Shape) -> Any:
    """Every column's first page as index walks (b_limit_<i> cards for states[i]), unranked: the caller
    merges the two walks of each column (urgency_key). Cheaper than ranking them in SQL with a window."""
    scope = _scope(shape)
    limits = {st: bindparam(f"b_limit_{i}", type_=Integer) for i, st in enumerate(states)}
    return union_all(*(part for st in states for part in _first_of_state(_columns(steering), st, scope, limits[st])))


@lru_cache(maxsize=512)
def _totals_statement(states: tuple[str, ...], shape: Shape) -> Any:
    return _totals(states, shape)


def urgency_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The board's order (_urgency) in Python: follow-up date (none last), oldest change, id."""
    follow_up = row["next_follow_up_at"]
    return (follow_up is None, follow_up or date.min, row["updated_at"], row["id"])


@lru_cache(maxsize=512)
def _column_statement(state: str, steering: bool, shape: Shape, skip_shown: bool) -> Any:
    """One column's next b_limit cards, leaving out the ids in b_shown."""
    conditions = _scope(shape)
    if skip_shown:
        conditions.append(MEASURE.c.id.not_in(bindparam("b_shown", expanding=True)))
    limit = bindparam("b_limit", type_=Integer)
    candidates = union_all(*_first_of_state(_columns(steering), state, conditions, limit)).subquery("candidates")
    return select(candidates).order_by(*_urgency(candidates.c)).limit(limit)


class _Reader:
    def __init__(self, service: BoardService, board: str) -> None:
        self.workflow = service.workflow
        self.board = board
        self.states = board_states(self.workflow, board)
        self.running = self.workflow.states_on_board("execution")
        self.columns = _columns(board == "steering")
        self.today = service.today()

    def member(self, actor: Actor, slug: str) -> MemberView:
        """The actor's membership in the area `slug`: NotFound for an area the actor is no member of.
        The actor's memberships are read with the actor, in this request, so this asks no query."""
        member = next((m for m in actor.memberships.values() if m.area_slug == slug), None)
        if member is None:
            raise NotFound(gettext("Fant ikke SLT-området."))
        return member

    def unit_scope(self, member: MemberView, filters: BoardFilters) -> tuple[int | None, bool]:
        """(unit the cards are narrowed to, locked?). The execution board shows «our measures»."""
        if self.board != "execution":
            return filters.unit_id, False
        if member.role == "executing" and member.unit_id is not None:
            return member.unit_id, True
        if filters.all_units:
            return None, False
        return filters.unit_id or member.unit_id, False

    def ranked(
        self,
        s: Connection,
        area_id: int,
        filters: BoardFilters,
        unit_id: int | None,
        limit_of: Mapping[str, int],
    ) -> tuple[dict[str, list[Mapping[str, Any]]], dict[str, int]]:
        """Two statements for every column: each column's first page, most urgent first, and its total."""
        shape = _shape(filters, unit_id)
        params = _params(area_id, filters, unit_id)
        counts = dict(s.execute(_totals_statement(self.states, shape), params).all())
        params.update({f"b_limit_{i}": limit_of[st] for i, st in enumerate(self.states)})
        candidates = s.execute(_walks_statement(self.states, self.board == "steering", shape), params).mappings()
        by_state: dict[str, list[Mapping[str, Any]]] = {st: [] for st in self.states}
        for row in sorted(candidates, key=urgency_key):
            column = by_state[row["state"]]
            if len(column) < limit_of[row["state"]]:
                column.append(row)
        return by_state, {st: counts.get(st, 0) for st in self.states}

    def cards(
        self,
        s: Connection,
        member: MemberView,
        rows: Sequence[Mapping[str, Any]],
        units: Sequence[org.UnitView],
        goals: Sequence[org.GoalView],
    ) -> list[Card]:
        unit_names = {u.id: u.name for u in units}
        goal_titles = {g.id: g.title for g in goals}
        participating = self._participating(s, member, [r["id"] for r in rows])
        allowed_for = partial(policy.allowed_triggers, self.workflow)
        allowed: dict[tuple[Any, ...], tuple[str, ...]] = {}  # the same few answers for most cards
        out = []
        for r in rows:
            following = r["state"] in self.running
            units_in = participating.get(r["id"], [])
            key = (r["state"], r["responsible_unit_id"], *units_in)
            if key not in allowed:
                allowed[key] = tuple(allowed_for(member, r, units_in))
            follow_up = _date(r["next_follow_up_at"])
            evaluation = None
            if "evaluation_effect" in r:
                evaluation = Evaluation(
                    r["evaluation_effect"],
                    r["evaluation_method"],
                    r["evaluation_findings"],
                    r["evaluation_recommendation"],
                )
            out.append(
                Card(
                    id=r["id"],
                    ref=r["ref"],
                    title=r["title"],
                    state=r["state"],
                    version=r["version"],
                    responsible_unit_id=r["responsible_unit_id"],
                    responsible_unit=unit_names.get(r["responsible_unit_id"]),
                    goal_id=r["goal_id"],
                    goal=goal_titles.get(r["goal_id"]),
                    arena=r["arena"],
                    health=r["last_health"],
                    next_follow_up_at=follow_up if following else None,
                    overdue=bool(following and follow_up and follow_up < self.today),
                    allowed_triggers=allowed[key],
                    evaluation=evaluation,
                )
            )
        return out

    def _participating(self, s: Connection, member: MemberView, ids: list[int]) -> dict[int, list[int]]:
        """Participating units of the cards, in one query, and only when they decide what the member may do."""
        unit_rules = any(
            rule.unit == "involved" and rule.role == member.role for t in self.workflow.transitions for rule in t.allow
        )
        if not ids or member.unit_id is None or not unit_rules:
            return {}
        out: dict[int, list[int]] = {}
        rows = s.execute(select(MeasureUnit.measure_id, MeasureUnit.unit_id).where(MeasureUnit.measure_id.in_(ids)))
        for measure_id, unit_id in rows:
            out.setdefault(measure_id, []).append(unit_id)
        return out

    def progress(self, s: Connection, area_id: int, goals: Sequence[org.GoalView]) -> tuple[GoalProgress, ...]:
        """Each goal's measures counted by state group, by last health and by evaluated effect (one query)."""
        c = MEASURE.c
        rows = s.execute(
            select(c.goal_id, c.state, c.last_health, c.evaluation_effect, func.count())
            .where(c.area_id == area_id, c.goal_id.is_not(None))
            .group_by(c.goal_id, c.state, c.last_health, c.evaluation_effect)
        ).all()
        wf = self.workflow
        group_of = {state: key for key, states in STATE_GROUPS for state in states}
        groups = [key for key, states in STATE_GROUPS if any(st in wf.states for st in states)]
        if any(st not in group_of for st in wf.states):
            groups.append("other")
        effects = list(wf.fields["effect"].options) if "effect" in wf.fields else []
        tallies: dict[int, dict[str, dict[str, int]]] = {}
        for goal_id, state, health, effect, n in rows:
            t = tallies.setdefault(goal_id, {"group": {}, "health": {}, "effect": {}, "total": {"": 0}})
            t["total"][""] += n
            group = group_of.get(state, "other")
            t["group"][group] = t["group"].get(group, 0) + n
            if health and not (state in wf.states and wf.states[state].final):
                t["health"][health] = t["health"].get(health, 0) + n
            if effect:
                t["effect"][effect] = t["effect"].get(effect, 0) + n
        out = []
        for g in goals:
            t = tallies.get(g.id)
            if t is None and not g.active:
                continue
            t = t or {"group": {}, "health": {}, "effect": {}, "total": {"": 0}}
            by_group = tuple((k, safe_count(t["group"].get(k, 0))) for k in groups)
            out.append(
                GoalProgress(
                    goal_id=g.id,
                    title=g.title,
                    active=g.active,
                    total=safe_total(t["total"][""], [n for _, n in by_group]),
                    by_group=by_group,
                    by_health=tuple((k, safe_count(t["health"].get(k, 0))) for k in HEALTHS),
                    by_effect=tuple((k, safe_count(t["effect"].get(k, 0))) for k in effects),
                )
            )
        return tuple(out)


def safe_count(n: int) -> SafeCount:
    return SafeCount(n) if n >= MIN_COUNT else SafeCount(None, "fewer")


def safe_total(n: int, parts: Sequence[SafeCount]) -> SafeCount:
    """A total over parts that together make it up: hidden («5 or more») when exactly one part is
    hidden, since the total minus the shown parts would give that small count away."""
    if n < MIN_COUNT:
        return SafeCount(None, "fewer")
    if sum(1 for p in parts if p.value is None) == 1:
        return SafeCount(None, "at_least")
    return SafeCount(n)


class BoardService:
    """The boards of the three levels: reads only (actions go through the measures service)."""

    def __init__(self, *, db: Database, workflow: Workflow, clock: Clock) -> None:
        self.db = db
        self.workflow = workflow
        self.clock = clock

    def today(self) -> date:
        return self.clock.today()

    def read_board(
        self,
        *,
        actor: Actor,
        slug: str,
        board: str,
        filters: BoardFilters | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> BoardView:
        """Every column's most urgent cards (PAGE_SIZE, or `limits[state]`) and its total."""
        reader = _Reader(self, board)
        filters = (filters or BoardFilters()).cleaned()
        member = reader.member(actor, slug)
        with self.db.read_rows() as s:
            units, goals = org.units_of(s, member.area_id), org.goals_of(s, member.area_id)
            unit_id, locked = reader.unit_scope(member, filters)
            limit_of = {st: max(1, min(int((limits or {}).get(st, PAGE_SIZE)), MAX_LIMIT)) for st in reader.states}
            by_state, totals = reader.ranked(s, member.area_id, filters, unit_id, limit_of)
            rows = [row for st in reader.states for row in by_state[st]]
            cards = iter(reader.cards(s, member, rows, units, goals))
            progress = reader.progress(s, member.area_id, goals) if board == "steering" else ()
        columns = tuple(Column(st, totals[st], tuple(next(cards) for _ in by_state[st])) for st in reader.states)
        return BoardView(
            board=board,
            area_id=member.area_id,
            role=member.role,
            member_unit_id=member.unit_id,
            columns=columns,
            units=tuple(units),
            goals=tuple(goals),
            filters=filters,
            unit_id=unit_id,
            unit_locked=locked,
            may_register=member.role in CREATE_ROLES,
            progress=progress,
        )

    def read_column(
        self,
        *,
        actor: Actor,
        slug: str,
        board: str,
        state: str,
        filters: BoardFilters | None = None,
        shown: Sequence[int] = (),
        limit: int = PAGE_SIZE,
    ) -> ColumnPage:
        """The next cards of one column: the most urgent ones not already `shown` on the user's page.

        Skipping what is shown (rather than counting an offset) keeps «Vis flere» right after cards
        moved in or out of the column on the page.
        """
        reader = _Reader(self, board)
        if state not in reader.states:
            raise NotFound(gettext("Fant ikke kolonnen."))
        filters = (filters or BoardFilters()).cleaned()
        limit = max(1, min(limit, MAX_LIMIT))
        member = reader.member(actor, slug)
        with self.db.read_rows() as s:
            units, goals = org.units_of(s, member.area_id), org.goals_of(s, member.area_id)
            unit_id, _ = reader.unit_scope(member, filters)
            shape = _shape(filters, unit_id)
            params = _params(member.area_id, filters, unit_id)
            params.update(b_limit=limit + 1, b_shown=[int(i) for i in list(shown)[:MAX_LIMIT]])
            statement = _column_statement(state, reader.board == "steering", shape, bool(shown))
            rows = s.execute(statement, params).mappings().all()
            cards = reader.cards(s, member, rows[:limit], units, goals)
        return ColumnPage(state=state, cards=tuple(cards), has_more=len(rows) > limit)

    def place_card(
        self,
        *,
        actor: Actor,
        slug: str,
        board: str,
        measure_id: int,
        filters: BoardFilters | None = None,
    ) -> Placement:
        """The card as `board` shows it now (None when it is not on the board or filtered out) and the
        board's column counts: what an accepted action needs to update the page."""
        reader = _Reader(self, board)
        filters = (filters or BoardFilters()).cleaned()
        member = reader.member(actor, slug)
        with self.db.read_rows() as s:
            units, goals = org.units_of(s, member.area_id), org.goals_of(s, member.area_id)
            unit_id, _ = reader.unit_scope(member, filters)
            conditions = [MEASURE.c.state.in_(reader.states), *_scope(_shape(filters, unit_id))]
            params = _params(member.area_id, filters, unit_id)
            rows = (
                s.execute(select(*reader.columns).where(MEASURE.c.id == measure_id, *conditions), params)
                .mappings()
                .all()
            )
            cards = reader.cards(s, member, rows, units, goals)
            counts = dict.fromkeys(reader.states, 0)
            totals = _totals(reader.states, _shape(filters, unit_id)).subquery()
            for state, n in s.execute(select(totals), params):
                counts[state] = n
        return Placement(card=cards[0] if cards else None, counts=counts)
