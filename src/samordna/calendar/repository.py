"""All SQL of the calendar room: areas and bodies, the meetings of the bodies a member reads, milestones,
and the secret keys of the calendar feeds. The meeting and body tables are read here with the room's own
queries (planning and running meetings is the meetings room's)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlmodel import Session

from samordna.calendar.views import BodyView, FeedMeeting, MeetingMark, MilestoneView
from samordna.domain.clock import aware
from samordna.domain.errors import FieldError
from samordna.fields import Wanted, clean
from samordna.store.audit import record_audit
from samordna.store.models import Area, Body, CalendarFeed, Meeting, Membership, Milestone, User
from samordna.workflow import FieldDef

LEVEL_ORDER = {"steering": 0, "coordination": 1, "executing": 2, "all": 3}


def area_by_slug(session: Session, slug: str, *, lock: bool = False) -> Area | None:
    query = select(Area).where(Area.slug == slug)
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def clean_values(
    session: Session, area_id: int, fields: Iterable[tuple[FieldDef, bool]], data: Mapping[str, Any], today: date
) -> tuple[dict[str, Any], list[FieldError]]:
    return clean(session=session, area_id=area_id, wanted=[Wanted(f, r) for f, r in fields], data=data, today=today)


def audit(
    session: Session, *, area_id: int, actor_id: int, kind: str, subject: str, detail: dict[str, Any] | None = None
) -> None:
    record_audit(session, kind=kind, area_id=area_id, actor_id=actor_id, subject=subject, detail=detail)


# ---------------------------------------------------------------- bodies and meetings


def bodies_of(session: Session, area_id: int, levels: tuple[str, ...]) -> list[BodyView]:
    rows = session.execute(
        select(Body.id, Body.level, Body.name, Body.feed_key).where(Body.area_id == area_id, Body.level.in_(levels))
    ).all()
    return sorted((BodyView(*row) for row in rows), key=lambda b: LEVEL_ORDER.get(b.level, 9))


def meetings_between(
    session: Session, area_id: int, levels: tuple[str, ...], start: datetime, end: datetime
) -> list[tuple[int, str, str, str, datetime, datetime, str, str]]:
    """(id, level, body name, title, starts_at, ends_at, place, state) of the area's meetings of those levels
    starting in [start, end), in time order; times aware UTC."""
    rows = session.execute(
        select(
            Meeting.id,
            Body.level,
            Body.name,
            Meeting.title,
            Meeting.starts_at,
            Meeting.ends_at,
            Meeting.place,
            Meeting.state,
        )
        .join(Body, Body.id == Meeting.body_id)
        .where(Meeting.area_id == area_id, Body.level.in_(levels), Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    return [(r[0], r[1], r[2], r[3], aware(r[4]), aware(r[5]), r[6], r[7]) for r in rows]


def to_mark(row: tuple[Any, ...], tz: Any) -> MeetingMark:
    mid, level, body_name, title, starts, ends, place, state = row
    return MeetingMark(mid, level, body_name, title, starts.astimezone(tz), ends.astimezone(tz), place, state)


def renew_body_key(session: Session, area_id: int, level: str, key: str) -> BodyView | None:
    """Give the body `key` (the old one then names nothing); None when the area has no such body."""
    body = session.execute(
        select(Body).where(Body.area_id == area_id, Body.level == level).with_for_update()
    ).scalar_one_or_none()
    if body is None:
        return None
    body.feed_key = key
    session.flush()
    return BodyView(body.id, body.level, body.name, key)  # type: ignore[arg-type]


# ---------------------------------------------------------------- milestones


def milestones_of(session: Session, area_id: int) -> list[MilestoneView]:
    rows = session.execute(
        select(Milestone).where(Milestone.area_id == area_id).order_by(Milestone.month, Milestone.day, Milestone.id)
    ).scalars()
    return [milestone_view(m) for m in rows]


def milestone_view(m: Milestone) -> MilestoneView:
    return MilestoneView(m.id, m.title, m.month, m.day, m.level, m.description)  # type: ignore[arg-type]


def milestone_in(session: Session, area_id: int, milestone_id: int) -> Milestone | None:
    return session.execute(
        select(Milestone).where(Milestone.id == milestone_id, Milestone.area_id == area_id).with_for_update()
    ).scalar_one_or_none()


def add_milestone(session: Session, area_id: int, values: Mapping[str, Any]) -> Milestone:
    row = Milestone(area_id=area_id, **values)
    session.add(row)
    session.flush()
    return row


def change_milestone(session: Session, row: Milestone, values: Mapping[str, Any]) -> Milestone:
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return row


def remove_milestone(session: Session, row: Milestone) -> None:
    session.execute(delete(Milestone).where(Milestone.id == row.id))


# ---------------------------------------------------------------- the feeds' keys


def user_feed_key(session: Session, user_id: int) -> str | None:
    return session.execute(select(CalendarFeed.key).where(CalendarFeed.user_id == user_id)).scalar_one_or_none()


def set_user_feed_key(session: Session, user_id: int, key: str, now: datetime) -> None:
    """Give the user `key`, replacing any earlier one (which then names nothing)."""
    changed = session.execute(
        update(CalendarFeed).where(CalendarFeed.user_id == user_id).values(key=key, created_at=now)
    ).rowcount
    if not changed:
        session.add(CalendarFeed(user_id=user_id, key=key, created_at=now))
        session.flush()


def body_by_key(session: Session, slug: str, level: str, key: str) -> tuple[int, str, str, str] | None:
    """(area id, area name, body level, body name) of the body with that key, or None."""
    row = session.execute(
        select(Area.id, Area.name, Body.level, Body.name)
        .join(Body, Body.area_id == Area.id)
        .where(Area.slug == slug, Body.level == level, Body.feed_key == key)
    ).first()
    return tuple(row) if row else None  # type: ignore[return-value]


def user_by_key(session: Session, key: str) -> tuple[int, str] | None:
    """(user id, name) of the active user with that feed key, or None."""
    row = session.execute(
        select(User.id, User.name)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.key == key, User.active)
    ).first()
    return tuple(row) if row else None  # type: ignore[return-value]


def roles_of(session: Session, user_id: int) -> list[tuple[int, str]]:
    """(area id, role) of the user's active memberships."""
    rows = session.execute(
        select(Membership.area_id, Membership.role).where(Membership.user_id == user_id, Membership.active)
    ).all()
    return [(r[0], r[1]) for r in rows]


def feed_meetings(session: Session, reads: Mapping[int, tuple[str, ...]], since: datetime) -> list[FeedMeeting]:
    """The meetings since `since` of the given bodies ({area id: levels}), in time order; one query."""
    wanted = [(area_id, level) for area_id, levels in reads.items() for level in levels]
    if not wanted:
        return []
    rows = session.execute(
        select(
            Meeting.id,
            Meeting.version,
            Meeting.title,
            Body.name,
            Area.name,
            Meeting.starts_at,
            Meeting.ends_at,
            Meeting.place,
            Meeting.state,
            Meeting.cancel_reason,
        )
        .join(Body, Body.id == Meeting.body_id)
        .join(Area, Area.id == Meeting.area_id)
        .where(Meeting.starts_at >= since, or_(*(and_(Body.area_id == a, Body.level == lv) for a, lv in wanted)))
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    return [
        FeedMeeting(r[0], r[1], r[2], r[3], r[4], aware(r[5]), aware(r[6]), r[7], r[8], r[9])  # type: ignore[arg-type]
        for r in rows
    ]
