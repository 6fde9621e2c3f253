"""The pool on PostgreSQL: reads without BEGIN/COMMIT (autocommit under READ COMMITTED), snapshots still
REPEATABLE READ, and a rested connection that the server closed is replaced before use (samordna.store.db)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from samordna.store import db as db_module
from samordna.store.db import Database
from tests.conftest import PG_URL, drop_postgres, fresh_postgres_url, skip_or_fail


@pytest.fixture
def pg() -> Iterator[Database]:
    if not PG_URL:
        skip_or_fail("PostgreSQL not configured: set SAMORDNA_TEST_POSTGRES_URL")
    url = fresh_postgres_url(PG_URL)
    database = Database.from_url(url)
    yield database
    database.dispose()
    drop_postgres(url, PG_URL)


def _backend(database: Database) -> int:
    with database.read_rows() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_read_sends_no_begin_and_a_snapshot_is_repeatable_read(pg: Database) -> None:
    with pg.read_rows() as conn:
        assert conn.execute(text("SELECT current_setting('transaction_isolation')")).scalar_one() == "read committed"
        # No transaction block open: PostgreSQL reports the statement's own (autocommit) transaction only.
        assert conn.execute(text("SELECT now() = statement_timestamp()")).scalar_one() is True
    with pg.read_snapshot() as conn:
        assert conn.execute(text("SELECT current_setting('transaction_isolation')")).scalar_one() == "repeatable read"
        assert conn.execute(text("SELECT now() = statement_timestamp()")).scalar_one() is False
    with pg.write_rows() as conn:  # writes are transactions as before
        assert conn.execute(text("SELECT now() = statement_timestamp()")).scalar_one() is False


def test_a_rested_connection_closed_by_the_server_is_replaced_unseen(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend(pg)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one() is True
    admin.dispose()
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)  # it has rested long enough
    assert _backend(pg) != first  # tested at checkout, found closed, replaced: the read never saw it


def test_a_connection_used_a_moment_ago_is_not_pinged(pg: Database) -> None:
    _backend(pg)
    pinged: list[int] = []
    original = pg.engine.dialect.do_ping
    pg.engine.dialect.do_ping = lambda conn: pinged.append(1) or original(conn)  # type: ignore[method-assign]
    try:
        for _ in range(3):
            _backend(pg)
    finally:
        pg.engine.dialect.do_ping = original  # type: ignore[method-assign]
    assert pinged == []


# ---------------------------------------------------------------- SQLite's kept write connection


@pytest.fixture
def lite(tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    db = Database.from_url(f"sqlite:///{tmp_path / 'kept.sqlite3'}")
    with db.write_rows() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER NOT NULL)"))
    yield db
    db.dispose()


def _count(db: Database) -> int:
    with db.read_rows() as conn:
        return conn.execute(text("SELECT count(*) FROM t")).scalar_one()


def test_sqlite_writes_share_one_connection_and_a_failed_one_leaves_nothing(lite: Database) -> None:
    with lite.write_rows() as first:
        first.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(RuntimeError), lite.write_rows() as conn:
        conn.execute(text("INSERT INTO t VALUES (2)"))
        raise RuntimeError("refused")
    with lite.write_rows() as again:
        again.execute(text("INSERT INTO t VALUES (3)"))
    assert again is first
    with lite.read_rows() as conn:
        assert conn.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 3]


def test_sqlite_options_a_write_set_do_not_reach_the_next_one(lite: Database) -> None:
    with lite.write_rows() as conn:
        conn.execution_options(yield_per=10).execute(text("INSERT INTO t VALUES (1)"))
    with lite.write_rows() as later:
        assert later is not conn and later.get_execution_options() == {}
        later.execute(text("INSERT INTO t VALUES (2)"))
    assert _count(lite) == 2
