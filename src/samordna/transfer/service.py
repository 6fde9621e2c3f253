"""An area out of one database and into another (one JSON document), and the whole database into a backup
file and back.

`TransferService.export` (the coordinator's download) and `export_installation` (the CLI) check first, then
stream the document from one snapshot. `import_area` decodes and checks the whole document before it writes
anything, then writes the area in one transaction: every row or none. `backup_database` and
`restore_database` (the CLI; no services are built over a database being replaced) run the engine's own tools
(transfer.backup), then the integrity check and the migrations. No SQL here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from samordna.domain import policy
from samordna.domain.actor import Actor
from samordna.domain.clock import Clock
from samordna.domain.errors import NotFound
from samordna.i18n import gettext as _
from samordna.store.db import Database
from samordna.store.migrate import upgrade
from samordna.transfer import backup as engines
from samordna.transfer import document, files
from samordna.transfer import repository as repo
from samordna.transfer.backup import BackupError
from samordna.transfer.document import DocumentError
from samordna.workflow import Workflow

__all__ = ["BackupError", "DocumentError", "Export", "Imported", "TransferService"]


@dataclass(frozen=True)
class Export:
    """An area's document as it is written: `chunks` reads the database while it is consumed."""

    slug: str
    filename: str
    chunks: Iterator[bytes]


@dataclass(frozen=True)
class Imported:
    slug: str
    name: str
    counts: dict[str, int]
    new_users: list[str]  # created without a password: they must be given one before they can log in
    linked_users: list[str]  # already in this database: linked, unchanged


class TransferService:
    """Area export and import. The installation's workflows say which states a document may hold and which
    values in a measure's history are ids."""

    def __init__(
        self, *, db: Database, clock: Clock, measure_workflow: Workflow, meeting_states: Iterable[str]
    ) -> None:
        self.db = db
        self.clock = clock
        self.measure_states = frozenset(measure_workflow.states)
        self.meeting_states = frozenset(meeting_states)
        # The keys of an event's history whose values are ids (goal, units, contact person).
        self.references = document.history_references(measure_workflow.fields.values())

    # ------------------------------------------------------------ export

    def export(self, *, actor: Actor, slug: str) -> Export:
        """The area's document for its coordinator (the organisation pages' download); logged in the area's
        audit log before the first byte."""
        with self.db.write_rows() as conn:
            area_id = repo.area_id_of(conn, slug)
            member = None if area_id is None else actor.in_area(area_id)
            if area_id is None or member is None:
                raise NotFound(_("Fant ikke SLT-området."))
            policy.require_role(member, policy.EXPORT_AREA, _("laste ned hele området"))
            repo.record(
                conn, kind="area_exported", area_id=area_id, actor_id=actor.user_id, subject=slug, detail={"via": "web"}
            )
        return self._export(slug, area_id)

    def export_installation(self, *, slug: str) -> Export:
        """The area's document for the installation's administrator (`samordna export`); NotFound for an
        unknown slug."""
        with self.db.write_rows() as conn:
            area_id = repo.area_id_of(conn, slug)
            if area_id is None:
                raise NotFound(f"Fant ikke området {slug}.")
            repo.record(conn, kind="area_exported", area_id=area_id, actor_id=None, subject=slug, detail={"via": "cli"})
        return self._export(slug, area_id)

    def _export(self, slug: str, area_id: int) -> Export:
        now = self.clock.now()
        filename = f"samordna-{slug}-{now.astimezone(self.clock.tz):%Y-%m-%d}.json"
        return Export(slug=slug, filename=filename, chunks=self._chunks(area_id, now))

    def _chunks(self, area_id: int, exported_at: datetime) -> Iterator[bytes]:
        with repo.snapshot(self.db) as conn:
            local = repo.local_ids(conn, area_id, self.references)
            sections: dict[str, Any] = {
                "area": repo.read_area(conn, area_id),
                "ref_counters": repo.read_ref_counters(conn, area_id),
                "units": repo.read_units(conn, area_id, local),
                "users": repo.read_users(conn, local),
                "members": repo.read_members(conn, area_id, local),
                "goals": repo.read_goals(conn, area_id, local),
                "measures": repo.read_measures(conn, area_id, local),
                "events": repo.read_events(conn, area_id, local, self.references),
                "status_reports": repo.read_status_reports(conn, area_id, local),
                "bodies": repo.read_bodies(conn, area_id),
                "meetings": repo.read_meetings(conn, area_id, local),
                "agenda_items": repo.read_agenda_items(conn, area_id, local),
                "agenda_recipients": repo.read_recipients(conn, area_id, local),
                "attendance": repo.read_attendance(conn, area_id, local),
                "milestones": repo.read_milestones(conn, area_id),
            }
            assert tuple(sections) == document.SECTIONS
            yield from document.write(exported_at, sections.items())

    def export_bytes(self, *, slug: str) -> bytes:
        """The whole document at once (tests, and small areas)."""
        return b"".join(self.export_installation(slug=slug).chunks)

    # ------------------------------------------------------------ import

    def import_area(self, *, raw: bytes) -> Imported:
        """The area of the document, created in this database with its refs, versions and history; or
        DocumentError naming every problem, and nothing written."""
        doc = document.decode(raw)
        document.check(
            doc, measure_states=self.measure_states, meeting_states=self.meeting_states, references=self.references
        )
        with self.db.write_rows() as conn:
            problems = repo.conflicts(conn, doc)
            if problems:
                raise DocumentError(problems)
            written = repo.write_document(conn, doc, self.references)
            repo.record(
                conn,
                kind="area_imported",
                area_id=written.area_id,
                actor_id=None,
                subject=doc.area.slug,
                detail={
                    "exported_at": doc.exported_at.isoformat(),
                    "new_users": len(written.new_users),
                    "linked_users": len(written.linked_users),
                },
            )
        return Imported(
            slug=doc.area.slug,
            name=doc.area.name,
            counts=written.counts,
            new_users=written.new_users,
            linked_users=written.linked_users,
        )


# ---------------------------------------------------------------- backup and restore


@dataclass(frozen=True)
class BackedUp:
    engine: str
    path: Path
    size: int  # bytes
    seconds: float
    copied: files.Copied | None = None  # the attachments' files, in `copied_to` (None: no data directory given)
    copied_to: Path | None = None


@dataclass(frozen=True)
class Restored:
    engine: str
    seconds: float
    integrity: str  # what was checked, in Norwegian
    revision: str | None  # the migration the database is at afterwards
    counts: dict[str, int]
    copied: files.Copied | None = None  # the files put into the data directory (None: the backup has none)
    copied_from: Path | None = None
    missing: list[str] = field(default_factory=list)  # attachments in use whose file the data directory lacks
    missing_removed: list[str] = field(default_factory=list)  # removed attachments (not yet purged) without one


def backup_database(*, url: str, path: Path, data_dir: Path | None = None) -> BackedUp:
    """A consistent backup of the whole database at `url` in `path`, taken while the server runs; then the
    attachments' files its snapshot names, from the data directory into `path`.data."""
    started = time.perf_counter()
    engine = engines.engine_name(url)
    if engine == "sqlite":
        kept = engines.backup_sqlite(url, path)
    else:
        kept = engines.backup_postgres(url, path)
    size = path.stat().st_size
    copied = None
    if data_dir is not None:
        copied = files.copy_files(data_dir, kept, files.data_path(path))
    return BackedUp(
        engine,
        path,
        size,
        time.perf_counter() - started,
        copied=copied,
        copied_to=files.data_path(path) if copied is not None else None,
    )


def restore_database(*, url: str, path: Path, force: bool = False, data_dir: Path | None = None) -> Restored:
    """The database at `url` replaced by the backup in `path`; refused when it holds data, unless `force`.
    Then the integrity check, then the migrations (a backup from an older version is brought up to date).

    With a data directory, the backup's files (`path`.data) replace its attachments — refused when it holds
    files, unless `force` — copied beside them before the database is touched and swapped in after it is
    restored. Then every file the restored rows name is looked for."""
    started = time.perf_counter()
    engine = engines.engine_name(url)
    if not path.is_file():
        raise BackupError(f"Fant ikke filen {path}.")
    found = engines.contents(url)
    if not found.empty and not force:
        raise BackupError(
            f"Databasen er ikke tom ({found.describe()}). Gjenoppretting erstatter alt i den; "
            "bruk --force hvis det er meningen."
        )
    backup_files = files.data_path(path)
    staged: tuple[Path, files.Copied] | None = None
    if data_dir is not None and backup_files.is_dir():
        held = files.held(data_dir)
        if held and not force:
            raise BackupError(
                f"Datamappen {data_dir} er ikke tom ({held} filer under attachments/). Gjenoppretting erstatter "
                "dem med filene i sikkerhetskopien; bruk --force hvis det er meningen."
            )
        staged = files.stage_restore(backup_files, data_dir)
    try:
        checked = _restore_engine(engine, path, url)
        upgrade(url)
    except BaseException:
        if staged is not None:
            files.discard(staged[0])
        raise
    missing: tuple[list[str], list[str]] = ([], [])
    if data_dir is not None:
        if staged is not None:
            files.swap_in(staged[0], data_dir)
        missing = files.present(data_dir, engines.kept_files(url))
    return Restored(
        engine=engine,
        seconds=time.perf_counter() - started,
        integrity=checked,
        revision=engines.revision(url),
        counts=engines.summary(url),
        copied=staged[1] if staged is not None else None,
        copied_from=backup_files if staged is not None else None,
        missing=missing[0],
        missing_removed=missing[1],
    )


def _restore_engine(engine: str, path: Path, url: str) -> str:
    """The engine's restore and its integrity check; what was checked, in Norwegian."""
    if engine == "sqlite":
        engines.restore_sqlite(path, url)
        problems = engines.integrity(engines.sqlite_path(url))
        if problems:
            raise BackupError("Integritetssjekken fant feil etter gjenopprettingen: " + "; ".join(problems[:10]))
        return "PRAGMA integrity_check og foreign_key_check: ok"
    engines.restore_postgres(path, url)
    return "pg_restore i én transaksjon, alle fremmednøkler kontrollert: ok"
