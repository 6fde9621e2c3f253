"""The transition path's economy: a transition answers with the measure built from what it read and wrote
(no read-back), which must be exactly what reading the measure afterwards gives; and it costs a fixed,
small number of SQL statements. Counts only — no timing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from tests.factories import World, valid_data


@contextmanager
def statements(world: World) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    engine = world.samordna.db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_every_answer_equals_the_measure_read_back(world: World) -> None:
    """Along the whole path, with participating units set and changed, and an edit in between."""
    s = world.samordna
    m = world.register()  # by an executing member: allowed triggers are the caller's
    assert m == s.get_measure(world.actors["executing"], m.id)
    both = [world.unit("Politiet"), world.unit("Kultur og fritid")]
    steps = [
        ("coordination", "initiate", valid_data(world, "initiate")),
        ("coordination", "assign", {**valid_data(world, "assign"), "contact_user_id": world.user_ids["executing"],
                                    "participating_unit_ids": both}),
        ("coordination", "reassign", {"responsible_unit_id": world.unit("Ungdomsskolene"), "reason": "Bytte."}),
        ("executing", "start", {}),
        ("executing", "report_status", {"health": "at_risk", "note": "Få deltakere."}),
        ("coordination", "pause", {"reason": "Venter på midler."}),
        ("coordination", "resume", {}),
        ("executing", "request_evaluation", {"note": "Perioden er over."}),
        ("coordination", "submit_evaluation", valid_data(world, "submit_evaluation")),
        ("steering", "extend", valid_data(world, "extend")),
    ]
    for who, trigger, data in steps:
        actor = world.actors[who]
        m = s.record_transition(actor, m.id, trigger=trigger, version=m.version, data=data)
        assert m == s.get_measure(actor, m.id), trigger
        assert m.to_json() == s.get_measure(actor, m.id).to_json(), trigger
    assert m.participating_unit_ids == sorted(both)

    edited = s.edit_measure(world.actors["coordinator"], m.id, version=m.version, data={"title": "Nytt navn"})
    assert edited == s.get_measure(world.actors["coordinator"], m.id)
    assert (edited.title, edited.version) == ("Nytt navn", m.version + 1)


def test_a_status_report_costs_four_statements(world: World) -> None:
    """Read (measure and participating units together), the versioned UPDATE, the event, the report."""
    m = world.advance(world.register(), "in_follow_up")
    with statements(world) as seen:
        world.fire("executing", m, "report_status", health="on_track", note="Bra.")
    assert len(seen) == 4, seen
    kinds = [q.split()[0].upper() for q in seen]
    assert kinds == ["SELECT", "UPDATE", "INSERT", "INSERT"], seen


def test_reading_a_measure_is_one_statement(world: World) -> None:
    m = world.fire("coordination", world.fire("coordination", world.register(), "initiate"), "assign",
                   **{**valid_data(world, "assign"), "participating_unit_ids": [world.unit("Politiet")]})
    with statements(world) as seen:
        got = world.samordna.get_measure(world.actors["coordinator"], m.id)
    assert len(seen) == 1, seen
    assert got.participating_unit_ids == [world.unit("Politiet")]
