"""Migration 0009: the database itself refuses a second digest for a user and day and a second notification of
the same key; the downgrade to 0008 removes the reminder tables and the upgrade brings them back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from samordna.store.db import make_engine
from samordna.store.migrate import downgrade, upgrade
from tests.conftest import PG_URL, drop_postgres, fresh_postgres_url

TABLES = {"notification_setting", "notification", "outbox", "job_lock"}
NOW = "2026-12-07 06:00:00+00:00"


@pytest.fixture
def scratch_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    url = fresh_postgres_url(PG_URL)
    yield url
    drop_postgres(url, PG_URL)


def test_the_database_refuses_doubles_and_the_migration_goes_both_ways(scratch_url: str) -> None:
    upgrade(scratch_url)
    engine = make_engine(scratch_url, pooled=False)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO user_account (id, email, name, active, created_at)"
                    f" VALUES (1, 'a@b.no', 'A', true, '{NOW}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO area (id, slug, name, kind, language, code, created_at)"
                    f" VALUES (1, 'a', 'A', 'municipality', 'nb', 'A', '{NOW}')"
                )
            )
        outbox = (
            "INSERT INTO outbox (user_id, digest_day, recipient, subject, language, items, message, status, attempts,"
            " next_attempt_at, created_at)"
            f" VALUES (1, '2026-12-07', 'a@b.no', 'S', 'nb', 1, 'M', 'pending', 0, '{NOW}', '{NOW}')"
        )
        note = (
            "INSERT INTO notification (user_id, area_id, kind, key, ref, title, code, created_at)"
            f" VALUES (1, 1, 'meeting', 'meeting:1', '', 'Møte', 'all', '{NOW}')"
        )
        for sql, name in ((outbox, "uq_outbox_user_day"), (note, "uq_notification_user_key")):
            with engine.begin() as conn:
                conn.execute(text(sql))
            with pytest.raises(IntegrityError, match=f"{name}|UNIQUE constraint failed"):
                with engine.begin() as conn:
                    conn.execute(text(sql))
        downgrade(scratch_url, "0008")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(scratch_url)
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
