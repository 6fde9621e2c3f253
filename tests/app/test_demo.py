"""The demo area is written through the services, the meetings included: a year planned from each body's
rhythm, the meetings that have been held with agendas from the boards of their day, the steering group's
decisions recorded from the agenda (one event carrying the meeting, one minutes line), the minutes approved
at the next meeting; loading it again changes nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from samordna.accounts.repository import load_actor
from samordna.demo import SLUG, load_demo
from samordna.services import Services
from samordna.store.models import AgendaItem, Event, Meeting, User

pytestmark = pytest.mark.slow


def counts(samordna: Services) -> tuple[int, int, int]:
    with samordna.db.read() as s:
        return (
            s.execute(select(func.count()).select_from(Meeting)).scalar_one(),
            s.execute(select(func.count()).select_from(AgendaItem)).scalar_one(),
            s.execute(select(func.count()).select_from(Event)).scalar_one(),
        )


def test_the_demo_runs_its_meetings_through_the_services(samordna: Services) -> None:
    out = io.StringIO()
    load_demo(samordna, out)
    assert "40 tiltak og" in out.getvalue()
    with samordna.db.read() as s:
        coordinator = next(iter(s.execute(select(Meeting.created_by_id)).scalars()))
        actor = load_actor(s, s.get(User, coordinator))
    overview = samordna.meetings.overview(actor=actor, slug=SLUG)
    now = samordna.clock.now()
    assert {b.body.level for b in overview.bodies} == {"steering", "coordination", "executing", "all"}
    for b in overview.bodies:
        past = sorted(b.past, key=lambda m: m.starts_at)
        if not past:
            continue
        # Every meeting that has been is held; all but the last have their minutes approved.
        assert [m.state for m in past] == ["minutes_approved"] * (len(past) - 1) + ["held"], b.body.level
        for m in past:
            agenda = samordna.meetings.agenda(actor=actor, meeting_id=m.id)
            assert agenda.frozen and agenda.recipients, m.title
            assert all(i.label.startswith("Sak ") for i in agenda.items)
        coming = [m for m in b.coming if m.state != "cancelled"]
        assert all(m.starts_at > now and m.state in ("planned", "agenda_sent") for m in coming)
    coordination = next(b for b in overview.bodies if b.body.level == "coordination")
    cancelled = [m for m in coordination.coming if m.state == "cancelled"]
    assert len(cancelled) == 1 and cancelled[0].cancel_reason
    assert len({m.local_start.month for m in coordination.past + coordination.coming if m.local_start.month == 7}) == 0

    # The steering group's decisions were taken in its meetings: the event carries the meeting, the minutes
    # line points to the event, and the decision log shows both.
    with samordna.db.read() as s:
        decided = list(s.execute(select(Event).where(Event.meeting_id.is_not(None))).scalars())
        lines = {i.decision_event_id: i for i in s.execute(select(AgendaItem)).scalars() if i.decision_event_id}
    assert decided, "no decision was recorded in a meeting"
    for event in decided:
        assert event.trigger == "close" and lines[event.id].measure_id == event.measure_id
        assert lines[event.id].meeting_id == event.meeting_id
    log = samordna.boards.decision_log(actor=actor, slug=SLUG)
    assert {d.event_id for d in log.decisions if d.meeting_id} == {e.id for e in decided}

    before = counts(samordna)
    again = io.StringIO()
    load_demo(samordna, again)
    assert "ingenting er endret" in again.getvalue()
    assert counts(samordna) == before
