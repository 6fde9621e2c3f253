"""All SQL of the steering report: the area, its goals, and the event history of its measures up to the end of
the period, on a read connection the service opens through `reading` (and passes back in, never looks into).

Three statements per report, whatever the period: the area, its goals, and one walk over the events of the
area's measures in (measure, version) order. Measures closed or declined before the period began (their
state final and untouched since) are left out in SQL; what remains is replayed in samordna.reports.history.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import Connection, and_, func, not_, select

from samordna.domain.clock import aware
from samordna.organisation import repository as org
from samordna.organisation.views import GoalView
from samordna.reports.views import EventRow
from samordna.store.db import Database
from samordna.store.models import Area, Event, Measure, MeasureTally

Conn = Connection

AREA = Area.__table__
MEASURE = Measure.__table__
EVENT = Event.__table__


def reading(db: Database) -> AbstractContextManager[Conn]:
    """A read transaction on a plain connection (Core statements only)."""
    return db.read_rows()


def area_by_slug(conn: Conn, slug: str) -> tuple[int, str, str] | None:
    """(id, slug, name) of the area, or None."""
    row = conn.execute(select(AREA.c.id, AREA.c.slug, AREA.c.name).where(AREA.c.slug == slug)).first()
    return (row[0], row[1], row[2]) if row else None


def goals_of(conn: Conn, area_id: int) -> list[GoalView]:
    return org.goals_of(conn, area_id)


def first_event_at(conn: Conn, area_id: int) -> datetime | None:
    """When the area's first measure was registered (its first event), or None."""
    at = conn.execute(select(func.min(MEASURE.c.created_at)).where(MEASURE.c.area_id == area_id)).scalar_one_or_none()
    return aware(at) if at is not None else None


def history_stamp(conn: Conn, area_id: int) -> tuple[int, int]:
    """What changes whenever the area's history does: the newest event of the database (every write of a
    measure adds one, an import too) and how many measures the area holds (a deletion takes a measure's
    events with it). Two index lookups: the event table's key and the area's tallies."""
    newest = conn.execute(select(func.max(EVENT.c.id))).scalar_one_or_none() or 0
    t = MeasureTally.__table__.c
    held = conn.execute(select(func.coalesce(func.sum(t.n), 0)).where(t.area_id == area_id)).scalar_one()
    return int(newest), int(held)


def events(
    conn: Conn, *, area_id: int, start: datetime, end: datetime, final_states: Sequence[str]
) -> Iterator[EventRow]:
    """Every event before `end` of the area's measures, by measure and version, each with the measure's goal;
    not those of measures already final and unchanged since before `start`."""
    m, e = MEASURE.c, EVENT.c
    done_before = and_(m.state.in_(list(final_states)), m.updated_at < start) if final_states else None
    query = (
        select(e.measure_id, m.goal_id, e.at, e.to_state, e.changes)
        .join(MEASURE, m.id == e.measure_id)
        .where(m.area_id == area_id, m.created_at < end, e.at < end)
        .order_by(e.measure_id, e.version)
    )
    if done_before is not None:
        query = query.where(not_(done_before))
    # In batches (fetchmany): a year of a large area is hundreds of thousands of rows, and a row at a time
    # through the result's iterator cost more than the replay of it. (Not yield_per: on PostgreSQL that is a
    # server-side cursor, which the reads' autocommit connections cannot open.)
    for batch in conn.execute(query).partitions(2_000):
        for measure_id, goal_id, at, to_state, changes in batch:
            yield EventRow(measure_id, goal_id, aware(at), to_state, changes or "{}")
