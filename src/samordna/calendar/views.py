"""What the calendar room hands out: frozen views of bodies, meetings and milestones, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BodyView:
    id: int
    level: str
    name: str
    feed_key: str | None  # only for those who may see the body's calendar address


@dataclass(frozen=True)
class MeetingMark:
    """A meeting on the wheel and in the list: times in the area's time zone."""

    id: int
    level: str
    body_name: str
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    state: str


@dataclass(frozen=True)
class MilestoneView:
    id: int
    title: str
    month: int
    day: int | None
    level: str | None
    description: str


@dataclass(frozen=True)
class MonthView:
    number: int
    meetings: tuple[MeetingMark, ...]
    milestones: tuple[MilestoneView, ...]


@dataclass(frozen=True)
class WheelView:
    """The årshjul of one area and year, as one member may see it."""

    area_slug: str
    area_name: str
    year: int
    role: str
    levels: tuple[str, ...]  # the body levels this member reads, in order
    bodies: tuple[BodyView, ...]  # those bodies (with their feed keys)
    months: tuple[MonthView, ...]  # January to December
    milestones: tuple[MilestoneView, ...]
    may_manage: bool  # milestones and the bodies' calendar addresses
    user_feed_key: str | None  # the member's own calendar address, once made


@dataclass(frozen=True)
class FeedMeeting:
    """A meeting as a calendar feed lists it (times in UTC)."""

    id: int
    version: int
    title: str
    body_name: str
    area_name: str
    starts_at: datetime
    ends_at: datetime
    place: str
    state: str
    cancel_reason: str | None


@dataclass(frozen=True)
class Feed:
    name: str
    meetings: tuple[FeedMeeting, ...]
