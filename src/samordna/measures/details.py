"""Everything the measure page shows, read in one transaction: the measure, the names its ids point
to, who may edit it, and its timeline (events with their status reports), newest first."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from samordna.domain import policy
from samordna.domain.actor import Actor
from samordna.domain.clock import aware
from samordna.organisation import repository as org
from samordna.store.models import Event, Measure, StatusReport, User

if TYPE_CHECKING:
    from samordna.measures.service import MeasureService, MeasureView


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened: an event (with its status report, if it made one) or a lone report."""

    kind: str  # "event" | "report"
    at: datetime
    actor_name: str
    trigger: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None
    health: str | None = None
    note: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class MeasureDetails:
    measure: MeasureView
    timeline: list[TimelineEntry]  # newest first
    goal_titles: dict[int, str]
    unit_names: dict[int, str]
    user_names: dict[int, str]
    created_by: str
    updated_by: str
    can_edit: bool  # may change the descriptive fields (`edit`)


def read_details(service: MeasureService, *, actor: Actor, measure_id: int) -> MeasureDetails:
    """The measure as `actor` may see it (NotFound outside the actor's areas) and all it refers to."""
    wf = service.workflow
    with service.db.read() as s:
        measure = service._get_in(s, actor=actor, measure_id=measure_id)
        created_by_id, updated_by_id = s.execute(
            select(Measure.created_by_id, Measure.updated_by_id).where(Measure.id == measure_id)
        ).one()
        events = s.execute(
            select(Event, User.name)
            .join(User, User.id == Event.actor_id)
            .where(Event.measure_id == measure_id)
            .order_by(Event.id)
        ).all()
        reports = s.execute(
            select(StatusReport, User.name)
            .join(User, User.id == StatusReport.author_id)
            .where(StatusReport.measure_id == measure_id)
            .order_by(StatusReport.id)
        ).all()
        goals = {g.id: g.title for g in org.goals_of(s, measure.area_id)}
        units = {u.id: u.name for u in org.units_of(s, measure.area_id)}

        # A trigger with status_report writes its event and its report in one transaction, so the
        # n-th reporting event and the n-th report belong together.
        reporting = {t.trigger for t in wf.transitions if t.status_report}
        queue = list(reports)
        timeline: list[TimelineEntry] = []
        user_ids = {created_by_id, updated_by_id, measure.contact_user_id}
        for event, name in events:
            changes = json.loads(event.changes)
            health = note = None
            if event.trigger in reporting and queue:
                report, _author = queue.pop(0)
                health, note = report.health, report.note
            if isinstance(changes.get("contact_user_id"), list):
                user_ids.update(v for v in changes["contact_user_id"] if isinstance(v, int))
            timeline.append(
                TimelineEntry(
                    kind="event",
                    at=aware(event.at),
                    actor_name=name,
                    trigger=event.trigger,
                    from_state=event.from_state,
                    to_state=event.to_state,
                    changes=changes,
                    data=json.loads(event.data),
                    comment=event.comment,
                    health=health,
                    note=note,
                    version=event.version,
                )
            )
        for report, name in queue:
            timeline.append(
                TimelineEntry(
                    kind="report", at=aware(report.at), actor_name=name, health=report.health, note=report.note
                )
            )
        user_ids.discard(None)
        users = dict(s.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}

    member = actor.in_area(measure.area_id)
    state = wf.states.get(measure.state)
    can_edit = bool(
        member
        and state
        and not state.final
        and policy.may_edit_measure(
            member, actor_id=actor.user_id, created_by_id=created_by_id, in_initial_state=measure.state == wf.initial
        )
    )
    order = {id(e): i for i, e in enumerate(timeline)}
    timeline.sort(key=lambda e: (e.at, order[id(e)]), reverse=True)
    return MeasureDetails(
        measure=measure,
        timeline=timeline,
        goal_titles=goals,  # type: ignore[arg-type]
        unit_names=units,  # type: ignore[arg-type]
        user_names=users,
        created_by=users.get(created_by_id, ""),
        updated_by=users.get(updated_by_id, ""),
        can_edit=can_edit,
    )
