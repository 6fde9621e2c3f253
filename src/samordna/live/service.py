"""Who hears what on a live stream, and what a reconnecting page missed. Policy only: the SQL is in
samordna.live.repository, the rule in samordna.domain.policy (may_follow_measure), the messages come from
samordna.measures.changes.

A stream belongs to one member in one area. Each committed change of that area is offered to every open stream of
it; `visible` keeps what the member's pages would show them. A page that reconnects names the last event it got
(`Last-Event-ID`): `missed` reads what came after from the measures' event log, at most REPLAY_LIMIT of them —
past that the page is told to read itself again (None), which costs less than replaying a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from samordna.accounts.service import AccountService
from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.errors import NotFound
from samordna.i18n import gettext as _
from samordna.live import repository as repo
from samordna.measures.changes import MeasureChanged, units_involved
from samordna.store.db import Database

REPLAY_LIMIT = 200


@dataclass(frozen=True)
class Listener:
    """Who a stream is for: the user and their membership in the stream's area."""

    user_id: int
    member: MemberView

    @property
    def area_id(self) -> int:
        return self.member.area_id


class LiveService:
    def __init__(self, *, db: Database, accounts: AccountService) -> None:
        self.db = db
        self.accounts = accounts
        self.replay_limit = REPLAY_LIMIT

    def listener(self, *, actor: Actor, slug: str) -> Listener:
        """The actor's stream of the area `slug`; NotFound for an area they are no member of."""
        member = next((m for m in actor.memberships.values() if m.area_slug == slug), None)
        if member is None:
            raise NotFound(_("Fant ikke SLT-området."))
        return Listener(user_id=actor.user_id, member=member)

    def visible(self, listener: Listener, change: MeasureChanged) -> bool:
        """Whether the listener hears of `change`: their area's, and what their pages would show them."""
        if change.area_id != listener.area_id:
            return False
        return policy.may_follow_measure(
            listener.member, user_id=listener.user_id, units=change.units, registered_by=change.registered_by
        )

    def latest(self) -> int:
        """The id of the newest event: a page gives it to its stream as `since`, so a change committed between the
        page's reading and the stream's listening is replayed instead of missed."""
        with repo.reading(self.db) as conn:
            return repo.latest_event_id(conn)

    def missed(self, listener: Listener, *, after_id: int) -> list[MeasureChanged] | None:
        """The changes of the listener's area after event `after_id` that they may hear of, oldest first; None
        when more than `replay_limit` events came after it (the page should read itself again)."""
        limit = self.replay_limit
        with repo.reading(self.db) as conn:
            rows = repo.events_after(conn, area_id=listener.area_id, after_id=after_id, limit=limit + 1)
        if len(rows) > limit:
            return None
        changes = (_change(r) for r in rows)
        return [c for c in changes if self.visible(listener, c)]

    def still_open(self, listener: Listener, session: dict[str, Any] | None) -> bool:
        """Whether the stream's session still lets its user in, with the same membership in the area: the
        session exists and is fresh (samordna.web checks that), the user is active with the same password,
        and a member there with the same role and unit."""
        if not session or session.get("uid") != listener.user_id:
            return False
        found = self.accounts.actor_for_session(listener.user_id, session.get("pw", ""))
        if found is None:
            return False
        return found[0].in_area(listener.area_id) == listener.member


def _change(r: dict[str, Any]) -> MeasureChanged:
    return MeasureChanged(
        event_id=r["id"],
        area_id=r["area_id"],
        measure_id=r["measure_id"],
        ref=r["ref"],
        kind=r["trigger"],
        from_state=r["from_state"],
        to_state=r["to_state"],
        version=r["version"],
        units=units_involved(r["units"]),
        registered_by=r["created_by_id"],
        actor_id=r["actor_id"],
        actor_name=r["actor_name"],
        meeting_id=r["meeting_id"],
    )
