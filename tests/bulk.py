"""Many measures at once for tests of size: rows written with one executemany per table (no factory, no
Machine), in every state of the measure workflow, with goals, arenas, health, evaluations, follow-up dates and
a created event each (the closed ones also a «close» decision). The database's triggers keep the search index
and the tallies (migration 0011) as for every other write."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select

from samordna.store.models import Event, Measure
from tests.factories import World

STATES = (
    "need_identified",
    "initiated",
    "assigned",
    "in_follow_up",
    "paused",
    "under_evaluation",
    "evaluated",
    "closed",
    "declined",
)
ARENAS = ("school", "leisure", "digital", "neighbourhood")
HEALTHS = (None, "on_track", "at_risk", "off_track")
EFFECTS = ("achieved", "partly", "not_achieved")
_serial = itertools.count(1)


def add_measures(world: World, n: int, *, area: str = "alfa", who: str = "coordinator", events: bool = True) -> None:
    """`n` more measures in `area`, spread over every state (in one transaction); with `events`, each with its
    created event (then the measures cannot be deleted: the audit trail refuses it)."""
    area_id = world.areas[area]
    goals = [world.goals[area], None] if area in world.goals else [None]
    units = [v for k, v in world.units.items() if k.startswith(f"{area}:")] + [None]
    user_id = world.user_ids[who]
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    batch = next(_serial)
    rows = []
    for i in range(n):
        state = STATES[i % len(STATES)]
        following = state in ("assigned", "in_follow_up")
        at = start + timedelta(minutes=i)
        rows.append(
            {
                "area_id": area_id,
                "ref": f"BULK{batch}-{i}",
                "title": f"Tiltak nummer {i} for trygg oppvekst",
                "need_description": "Behov beskrevet for testen av størrelse.",
                "knowledge_source": "Ungdata",
                "target_group": "Ungdom 13–16 år",
                "arena": ARENAS[i % len(ARENAS)],
                "goal_id": goals[i % len(goals)],
                "responsible_unit_id": units[i % len(units)],
                "next_follow_up_at": date(2026, 1, 1) + timedelta(days=i % 90) if following else None,
                "last_health": HEALTHS[i % len(HEALTHS)] if following or state == "closed" else None,
                "evaluation_effect": EFFECTS[i % len(EFFECTS)] if state in ("evaluated", "closed") else None,
                "state": state,
                "version": 1,
                "created_at": at,
                "created_by_id": user_id,
                "updated_at": at,
                "updated_by_id": user_id,
            }
        )
    with world.samordna.db.engine.begin() as conn:
        before = conn.execute(select(func.coalesce(func.max(Measure.__table__.c.id), 0))).scalar_one()
        conn.execute(insert(Measure.__table__), rows)
        if not events:
            return
        ids = conn.execute(
            select(Measure.__table__.c.id, Measure.__table__.c.state, Measure.__table__.c.created_at)
            .where(Measure.__table__.c.id > before, Measure.__table__.c.ref.like(f"BULK{batch}-%"))
            .order_by(Measure.__table__.c.id)
        ).all()
        events = []
        for measure_id, state, at in ids:
            closed = state == "closed"
            events.append(
                {
                    "measure_id": measure_id,
                    "at": at,
                    "actor_id": user_id,
                    "trigger": "close" if closed else "create",
                    "from_state": "evaluated" if closed else None,
                    "to_state": state,
                    "changes": "{}",
                    "data": "{}",
                    "version": 1,
                }
            )
        conn.execute(insert(Event.__table__), events)
