"""The application's services in one object: each call is one read or one write transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from samordna.services import org
from samordna.services.accounts import Actor, actor_for_token, load_actor
from samordna.services.measures import EventView, MeasureService, MeasureView
from samordna.services.security import SecurityService
from samordna.settings import Settings
from samordna.store.db import Database
from samordna.store.models import User
from samordna.workflow import Workflow, load_workflows


class Samordna:
    def __init__(self, *, settings: Settings, db: Database, workflows: dict[str, Workflow]) -> None:
        self.settings = settings
        self.db = db
        self.workflows = workflows
        self.workflow = workflows["measure"]
        self.tz = ZoneInfo(settings.timezone)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.measures = MeasureService(workflow=self.workflow, now=self.now, today=self.today)
        self.security = SecurityService(db=db, now=self.now)  # log-in, passwords, throttling, security log

    @classmethod
    def from_settings(cls, settings: Settings) -> Samordna:
        return cls(
            settings=settings,
            db=Database.from_url(settings.database_url, pool_size=settings.db_pool_size),
            workflows=load_workflows(settings.workflows_dir),
        )

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    def ping(self) -> None:
        """One round trip to the database (the health check); raises when it does not answer."""
        with self.db.read() as s:
            s.execute(text("SELECT 1"))

    # ------------------------------------------------------------ who is asking

    def actor_for_token(self, token: str) -> Actor:
        with self.db.read() as s:
            return actor_for_token(s, token)

    def actor_for_user(self, user_id: int) -> Actor | None:
        """The actor behind a browser session, or None once the user is deactivated."""
        with self.db.read() as s:
            user = s.get(User, user_id)
            return load_actor(s, user) if user is not None and user.active else None

    def set_language(self, user_id: int, lang: str) -> None:
        with self.db.write() as s:
            user = s.get(User, user_id)
            if user is not None:
                user.language = lang

    # ------------------------------------------------------------ organisation

    def areas(self, actor: Actor) -> list[org.AreaView]:
        with self.db.read() as s:
            return org.areas_of(s, actor)

    def units(self, actor: Actor, slug: str) -> list[org.UnitView]:
        with self.db.read() as s:
            return org.units_of(s, org.area_for(s, actor, slug).id)  # type: ignore[arg-type]

    def goals(self, actor: Actor, slug: str) -> list[org.GoalView]:
        with self.db.read() as s:
            return org.goals_of(s, org.area_for(s, actor, slug).id)  # type: ignore[arg-type]

    def form_choices(self, actor: Actor, slug: str) -> dict[str, list[Any]]:
        """What the area's forms offer: active goals, active units, members (one read)."""
        with self.db.read() as s:
            area_id = org.area_for(s, actor, slug).id
            return {
                "goals": [g for g in org.goals_of(s, area_id) if g.active],  # type: ignore[arg-type]
                "units": [u for u in org.units_of(s, area_id) if u.active],  # type: ignore[arg-type]
                "members": org.members_of(s, area_id),  # type: ignore[arg-type]
            }

    def create_goal(self, actor: Actor, slug: str, data: Mapping[str, Any]) -> org.GoalView:
        from samordna.services.admin import create_goal_in  # audited, like every organisation change

        with self.db.write() as s:
            return create_goal_in(s, actor=actor, area=org.area_for(s, actor, slug), data=data, today=self.today())

    # ------------------------------------------------------------ measures

    def find_measures(self, actor: Actor, slug: str, **filters: Any) -> list[MeasureView]:
        with self.db.read() as s:
            area = org.area_for(s, actor, slug)
            return self.measures.find(s, actor=actor, area_id=area.id, **filters)  # type: ignore[arg-type]

    def get_measure(self, actor: Actor, measure_id: int) -> MeasureView:
        with self.db.read() as s:
            return self.measures.get(s, actor=actor, measure_id=measure_id)

    def measure_events(self, actor: Actor, measure_id: int) -> list[EventView]:
        with self.db.read() as s:
            return self.measures.events(s, actor=actor, measure_id=measure_id)

    def register_need(
        self, actor: Actor, slug: str, data: Mapping[str, Any], comment: str | None = None
    ) -> MeasureView:
        with self.db.write() as s:
            area = org.area_for(s, actor, slug)
            return self.measures.create(s, actor=actor, area_id=area.id, data=data, comment=comment)  # type: ignore[arg-type]

    def edit_measure(
        self, actor: Actor, measure_id: int, *, version: int, data: Mapping[str, Any], comment: str | None = None
    ) -> MeasureView:
        with self.db.write() as s:
            return self.measures.edit(
                s, actor=actor, measure_id=measure_id, version=version, data=data, comment=comment
            )

    def record_transition(
        self,
        actor: Actor,
        measure_id: int,
        *,
        trigger: str,
        version: int,
        data: Mapping[str, Any] | None = None,
        comment: str | None = None,
    ) -> MeasureView:
        with self.db.write_rows() as conn:
            return self.measures.fire(
                conn, actor=actor, measure_id=measure_id, trigger=trigger, version=version, data=data, comment=comment
            )

    def record_transition_for_token(
        self,
        token: str,
        measure_id: int,
        *,
        trigger: str,
        version: int,
        data: Mapping[str, Any] | None = None,
        comment: str | None = None,
        seen: Callable[[Actor], None] | None = None,
    ) -> MeasureView:
        """`record_transition` for the holder of an API token, looked up inside the transition's own
        transaction: one transaction per API transition instead of a read for the token and a write.

        NotAuthenticated (nothing written) for an unknown or revoked token or a deactivated user, exactly as
        `actor_for_token`; `seen` learns the actor before any check on the measure runs (the refusal log)."""
        with self.db.write_rows() as conn:
            actor = actor_for_token(conn, token)
            if seen is not None:
                seen(actor)
            return self.measures.fire(
                conn, actor=actor, measure_id=measure_id, trigger=trigger, version=version, data=data, comment=comment
            )
