"""Who is asking: a user and their active memberships. Pure data, built by the accounts repository."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class MemberView:
    area_id: int
    area_slug: str
    area_name: str
    role: str
    unit_id: int | None
    unit_name: str | None


@dataclass(frozen=True)
class Actor:
    """Who is asking: the user and their active memberships, keyed by area id."""

    user_id: int
    name: str
    email: str
    memberships: dict[int, MemberView]

    def in_area(self, area_id: int) -> MemberView | None:
        return self.memberships.get(area_id)


@dataclass(frozen=True)
class AreaView:
    """An area as one of its members sees it, with their role there."""

    id: int
    slug: str
    name: str
    kind: str
    language: str
    role: str
    unit_id: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
