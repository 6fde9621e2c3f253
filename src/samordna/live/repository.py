"""The SQL of the live streams: the measure events of an area since the last one a reconnecting page saw, and the
NOTIFY that announces a change inside its write transaction (PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select, text

from samordna.store.db import Database
from samordna.store.models import Event, Measure, MeasureUnit, User

EVENT = Event.__table__
MEASURE = Measure.__table__
MEASURE_UNIT = MeasureUnit.__table__
USER = User.__table__


def notify(conn: Any, *, channel: str, payload: str) -> None:
    """PostgreSQL's NOTIFY in the transaction `conn` (a Session or Connection): sent on COMMIT, never on ROLLBACK.
    pg_notify takes the channel and the payload as values, so neither is spliced into the SQL."""
    conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload})


def reading(db: Database) -> Any:
    return db.read_rows()


def latest_event_id(conn: Connection) -> int:
    """The newest measure event's id (0 when there is none): one step down the primary key."""
    return int(conn.execute(select(func.max(EVENT.c.id))).scalar() or 0)


def events_after(conn: Connection, *, area_id: int, after_id: int, limit: int) -> list[dict[str, Any]]:
    """The area's measure events with an id above `after_id`, oldest first, at most `limit`; each with its
    measure's ref, registrant and responsible unit now, who made it, and the units its changes name (the
    responsible unit and the participating ones before the change)."""
    rows = conn.execute(
        select(
            EVENT.c.id,
            EVENT.c.measure_id,
            EVENT.c.trigger,
            EVENT.c.from_state,
            EVENT.c.to_state,
            EVENT.c.version,
            EVENT.c.actor_id,
            EVENT.c.meeting_id,
            EVENT.c.changes,
            MEASURE.c.area_id,
            MEASURE.c.ref,
            MEASURE.c.created_by_id,
            MEASURE.c.responsible_unit_id,
            USER.c.name.label("actor_name"),
        )
        .join(MEASURE, MEASURE.c.id == EVENT.c.measure_id)
        .join(USER, USER.c.id == EVENT.c.actor_id)
        .where(MEASURE.c.area_id == area_id, EVENT.c.id > after_id)
        .order_by(EVENT.c.id)
        .limit(limit)
    ).mappings()
    out = [dict(r) for r in rows]
    if not out:
        return out
    ids = sorted({r["measure_id"] for r in out})
    participating: dict[int, list[int]] = {}
    for measure_id, unit_id in conn.execute(
        select(MEASURE_UNIT.c.measure_id, MEASURE_UNIT.c.unit_id).where(MEASURE_UNIT.c.measure_id.in_(ids))
    ):
        participating.setdefault(measure_id, []).append(unit_id)
    for r in out:
        changes = json.loads(r.pop("changes") or "{}")
        before = [
            changes.get("responsible_unit_id", [None])[0],
            *(changes.get("participating_unit_ids", [[]])[0] or []),
        ]
        r["units"] = [r["responsible_unit_id"], *participating.get(r["measure_id"], []), *before]
    return out
