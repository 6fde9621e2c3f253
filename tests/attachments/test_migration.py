"""Migration 0010 on both engines: the attachment table with its indexes comes and goes with the upgrade and
the downgrade to 0009, and the database itself holds an attachment to exactly one measure or one meeting
(ck_attachment_owner). (That the migrated schema is the models' own is tests/store/test_immutability.py's.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from samordna.services import Services
from samordna.settings import Settings
from samordna.store.migrate import downgrade, upgrade
from tests.conftest import PG_URL, drop_postgres, fresh_postgres_url
from tests.factories import build_world

INDEXES = {"ix_attachment_measure", "ix_attachment_meeting", "ix_attachment_sha256"}
INSERT = text(
    "INSERT INTO attachment (area_id, measure_id, meeting_id, filename, kind, content_type, size, sha256,"
    " created_at, created_by_id) VALUES (:area, :measure, :meeting, 'Rapport.pdf', 'pdf', 'application/pdf', 3,"
    " :sha, '2026-12-05 12:00:00+00:00', :user)"
)


@pytest.fixture
def scratch_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    url = fresh_postgres_url(PG_URL)
    yield url
    drop_postgres(url, PG_URL)


def tables(samordna: Services) -> set[str]:
    return set(inspect(samordna.db.engine).get_table_names())


def test_0010_goes_up_and_down_and_the_database_holds_one_owner(scratch_url: str, tmp_path: Path) -> None:
    upgrade(scratch_url, "0009")
    samordna = Services.build(Settings(database_url=scratch_url, secret_key="m" * 40, data_dir=tmp_path / "data"))
    try:
        assert "attachment" not in tables(samordna)
        upgrade(scratch_url, "0010")
        samordna.db.engine.dispose()  # the inspector's connection saw the old schema
        assert "attachment" in tables(samordna)
        found = {i["name"] for i in inspect(samordna.db.engine).get_indexes("attachment")}
        assert found >= INDEXES
        checks = {c["name"] for c in inspect(samordna.db.engine).get_check_constraints("attachment")}
        assert "ck_attachment_owner" in checks

        world = build_world(samordna)
        measure = world.register()
        day = (world.today() + timedelta(days=7)).isoformat()
        meeting = samordna.meetings.plan(
            actor=world.actors["coordinator"],
            slug="alfa",
            data={"body": "all", "day": day, "start": "09:00", "end": "10:00"},
        )
        owner = {"area": world.areas["alfa"], "user": world.user_ids["coordinator"]}
        with samordna.db.engine.begin() as conn:  # one owner: kept
            conn.execute(INSERT, {**owner, "measure": measure.id, "meeting": None, "sha": "a" * 64})
            conn.execute(INSERT, {**owner, "measure": None, "meeting": meeting.id, "sha": "b" * 64})
        for measure_id, meeting_id in ((None, None), (measure.id, meeting.id)):  # none, or both: refused
            with pytest.raises(IntegrityError, match="ck_attachment_owner"), samordna.db.engine.begin() as conn:
                conn.execute(INSERT, {**owner, "measure": measure_id, "meeting": meeting_id, "sha": "c" * 64})
        with samordna.db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM attachment")).scalar_one() == 2

        samordna.db.engine.dispose()
        downgrade(scratch_url, "0009")
        assert "attachment" not in tables(samordna)
        samordna.db.engine.dispose()
        upgrade(scratch_url, "0010")
        with samordna.db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM attachment")).scalar_one() == 0
    finally:
        samordna.db.dispose()
