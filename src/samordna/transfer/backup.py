"""Backups of the whole database and restoring them, per engine: SQLite through its online backup API
(`sqlite3.Connection.backup`: one step, one read transaction, so a consistent copy while the server keeps
writing in WAL mode — never a file copy), PostgreSQL through `pg_dump --format=custom` and `pg_restore`
run as one `psql --single-transaction` (everything or nothing). Knows the engines, not the areas.

A backup also says which attachments' files its snapshot names (the hashes of the attachments not purged,
read from the copy itself on SQLite and, on PostgreSQL, in the transaction whose snapshot pg_dump is given),
so that exactly those files are copied beside it (samordna.transfer.files).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import samordna.store.models  # noqa: F401 (the tables a Samordna database may hold)

VERSION_TABLE = "alembic_version"
ATTACHMENT_TABLE = "attachment"
# The files a database's rows name: each hash of an attachment not purged, and whether one in use (not removed)
# names it (a removed attachment's file is kept until purged, but nobody can open it any more).
KEPT_FILES_SQL = (
    "SELECT sha256, max(CASE WHEN removed_at IS NULL THEN 1 ELSE 0 END) FROM attachment "
    "WHERE purged_at IS NULL GROUP BY sha256"
)
KeptFiles = dict[str, bool]
TABLES_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
# The counts shown after a restore (and the tables whose rows make a database «not empty»: every one).
SUMMARY = (
    ("area", "områder"),
    ("user_account", "brukere"),
    ("measure", "tiltak"),
    ("event", "hendelser"),
    ("meeting", "møter"),
)


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why, in Norwegian."""


def engine_name(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Sikkerhetskopi støttes for SQLite og PostgreSQL, ikke {backend}.")
    return backend


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("En database i minnet kan ikke sikkerhetskopieres eller gjenopprettes.")
    return Path(database)


def known_tables() -> set[str]:
    return {*SQLModel.metadata.tables, VERSION_TABLE}


# ---------------------------------------------------------------- what a database holds


@dataclass(frozen=True)
class Contents:
    rows: dict[str, int]  # Samordna's tables that have rows (not the migration table): how many
    unknown: list[str]  # tables Samordna does not know

    @property
    def empty(self) -> bool:
        return not self.rows and not self.unknown

    def describe(self) -> str:
        """«1 områder, 40 tiltak, 163 hendelser og rader i 11 andre tabeller»."""
        parts = [f"{self.rows[table]} {word}" for table, word in SUMMARY if table in self.rows]
        others = len(set(self.rows) - {table for table, _word in SUMMARY})
        if others:
            parts.append(f"rader i {others} andre tabeller")
        if self.unknown:
            parts.append("tabeller Samordna ikke kjenner: " + ", ".join(sorted(self.unknown)))
        return ", ".join(parts)


def contents(url: str) -> Contents:
    """The rows in Samordna's tables and any table it does not know; nothing for a SQLite file not made yet."""
    ours = known_tables()
    if engine_name(url) == "sqlite":
        path = sqlite_path(url)
        if not path.exists():
            return Contents({}, [])
        with _sqlite(path, read_only=True) as conn:
            try:
                listed = conn.execute(TABLES_SQL).fetchall()
                # A virtual table (the measures' full-text index, migration 0007) and its shadow tables hold
                # what the database derives from Samordna's own tables: neither unknown nor data of their own.
                virtual = [name for name, sql in listed if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
                tables = [n for n, _sql in listed if not any(n == v or n.startswith(f"{v}_") for v in virtual)]
                rows = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables if t in ours}
            except sqlite3.DatabaseError as exc:
                raise BackupError(f"{path} er ikke en SQLite-database, eller den er skadet ({exc}).") from None
    else:
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                tables = inspect(conn).get_table_names(schema="public")
                rows = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables if t in ours}
        except Exception as exc:  # noqa: BLE001 (any failure to connect is reported the same way)
            raise BackupError(f"Får ikke kontakt med databasen: {exc}") from None
        finally:
            engine.dispose()
    rows = {t: n for t, n in rows.items() if n and t != VERSION_TABLE}
    return Contents(rows, sorted(t for t in tables if t not in ours))


def summary(url: str) -> dict[str, int]:
    """Rows in the tables the CLI reports after a restore, and the migration the database is at."""
    counts: dict[str, int] = {}
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            for table, _label in SUMMARY:
                counts[table] = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
    finally:
        engine.dispose()
    return counts


def revision(url: str) -> str | None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    finally:
        engine.dispose()


# ---------------------------------------------------------------- SQLite


class _sqlite:  # noqa: N801 (a context manager used like a function)
    """A sqlite3 connection that is closed (not only committed) at the end of the block."""

    def __init__(self, path: Path, *, read_only: bool = False, create: bool = False) -> None:
        mode = "ro" if read_only else ("rwc" if create else "rw")
        try:
            self.conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=30, isolation_level=None)
        except sqlite3.OperationalError as exc:
            raise BackupError(f"Kan ikke åpne {path}: {exc}.") from None
        self.conn.execute("PRAGMA busy_timeout=30000")

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def integrity(path: Path) -> list[str]:
    """SQLite's own check of every page and index, and of every foreign key: [] when all is well."""
    with _sqlite(path, read_only=True) as conn:
        try:
            found = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            keys = conn.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.DatabaseError as exc:
            return [f"{path} er ikke en SQLite-database, eller den er skadet ({exc})."]
    problems = [] if found == ["ok"] else found
    problems += [
        f"fremmednøkkel: {table} rad {rowid} peker på en rad i {parent} som ikke finnes"
        for table, rowid, parent, _n in keys
    ]
    return problems


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    try:
        source.backup(target)  # pages=-1: every page in one step, one read transaction: one moment
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Kopieringen stoppet: {exc}.") from None


def backup_sqlite(url: str, target: Path) -> KeptFiles:
    """A consistent copy of the database in `target` (written beside it first, then renamed into place), as a
    single file (journal mode DELETE) that passes SQLite's integrity check; the files the copy names."""
    path = sqlite_path(url)
    if not path.exists():
        raise BackupError(f"Databasen {path} finnes ikke.")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    try:
        with _sqlite(path) as source, _sqlite(part, create=True) as copy:
            _copy(source, copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # the copy carries WAL mode in its header: one file
        problems = integrity(part)
        if problems:
            raise BackupError("Kopien besto ikke integritetssjekken: " + "; ".join(problems[:5]))
        kept = kept_files_sqlite(part)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return kept


def kept_files_sqlite(path: Path) -> KeptFiles:
    """The files the rows of the SQLite database in `path` name (none before migration 0010 made the table)."""
    with _sqlite(path, read_only=True) as conn:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (ATTACHMENT_TABLE,))
        if found.fetchone() is None:
            return {}
        return {sha256: bool(in_use) for sha256, in_use in conn.execute(KEPT_FILES_SQL)}


def restore_sqlite(source: Path, url: str) -> None:
    """The database at `url` replaced by the backup, page by page (the backup API again, the other way)."""
    if not source.is_file():
        raise BackupError(f"Fant ikke filen {source}.")
    problems = integrity(source)
    if problems:
        raise BackupError(f"{source} kan ikke gjenopprettes: " + "; ".join(problems[:5]))
    with _sqlite(source, read_only=True) as backup:
        found = backup.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,))
        if found.fetchone() is None:
            raise BackupError(
                f"{source} er ikke en sikkerhetskopi av en Samordna-database (den har ikke tabellen {VERSION_TABLE})."
            )
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _sqlite(source, read_only=True) as backup, _sqlite(path, create=True) as target:
        _copy(backup, target)


# ---------------------------------------------------------------- PostgreSQL


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"Fant ikke {name}. Installer PostgreSQL-klientverktøyene (apt-get install postgresql-client), "
            "i samme hovedversjon som serveren eller nyere."
        )
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The connection address the PostgreSQL tools take, and the environment that carries the password (an
    argument would show in the process list)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return plain.render_as_string(hide_password=False), env


def _failed(what: str, stderr: bytes | str) -> BackupError:
    text_ = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    return BackupError(f"{what} feilet: {text_.strip()[-2000:]}")


def backup_postgres(url: str, target: Path) -> KeptFiles:
    """`pg_dump --format=custom` (one snapshot: consistent while the server writes) into `target`; the files
    the same snapshot names. A transaction here exports its snapshot (REPEATABLE READ: one snapshot for all its
    statements), reads the files' hashes, and stays open while pg_dump dumps under `--snapshot`."""
    address, env = _libpq(url)
    pg_dump = _tool("pg_dump")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    engine = create_engine(url, poolclass=NullPool, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            kept: KeptFiles = {}
            if conn.execute(text("SELECT to_regclass('public.attachment')")).scalar() is not None:
                kept = {sha256: bool(in_use) for sha256, in_use in conn.execute(text(KEPT_FILES_SQL))}
            done = subprocess.run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={part}", f"--dbname={address}"],
                env=env,
                capture_output=True,
                check=False,
            )
            conn.rollback()
        if done.returncode != 0:
            raise _failed("pg_dump", done.stderr)
        os.replace(part, target)
    except SQLAlchemyError as exc:
        raise BackupError(f"Får ikke kontakt med databasen: {exc}") from None
    finally:
        engine.dispose()
        part.unlink(missing_ok=True)
    return kept


def kept_files(url: str) -> KeptFiles:
    """The files the rows of the database at `url` name (after a restore: which must be in the data directory)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if ATTACHMENT_TABLE not in inspect(conn).get_table_names():
                return {}
            return {sha256: bool(in_use) for sha256, in_use in conn.execute(text(KEPT_FILES_SQL))}
    finally:
        engine.dispose()


# Everything in the schema public, dropped before the restore, in the restore's own transaction: tables a newer
# migration made must not survive an older backup. Only run when the database holds no data or with --force.
DROP_PUBLIC = """SET client_min_messages = warning;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm') LOOP
        EXECUTE format('DROP VIEW IF EXISTS public.%I CASCADE', r.relname);
    END LOOP;
    FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.tablename);
    END LOOP;
    FOR r IN SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public' LOOP
        EXECUTE format('DROP SEQUENCE IF EXISTS public.%I CASCADE', r.sequence_name);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' LOOP
        EXECUTE 'DROP ROUTINE IF EXISTS ' || r.fn || ' CASCADE';
    END LOOP;
END
$$;"""


def restore_postgres(source: Path, url: str) -> None:
    """The backup restored in one transaction: what was in the schema public is dropped, the archive's objects
    and rows are made (foreign keys checked as they are added), or — on any error — nothing changes."""
    if not source.is_file():
        raise BackupError(f"Fant ikke filen {source}.")
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    listed = subprocess.run([pg_restore, "--list", str(source)], capture_output=True, check=False)
    if listed.returncode != 0:
        raise BackupError(
            f"{source} er ikke en sikkerhetskopi fra pg_dump --format=custom: "
            f"{listed.stderr.decode(errors='replace').strip()}"
        )
    if not any(
        line.split()[-2:-1] == [VERSION_TABLE] and " TABLE " in line for line in listed.stdout.decode().splitlines()
    ):
        raise BackupError(
            f"{source} er ikke en sikkerhetskopi av en Samordna-database (den har ikke tabellen {VERSION_TABLE})."
        )
    address, env = _libpq(url)
    # The archive as SQL, whole, before the database is touched: psql must never commit a cut-off script.
    with tempfile.TemporaryDirectory(prefix="samordna-restore-") as tmp:
        script = Path(tmp) / "restore.sql"
        done = subprocess.run(
            [pg_restore, "--no-owner", f"--file={script}", str(source)], capture_output=True, check=False
        )
        if done.returncode != 0:
            raise _failed("pg_restore", done.stderr)
        load = subprocess.run(
            [
                psql,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-c",
                DROP_PUBLIC,
                "-f",
                str(script),
                f"--dbname={address}",
            ],
            env=env,
            capture_output=True,
            check=False,
        )
    if load.returncode != 0:
        raise _failed("Innlesingen (psql; ingenting er endret)", load.stderr)
