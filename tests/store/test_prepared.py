"""Prepared statements (samordna.store.prepared) read and write exactly what SQLAlchemy's own execution does,
on both engines, and refuse what they cannot do the same way."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update

from samordna.store.models import Event, Measure, StatusReport, Unit
from samordna.store.prepared import Prepared
from tests.factories import World

MEASURE = Measure.__table__


def test_rows_are_read_as_sqlalchemy_reads_them(world: World) -> None:
    m = world.fire("coordination", world.fire("coordination", world.register(), "initiate"), "assign")
    statement = select(MEASURE).where(MEASURE.c.id == bindparam("measure_id"))
    with world.samordna.db.engine.begin() as conn:
        expected = [dict(r) for r in conn.execute(statement, {"measure_id": m.id}).mappings()]
        got = Prepared(statement).mappings(conn, {"measure_id": m.id})
        assert Prepared(statement).mappings(conn, {"measure_id": -1}) == []
    assert got == expected
    assert isinstance(got[0]["due_date"], date) and isinstance(got[0]["created_at"], datetime)
    # Booleans, and a parameter SQLAlchemy binds itself (a literal in the statement).
    units = select(Unit.id, Unit.active).where(Unit.area_id == bindparam("area_id"), Unit.name != "Ingen")
    with world.samordna.db.engine.begin() as conn:
        assert Prepared(units).rows(conn, {"area_id": world.areas["alfa"]}) == [
            tuple(r) for r in conn.execute(units, {"area_id": world.areas["alfa"]})
        ]


def test_values_are_written_as_sqlalchemy_writes_them(world: World) -> None:
    m = world.register()
    at = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    row = {"measure_id": m.id, "author_id": world.user_ids["executing"], "at": at, "health": "at_risk", "note": "Æøå."}
    columns = ("measure_id", "author_id", "at", "health", "note")
    with world.samordna.db.engine.begin() as conn:
        assert Prepared(insert(StatusReport.__table__).inline(), column_keys=columns).rowcount(conn, row) == 1
        conn.execute(insert(StatusReport.__table__), {**row, "note": "Via SQLAlchemy."})
        stored = conn.execute(
            select(StatusReport.at, StatusReport.note).where(StatusReport.measure_id == m.id).order_by(StatusReport.id)
        ).all()
    assert [r.at.replace(tzinfo=UTC) for r in stored] == [at, at]  # stored alike (SQLite keeps no zone)
    assert [r.note for r in stored] == ["Æøå.", "Via SQLAlchemy."]
    bump = Prepared(
        update(MEASURE)
        .where(MEASURE.c.id == bindparam("b_id"), MEASURE.c.version == bindparam("b_version"))
        .values(
            version=MEASURE.c.version + 1,
            next_follow_up_at=bindparam("v_next", type_=MEASURE.c.next_follow_up_at.type),
        )
    )
    with world.samordna.db.engine.begin() as conn:
        assert bump.rowcount(conn, {"b_id": m.id, "b_version": m.version + 5, "v_next": date(2026, 4, 1)}) == 0
        assert bump.rowcount(conn, {"b_id": m.id, "b_version": m.version, "v_next": date(2026, 4, 1)}) == 1
    after = world.samordna.measures.get(actor=world.actors["executing"], measure_id=m.id)
    assert (after.version, after.next_follow_up_at) == (m.version + 1, date(2026, 4, 1))


def test_what_cannot_be_done_the_same_way_is_refused(world: World) -> None:
    with world.samordna.db.engine.begin() as conn:
        missing_default = Prepared(insert(Event.__table__), column_keys=("measure_id",))  # `at` has a default
        in_list = Prepared(select(Unit.id).where(Unit.id.in_(bindparam("ids", expanding=True))))
        returning = Prepared(insert(StatusReport.__table__).returning(StatusReport.id), column_keys=("note",))
        for prepared, params in ((missing_default, {"measure_id": 1}), (in_list, {"ids": [1]}), (returning, {})):
            with pytest.raises(ValueError, match="cannot prepare"):
                prepared.rows(conn, params)
        with pytest.raises(KeyError, match="measure_id"):
            Prepared(select(MEASURE.c.id).where(MEASURE.c.id == bindparam("measure_id"))).rows(conn, {})
    with world.samordna.db.engine.connect() as conn:  # not in a transaction: each statement would commit alone
        with pytest.raises(RuntimeError, match="transaction"):
            Prepared(select(MEASURE.c.id)).rows(conn, {})
