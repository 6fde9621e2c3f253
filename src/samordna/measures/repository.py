"""Every SQL statement of the measures feature: measures, their participating units, events, status reports
and reference numbers. No policy: the service decides who may; these functions read and write what it asks.

Each function runs on the transaction it is given (a Session or a Connection: `Db`) and never commits. The
statements of a transition are built once and `Prepared` (samordna.store.prepared): compiled once per
dialect and run on the DBAPI cursor, with SQLAlchemy's own type processing but without its per-execution
machinery; the versioned UPDATE is built once per set of columns a trigger writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from samordna.domain.clock import aware
from samordna.fields import fits_column
from samordna.measures.views import EventView, jsonable
from samordna.organisation import repository as org
from samordna.store.db import connection_of
from samordna.store.models import Area, Event, Measure, MeasureUnit, RefCounter, StatusReport, User
from samordna.store.prepared import Prepared

Db = Session | Connection  # the transaction a function runs in

MEASURE = Measure.__table__
MEASURE_UNIT = MeasureUnit.__table__
PARTICIPATING = "participating_unit_id"  # the extra column of LOAD (one row per participating unit)

# Built once: the statements of the hot paths take their values as parameters.
LOAD = Prepared(
    select(MEASURE, MEASURE_UNIT.c.unit_id.label(PARTICIPATING))
    .outerjoin(MEASURE_UNIT, MEASURE_UNIT.c.measure_id == MEASURE.c.id)
    .where(MEASURE.c.id == bindparam("measure_id"))
    .order_by(MEASURE_UNIT.c.unit_id)
)
INSERT_EVENT = Prepared(
    # The new event's id comes back in the same statement: it names the change on the live streams (samordna.live).
    insert(Event.__table__).returning(Event.__table__.c.id),
    column_keys=(
        "measure_id",
        "at",
        "actor_id",
        "trigger",
        "from_state",
        "to_state",
        "comment",
        "changes",
        "data",
        "version",
        "meeting_id",
    ),
)
INSERT_STATUS_REPORT = Prepared(
    insert(StatusReport.__table__).inline(), column_keys=("measure_id", "author_id", "at", "health", "note")
)


# ---------------------------------------------------------------- reads


def load(db: Db, *, measure_id: int) -> tuple[dict[str, Any], list[int]] | None:
    """The measure's row and its participating units (ascending), in one query; None when it does not exist."""
    rows = LOAD.mappings(connection_of(db), {"measure_id": measure_id})
    if not rows:
        return None
    row = dict(rows[0])
    del row[PARTICIPATING]
    return row, [r[PARTICIPATING] for r in rows if r[PARTICIPATING] is not None]


def find(
    db: Db,
    *,
    area_id: int,
    state: str | None = None,
    goal_id: int | None = None,
    unit_id: int | None = None,
    limit: int = 500,
    after_id: int | None = None,
) -> list[Mapping[str, Any]]:
    """The area's measures (optionally in one state, for one goal or one responsible unit), by id: `limit`
    of them after the id `after_id` (a keyset: never OFFSET, so a later page costs what the first does)."""
    query = select(MEASURE).where(MEASURE.c.area_id == area_id)
    if after_id is not None:
        query = query.where(MEASURE.c.id > after_id)
    if state:
        query = query.where(MEASURE.c.state == state)
    if goal_id:
        query = query.where(MEASURE.c.goal_id == goal_id)
    if unit_id:
        query = query.where(MEASURE.c.responsible_unit_id == unit_id)
    return db.execute(query.order_by(MEASURE.c.id).limit(limit)).mappings().all()  # type: ignore[return-value]


def by_ids(db: Db, measure_ids: list[int]) -> dict[int, Mapping[str, Any]]:
    """The measures' rows by id (the measure list's page, read in full for the API)."""
    if not measure_ids:
        return {}
    rows = db.execute(select(MEASURE).where(MEASURE.c.id.in_(measure_ids))).mappings().all()
    return {r["id"]: r for r in rows}


def participating(db: Db, measure_ids: list[int]) -> dict[int, list[int]]:
    """Each measure's participating units, ascending ([] for none)."""
    out: dict[int, list[int]] = {i: [] for i in measure_ids}
    if measure_ids:
        rows = db.execute(
            select(MeasureUnit.measure_id, MeasureUnit.unit_id)
            .where(MeasureUnit.measure_id.in_(measure_ids))
            .order_by(MeasureUnit.unit_id)
        )
        for measure_id, unit_id in rows:
            out[measure_id].append(unit_id)
    return out


def _event_rows(db: Db, measure_id: int) -> list[Any]:
    return db.execute(  # type: ignore[return-value]
        select(Event, User.name)
        .join(User, User.id == Event.actor_id)
        .where(Event.measure_id == measure_id)
        .order_by(Event.id)
    ).all()


def events(db: Db, *, measure_id: int) -> list[EventView]:
    """The measure's events, oldest first, with the name of who did each."""
    return [
        EventView(
            id=e.id,
            trigger=e.trigger,
            from_state=e.from_state,
            to_state=e.to_state,
            actor={"id": e.actor_id, "name": name},
            at=aware(e.at),
            comment=e.comment,
            changes=json.loads(e.changes),
            data=json.loads(e.data),
            version=e.version,
            meeting_id=e.meeting_id,
        )
        for e, name in _event_rows(db, measure_id)
    ]


def events_of(db: Db, measure_ids: Sequence[int]) -> list[Mapping[str, Any]]:
    """The events of many measures (an export's chunk), by measure and oldest first, with the name of who did
    each: measure_id, at, trigger, from_state, to_state, actor_name, comment, changes and data (JSON
    text), version, meeting_id."""
    if not measure_ids:
        return []
    e = Event.__table__.c
    statement = (
        select(
            e.measure_id,
            e.at,
            e.trigger,
            e.from_state,
            e.to_state,
            User.__table__.c.name.label("actor_name"),
            e.comment,
            e.changes,
            e.data,
            e.version,
            e.meeting_id,
        )
        .join_from(Event.__table__, User.__table__, User.__table__.c.id == e.actor_id)
        .where(e.measure_id.in_(list(measure_ids)))
        .order_by(e.measure_id, e.id)
    )
    return db.execute(statement).mappings().all()  # type: ignore[return-value]


@dataclass(frozen=True)
class PageRows:
    """What the measure page shows besides the measure: its authors, events and reports (oldest first,
    with names), and the area's goals and units."""

    created_by_id: int | None
    updated_by_id: int | None
    events: list[tuple[Any, str]]  # (Event, actor name)
    reports: list[tuple[Any, str]]  # (StatusReport, author name)
    goals: list[Any]  # GoalView, active or not
    units: list[Any]  # UnitView, active or not

    @property
    def goal_titles(self) -> dict[int, str]:
        return {g.id: g.title for g in self.goals}

    @property
    def unit_names(self) -> dict[int, str]:
        return {u.id: u.name for u in self.units}


def page_rows(db: Db, *, measure_id: int, area_id: int) -> PageRows:
    created_by_id, updated_by_id = db.execute(
        select(Measure.created_by_id, Measure.updated_by_id).where(Measure.id == measure_id)
    ).one()
    events = _event_rows(db, measure_id)
    reports = db.execute(
        select(StatusReport, User.name)
        .join(User, User.id == StatusReport.author_id)
        .where(StatusReport.measure_id == measure_id)
        .order_by(StatusReport.id)
    ).all()
    return PageRows(
        created_by_id=created_by_id,
        updated_by_id=updated_by_id,
        events=[tuple(r) for r in events],  # type: ignore[misc]
        reports=[tuple(r) for r in reports],  # type: ignore[misc]
        goals=org.goals_of(db, area_id),
        units=org.units_of(db, area_id),
    )


def members(db: Db, area_id: int) -> list[Any]:
    """The area's active members (MemberChoice: user id, name, role, unit), by name: a form's contact persons."""
    return org.members_of(db, area_id)  # type: ignore[arg-type]


def user_names(db: Db, user_ids: Iterable[int]) -> dict[int, str]:
    ids = set(user_ids)
    return dict(db.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}  # type: ignore[arg-type]


# ---------------------------------------------------------------- writes


def insert_measure(db: Db, *, values: Mapping[str, Any]) -> int:
    """A new measure row; its id."""
    return db.execute(insert(MEASURE).values(**values).returning(MEASURE.c.id)).scalar_one()


def next_ref(db: Db, *, area_id: int, year: int) -> str:
    """The area's next reference number for `year` («ALF-2026-001»), counted in the same transaction."""
    insert_fn = pg_insert if connection_of(db).dialect.name == "postgresql" else sqlite_insert
    db.execute(insert_fn(RefCounter).values(area_id=area_id, year=year, last=0).on_conflict_do_nothing())
    number = db.execute(
        update(RefCounter)
        .where(RefCounter.area_id == area_id, RefCounter.year == year)
        .values(last=RefCounter.last + 1)
        .returning(RefCounter.last)
    ).scalar_one()
    code = db.execute(select(Area.code).where(Area.id == area_id)).scalar_one()
    return f"{code}-{year}-{number:03d}"


def update_versioned(
    db: Db,
    *,
    measure_id: int,
    version: int,
    values: Mapping[str, Any],
    state: str,
    at: datetime,
    actor_id: int,
) -> bool:
    """Write `values` and `state` and bump the version, if the measure still has `version`; whether it did."""
    if not fits_column(version):  # a version no column can hold was never this measure's
        return False
    params = {f"v_{k}": v for k, v in values.items()}
    params.update(v_state=state, v_updated_at=at, v_updated_by_id=actor_id, b_id=measure_id, b_version=version)
    return _update_statement(tuple(sorted(values))).rowcount(connection_of(db), params) == 1


def version_and_state(db: Db, *, measure_id: int) -> tuple[int, str]:
    """The measure's version and state as they are now (after a versioned UPDATE missed)."""
    current = connection_of(db).execute(select(MEASURE.c.version, MEASURE.c.state).where(MEASURE.c.id == measure_id))
    version, state = current.one()
    return version, state


def replace_participating(db: Db, *, measure_id: int, unit_ids: list[int]) -> None:
    conn = connection_of(db)
    conn.execute(delete(MEASURE_UNIT).where(MEASURE_UNIT.c.measure_id == measure_id))
    if unit_ids:
        conn.execute(insert(MEASURE_UNIT), [{"measure_id": measure_id, "unit_id": u} for u in unit_ids])


def insert_event(
    db: Db,
    *,
    measure_id: int,
    actor_id: int,
    trigger: str,
    from_state: str | None,
    to_state: str,
    comment: str | None,
    changes: Mapping[str, Any],
    data: Mapping[str, Any],
    version: int,
    at: datetime,
    meeting_id: int | None = None,
) -> int:
    """Append the event; its id."""
    rows = INSERT_EVENT.rows(
        connection_of(db),
        {
            "measure_id": measure_id,
            "at": at,
            "actor_id": actor_id,
            "trigger": trigger,
            "from_state": from_state,
            "to_state": to_state,
            "comment": comment,
            "changes": json.dumps(jsonable(changes), ensure_ascii=False),
            "data": json.dumps(jsonable(data), ensure_ascii=False),
            "version": version,
            "meeting_id": meeting_id,
        },
    )
    return int(rows[0][0])


def event_id(db: Db, *, measure_id: int, version: int) -> int | None:
    """The id of the event that gave the measure `version` (a decision's minutes line points to it)."""
    e = Event.__table__.c
    query = select(e.id).where(e.measure_id == measure_id, e.version == version).order_by(e.id.desc()).limit(1)
    return connection_of(db).execute(query).scalar()


def insert_status_report(db: Db, *, measure_id: int, author_id: int, at: datetime, health: str, note: str) -> None:
    INSERT_STATUS_REPORT.rowcount(
        connection_of(db),
        {"measure_id": measure_id, "author_id": author_id, "at": at, "health": health, "note": note},
    )


@lru_cache(maxsize=256)
def _update_statement(columns: tuple[str, ...]) -> Prepared:
    """UPDATE measure SET <columns>, state, version + 1, updated_* WHERE id = :b_id AND version = :b_version,
    built once per set of columns a trigger writes (the values as parameters v_<column>)."""
    c = MEASURE.c
    names = (*columns, "state", "updated_at", "updated_by_id")
    assigned = {name: bindparam(f"v_{name}", type_=c[name].type) for name in names}
    return Prepared(
        update(MEASURE)
        .where(c.id == bindparam("b_id"), c.version == bindparam("b_version"))
        .values(**assigned, version=c.version + 1)
    )
