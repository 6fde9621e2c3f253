"""The boards' SQL: every statement a board runs, on a connection the service opens through `reading`
or `writing` (and passes back in, never looks into).

A board selects only the columns a card shows and costs the same number of SQL statements whether the
area holds twenty measures or twenty thousand: the area's units and goals, one statement for every
column's first page and one for their totals, at most one lookup of participating units, one aggregate
for the steering board's goals and one read of the execution board's «Behov vi har meldt». Never one
per card.

The work follows the cards shown, not the measures stored: each column's first page is read by walking
the index `ix_measure_board` (area, state, next follow-up, last change, id) in the board's order and
stopping after the page — twice per column, for the measures with a follow-up date and for those
without (the index keeps NULL first, the board shows them last). The column totals and the steering
board's goal progress are read from `measure_tally` (migration 0011), and the totals of «our measures»
(a unit filter alone) from `unit_tally` (migration 0014), which the database's triggers keep in every
writing transaction; only a unit filter with another filter still counts its measures, from the indexes.

The statements are built once per shape (board, which filters are on, whether ids are skipped) with
bound parameters for every value: building a statement of a dozen subqueries costs more than running it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Integer, String, bindparam, func, or_, select, type_coerce, union_all

from samordna.boards.views import NO_HEALTH, BoardFilters
from samordna.organisation import repository as org
from samordna.store.db import Database
from samordna.store.models import (
    AgendaItem,
    Event,
    Measure,
    MeasureTally,
    MeasureUnit,
    Meeting,
    Membership,
    UnitTally,
    User,
)

Conn = Connection  # what the service holds between `reading`/`writing` and the functions below

MEASURE = Measure.__table__
TALLY = MeasureTally.__table__
UNIT_TALLY = UnitTally.__table__
MEASURE_UNIT = MeasureUnit.__table__
MEMBERSHIP = Membership.__table__
EVENT = Event.__table__

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


# ---------------------------------------------------------------- transactions


def reading(db: Database) -> AbstractContextManager[Conn]:
    """A read transaction on a plain connection (Core statements only)."""
    return db.read_rows()


def writing(db: Database) -> AbstractContextManager[Conn]:
    """A write transaction on a plain connection: committed on success, rolled back on any exception."""
    return db.write_rows()


# ---------------------------------------------------------------- the area


def units_and_goals(conn: Conn, area_id: int) -> tuple[list[org.UnitView], list[org.GoalView]]:
    return org.units_of(conn, area_id), org.goals_of(conn, area_id)


def form_choices(conn: Conn, area_id: int) -> dict[str, list[Any]]:
    """What an action form's choice fields offer: active goals, active units, members."""
    return {
        "goals": [g for g in org.goals_of(conn, area_id) if g.active],
        "units": [u for u in org.units_of(conn, area_id) if u.active],
        "members": org.members_of(conn, area_id),  # type: ignore[arg-type]
    }


# ---------------------------------------------------------------- shapes and scopes

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


def as_given(column: Any) -> Any:
    """`column` without SQLAlchemy's conversion of the value (the driver's own type: a date or datetime
    from psycopg, ISO text from sqlite3, which SQLAlchemy would otherwise parse row by row)."""
    return type_coerce(column, String).label(column.name)


def _card_columns(steering: bool) -> list[Any]:
    """What a card shows, the follow-up date as the database gives it (the service parses only the
    dates of the cards it keeps)."""
    columns = CARD_COLUMNS + (EVALUATION_COLUMNS if steering else ())
    return [as_given(col) if col.name == "next_follow_up_at" else col for col in columns]


def _first_of_state(columns: Sequence[Any], state: str, conditions: Sequence[Any], limit: Any) -> list[Any]:
    """A column's first `limit` cards as two index walks that stop after `limit` rows: the measures with
    a follow-up date in date order, and those without in order of change (the caller merges them)."""
    c = MEASURE.c
    parts = []
    # The last change as the database gives it (ISO text on SQLite, in the same order as the dates):
    # merging the walks needs no parsing.
    for dated in (True, False):
        query = select(*columns, as_given(c.updated_at)).where(*conditions, c.state == state)
        if dated:
            query = query.where(c.next_follow_up_at.is_not(None)).order_by(c.next_follow_up_at, c.updated_at, c.id)
        else:
            # Ordered by the date too, NULL in every row here: the order of ix_measure_board itself, which
            # PostgreSQL then walks and stops after the page. Ordered by (updated_at, id) alone, it sorted the
            # column, or walked the area's every measure by ix_measure_area_updated (7 ms at 10 000).
            query = query.where(c.next_follow_up_at.is_(None)).order_by(c.next_follow_up_at, c.updated_at, c.id)
        # Wrapped, since SQLite allows no ORDER BY/LIMIT on the members of a UNION itself.
        parts.append(select(query.limit(limit).subquery()))
    return parts


@lru_cache(maxsize=512)
def _walks_statement(states: tuple[str, ...], steering: bool, shape: Shape) -> Any:
    """Every column's first page as index walks (b_limit_<i> cards for states[i]), unranked: the caller
    merges the two walks of each column (urgency_key). Cheaper than ranking them in SQL with a window."""
    scope = _scope(shape)
    limits = {st: bindparam(f"b_limit_{i}", type_=Integer) for i, st in enumerate(states)}
    return union_all(
        *(part for st in states for part in _first_of_state(_card_columns(steering), st, scope, limits[st]))
    )


def _tallied_totals(states: tuple[str, ...], shape: Shape) -> Any:
    """SELECT state, total from measure_tally (kept by the database in every writing transaction, migration
    0011): a few dozen rows per area whatever it holds, for every filter but the unit's."""
    goal, arena, health, _unit = shape
    t = TALLY.c
    conditions = [t.area_id == bindparam("b_area"), t.state.in_(states)]
    if goal:
        conditions.append(t.goal_id == bindparam("b_goal"))
    if arena:
        conditions.append(t.arena == bindparam("b_arena"))
    if health == NO_HEALTH:
        conditions.append(t.last_health == "")
    elif health:
        conditions.append(t.last_health == bindparam("b_health"))
    return select(t.state, func.sum(t.n).label("total")).where(*conditions).group_by(t.state)


def _unit_tallied_totals(states: tuple[str, ...]) -> Any:
    """SELECT state, total from unit_tally (kept by the database in every writing transaction, migration
    0014): «our measures» — the unit responsible or taking part, each measure once — a row per column."""
    u = UNIT_TALLY.c
    return select(u.state, u.n.label("total")).where(
        u.area_id == bindparam("b_area"), u.unit_id == bindparam("b_unit"), u.state.in_(states)
    )


UNIT_ONLY: Shape = (False, False, None, True)


@lru_cache(maxsize=512)
def _totals_statement(states: tuple[str, ...], shape: Shape) -> Any:
    """The column totals: from measure_tally for every filter but the unit's; from unit_tally for «our
    measures» alone; counted from the indexes over the unit's measures for the unit with another filter
    (neither tally keys both: participations are a list per measure)."""
    if shape == UNIT_ONLY:
        return _unit_tallied_totals(states)
    return _totals(states, shape) if shape[3] else _tallied_totals(states, shape)


@lru_cache(maxsize=512)
def _column_statement(state: str, steering: bool, shape: Shape, skip_shown: bool) -> Any:
    """One column's next b_limit cards, leaving out the ids in b_shown."""
    conditions = _scope(shape)
    if skip_shown:
        conditions.append(MEASURE.c.id.not_in(bindparam("b_shown", expanding=True)))
    limit = bindparam("b_limit", type_=Integer)
    candidates = union_all(*_first_of_state(_card_columns(steering), state, conditions, limit)).subquery("candidates")
    return select(candidates).order_by(*_urgency(candidates.c)).limit(limit)


@lru_cache(maxsize=64)
def _card_statement(states: tuple[str, ...], steering: bool, shape: Shape) -> Any:
    """One measure's card when it is in one of `states` and passes the filters."""
    c = MEASURE.c
    return select(*_card_columns(steering)).where(c.id == bindparam("b_id"), c.state.in_(states), *_scope(shape))


def urgency_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The board's order (_urgency) in Python: follow-up date (none last), oldest change, id."""
    follow_up = row["next_follow_up_at"]
    return (follow_up is None, follow_up or date.min, row["updated_at"], row["id"])


# ---------------------------------------------------------------- the reads


def first_pages(
    conn: Conn,
    *,
    area_id: int,
    states: tuple[str, ...],
    steering: bool,
    filters: BoardFilters,
    unit_id: int | None,
    limit_of: Mapping[str, int],
) -> tuple[dict[str, list[Mapping[str, Any]]], dict[str, int]]:
    """Two statements for every column: each column's first page, most urgent first, and its total."""
    shape = _shape(filters, unit_id)
    params = _params(area_id, filters, unit_id)
    counts = dict(conn.execute(_totals_statement(states, shape), params).all())
    params.update({f"b_limit_{i}": limit_of[st] for i, st in enumerate(states)})
    candidates = conn.execute(_walks_statement(states, steering, shape), params).mappings()
    by_state: dict[str, list[Mapping[str, Any]]] = {st: [] for st in states}
    for row in sorted(candidates, key=urgency_key):
        column = by_state[row["state"]]
        if len(column) < limit_of[row["state"]]:
            column.append(row)
    return by_state, {st: counts.get(st, 0) for st in states}


def next_cards(
    conn: Conn,
    *,
    area_id: int,
    state: str,
    steering: bool,
    filters: BoardFilters,
    unit_id: int | None,
    shown: Sequence[int],
    limit: int,
) -> list[Mapping[str, Any]]:
    """The most urgent `limit` cards of one column that are not in `shown`."""
    shape = _shape(filters, unit_id)
    params = _params(area_id, filters, unit_id)
    params.update(b_limit=limit, b_shown=list(shown))
    return list(conn.execute(_column_statement(state, steering, shape, bool(shown)), params).mappings().all())


def card_rows(
    conn: Conn,
    *,
    area_id: int,
    measure_id: int,
    states: tuple[str, ...],
    steering: bool,
    filters: BoardFilters,
    unit_id: int | None,
) -> list[Mapping[str, Any]]:
    """The card of one measure (no row when it is not in `states` or filtered out)."""
    shape = _shape(filters, unit_id)
    params = {**_params(area_id, filters, unit_id), "b_id": measure_id}
    return list(conn.execute(_card_statement(states, steering, shape), params).mappings().all())


def totals(
    conn: Conn, *, area_id: int, states: tuple[str, ...], filters: BoardFilters, unit_id: int | None
) -> dict[str, int]:
    counts = dict.fromkeys(states, 0)
    shape = _shape(filters, unit_id)
    counts.update(conn.execute(_totals_statement(states, shape), _params(area_id, filters, unit_id)).all())
    return counts


def participations(conn: Conn, measure_ids: Sequence[int]) -> dict[int, list[int]]:
    """The participating units of the measures, in one query."""
    out: dict[int, list[int]] = {}
    rows = conn.execute(
        select(MEASURE_UNIT.c.measure_id, MEASURE_UNIT.c.unit_id).where(MEASURE_UNIT.c.measure_id.in_(measure_ids))
    )
    for measure_id, unit_id in rows:
        out.setdefault(measure_id, []).append(unit_id)
    return out


def goal_tallies(conn: Conn, area_id: int) -> list[tuple[int, str, str | None, str | None, int]]:
    """(goal, state, last health, evaluated effect, measures) for every goal of the area (one query, from
    the tallies the database keeps: a few rows per goal whatever the area holds)."""
    return [
        (goal_id, state, health or None, effect or None, int(n))
        for goal_id, state, health, effect, n in conn.execute(_GOAL_TALLIES, {"t_area": area_id})
    ]


_T = TALLY.c
_GOAL_TALLIES = (
    select(_T.goal_id, _T.state, _T.last_health, _T.evaluation_effect, func.sum(_T.n))
    .where(_T.area_id == bindparam("t_area"), _T.goal_id != 0, _T.n > 0)
    .group_by(_T.goal_id, _T.state, _T.last_health, _T.evaluation_effect)
)


# ---------------------------------------------------------------- «Behov vi har meldt»


REGISTERED_COUNT_CAP = 1_000  # «Behov vi har meldt» counts up to this many; more shows as «over 1 000»


def _registered_conditions(shape: Shape, skip_shown: bool) -> list[Any]:
    """The needs of «Behov vi har meldt» (the registrant apart): in b_open, or in b_closed and changed since
    b_since; the goal, arena and health filters; not in b_shown."""
    c = MEASURE.c
    goal, arena, health, _unit = shape
    conditions = [
        *_scope((goal, arena, health, False)),
        c.state.in_(bindparam("b_states", expanding=True)),
        or_(c.state.in_(bindparam("b_open", expanding=True)), c.updated_at >= bindparam("b_since")),
    ]
    if skip_shown:
        conditions.append(c.id.not_in(bindparam("b_shown", expanding=True)))
    return conditions


@lru_cache(maxsize=64)
def _registered_statement(shape: Shape, registrants: int, skip_shown: bool) -> Any:
    """The b_limit needs most recently changed of those registered by b_user_0 … b_user_<registrants-1>
    (b_users), each row with how many there are, counted up to b_cap.

    One walk of ix_measure_registrant (area, registrant, last change, state) per registrant, newest first,
    each stopping after b_limit needs, then the page of them; the count reads the same index and stops at
    b_cap. The cost follows the cards shown and the registrants (the member and the unit's members), not
    what the area or the unit has registered in all (one statement over every such need, counted with a
    window and sorted, took 60 ms of SQLite at 100 000 measures)."""
    c = MEASURE.c
    conditions = _registered_conditions(shape, skip_shown)
    limit = bindparam("b_limit", type_=Integer)
    walks = [
        select(
            select(c.id, c.updated_at)
            .where(*conditions, c.created_by_id == bindparam(f"b_user_{i}"))
            .order_by(c.updated_at.desc(), c.id.desc())
            .limit(limit)
            .subquery()
        )
        for i in range(registrants)
    ]
    found = (union_all(*walks) if len(walks) > 1 else walks[0]).subquery("found")
    counted = (
        select(c.id)
        .where(*conditions, c.created_by_id.in_(bindparam("b_users", expanding=True)))
        .limit(bindparam("b_cap", type_=Integer))
        .subquery("counted")
    )
    total = select(func.count()).select_from(counted).scalar_subquery()
    return (
        select(*_card_columns(False), total.label("total"))
        .select_from(MEASURE.join(found, found.c.id == c.id))
        .order_by(found.c.updated_at.desc(), found.c.id.desc())
        .limit(limit)
    )


def registrants(conn: Conn, *, area_id: int, user_id: int, unit_id: int | None) -> list[int]:
    """The member and, with a unit, every member of the unit in the area: whose needs «Behov vi har meldt» shows."""
    users = {user_id}
    if unit_id is not None:
        query = select(MEMBERSHIP.c.user_id).where(MEMBERSHIP.c.area_id == area_id, MEMBERSHIP.c.unit_id == unit_id)
        users.update(conn.execute(query).scalars())
    return sorted(users)


def registered_needs(
    conn: Conn,
    *,
    area_id: int,
    filters: BoardFilters,
    user_id: int,
    unit_id: int | None,
    open_states: Sequence[str],
    closed_states: Sequence[str],
    since: datetime,
    limit: int,
    shown: Sequence[int] = (),
) -> tuple[list[Mapping[str, Any]], int]:
    """(the first `limit` needs not in `shown`, how many there are in all with `shown` left out — counted up
    to REGISTERED_COUNT_CAP + 1, so a total over the cap means «more than the cap»)."""
    users = registrants(conn, area_id=area_id, user_id=user_id, unit_id=unit_id)
    params: dict[str, Any] = {
        **_params(area_id, filters, None),
        "b_states": [*open_states, *closed_states],
        "b_open": list(open_states),
        "b_since": since,
        "b_limit": limit,
    }
    if shown:
        params["b_shown"] = list(shown)
    params.update({f"b_user_{i}": user for i, user in enumerate(users)}, b_users=users, b_cap=REGISTERED_COUNT_CAP + 1)
    statement = _registered_statement(_shape(filters, None), len(users), bool(shown))
    rows = list(conn.execute(statement, params).mappings().all())
    return rows, (rows[0]["total"] if rows else 0)


# ---------------------------------------------------------------- the steering group's decision log


@lru_cache(maxsize=32)
def _decisions_statement(triggers: int, paged: bool, bounded: bool) -> Any:
    """The area's latest d_limit decisions: one walk of ix_event_trigger_at per decision trigger
    (d_trigger_<i>), newest first, each stopping after d_limit events of the area, then the page of them.

    Each event's area is checked by its measure's key as the walk meets it (EXISTS on the measure), so no
    engine starts from the area's measures instead (every event of every measure, sorted: 253 ms of SQLite at
    100 000 measures). A join with `area_id + 0` did that for SQLite, but PostgreSQL, guessing few measures
    from the expression, read the area's every measure and probed each one's events (23 ms at 10 000), and a
    compared subquery made it think the walk would find fewer rows than the page and sort every event of the
    trigger (8 ms at 10 000 for the decision log); with EXISTS it walks and stops: 0.3 and 0.4 ms."""
    e, m, item, meeting, user = EVENT.c, MEASURE.c, AgendaItem.__table__.c, Meeting.__table__.c, User.__table__.c
    in_area = select(m.id).where(m.id == e.measure_id, m.area_id == bindparam("d_area")).exists()
    walks = []
    for i in range(triggers):
        walk = (
            select(e.id)
            .where(e.trigger == bindparam(f"d_trigger_{i}"), in_area)
            .order_by(e.at.desc(), e.id.desc())
            .limit(bindparam("d_limit"))
        )
        if paged:  # older than the last entry shown (at, id): a keyset, stable while new decisions come in
            walk = walk.where(or_(e.at < bindparam("d_at"), (e.at == bindparam("d_at")) & (e.id < bindparam("d_id"))))
        if bounded:
            walk = walk.where(e.at >= bindparam("d_from"), e.at < bindparam("d_to"))
        walks.append(select(walk.subquery().c.id))
    ids = union_all(*walks) if len(walks) > 1 else walks[0]
    return (
        select(
            e.id,
            e.measure_id,
            e.at,
            e.trigger,
            e.to_state,
            e.changes,
            e.comment,
            e.meeting_id,
            m.ref,
            m.title,
            m.state,
            user.name.label("actor_name"),
            meeting.starts_at.label("meeting_starts_at"),
            item.number.label("item_number"),
            item.year.label("item_year"),
        )
        .select_from(
            EVENT.join(MEASURE, MEASURE.c.id == e.measure_id)
            .join(User.__table__, user.id == e.actor_id)
            .outerjoin(Meeting.__table__, meeting.id == e.meeting_id)
            .outerjoin(AgendaItem.__table__, item.decision_event_id == e.id)
        )
        .where(e.id.in_(ids))
        .order_by(e.at.desc(), e.id.desc())
        .limit(bindparam("d_limit"))
    )


def decisions(
    conn: Conn,
    *,
    area_id: int,
    triggers: Sequence[str],
    limit: int,
    after: tuple[datetime, int] | None = None,
    between: tuple[datetime, datetime] | None = None,
) -> list[Mapping[str, Any]]:
    """The area's decisions (events of `triggers`), newest first: `limit` of them, older than `after`
    (at, event id) and within `between` [from, to) when given. One statement."""
    if not triggers:
        return []
    params: dict[str, Any] = {"d_area": area_id, "d_limit": limit}
    params.update({f"d_trigger_{i}": t for i, t in enumerate(triggers)})
    if after:
        params["d_at"], params["d_id"] = after
    if between:
        params["d_from"], params["d_to"] = between
    statement = _decisions_statement(len(triggers), after is not None, between is not None)
    return list(conn.execute(statement, params).mappings().all())


def first_decision_at(conn: Conn, *, area_id: int, triggers: Sequence[str]) -> datetime | None:
    """When the area's first decision was taken (the year filter starts there)."""
    if not triggers:
        return None
    e = EVENT.c
    # One walk of ix_event_trigger_at per trigger, oldest first, stopping at the area's first event (each event's
    # area looked up by its measure's key as the walk meets it, as in _decisions_statement).
    area_of_event = select(MEASURE.c.area_id).where(MEASURE.c.id == e.measure_id).scalar_subquery()
    walks = [
        select(select(e.at).where(e.trigger == t, area_of_event == area_id).order_by(e.at).limit(1).subquery().c.at)
        for t in triggers
    ]
    firsts = (union_all(*walks) if len(walks) > 1 else walks[0]).subquery()
    return conn.execute(select(func.min(firsts.c.at))).scalar()
