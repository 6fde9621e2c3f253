"""Every write that appends a measure event announces one MeasureChanged after its transaction commits, carrying
the event's id; a write that rolls back announces nothing (samordna.measures.changes, store.db.after_commit)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from samordna.domain.errors import Conflict, Invalid
from samordna.measures.changes import MeasureChanged
from samordna.store.db import after_commit
from tests.factories import World, valid_data


@pytest.fixture
def heard(world: World) -> Iterator[list[MeasureChanged]]:
    got: list[MeasureChanged] = []
    stop = world.samordna.measures.changes.listen(got.append)
    yield got
    stop()


def _event_ids(world: World, measure_id: int) -> list[int]:
    with world.samordna.db.read() as s:
        rows = s.execute(text("SELECT id FROM event WHERE measure_id = :m ORDER BY id"), {"m": measure_id})
        return [r[0] for r in rows]


def test_each_write_announces_its_event(world: World, heard: list[MeasureChanged]) -> None:
    m = world.register()
    m = world.fire("coordination", m, "initiate")
    m = world.fire(
        "coordination", m, "assign", **valid_data(world, "assign"), participating_unit_ids=[world.unit("Politiet")]
    )
    m = world.samordna.measures.edit(
        actor=world.actors["coordinator"], measure_id=m.id, version=m.version, data={"title": "Nytt navn"}
    )
    assert [c.kind for c in heard] == ["create", "initiate", "assign", "edit"]
    assert [c.event_id for c in heard] == _event_ids(world, m.id)
    assert [c.version for c in heard] == [1, 2, 3, 4]
    assigned = heard[2]
    assert (assigned.area_id, assigned.measure_id, assigned.ref) == (world.areas["alfa"], m.id, m.ref)
    assert (assigned.from_state, assigned.to_state) == ("initiated", "assigned")
    assert assigned.units == tuple(sorted([world.unit("Ungdomsskolene"), world.unit("Politiet")]))
    assert assigned.registered_by == world.user_ids["executing"]
    assert (assigned.actor_id, assigned.actor_name) == (world.user_ids["coordination"], "Coordination")


def test_a_reassignment_names_the_unit_before_and_after(world: World, heard: list[MeasureChanged]) -> None:
    m = world.fire("coordination", world.fire("coordination", world.register(), "initiate"), "assign")
    world.fire("coordination", m, "reassign")
    assert heard[-1].units == tuple(sorted([world.unit("Ungdomsskolene"), world.unit("Politiet")]))


def test_a_refused_write_announces_nothing(world: World, heard: list[MeasureChanged]) -> None:
    m = world.register()
    heard.clear()
    s = world.samordna.measures
    with pytest.raises(Conflict):
        s.record_transition(
            actor=world.actors["coordination"],
            measure_id=m.id,
            trigger="initiate",
            version=m.version - 1,
            data=valid_data(world, "initiate"),
        )
    with pytest.raises(Invalid):
        s.record_transition(actor=world.actors["coordination"], measure_id=m.id, trigger="initiate", version=m.version)
    assert heard == []


def test_a_write_rolled_back_after_the_event_announces_nothing(world: World, heard: list[MeasureChanged]) -> None:
    """The event was written, then the transaction failed: nothing is said, and nothing is there."""
    m = world.register()
    heard.clear()
    s = world.samordna.measures
    with pytest.raises(RuntimeError, match="after the event"):
        with world.samordna.db.write_rows() as conn:
            s.record_transition_in(
                conn,
                actor=world.actors["coordination"],
                measure_id=m.id,
                trigger="initiate",
                version=m.version,
                data=valid_data(world, "initiate"),
            )
            raise RuntimeError("after the event")
    assert heard == []
    assert len(_event_ids(world, m.id)) == 1
    world.fire("coordination", m, "initiate")  # and the next committed one is heard
    assert [c.kind for c in heard] == ["initiate"]


def test_after_commit_needs_a_write_transaction() -> None:
    with pytest.raises(RuntimeError, match="write transaction"):
        after_commit(lambda: None)


def test_a_failing_listener_does_not_undo_the_write(world: World, heard: list[MeasureChanged]) -> None:
    def boom(_change: MeasureChanged) -> None:
        raise ValueError("listener broke")

    after: list[MeasureChanged] = []
    stops = [world.samordna.measures.changes.listen(boom), world.samordna.measures.changes.listen(after.append)]
    try:
        m = world.fire("coordination", world.register(), "initiate")
    finally:
        for stop in stops:
            stop()
    assert m.state == "initiated"
    assert [c.kind for c in heard] == [c.kind for c in after] == ["create", "initiate"]  # before it and after it
