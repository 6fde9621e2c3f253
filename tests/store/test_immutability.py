"""The audit trail is immutable in the database itself (migration 0005): UPDATE and DELETE on `event`,
`audit_log` and `status_report` are refused by triggers on SQLite and PostgreSQL (TRUNCATE too on
PostgreSQL), INSERT still works, one event per (measure, version); the downgrade takes it all away
again. The security log reaches the same end by appending only: a log-in is an attempt row and then
its outcome, never a row rewritten."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from samordna.domain.errors import Throttled
from samordna.services import Services
from samordna.store.db import is_sqlite, make_engine
from samordna.store.migrate import downgrade, upgrade
from tests.conftest import PG_URL, SNAPSHOT, drop_postgres, fresh_postgres_url
from tests.factories import World
from tests.security_support import audit
from tests.web_support import PASSWORD

AUDIT_TABLES = ("event", "audit_log", "status_report")
NOW = "2026-11-23 12:00:00+00:00"
AUDIT_ROW = (
    "INSERT INTO audit_log (at, kind, subject, detail) VALUES ('2026-11-23 12:00:00+00:00', 'unit_added', 'x', '{}')"
)


def rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()]


def refused(engine: Engine, sql: str, match: str = "append-only") -> None:
    """`sql` fails in the database with an IntegrityError whose message matches `match`."""
    with pytest.raises(IntegrityError, match=match):
        with engine.begin() as conn:
            conn.execute(text(sql))


@pytest.fixture
def trail(world: World) -> World:
    """A measure in follow-up with a status report: rows in all three tables."""
    m = world.advance(world.register(), "in_follow_up")
    world.fire("executing", m, "report_status")
    with world.samordna.db.engine.begin() as conn:
        conn.execute(text(AUDIT_ROW))
    return world


# ---------------------------------------------------------------- the triggers at head


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_update_and_delete_are_refused_by_the_database(trail: World, samordna: Services, table: str) -> None:
    engine = samordna.db.engine
    before = rows(engine, table)
    assert before
    last = before[-1][0]
    for sql in (
        f"UPDATE {table} SET at = at",
        f"UPDATE {table} SET at = at WHERE id = {last}",
        f"DELETE FROM {table} WHERE id = {last}",
        f"DELETE FROM {table}",
    ):
        refused(engine, sql)
    if not is_sqlite(engine):
        # CASCADE: the way past the foreign keys that point at the table (agenda items point at events).
        refused(engine, f"TRUNCATE {table} CASCADE")
    assert rows(engine, table) == before


def test_inserts_still_work(trail: World, samordna: Services) -> None:
    engine = samordna.db.engine
    counts = {table: len(rows(engine, table)) for table in AUDIT_TABLES}
    event = rows(engine, "event")[-1]
    measure_id, actor_id, version = event[1], event[3], event[10]
    with engine.begin() as conn:
        conn.execute(text(AUDIT_ROW))
        conn.execute(
            text(
                'INSERT INTO event (measure_id, at, actor_id, "trigger", to_state, changes, data, version)'
                " VALUES (:m, :at, :a, 'edit', 'in_follow_up', '{}', '{}', :v)"
            ),
            {"m": measure_id, "at": datetime.now(UTC), "a": actor_id, "v": version + 1},
        )
        conn.execute(
            text(
                "INSERT INTO status_report (measure_id, author_id, at, health, note)"
                " VALUES (:m, :a, :at, 'on_track', '')"
            ),
            {"m": measure_id, "a": actor_id, "at": datetime.now(UTC)},
        )
    assert {table: len(rows(engine, table)) for table in AUDIT_TABLES} == {t: n + 1 for t, n in counts.items()}


def test_two_events_for_the_same_version_of_a_measure_are_refused(trail: World, samordna: Services) -> None:
    engine = samordna.db.engine
    before = rows(engine, "event")
    measure_id, actor_id, version = before[-1][1], before[-1][3], before[-1][10]
    with pytest.raises(IntegrityError, match="uq_event_measure_version|UNIQUE constraint failed: event.measure_id"):
        with engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO event (measure_id, at, actor_id, "trigger", to_state, changes, data, version)'
                    " VALUES (:m, :at, :a, 'edit', 'in_follow_up', '{}', '{}', :v)"
                ),
                {"m": measure_id, "at": datetime.now(UTC), "a": actor_id, "v": version},
            )
    assert rows(engine, "event") == before


def test_the_models_match_the_migrated_schema(samordna: Services) -> None:
    with samordna.db.engine.connect() as conn:
        # The test world's copies (tests/conftest.py) are the suite's own tables, not the schema's.
        # The search index (migration 0007) lives beside the models: SQLite's FTS5 table with its shadow
        # tables, PostgreSQL's generated column measure.search.
        def ours(name: str | None, type_: str, _parent: object) -> bool:
            if type_ == "table" and name is not None and name.startswith((SNAPSHOT, "measure_fts")):
                return False
            return not (type_ == "column" and name == "search") and name != "ix_measure_search"

        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": ours})
        assert compare_metadata(context, SQLModel.metadata) == []


# ---------------------------------------------------------------- the migration, up and down


@pytest.fixture
def scratch_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine under test, migrated by the test itself."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    url = fresh_postgres_url(PG_URL)
    yield url
    drop_postgres(url, PG_URL)


def _seed(engine: Engine) -> int:
    """An area, a user and a measure with one event (version 1); the measure's id."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO area (id, slug, name, kind, language, code, created_at)"
                f" VALUES (1, 'a', 'A', 'municipality', 'nb', 'A', '{NOW}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO user_account (id, email, name, active, created_at)"
                f" VALUES (1, 'a@example.no', 'A', true, '{NOW}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO measure (id, area_id, ref, title, need_description, knowledge_source, target_group, arena,"
                " state, version, created_at, created_by_id, updated_at, updated_by_id)"
                f" VALUES (1, 1, 'A-1', 'T', '', '', '', 'school', 'need_identified', 1, '{NOW}', 1, '{NOW}', 1)"
            )
        )
        conn.execute(text(_event(version=1)))
    return 1


def _event(version: int) -> str:
    return (
        'INSERT INTO event (measure_id, at, actor_id, "trigger", to_state, changes, data, version)'
        f" VALUES (1, '{NOW}', 1, 'create', 'need_identified', '{{}}', '{{}}', {version})"
    )


def test_the_downgrade_removes_the_triggers_and_the_upgrade_restores_them(scratch_url: str) -> None:
    upgrade(scratch_url)
    engine = make_engine(scratch_url, pooled=False)
    try:
        _seed(engine)
        with engine.begin() as conn:
            conn.execute(text(AUDIT_ROW))
        refused(engine, "UPDATE audit_log SET kind = 'changed'")
        refused(engine, "DELETE FROM event")
        refused(engine, _event(version=1), match="uq_event_measure_version|UNIQUE constraint failed")

        downgrade(scratch_url, "0004")  # below 0005, which made the triggers
        with engine.begin() as conn:
            assert conn.execute(text("UPDATE audit_log SET kind = 'changed'")).rowcount == 1
            conn.execute(text(_event(version=1)))  # a second event for version 1: nothing stops it now
            assert conn.execute(text("DELETE FROM event WHERE id = (SELECT max(id) FROM event)")).rowcount == 1
        assert [r[4] for r in rows(engine, "audit_log")] == ["changed"]

        upgrade(scratch_url)
        refused(engine, "UPDATE audit_log SET kind = 'again'")
        refused(engine, "DELETE FROM event")
        refused(engine, _event(version=1), match="uq_event_measure_version|UNIQUE constraint failed")
        with engine.begin() as conn:
            conn.execute(text(_event(version=2)))
        assert [r[10] for r in rows(engine, "event")] == [1, 2]
    finally:
        engine.dispose()


def test_the_upgrade_names_duplicate_events_instead_of_dropping_them(scratch_url: str) -> None:
    upgrade(scratch_url, "0004")
    engine = make_engine(scratch_url, pooled=False)
    try:
        _seed(engine)
        with engine.begin() as conn:
            conn.execute(text(_event(version=1)))
        with pytest.raises(RuntimeError, match=r"measure 1 version 1 \(2 events\)"):
            upgrade(scratch_url)
        assert len(rows(engine, "event")) == 2
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the security log only appends


def test_a_log_in_appends_its_outcome_to_the_attempt(samordna: Services, web_world: World) -> None:
    security = samordna.accounts
    assert security.log_in("coordinator@example.no", "feil passord", ip="192.0.2.5") is None
    first = audit(samordna)
    assert security.log_in("coordinator@example.no", PASSWORD, ip="192.0.2.5") is not None
    entries = audit(samordna)
    assert entries[: len(first)] == first  # nothing written before was changed
    coordinator = web_world.user_ids["coordinator"]
    assert [(e["kind"], e["subject"], e["ip"], e["actor_id"]) for e in entries] == [
        (kind, "coordinator@example.no", "192.0.2.5", coordinator)
        for kind in ("login_attempt", "login_failed", "login_attempt", "login")
    ]
    assert entries[1]["at"] == entries[0]["at"] and entries[3]["at"] == entries[2]["at"]
    # The log page shows the outcomes only, newest first.
    page = samordna.organisation.audit_log(actor=web_world.actors["coordinator"], slug="alfa")
    assert [e.kind for e in page.entries] == ["login", "login_failed"]


def test_an_attempt_still_being_checked_counts_as_a_failure(samordna: Services, web_world: World) -> None:
    """Five attempts whose passwords are still being checked (no outcome yet) lock the account."""
    security = samordna.accounts
    for n in range(5):
        security._attempt(email="viewer@example.no", ip=f"198.51.100.{n}")
    with pytest.raises(Throttled):
        security.log_in("viewer@example.no", PASSWORD, ip="198.51.100.99")
    assert [json.loads(e["detail"]) for e in audit(samordna, "login_throttled")] == [{}]


def test_migration_0014_back_fills_the_unit_tallies_and_its_downgrade_drops_them(scratch_url: str) -> None:
    """Measures and participations written before 0014 are counted by its back-fill, each measure once per unit
    (a responsible unit also listed as taking part counts once); the triggers then keep the counts; down and up
    again gives the same rows."""
    upgrade(scratch_url, "0013")
    engine = make_engine(scratch_url, pooled=False)
    tally = "SELECT unit_id, state, n FROM unit_tally WHERE n > 0 ORDER BY unit_id, state"
    try:
        _seed(engine)  # measure 1: no unit
        with engine.begin() as conn:
            for unit in (1, 2, 3):
                conn.execute(
                    text(
                        "INSERT INTO unit (id, area_id, name, kind, active)"
                        f" VALUES ({unit}, 1, 'U{unit}', 'municipal', true)"
                    )
                )
            for measure, unit, state in ((2, 1, "assigned"), (3, 1, "in_follow_up"), (4, "NULL", "assigned")):
                conn.execute(
                    text(
                        "INSERT INTO measure (id, area_id, ref, title, need_description, knowledge_source,"
                        " target_group, arena, state, version, created_at, created_by_id, updated_at, updated_by_id,"
                        f" responsible_unit_id) VALUES ({measure}, 1, 'A-{measure}', 'T', '', '', '', 'school',"
                        f" '{state}', 1, '{NOW}', 1, '{NOW}', 1, {unit})"
                    )
                )
            for measure, unit in ((2, 1), (2, 2), (3, 2), (4, 2), (4, 3)):
                conn.execute(text(f"INSERT INTO measure_unit (measure_id, unit_id) VALUES ({measure}, {unit})"))
        upgrade(scratch_url)
        expected = [
            (1, "assigned", 1),
            (1, "in_follow_up", 1),
            (2, "assigned", 2),
            (2, "in_follow_up", 1),
            (3, "assigned", 1),
        ]
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(text(tally))] == expected
        with engine.begin() as conn:  # kept by the triggers from here: unit 1 takes over measure 4
            conn.execute(text("UPDATE measure SET responsible_unit_id = 1 WHERE id = 4"))
        expected[0] = (1, "assigned", 2)
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(text(tally))] == expected
        downgrade(scratch_url, "0013")
        with pytest.raises(Exception, match="unit_tally"):
            with engine.connect() as conn:
                conn.execute(text("SELECT * FROM unit_tally"))
        upgrade(scratch_url)
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(text(tally))] == expected
    finally:
        engine.dispose()
