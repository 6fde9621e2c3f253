"""What the organisation feature hands its callers: plain frozen views, no ORM objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class UnitView:
    id: int
    name: str
    kind: str
    active: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GoalView:
    id: int
    title: str
    description: str
    period_from: int
    period_to: int
    priority: int
    active: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MemberChoice:
    user_id: int
    name: str
    role: str
    unit_id: int | None


@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    kind: str
    active: bool
    members: int  # active members of the unit


@dataclass(frozen=True)
class MemberRow:
    id: int  # the membership
    user_id: int
    name: str
    email: str
    role: str
    unit_id: int | None
    unit_name: str | None
    unit_active: bool
    active: bool  # the membership
    user_active: bool


@dataclass(frozen=True)
class MembersPage:
    members: list[MemberRow]
    units: list[UnitRow]


@dataclass(frozen=True)
class MemberAdded:
    member: MemberRow
    new_user: bool
    password: str | None  # a new user's one-time password: shown once, stored only as its hash


@dataclass(frozen=True)
class MemberChanged:
    member: MemberRow
    user_deactivated: bool = False
    user_reactivated: bool = False


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    kind: str
    actor_name: str | None
    subject: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditRow]
    older: int | None  # `before` for the next page, or None at the oldest entry
