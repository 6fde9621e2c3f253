"""The meetings service: bodies, a year from a rhythm, moving and cancelling, the agenda from the boards,
numbering and freezing — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from samordna.domain.errors import Conflict, Invalid, NotAllowed, NotFound
from samordna.store.models import AgendaRecipient, AuditEntry, Body
from tests.factories import World, national_id, valid_data

SLOT = {"start": "09:00", "end": "11:00", "place": "Rådhuset, møterom 2"}


def plan(world: World, body: str = "coordination", day: date | None = None, **extra: Any) -> Any:
    day = day or world.today() + timedelta(days=30)
    data = {"body": body, "day": day.isoformat(), **SLOT, **extra}
    return world.samordna.meetings.plan(actor=world.actors["coordinator"], slug="alfa", data=data)


def agenda(world: World, meeting_id: int, who: str = "coordinator") -> Any:
    return world.samordna.meetings.agenda(actor=world.actors[who], meeting_id=meeting_id)


def audit_kinds(world: World) -> list[str]:
    with world.samordna.db.read() as s:
        return list(s.execute(select(AuditEntry.kind).order_by(AuditEntry.id)).scalars())


def test_every_area_has_its_four_bodies_with_secret_feed_keys(world: World) -> None:
    with world.samordna.db.read() as s:
        rows = s.execute(select(Body).where(Body.area_id == world.areas["alfa"])).scalars().all()
    assert {b.level: b.name for b in rows} == {
        "steering": "Styringsgruppe (politiråd)",
        "coordination": "Koordineringsgruppe",
        "executing": "Faggruppe",
        "all": "SLT-samling",
    }
    assert len({b.feed_key for b in rows}) == 4 and all(len(b.feed_key) >= 32 for b in rows)


def test_the_coordinator_renames_a_body_in_the_areas_own_words(world: World) -> None:
    meetings = world.samordna.meetings
    steering = meetings.bodies(actor=world.actors["coordinator"], slug="alfa")[0]
    renamed = meetings.rename_body(
        actor=world.actors["coordinator"], slug="alfa", body_id=steering.id, data={"name": "Politiråd"}
    )
    assert renamed.name == "Politiråd" and "body_renamed" in audit_kinds(world)
    with pytest.raises(NotAllowed):
        meetings.rename_body(actor=world.actors["steering"], slug="alfa", body_id=steering.id, data={"name": "X"})
    with pytest.raises(NotFound):
        meetings.rename_body(
            actor=world.actors["beta_coordinator"], slug="beta", body_id=steering.id, data={"name": "X"}
        )
    with pytest.raises(Invalid):
        meetings.rename_body(actor=world.actors["coordinator"], slug="alfa", body_id=steering.id, data={"name": ""})


def test_a_year_from_a_rhythm_skips_july_and_public_holidays(world: World) -> None:
    """First Thursday of every month but July in 2027: Kristi himmelfartsdag (6 May) is a holiday."""
    data = {"body": "coordination", "year": "2027", "weekday": "3", "nth": "1", "skip_months": ["7"], **SLOT}
    result = world.samordna.meetings.plan_year(actor=world.actors["coordinator"], slug="alfa", data=data)
    days = [m.day for m in result.created]
    assert days == [
        date(2027, 1, 7),
        date(2027, 2, 4),
        date(2027, 3, 4),
        date(2027, 4, 1),
        date(2027, 6, 3),
        date(2027, 8, 5),
        date(2027, 9, 2),
        date(2027, 10, 7),
        date(2027, 11, 4),
        date(2027, 12, 2),
    ]
    assert {s.day: s.reason for s in result.skipped} == {
        date(2027, 5, 6): "Helligdag: Kristi himmelfartsdag.",
        date(2027, 7, 1): "Måneden er unntatt i rytmen.",
    }
    first = result.created[0]
    assert (first.local_start.hour, first.local_end.hour, first.local_start.utcoffset()) == (9, 11, timedelta(hours=1))
    assert result.created[5].local_start.utcoffset() == timedelta(hours=2)  # summer time in August
    assert audit_kinds(world).count("meeting_planned") == 10
    # Planned again, the days the body already meets are left out.
    again = world.samordna.meetings.plan_year(actor=world.actors["coordinator"], slug="alfa", data=data, preview=True)
    assert again.dates == [] and len(again.skipped) == 12


def test_a_rhythm_can_move_a_holiday_to_the_next_working_day_and_knows_the_last_weekday(world: World) -> None:
    meetings = world.samordna.meetings
    moved = meetings.plan_year(
        actor=world.actors["coordinator"],
        slug="alfa",
        data={"body": "steering", "year": "2027", "weekday": "3", "nth": "1", "on_holiday": "move", **SLOT},
        preview=True,
    )
    may = next(d for d in moved.dates if d.day.month == 5)
    assert (may.day, may.moved_from, may.holiday) == (date(2027, 5, 7), date(2027, 5, 6), "Kristi himmelfartsdag")
    assert moved.created == []  # a preview writes nothing
    last = meetings.plan_year(
        actor=world.actors["coordinator"],
        slug="alfa",
        data={
            "body": "all",
            "year": "2027",
            "weekday": "0",
            "nth": "5",
            "skip_months": [str(m) for m in range(1, 12)],
            **SLOT,
        },
    )
    assert [m.day for m in last.created] == [date(2027, 12, 27)]


def test_bad_rhythms_and_times_are_refused_with_every_message(world: World) -> None:
    with pytest.raises(Invalid) as refused:
        world.samordna.meetings.plan_year(
            actor=world.actors["coordinator"],
            slug="alfa",
            data={"body": "nobody", "year": "1999", "weekday": "9", "nth": "0", "start": "9", "end": "25:00"},
        )
    assert {e.field for e in refused.value.errors} == {"body", "year", "weekday", "nth", "start", "end"}
    with pytest.raises(Invalid) as refused:
        plan(world, start="11:00", end="10:00", title=f"Om {national_id()}")
    messages = {e.field: e.message for e in refused.value.errors}
    assert messages["end"] == "Møtet må slutte etter at det begynner."
    assert "fødselsnummer" in messages["title"]
    with pytest.raises(NotAllowed):
        world.samordna.meetings.plan(actor=world.actors["coordination"], slug="alfa", data={"body": "coordination"})


def test_move_and_cancel_go_through_the_workflow_and_the_audit_log(world: World) -> None:
    meetings = world.samordna.meetings
    m = plan(world)
    later = (m.day + timedelta(days=7)).isoformat()
    moved = meetings.move(
        actor=world.actors["coordinator"],
        meeting_id=m.id,
        version=m.version,
        data={"day": later, "start": "13:00", "end": "15:00", "place": "Kulturhuset"},
    )
    assert (moved.day.isoformat(), moved.local_start.hour, moved.place, moved.version) == (later, 13, "Kulturhuset", 2)
    with pytest.raises(Conflict):  # stale
        meetings.cancel(actor=world.actors["coordinator"], meeting_id=m.id, version=1, data={"reason": "Syk"})
    with pytest.raises(Invalid):  # the workflow's required reason
        meetings.cancel(actor=world.actors["coordinator"], meeting_id=m.id, version=2, data={})
    with pytest.raises(NotAllowed):
        meetings.cancel(actor=world.actors["coordination"], meeting_id=m.id, version=2, data={"reason": "Syk"})
    cancelled = meetings.cancel(
        actor=world.actors["coordinator"], meeting_id=m.id, version=2, data={"reason": "For få kunne komme."}
    )
    assert (cancelled.state, cancelled.cancel_reason) == ("cancelled", "For få kunne komme.")
    with pytest.raises(Conflict):
        meetings.move(actor=world.actors["coordinator"], meeting_id=m.id, version=3, data={"day": later, **SLOT})
    assert audit_kinds(world)[-3:] == ["meeting_planned", "meeting_moved", "meeting_cancelled"]


def test_who_reads_which_bodys_meetings(world: World) -> None:
    meetings = world.samordna.meetings
    ids = {level: plan(world, level).id for level in ("steering", "coordination", "executing", "all")}
    readable = {
        "coordinator": {"steering", "coordination", "executing", "all"},
        "steering": {"steering", "all"},
        "coordination": {"coordination", "all"},
        "executing": {"executing", "all"},
        "viewer": {"steering", "all"},
    }
    for who, levels in readable.items():
        for level, meeting_id in ids.items():
            if level in levels:
                assert meetings.get(actor=world.actors[who], meeting_id=meeting_id).body.level == level
            else:
                with pytest.raises(NotAllowed):
                    meetings.get(actor=world.actors[who], meeting_id=meeting_id)
        page = meetings.overview(actor=world.actors[who], slug="alfa")
        assert {b.body.level for b in page.bodies} == levels
    with pytest.raises(NotFound):
        meetings.get(actor=world.actors["beta_coordinator"], meeting_id=ids["all"])


def _measures(world: World) -> dict[str, Any]:
    """One measure for each way of (not) needing the coordination group on a day 30 days ahead."""
    w = world
    out = {
        "need": w.register(title="Nytt behov"),
        "initiated": w.advance(w.register(title="Startet uten ansvar"), "initiated"),
        "overdue": w.advance(w.register(title="Oppfølging forfalt"), "assigned"),  # follow-up in 14 days
        "under_evaluation": w.advance(w.register(title="Til evaluering"), "under_evaluation"),
        "evaluated": w.advance(w.register(title="Evaluert"), "evaluated"),
        "closed": w.advance(w.register(title="Avsluttet"), "closed"),
        "declined": w.fire("coordination", w.register(title="Avslått"), "decline"),
    }
    running = w.advance(w.register(title="Avviker"), "initiated")  # its next follow-up after the meeting
    running = w.fire("coordination", running, "assign", **{**valid_data(w, "assign"), "follow_up_days": 60})
    running = w.fire("executing", running, "start")
    running = w.fire("executing", running, "report_status", health="off_track", note="Få deltakere.")
    out["off_track"] = running
    on_track = w.advance(w.register(title="Går fint"), "initiated")
    out["on_track"] = w.fire("coordination", on_track, "assign", **{**valid_data(w, "assign"), "follow_up_days": 60})
    return out


def test_a_coordination_agenda_lists_exactly_the_measures_that_need_the_group(world: World) -> None:
    m = _measures(world)
    meeting = plan(world, "coordination")
    items = agenda(world, meeting.id).items
    by_measure = {i.measure_id: i.reason for i in items}
    assert by_measure == {
        m["need"].id: "need_identified",
        m["initiated"].id: "without_responsibility",
        m["overdue"].id: "overdue",
        m["off_track"].id: "off_track",
        m["under_evaluation"].id: "under_evaluation",
    }
    assert all(i.kind == "measure" and i.number is None for i in items)
    assert items[0].measure_ref and items[0].title == "Nytt behov"
    # A meeting before the follow-up date: that follow-up is not overdue yet.
    early = plan(world, "coordination", day=world.today() + timedelta(days=3))
    assert m["overdue"].id not in {i.measure_id for i in agenda(world, early.id).items}
    # Steering: the evaluated measure, and a status line per active goal.
    steering = agenda(world, plan(world, "steering").id).items
    assert [(i.kind, i.measure_id or i.goal_id) for i in steering] == [
        ("measure", m["evaluated"].id),
        ("goal", world.goals["alfa"]),
    ]
    assert steering[1].text.startswith("7 tiltak:") or "tiltak:" in steering[1].text
    for level in ("executing", "all"):
        assert agenda(world, plan(world, level).id).items == []


def test_regenerating_keeps_free_items_and_order_and_follows_the_boards(world: World) -> None:
    meetings, coordinator = world.samordna.meetings, world.actors["coordinator"]
    first = world.register(title="Første behov")
    meeting = plan(world)
    assert [i.measure_id for i in agenda(world, meeting.id).items] == [first.id]
    free = meetings.add_item(
        actor=coordinator, meeting_id=meeting.id, data={"kind": "orientation", "title": "Ungdata 2027", "text": "Kort."}
    )
    order = meetings.move_item(actor=coordinator, meeting_id=meeting.id, item_id=free.id, direction="up")
    assert [i.kind for i in order] == ["orientation", "measure"]
    second = world.register(title="Andre behov")
    world.fire("coordination", first, "decline")
    items = agenda(world, meeting.id).items
    assert [(i.kind, i.measure_id) for i in items] == [("orientation", None), ("measure", second.id)]
    with pytest.raises(Conflict):  # a generated item is not removed by hand
        meetings.remove_item(actor=coordinator, meeting_id=meeting.id, item_id=items[1].id)
    with pytest.raises(Invalid) as refused:
        meetings.add_item(actor=coordinator, meeting_id=meeting.id, data={"kind": "gossip", "title": national_id()})
    assert {e.field for e in refused.value.errors} == {"kind", "title"}
    with pytest.raises(NotAllowed):
        meetings.add_item(
            actor=world.actors["coordination"], meeting_id=meeting.id, data={"kind": "orientation", "title": "X"}
        )
    meetings.remove_item(actor=coordinator, meeting_id=meeting.id, item_id=free.id)
    assert [i.measure_id for i in agenda(world, meeting.id).items] == [second.id]
    # Reading the agenda as a member of the group changes nothing.
    third = world.register(title="Tredje behov")
    assert third.id not in {i.measure_id for i in agenda(world, meeting.id, "coordination").items}


def _statements(world: World, meeting_id: int) -> int:
    """The SQL statements one opening of the agenda by the coordinator costs."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = world.samordna.db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        agenda(world, meeting_id)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(seen)


def test_an_agenda_costs_the_same_statements_for_2_items_and_for_30(world: World) -> None:
    """Generated items are written in one statement, so opening an agenda (first, and again) costs the same
    number of statements whatever it shows (bench/agenda.py has the figures)."""
    counts, shown = [], []
    for more in (2, 28):
        for _ in range(more):
            world.register(title="Behov")
        meeting = plan(world)
        counts.append((_statements(world, meeting.id), _statements(world, meeting.id)))
        shown.append(len(agenda(world, meeting.id).items))
    assert shown == [2, 30]
    assert counts[0] == counts[1], counts
    assert counts[0][1] < counts[0][0]  # nothing to write the second time


def test_sending_numbers_per_body_and_year_records_recipients_and_freezes(world: World) -> None:
    meetings, coordinator = world.samordna.meetings, world.actors["coordinator"]
    world.register(title="Behov A")
    world.register(title="Behov B")
    day = date(world.today().year + 1, 3, 10)
    first = plan(world, day=day)
    meetings.add_item(actor=coordinator, meeting_id=first.id, data={"kind": "decision", "title": "Møteplan"})
    opened = agenda(world, first.id)
    sent = meetings.send_agenda(actor=coordinator, meeting_id=first.id, version=opened.meeting.version)
    yy = day.year % 100
    assert [i.label for i in sent.items] == [f"Sak 01/{yy}", f"Sak 02/{yy}", f"Sak 03/{yy}"]
    assert sent.frozen and not sent.editable and sent.meeting.state == "agenda_sent"
    assert {r.user_id for r in sent.recipients} == {world.user_ids["coordinator"], world.user_ids["coordination"]}
    second = plan(world, day=day + timedelta(days=28))
    world.register(title="Behov C")
    opened = agenda(world, second.id)
    sent2 = meetings.send_agenda(actor=coordinator, meeting_id=second.id, version=opened.meeting.version)
    assert [i.number for i in sent2.items] == [4, 5, 6]
    # Another body counts from 1; so does the same body in another year.
    steering = plan(world, "steering", day=day)
    assert [i.number for i in meetings.send_agenda(actor=coordinator, meeting_id=steering.id, version=1).items][:1] == [
        1
    ]
    next_year = plan(world, day=date(day.year + 1, 1, 12))
    opened = agenda(world, next_year.id)
    assert (
        meetings.send_agenda(actor=coordinator, meeting_id=next_year.id, version=opened.meeting.version).items[0].label
        == f"Sak 01/{yy + 1}"
    )
    # Frozen: no change, no second sending; the new need is not added to the sent agenda.
    with pytest.raises(Conflict) as refused:
        meetings.add_item(actor=coordinator, meeting_id=first.id, data={"kind": "orientation", "title": "Sent"})
    assert "Sakslisten er sendt" in refused.value.message
    with pytest.raises(Conflict):
        meetings.move_item(actor=coordinator, meeting_id=first.id, item_id=sent.items[0].id, direction="down")
    with pytest.raises(Conflict):
        meetings.send_agenda(actor=coordinator, meeting_id=first.id, version=sent.meeting.version)
    assert [i.label for i in agenda(world, first.id).items] == [i.label for i in sent.items]
    with world.samordna.db.read() as s:
        assert s.execute(select(AgendaRecipient).where(AgendaRecipient.meeting_id == first.id)).all()
    # A stale send is refused.
    third = plan(world, day=day + timedelta(days=56))
    with pytest.raises(Conflict):
        meetings.send_agenda(actor=coordinator, meeting_id=third.id, version=99)
