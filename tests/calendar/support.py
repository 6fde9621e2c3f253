"""Meetings for the calendar tests, written straight into the store (planning meetings is the meetings
room's; these tests only read them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from samordna.store.models import Body, Meeting
from tests.factories import World

OSLO = ZoneInfo("Europe/Oslo")


def add_meeting(
    world: World,
    level: str,
    starts: datetime,
    *,
    area: str = "alfa",
    title: str | None = None,
    state: str = "planned",
    hours: int = 2,
    place: str = "Rådhuset, møterom 1",
    cancel_reason: str | None = None,
) -> int:
    """A meeting of the area's body at `level`, starting at `starts` (Oslo time when naive)."""
    starts = (starts if starts.tzinfo else starts.replace(tzinfo=OSLO)).astimezone(UTC)  # stored in UTC
    with world.samordna.db.write() as s:
        body = s.execute(select(Body).where(Body.area_id == world.areas[area], Body.level == level)).scalar_one()
        row = Meeting(
            area_id=world.areas[area],
            body_id=body.id,
            title=title or f"Møte i {body.name}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=hours),
            place=place,
            state=state,
            cancel_reason=cancel_reason,
        )
        s.add(row)
        s.flush()
        return row.id  # type: ignore[return-value]


def body_key(world: World, level: str, area: str = "alfa") -> str:
    with world.samordna.db.read() as s:
        return s.execute(
            select(Body.feed_key).where(Body.area_id == world.areas[area], Body.level == level)
        ).scalar_one()
