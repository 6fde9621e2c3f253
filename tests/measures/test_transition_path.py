"""The transition path's economy: a transition answers with the measure built from what it read and wrote
(no read-back), which must be exactly what reading the measure afterwards gives; and it costs a fixed,
small number of SQL statements, in one transaction. Counts only — no timing.

Statements are counted where the database driver sees them, not through SQLAlchemy's events: the
transition's statements are `Prepared` (samordna.store.prepared) and run on the DBAPI cursor."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text, update

from samordna.domain.errors import Conflict, NotAllowed, NotAuthenticated, NotFound
from samordna.store.models import User
from tests.factories import World, valid_data

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@contextmanager
def statements(world: World, *, transactions: list[str] | None = None) -> Iterator[list[str]]:
    """Every SQL statement the driver executes meanwhile, whoever sends it (SQLAlchemy or a prepared
    statement); BEGIN, COMMIT and the like go to `transactions` instead, when given."""
    seen: list[str] = []

    def note(statement: str) -> None:
        text = statement.strip()
        if text.startswith("--") or (seen and seen[-1] == text):
            # Python's sqlite3 traces a statement again for each trigger program it enters (measure_tally's,
            # migration 0011): run inside the one statement, not sent again.
            return
        if text.upper().startswith(TRANSACTION_CONTROL):
            if transactions is not None:
                transactions.append(text)
        else:
            seen.append(text)

    restore: list[tuple[Any, Any]] = []

    def checkout(dbapi_connection, _record, _proxy):  # type: ignore[no-untyped-def]
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(note)
            restore.append((dbapi_connection, None))
        else:  # psycopg: a cursor class that notes what it executes
            base = dbapi_connection.cursor_factory

            class Noting(base):  # type: ignore[misc, valid-type]
                def execute(self, query, params=None, **kw):  # type: ignore[no-untyped-def]
                    note(query if isinstance(query, str) else query.as_string(dbapi_connection))
                    return super().execute(query, params, **kw)

            dbapi_connection.cursor_factory = Noting
            restore.append((dbapi_connection, base))

    engine = world.samordna.db.engine
    event.listen(engine, "checkout", checkout)
    world.samordna.db.release_writer()  # SQLite's kept write connection: the next write checks one out, seen
    try:
        yield seen
    finally:
        event.remove(engine, "checkout", checkout)
        for dbapi_connection, base in restore:
            if isinstance(dbapi_connection, sqlite3.Connection):
                dbapi_connection.set_trace_callback(None)
            else:
                dbapi_connection.cursor_factory = base


def test_every_answer_equals_the_measure_read_back(world: World) -> None:
    """Along the whole path, with participating units set and changed, and an edit in between."""
    s = world.samordna
    m = world.register()  # by an executing member: allowed triggers are the caller's
    assert m == s.measures.get(actor=world.actors["executing"], measure_id=m.id)
    both = [world.unit("Politiet"), world.unit("Kultur og fritid")]
    steps = [
        ("coordination", "initiate", valid_data(world, "initiate")),
        (
            "coordination",
            "assign",
            {
                **valid_data(world, "assign"),
                "contact_user_id": world.user_ids["executing"],
                "participating_unit_ids": both,
            },
        ),
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
        m = s.measures.record_transition(actor=actor, measure_id=m.id, trigger=trigger, version=m.version, data=data)
        assert m == s.measures.get(actor=actor, measure_id=m.id), trigger
        assert m.to_json() == s.measures.get(actor=actor, measure_id=m.id).to_json(), trigger
    assert m.participating_unit_ids == sorted(both)

    edited = s.measures.edit(
        actor=world.actors["coordinator"], measure_id=m.id, version=m.version, data={"title": "Nytt navn"}
    )
    assert edited == s.measures.get(actor=world.actors["coordinator"], measure_id=m.id)
    assert (edited.title, edited.version) == ("Nytt navn", m.version + 1)


def _announced(world: World, seen: list[str]) -> list[str]:
    """`seen` without the write's announcement to the live boards, after checking it: on PostgreSQL one NOTIFY
    in the write's own transaction (samordna.live.channels.notify_in; one statement on the open connection,
    cheaper than the connection a publish after the commit would open), on SQLite none."""
    notify = [q for q in seen if "pg_notify" in q]
    assert len(notify) == (0 if world.samordna.db.engine.dialect.name == "sqlite" else 1), seen
    return [q for q in seen if "pg_notify" not in q]


def test_a_status_report_costs_four_statements(world: World) -> None:
    """Read (measure and participating units together), the versioned UPDATE, the event, the report (and on
    PostgreSQL the NOTIFY)."""
    m = world.advance(world.register(), "in_follow_up")
    with statements(world) as seen:
        world.fire("executing", m, "report_status", health="on_track", note="Bra.")
    kinds = [q.split()[0].upper() for q in _announced(world, seen)]
    assert kinds == ["SELECT", "UPDATE", "INSERT", "INSERT"], seen


def test_reading_a_measure_is_one_statement(world: World) -> None:
    m = world.fire(
        "coordination",
        world.fire("coordination", world.register(), "initiate"),
        "assign",
        **{**valid_data(world, "assign"), "participating_unit_ids": [world.unit("Politiet")]},
    )
    with statements(world) as seen:
        got = world.samordna.measures.get(actor=world.actors["coordinator"], measure_id=m.id)
    assert len(seen) == 1, seen
    assert got.participating_unit_ids == [world.unit("Politiet")]


def _table_counts(world: World) -> tuple[int, int, int]:
    with world.samordna.db.read() as s:
        return tuple(
            s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("event", "status_report", "audit_log")
        )  # type: ignore[return-value]


def test_an_api_transition_is_one_transaction_of_five_statements(world: World) -> None:
    """The API's path (`record_transition_for_token`): the token and the caller's memberships, then the
    transition's four statements (and on PostgreSQL the NOTIFY) — all in one write transaction, so one BEGIN
    (IMMEDIATE on SQLite)."""
    m = world.advance(world.register(), "in_follow_up")
    control: list[str] = []
    noted: list[int] = []
    with statements(world, transactions=control) as seen:
        after = world.samordna.measures.record_transition_for_token(
            token=world.tokens["executing"],
            measure_id=m.id,
            trigger="report_status",
            version=m.version,
            data={"health": "at_risk", "note": "Få deltakere."},
            seen=lambda actor: noted.append(actor.user_id),
        )
    kinds = [q.split()[0].upper() for q in _announced(world, seen)]
    assert kinds == ["SELECT", "SELECT", "UPDATE", "INSERT", "INSERT"], seen
    assert "api_token" in seen[0] and "measure" in seen[1]
    if world.samordna.db.engine.dialect.name == "sqlite":
        assert [c.upper() for c in control] == ["BEGIN IMMEDIATE", "COMMIT"], control
    assert noted == [world.user_ids["executing"]]
    # The same answer as the service gives an actor, and as reading the measure back.
    assert after == world.samordna.measures.get(actor=world.actors["executing"], measure_id=m.id)
    assert (after.version, after.last_health) == (m.version + 1, "at_risk")


def test_an_api_transition_with_a_bad_token_writes_nothing(world: World) -> None:
    m = world.advance(world.register(), "in_follow_up")
    with world.samordna.db.write() as s:
        s.execute(update(User).where(User.id == world.user_ids["coordinator"]).values(active=False))
    before = _table_counts(world)
    for token in ("sam_not-a-token", world.tokens["coordinator"]):  # unknown; a deactivated user's
        noted: list[int] = []
        with pytest.raises(NotAuthenticated):
            world.samordna.measures.record_transition_for_token(
                token=token,
                measure_id=m.id,
                trigger="report_status",
                version=m.version,
                data=valid_data(world, "report_status"),
                seen=lambda actor: noted.append(actor.user_id),  # noqa: B023
            )
        assert noted == []
    assert _table_counts(world) == before
    assert world.samordna.measures.get(actor=world.actors["executing"], measure_id=m.id) == m


def test_an_api_transition_refused_after_the_token_writes_nothing(world: World) -> None:
    """The caller is known (and noted for the refusal log) before the measure's checks refuse."""
    m = world.advance(world.register(), "in_follow_up")
    before = _table_counts(world)
    cases = [
        ("beta_coordinator", m.version, NotFound),  # another area's measure
        ("viewer", m.version, NotAllowed),
        ("executing", m.version - 1, Conflict),
    ]
    for who, version, refusal in cases:
        noted: list[int] = []
        with pytest.raises(refusal):
            world.samordna.measures.record_transition_for_token(
                token=world.tokens[who],
                measure_id=m.id,
                trigger="report_status",
                version=version,
                data=valid_data(world, "report_status"),
                seen=lambda actor: noted.append(actor.user_id),  # noqa: B023
            )
        assert noted == [world.user_ids[who]], who
    assert _table_counts(world) == before
