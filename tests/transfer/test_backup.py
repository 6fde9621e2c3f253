"""`samordna backup` and `samordna restore`, on SQLite and PostgreSQL: a backup restored into another database
holds the same areas (the same export document), passes the integrity check and keeps the database's own
guards (the append-only triggers); a database that holds data is not overwritten without --force; a file that is
not a backup is refused before anything is touched; an older backup is brought up to date by the migrations.

The PostgreSQL databases here are made for the test and dropped after it: never the test database itself."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from samordna.services import Services
from samordna.settings import Settings
from samordna.store.db import Database
from samordna.store.migrate import upgrade
from samordna.transfer import backup as engines
from tests.factories import World
from tests.transfer.conftest import NewDatabase, backup_name, fill_area, samordna_cli


def document(url: str, slug: str = "alfa") -> dict:
    services = Services.build(Settings(database_url=url), db=Database.from_url(url))
    try:
        doc = json.loads(services.transfer.export_bytes(slug=slug))
    finally:
        services.db.dispose()
    doc.pop("exported_at")
    return doc


def scalar(url: str, sql: str) -> object:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def test_backup_then_restore_into_an_empty_database(
    world: World,
    engine_name: str,
    new_database: NewDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fill_area(world)
    source = world.samordna.settings.database_url
    file = backup_name(engine_name, tmp_path)
    assert samordna_cli(monkeypatch, source, "backup", str(file)) == 0
    assert f"Sikkerhetskopi skrevet til {file}" in capsys.readouterr().out
    assert file.is_file() and not file.with_name(file.name + ".part").exists()
    if engine_name == "sqlite":
        assert engines.integrity(file) == []
        assert not file.with_name(file.name + "-wal").exists()  # one file, journal mode DELETE

    target = new_database()
    assert samordna_cli(monkeypatch, target, "restore", str(file)) == 0
    said = capsys.readouterr().out
    assert "Integritetssjekk:" in said and ": ok." in said and "Databasen er oppdatert (migrering" in said
    for slug in ("alfa", "beta"):
        assert document(target, slug) == document(source, slug)
    # The database's own guards came with it.
    engine = create_engine(target, poolclass=NullPool)
    try:
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("UPDATE event SET comment = 'endret'"))
    finally:
        engine.dispose()


def test_a_database_with_data_is_not_overwritten_without_force(
    world: World,
    engine_name: str,
    new_database: NewDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = world.samordna.settings.database_url
    file = backup_name(engine_name, tmp_path)
    assert samordna_cli(monkeypatch, source, "backup", str(file)) == 0
    target = new_database()
    upgrade(target)  # migrated and empty: that is still empty
    assert samordna_cli(monkeypatch, target, "restore", str(file)) == 0
    # Now it holds the world; the same restore is refused, and nothing changes.
    areas_before = scalar(target, "SELECT count(*) FROM area")
    fill_area(world)
    newer = backup_name(engine_name, tmp_path, "nyere")
    assert samordna_cli(monkeypatch, source, "backup", str(newer)) == 0
    capsys.readouterr()
    assert samordna_cli(monkeypatch, target, "restore", str(newer)) == 1
    err = capsys.readouterr().err
    assert "Feil: Databasen er ikke tom (2 områder, 7 brukere" in err and "bruk --force" in err
    assert scalar(target, "SELECT count(*) FROM measure") == 0
    assert scalar(target, "SELECT count(*) FROM area") == areas_before
    assert samordna_cli(monkeypatch, target, "restore", "--force", str(newer)) == 0
    assert document(target) == document(source)


def test_a_table_samordna_does_not_know_makes_a_database_not_empty(
    world: World, engine_name: str, new_database: NewDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = backup_name(engine_name, tmp_path)
    assert samordna_cli(monkeypatch, world.samordna.settings.database_url, "backup", str(file)) == 0
    target = new_database()
    engine = create_engine(target, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE lonn (ansatt text)"))
    engine.dispose()
    found = engines.contents(target)
    assert not found.empty and found.unknown == ["lonn"]
    assert samordna_cli(monkeypatch, target, "restore", str(file)) == 1
    assert scalar(target, "SELECT count(*) FROM lonn") == 0


def test_a_file_that_is_not_a_backup_is_refused_before_anything_is_touched(
    world: World,
    engine_name: str,
    new_database: NewDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = world.samordna.settings.database_url
    good = backup_name(engine_name, tmp_path)
    assert samordna_cli(monkeypatch, source, "backup", str(good)) == 0
    target = new_database()
    assert samordna_cli(monkeypatch, target, "restore", str(good)) == 0
    before = document(target)

    def state() -> object:
        """What the target holds, read without writing (the file's bytes on SQLite)."""
        if engine_name == "sqlite":
            return hashlib.sha256(engines.sqlite_path(target).read_bytes()).hexdigest()
        return [scalar(target, f"SELECT count(*) FROM {t}") for t in ("area", "user_account", "measure", "event")]

    data = good.read_bytes()
    empty = new_database()
    upgrade(empty)
    empty_file = backup_name(engine_name, tmp_path, "tom-database")
    engine = create_engine(empty, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # a database, but not Samordna's
    engine.dispose()
    assert samordna_cli(monkeypatch, empty, "backup", str(empty_file)) == 0
    for name, content in (
        ("ikke-samordna", empty_file.read_bytes()),
        ("tekst", b"dette er ikke en sikkerhetskopi\n"),
        ("avkuttet", data[: len(data) // 2]),
        ("tom", b""),
    ):
        bad = tmp_path / name
        bad.write_bytes(content)
        capsys.readouterr()
        held = state()
        assert samordna_cli(monkeypatch, target, "restore", "--force", str(bad)) == 1, name
        assert capsys.readouterr().err.startswith("Feil: "), name
        assert state() == held, name
    assert document(target) == before
    assert samordna_cli(monkeypatch, target, "restore", str(tmp_path / "finnes-ikke")) == 1
    assert "Fant ikke filen" in capsys.readouterr().err


def test_an_older_backup_is_migrated_after_the_restore(
    engine_name: str, new_database: NewDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = new_database()
    upgrade(old, "0005")
    file = backup_name(engine_name, tmp_path)
    assert samordna_cli(monkeypatch, old, "backup", str(file)) == 0
    target = new_database()
    assert samordna_cli(monkeypatch, target, "restore", str(file)) == 0
    head = scalar(target, "SELECT version_num FROM alembic_version")
    assert head != "0005" and head == engines.revision(target)
    assert scalar(target, "SELECT count(*) FROM body") == 0  # migration 0006's table is there


def test_backup_of_a_missing_sqlite_database_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'ingen.sqlite3'}"
    assert samordna_cli(monkeypatch, url, "backup", str(tmp_path / "b.sqlite3")) == 1
    assert "finnes ikke" in capsys.readouterr().err
    assert not (tmp_path / "ingen.sqlite3").exists()  # looking did not make it
