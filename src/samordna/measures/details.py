"""Everything the measure page shows, read in one transaction: the measure, the names its ids point
to, who may edit it, and its timeline (events with their status reports), newest first."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from samordna.domain import policy
from samordna.domain.actor import Actor
from samordna.domain.clock import aware
from samordna.measures import repository as repo
from samordna.measures.views import MeasureDetails, TimelineEntry

if TYPE_CHECKING:
    from samordna.measures.service import MeasureService


def read_details(service: MeasureService, *, actor: Actor, measure_id: int) -> MeasureDetails:
    """The measure as `actor` may see it (NotFound outside the actor's areas) and all it refers to."""
    wf = service.workflow
    with service.db.read() as s:
        measure = service._get_in(s, actor=actor, measure_id=measure_id)
        rows = repo.page_rows(s, measure_id=measure_id, area_id=measure.area_id)
        created_by_id, updated_by_id = rows.created_by_id, rows.updated_by_id

        # A trigger with the status_report callback writes its event and its report in one transaction, so
        # the n-th reporting event and the n-th report belong together.
        reporting = {t.trigger for t in wf.transitions if t.calls("status_report")}
        queue = list(rows.reports)
        timeline: list[TimelineEntry] = []
        user_ids = {created_by_id, updated_by_id, measure.contact_user_id}
        for event, name in rows.events:
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
        users = repo.user_names(s, user_ids)

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
        goal_titles=rows.goal_titles,
        unit_names=rows.unit_names,
        user_names=users,
        created_by=users.get(created_by_id, ""),
        updated_by=users.get(updated_by_id, ""),
        can_edit=can_edit,
    )
