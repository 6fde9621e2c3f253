"""Attachments: files on a measure or a meeting (DESIGN.md §14). Policy and orchestration; the SQL is in
samordna.attachments.repository, the files in samordna.attachments.storage, what a file is and what it says in
samordna.attachments.content.

An upload arrives as a whole temporary file (samordna.attachments.upload read it from the request). Then, in
this order: who may add it (404 outside the reader's areas, 403 for a role that may not), what it is by its
content (415 with the accepted kinds), whether its text holds a national identity number (422 naming the file
and where, never the number), the images' metadata stripped — all before a transaction is opened, since reading
a 20 MB file takes a moment. Then one write transaction: the permission checked again, the file moved into
place under its hash, the row and the event in the measure's history (or the meeting's entry in the area's
log). A failure anywhere removes the temporary file, and a file placed by a transaction that did not commit.

Removal keeps the row and the file: the history still names it. `purge` deletes the files of attachments removed
long enough ago (`samordna attachments purge`)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from samordna.attachments import content
from samordna.attachments import repository as repo
from samordna.attachments.storage import Storage
from samordna.attachments.views import Attachments, AttachmentView
from samordna.domain import policy
from samordna.domain.actor import Actor
from samordna.domain.clock import Clock, aware
from samordna.domain.confidentiality import contains_national_id
from samordna.domain.errors import Conflict, FieldError, Invalid, NotAllowed, NotFound, UnsupportedType
from samordna.domain.vocabulary import role_list
from samordna.i18n import gettext as _
from samordna.measures.rules import ATTACH, DETACH
from samordna.measures.service import MeasureService
from samordna.meetings.service import MeetingService
from samordna.store.db import Database

NAME_LIMIT = 200
ATTEMPTS = 3  # a measure written by someone else between our read and our UPDATE: read it again, this often
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class AttachmentService:
    """Add, list, read, remove and purge the files of measures and meetings. Keyword-only; each public method
    is one transaction (an upload: the checks of its content first, outside it)."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        storage: Storage,
        measures: MeasureService,
        meetings: MeetingService,
        max_upload_bytes: int,
    ) -> None:
        self.db = db
        self.clock = clock
        self.storage = storage
        self.measures = measures
        self.meetings = meetings
        self.max_upload_bytes = max_upload_bytes

    # ------------------------------------------------------------ reading

    def of_measure(self, *, actor: Actor, measure_id: int) -> Attachments:
        with self.db.read() as s:
            _area_id, may_add = self.measures.may_attach_in(s, actor=actor, measure_id=measure_id)
            rows = repo.of_owner(s, measure_id=measure_id)
        return self._attachments(actor, rows, may_add, policy.ATTACH_TO_MEASURE)

    def of_meeting(self, *, actor: Actor, meeting_id: int) -> Attachments:
        with self.db.read() as s:
            _area_id, may_add = self.meetings.may_attach_in(s, actor=actor, meeting_id=meeting_id)
            rows = repo.of_owner(s, meeting_id=meeting_id)
        return self._attachments(actor, rows, may_add, policy.ATTACH_TO_MEETING)

    def get(self, *, actor: Actor, attachment_id: int) -> AttachmentView:
        """The attachment, if the actor may read its measure or meeting (NotFound otherwise, and once removed)."""
        with self.db.read() as s:
            row, roles = self._readable(s, actor, attachment_id)
        if row["removed_at"] is not None:
            raise NotFound(_("Fant ikke vedlegget."))
        return self._view(actor, row, roles)

    def open(self, *, actor: Actor, attachment_id: int) -> tuple[AttachmentView, Path]:
        """The attachment and the path of its file, for a download."""
        view = self.get(actor=actor, attachment_id=attachment_id)
        path = self.storage.path_for(view.sha256)
        if not path.is_file():
            raise NotFound(_("Filen til vedlegget finnes ikke lenger."))
        return view, path

    # ------------------------------------------------------------ adding

    def temp_path(self) -> Path:
        """Where the web side writes an upload as it arrives."""
        return self.storage.temp_path()

    def may_add(self, *, actor: Actor, measure_id: int | None = None, meeting_id: int | None = None) -> None:
        """Refuse before a byte of the body is read: 404 when the actor cannot see the measure or meeting, 403
        when they may not add files to it."""
        with self.db.read() as s:
            self._may_add_in(s, actor, measure_id, meeting_id)

    def add(
        self,
        *,
        actor: Actor,
        temp: Path,
        filename: str,
        measure_id: int | None = None,
        meeting_id: int | None = None,
    ) -> AttachmentView:
        """Check the whole upload at `temp` and keep it on the measure or the meeting. The temporary file is
        gone afterwards, whatever happens."""
        placed: Path | None = None
        try:
            self.may_add(actor=actor, measure_id=measure_id, meeting_id=meeting_id)
            name = clean_filename(filename)
            kind = self._checked_kind(temp, name)
            content.strip_metadata(temp, kind)
            size, sha256 = _size_and_hash(temp)
            for attempt in range(ATTEMPTS):
                try:
                    with self.db.write() as s:
                        area_id = self._may_add_in(s, actor, measure_id, meeting_id)
                        if placed is None and self.storage.place(temp, sha256):
                            placed = self.storage.path_for(sha256)
                        now = self.clock.now()
                        attachment_id = repo.insert_attachment(
                            s,
                            values={
                                "area_id": area_id,
                                "measure_id": measure_id,
                                "meeting_id": meeting_id,
                                "filename": name,
                                "kind": kind.name,
                                "content_type": kind.mime,
                                "size": size,
                                "sha256": sha256,
                                "created_at": now,
                                "created_by_id": actor.user_id,
                            },
                        )
                        detail = {"attachment_id": attachment_id, "filename": name, "size": size}
                        self._note(s, actor, measure_id, meeting_id, added=True, detail=detail)
                        row = repo.get(s, attachment_id)
                    placed = None  # committed: the file is the row's
                    break
                except Conflict:
                    if attempt == ATTEMPTS - 1:
                        raise
            assert row is not None
            return self._view(actor, row, self._roles(measure_id))
        finally:
            self.storage.discard(temp)
            if placed is not None:  # placed by a transaction that did not commit, and named by no other row
                with self.db.read() as s:
                    if not repo.still_kept(s, placed.name):
                        self.storage.discard(placed)

    # ------------------------------------------------------------ removing

    def remove(self, *, actor: Actor, attachment_id: int) -> AttachmentView:
        """Remove the attachment from its measure or meeting (an event in its history); the file stays until
        purged."""
        for attempt in range(ATTEMPTS):
            try:
                with self.db.write() as s:
                    row, roles = self._readable(s, actor, attachment_id)
                    if row["removed_at"] is not None:
                        raise NotFound(_("Fant ikke vedlegget."))
                    member = actor.in_area(row["area_id"])
                    assert member is not None
                    if not policy.may_remove_attachment(
                        member, actor_id=actor.user_id, added_by_id=row["created_by_id"], roles=roles
                    ):
                        raise NotAllowed(
                            _("Bare den som la til vedlegget, eller {roles}, kan fjerne det.").format(
                                roles=role_list(roles)
                            ),
                            allowed_roles=roles,
                        )
                    repo.mark_removed(s, attachment_id=attachment_id, at=self.clock.now(), by_id=actor.user_id)
                    detail = {"attachment_id": attachment_id, "filename": row["filename"]}
                    self._note(s, actor, row["measure_id"], row["meeting_id"], added=False, detail=detail)
                    row = repo.get(s, attachment_id)
                assert row is not None
                return self._view(actor, row, roles)
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def purge(self, *, older_than_days: int) -> tuple[int, int]:
        """Delete the files of attachments removed more than `older_than_days` days ago (a file another
        attachment still names stays). (attachments purged, bytes freed)."""
        before = self.clock.now() - timedelta(days=older_than_days)
        freed = 0
        with self.db.write() as s:
            rows = repo.purgeable(s, removed_before=before)
            repo.mark_purged(s, attachment_ids=[r["id"] for r in rows], at=self.clock.now())
            gone = {r["sha256"] for r in rows if not repo.still_kept(s, r["sha256"])}
        for sha256 in gone:  # after the commit: a crash before it leaves the files, never a row without one
            path = self.storage.path_for(sha256)
            if path.is_file():
                freed += path.stat().st_size
                self.storage.discard(path)
        return len(rows), freed

    def sweep(self) -> tuple[int, int]:
        """Remove what a crash left behind (samordna.attachments.storage.Storage.sweep): at start-up."""

        def referenced(hashes: Any) -> set[str]:
            with self.db.read() as s:
                return repo.referenced(s, hashes)

        return self.storage.sweep(referenced)

    def totals(self) -> tuple[int, int]:
        with self.db.read() as s:
            return repo.totals(s)

    # ------------------------------------------------------------ internals

    def _may_add_in(self, s: Any, actor: Actor, measure_id: int | None, meeting_id: int | None) -> int:
        if (measure_id is None) == (meeting_id is None):
            raise ValueError("a file belongs to one measure or one meeting")
        if measure_id is not None:
            area_id, may = self.measures.may_attach_in(s, actor=actor, measure_id=measure_id)
            if not may:
                raise NotAllowed(
                    _(
                        "Bare {roles} eller en ansatt i en enhet som har eller deltar i tiltaket kan legge til vedlegg."
                    ).format(roles=role_list(policy.ATTACH_TO_MEASURE)),
                    allowed_roles=(*policy.ATTACH_TO_MEASURE, "executing"),
                )
            return area_id
        assert meeting_id is not None
        area_id, may = self.meetings.may_attach_in(s, actor=actor, meeting_id=meeting_id)
        if not may:
            raise NotAllowed(
                _("Bare {roles} kan legge til vedlegg på et møte.").format(roles=role_list(policy.ATTACH_TO_MEETING)),
                allowed_roles=policy.ATTACH_TO_MEETING,
            )
        return area_id

    def _checked_kind(self, temp: Path, name: str) -> content.Kind:
        kind = content.sniff(temp, name)
        if kind is None:
            raise UnsupportedType(
                _("«{name}» er ikke en filtype Samordna tar imot. Last opp {kinds}.").format(
                    name=name, kinds=content.accepted_labels()
                ),
                accepted=tuple(dict.fromkeys(k.mime.split(";")[0] for k in content.KINDS.values())),
            )
        if contains_national_id(name):
            raise Invalid(
                [FieldError("file", _("Filnavnet ser ut til å inneholde et fødselsnummer. Gi filen et annet navn."))]
            )
        try:
            finding = content.find_national_id(temp, kind)
        except content.Unreadable as exc:
            raise Invalid(
                [FieldError("file", _("«{name}» kunne ikke leses: {why}").format(name=name, why=exc))]
            ) from None
        if finding is not None:
            message = _(
                "«{name}» ser ut til å inneholde et fødselsnummer eller D-/H-nummer ({where}). Taushetsplikten "
                "gjelder: fjern opplysninger som kan identifisere enkeltpersoner, og last opp filen på nytt."
            ).format(name=name, where=finding.where)
            raise Invalid([FieldError("file", message)])
        return kind

    def _note(
        self,
        s: Any,
        actor: Actor,
        measure_id: int | None,
        meeting_id: int | None,
        *,
        added: bool,
        detail: dict[str, Any],
    ) -> None:
        if measure_id is not None:
            trigger = ATTACH if added else DETACH
            self.measures.note_file_in(s, actor=actor, measure_id=measure_id, trigger=trigger, data=detail)
        else:
            assert meeting_id is not None
            kind = "attachment_added" if added else "attachment_removed"
            self.meetings.note_file_in(s, actor=actor, meeting_id=meeting_id, kind=kind, detail=detail)

    def _readable(self, s: Any, actor: Actor, attachment_id: int) -> tuple[Mapping[str, Any], tuple[str, ...]]:
        """The attachment's row, if the actor may read its measure or meeting, and the roles that manage it."""
        row = repo.get(s, attachment_id)
        if row is None or actor.in_area(row["area_id"]) is None:
            raise NotFound(_("Fant ikke vedlegget."))
        try:
            if row["measure_id"] is not None:
                self.measures.may_attach_in(s, actor=actor, measure_id=row["measure_id"])
            else:
                self.meetings.may_attach_in(s, actor=actor, meeting_id=row["meeting_id"])
        except (NotFound, NotAllowed):
            raise NotFound(_("Fant ikke vedlegget.")) from None
        return row, self._roles(row["measure_id"])

    def _roles(self, measure_id: int | None) -> tuple[str, ...]:
        return policy.ATTACH_TO_MEASURE if measure_id is not None else policy.ATTACH_TO_MEETING

    def _attachments(
        self, actor: Actor, rows: list[Mapping[str, Any]], may_add: bool, roles: tuple[str, ...]
    ) -> Attachments:
        return Attachments(
            files=tuple(self._view(actor, r, roles) for r in rows),
            may_add=may_add,
            max_mb=self.max_upload_bytes // (1024 * 1024),
            accepted=content.accepted_labels(),
        )

    def _view(self, actor: Actor, row: Mapping[str, Any], roles: tuple[str, ...]) -> AttachmentView:
        member = actor.in_area(row["area_id"])
        may_remove = (
            member is not None
            and row["removed_at"] is None
            and policy.may_remove_attachment(
                member, actor_id=actor.user_id, added_by_id=row["created_by_id"], roles=roles
            )
        )
        return AttachmentView(
            id=row["id"],
            area_id=row["area_id"],
            measure_id=row["measure_id"],
            meeting_id=row["meeting_id"],
            filename=row["filename"],
            kind=row["kind"],
            content_type=row["content_type"],
            size=row["size"],
            sha256=row["sha256"],
            created_at=aware(row["created_at"]),
            created_by_id=row["created_by_id"],
            created_by_name=row["created_by_name"],
            removed_at=aware(row["removed_at"]) if row["removed_at"] is not None else None,
            may_remove=may_remove,
        )


def clean_filename(raw: str) -> str:
    """The name a file is shown and downloaded under: its last path part only (a browser on Windows may send
    `C:\\Users\\…\\rapport.pdf`), no control characters, quotes or characters file systems refuse, NFC, at
    most 200 characters with its extension kept; «vedlegg» when nothing is left."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name)
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    name = re.sub(r"\s+", " ", name).strip(" ._")
    if len(name) > NAME_LIMIT:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: NAME_LIMIT - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:NAME_LIMIT]
    return name or "vedlegg"


def _size_and_hash(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
