"""Decisions taken in a meeting, notes, attendance, the minutes and their approval — on SQLite and
PostgreSQL. A decision is the measure's transition and the minutes line, in one transaction: both or neither.
Approved minutes cannot change: the service refuses, and so does the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from samordna.domain.errors import Conflict, Invalid, NotAllowed
from samordna.store.models import AgendaItem, Event
from tests.factories import World, national_id

SLOT = {"start": "09:00", "end": "11:00", "place": "Rådhuset"}
CLOSE = {"decision_note": "Tiltaket avsluttes; målet er nådd."}


def sent_meeting(world: World, body: str = "steering", days: int = 0) -> Any:
    """A meeting of `body` `days` from today, its agenda opened (generated) and sent."""
    meetings, coordinator = world.samordna.meetings, world.actors["coordinator"]
    day = world.today() + timedelta(days=days)
    meeting = meetings.plan(actor=coordinator, slug="alfa", data={"body": body, "day": day.isoformat(), **SLOT})
    opened = meetings.agenda(actor=coordinator, meeting_id=meeting.id)
    return meetings.send_agenda(actor=coordinator, meeting_id=meeting.id, version=opened.meeting.version)


def item_for(agenda: Any, measure_id: int) -> Any:
    return next(i for i in agenda.items if i.measure_id == measure_id)


def events_of(world: World, measure_id: int) -> list[Any]:
    with world.samordna.db.read() as s:
        return list(s.execute(select(Event).where(Event.measure_id == measure_id).order_by(Event.id)).scalars())


def item_row(world: World, item_id: int) -> AgendaItem:
    with world.samordna.db.read() as s:
        return s.get(AgendaItem, item_id)  # type: ignore[return-value]


def decide(world: World, agenda: Any, item: Any, measure: Any, trigger: str = "close", **kw: Any) -> Any:
    return world.samordna.meetings.record_decision(
        actor=world.actors[kw.pop("who", "coordinator")],
        meeting_id=agenda.meeting.id,
        item_id=item.id,
        trigger=trigger,
        version=kw.pop("version", measure.version),
        data=kw.pop("data", CLOSE),
        note=kw.pop("note", None),
    )


def test_a_steering_decision_in_a_meeting_changes_the_measure_with_one_event_and_one_minutes_line(
    world: World,
) -> None:
    evaluated = world.advance(world.register(title="Evaluert"), "evaluated")
    agenda = sent_meeting(world)
    item = item_for(agenda, evaluated.id)
    before = len(events_of(world, evaluated.id))
    # Without the meeting the coordinator must give the steering group's meeting date; here the meeting is it.
    closed = decide(world, agenda, item, evaluated, note="Enstemmig.")
    assert closed.state == "closed" and closed.version == evaluated.version + 1
    events = events_of(world, evaluated.id)
    assert len(events) == before + 1
    event = events[-1]
    assert event.trigger == "close" and event.meeting_id == agenda.meeting.id
    assert event.data and world.today().isoformat() in event.data
    row = item_row(world, item.id)
    assert (row.decision_trigger, row.decision_event_id, row.decided_by_id, row.note) == (
        "close",
        event.id,
        world.user_ids["coordinator"],
        "Enstemmig.",
    )
    # One decision per item: a second is refused, nothing written.
    with pytest.raises(Conflict):
        decide(world, agenda, item, closed, trigger="extend")
    assert len(events_of(world, evaluated.id)) == before + 1


@pytest.mark.parametrize("failure", ["stale", "guard", "missing", "not_allowed", "wrong_state"])
def test_a_refused_decision_writes_neither_the_transition_nor_the_minutes_line(world: World, failure: str) -> None:
    evaluated = world.advance(world.register(title="Evaluert"), "evaluated")
    agenda = sent_meeting(world)
    item = item_for(agenda, evaluated.id)
    before = len(events_of(world, evaluated.id))
    kwargs: dict[str, Any] = {
        "stale": {"version": evaluated.version - 1},
        "guard": {"data": {"decision_note": f"Gjelder {national_id()}."}},
        "missing": {"data": {}},
        "not_allowed": {"who": "steering"},
        "wrong_state": {"trigger": "start"},
    }[failure]
    expected = {"stale": Conflict, "guard": Invalid, "missing": Invalid, "not_allowed": NotAllowed}
    with pytest.raises(expected.get(failure, Conflict)) as refused:
        decide(world, agenda, item, evaluated, note="Notat som ikke skal lagres.", **kwargs)
    if failure == "guard":
        assert {e.field for e in refused.value.errors} == {"decision_note"}  # type: ignore[attr-defined]
    if failure == "stale":
        assert refused.value.current_version == evaluated.version  # type: ignore[attr-defined]
    assert len(events_of(world, evaluated.id)) == before
    assert world.samordna.measures.get(actor=world.actors["coordinator"], measure_id=evaluated.id).state == "evaluated"
    row = item_row(world, item.id)
    assert (row.decision_trigger, row.decision_event_id, row.decided_by_id, row.note) == (None, None, None, "")


def test_decisions_only_while_the_agenda_is_sent_or_the_meeting_held(world: World) -> None:
    meetings, coordinator = world.samordna.meetings, world.actors["coordinator"]
    evaluated = world.advance(world.register(title="Evaluert"), "evaluated")
    planned = meetings.plan(
        actor=coordinator, slug="alfa", data={"body": "steering", "day": world.today().isoformat(), **SLOT}
    )
    opened = meetings.agenda(actor=coordinator, meeting_id=planned.id)
    with pytest.raises(Conflict) as refused:
        decide(world, opened, item_for(opened, evaluated.id), evaluated)
    assert "sakslisten er sendt" in refused.value.message
    # A goal's status line is not a measure: a note only.
    agenda = sent_meeting(world)
    goal_item = next(i for i in agenda.items if i.kind == "goal")
    with pytest.raises(Conflict):
        decide(world, agenda, goal_item, evaluated)
    noted = meetings.save_note(actor=coordinator, meeting_id=agenda.meeting.id, item_id=goal_item.id, note="Godt.")
    assert noted.note == "Godt." and noted.decision_trigger is None
    with pytest.raises(NotAllowed):
        meetings.save_note(actor=world.actors["steering"], meeting_id=agenda.meeting.id, item_id=goal_item.id, note="")


def test_attendance_hold_and_the_minutes(world: World) -> None:
    meetings, coordinator = world.samordna.meetings, world.actors["coordinator"]
    evaluated = world.advance(world.register(title="Evaluert"), "evaluated")
    agenda = sent_meeting(world)
    decide(world, agenda, item_for(agenda, evaluated.id), evaluated)
    data = {f"status_{world.user_ids['steering']}": "present", f"status_{world.user_ids['coordinator']}": "present"}
    # Only the body's members are marked: the steering group and its secretary, not the executing level.
    data[f"status_{world.user_ids['executing']}"] = "present"
    rows = meetings.record_attendance(actor=coordinator, meeting_id=agenda.meeting.id, data={**data, "guest": "Gjest"})
    assert sorted((r.name == "Gjest", r.status) for r in rows) == [
        (False, "present"),
        (False, "present"),
        (True, "present"),
    ]
    with pytest.raises(Invalid):
        meetings.record_attendance(
            actor=coordinator, meeting_id=agenda.meeting.id, data={f"status_{world.user_ids['steering']}": "sleeping"}
        )
    held = meetings.hold(
        actor=coordinator, meeting_id=agenda.meeting.id, version=agenda.meeting.version, data={"summary": "Kort møte."}
    )
    assert held.state == "held"
    minutes = meetings.minutes(actor=world.actors["steering"], meeting_id=held.id)
    assert minutes.summary == "Kort møte." and len(minutes.attendance) == 3 and not minutes.runs
    decided = item_for(minutes.agenda, evaluated.id)
    assert decided.decision_trigger == "close" and minutes.decided_by[decided.id]
    assert minutes.decision_texts[decided.id] == CLOSE["decision_note"]
    assert sorted(uid for uid, _name in minutes.members) == sorted(
        world.user_ids[who] for who in ("coordinator", "steering")
    )


def approved(world: World) -> tuple[Any, Any]:
    """A held steering meeting whose minutes are approved in the next one: (approved, next)."""
    meetings, coordinator = world.samordna.meetings, world.actors["coordinator"]
    world.advance(world.register(title="Evaluert"), "evaluated")
    first = sent_meeting(world, days=-1)
    held = meetings.hold(actor=coordinator, meeting_id=first.meeting.id, version=first.meeting.version, data={})
    # Not in the same meeting, nor in a planned one.
    with pytest.raises(Conflict):
        meetings.approve_minutes(actor=coordinator, meeting_id=held.id, in_meeting_id=held.id, version=held.version)
    second = sent_meeting(world, days=1)
    page = meetings.minutes(actor=coordinator, meeting_id=second.meeting.id)
    assert [m.id for m in page.approvable] == [held.id]
    with pytest.raises(NotAllowed):
        meetings.approve_minutes(
            actor=world.actors["steering"], meeting_id=held.id, in_meeting_id=second.meeting.id, version=held.version
        )
    done = meetings.approve_minutes(
        actor=coordinator, meeting_id=held.id, in_meeting_id=second.meeting.id, version=held.version
    )
    assert done.state == "minutes_approved" and done.minutes_approved_at is not None
    return done, second


def test_approved_minutes_cannot_change_in_the_service(world: World) -> None:
    meetings, coordinator = world.samordna.meetings, world.actors["coordinator"]
    done, second = approved(world)
    assert meetings.minutes(actor=coordinator, meeting_id=second.meeting.id).approvable == []
    item = meetings.minutes(actor=coordinator, meeting_id=done.id).agenda.items[0]
    refusals = [
        lambda: meetings.save_note(actor=coordinator, meeting_id=done.id, item_id=item.id, note="Endret"),
        lambda: meetings.record_attendance(actor=coordinator, meeting_id=done.id, data={"guest": "Sen gjest"}),
        lambda: meetings.hold(actor=coordinator, meeting_id=done.id, version=done.version, data={}),
        lambda: meetings.approve_minutes(
            actor=coordinator, meeting_id=done.id, in_meeting_id=second.meeting.id, version=done.version
        ),
        lambda: meetings.cancel(actor=coordinator, meeting_id=done.id, version=done.version, data={"reason": "x"}),
    ]
    for attempt in refusals:
        with pytest.raises(Conflict) as refused:
            attempt()
        if "Referatet" in refused.value.message:
            assert refused.value.message == "Referatet er godkjent og kan ikke endres."
    with pytest.raises(Conflict) as refused:
        meetings.save_note(actor=coordinator, meeting_id=done.id, item_id=item.id, note="Endret")
    assert refused.value.message == "Referatet er godkjent og kan ikke endres."


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE agenda_item SET note = 'Endret' WHERE meeting_id = :m",
        "DELETE FROM agenda_item WHERE meeting_id = :m",
        "INSERT INTO attendance (meeting_id, name, status) VALUES (:m, 'Sen gjest', 'present')",
        "UPDATE meeting SET title = 'Endret' WHERE id = :m",
    ],
)
def test_approved_minutes_cannot_change_in_the_database(world: World, statement: str) -> None:
    done, _second = approved(world)
    with pytest.raises((IntegrityError, DBAPIError)) as refused:
        with world.samordna.db.engine.begin() as conn:
            conn.execute(text(statement), {"m": done.id})
    assert "agenda_item" not in statement or isinstance(refused.value, IntegrityError)
