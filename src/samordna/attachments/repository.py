"""The SQL of attachments: their rows, the files a row still names, and removal and purging (the file itself
is samordna.attachments.storage's)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from samordna.store.db import connection_of
from samordna.store.models import Attachment, User

A = Attachment.__table__.c
U = User.__table__.c
Db = Any

COLUMNS = (
    A.id,
    A.area_id,
    A.measure_id,
    A.meeting_id,
    A.filename,
    A.kind,
    A.content_type,
    A.size,
    A.sha256,
    A.created_at,
    A.created_by_id,
    U.name.label("created_by_name"),
    A.removed_at,
    A.removed_by_id,
    A.purged_at,
)


def insert_attachment(db: Db, *, values: Mapping[str, Any]) -> int:
    result = connection_of(db).execute(insert(Attachment.__table__).values(**values).returning(A.id))
    return int(result.scalar_one())


def get(db: Db, attachment_id: int) -> Mapping[str, Any] | None:
    query = select(*COLUMNS).join(User.__table__, U.id == A.created_by_id).where(A.id == attachment_id)
    return connection_of(db).execute(query).mappings().first()


def of_owner(db: Db, *, measure_id: int | None = None, meeting_id: int | None = None) -> list[Mapping[str, Any]]:
    """The files of a measure or a meeting that are not removed, oldest first."""
    owner = A.measure_id == measure_id if measure_id is not None else A.meeting_id == meeting_id
    query = (
        select(*COLUMNS)
        .join(User.__table__, U.id == A.created_by_id)
        .where(owner, A.removed_at.is_(None))
        .order_by(A.created_at, A.id)
    )
    return list(connection_of(db).execute(query).mappings())


def mark_removed(db: Db, *, attachment_id: int, at: datetime, by_id: int) -> bool:
    """Remove the attachment (its row and file stay until purged); whether it was there to remove."""
    statement = (
        update(Attachment.__table__)
        .where(A.id == attachment_id, A.removed_at.is_(None))
        .values(removed_at=at, removed_by_id=by_id)
    )
    return connection_of(db).execute(statement).rowcount == 1


def referenced(db: Db, hashes: Iterable[str]) -> set[str]:
    """Which of the hashes a row names whose file is kept (not purged)."""
    wanted = list(hashes)
    found: set[str] = set()
    conn = connection_of(db)
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        query = select(A.sha256).where(A.sha256.in_(part), A.purged_at.is_(None)).distinct()
        found.update(conn.execute(query).scalars())
    return found


def purgeable(db: Db, *, removed_before: datetime) -> list[Mapping[str, Any]]:
    """Removed attachments whose file is still kept, removed before the given moment."""
    query = select(A.id, A.sha256).where(
        A.removed_at.is_not(None), A.removed_at < removed_before, A.purged_at.is_(None)
    )
    return list(connection_of(db).execute(query).mappings())


def mark_purged(db: Db, *, attachment_ids: list[int], at: datetime) -> None:
    if attachment_ids:
        connection_of(db).execute(update(Attachment.__table__).where(A.id.in_(attachment_ids)).values(purged_at=at))


def still_kept(db: Db, sha256: str) -> bool:
    """Whether an attachment that is not purged still names the file (another upload of the same content)."""
    query = select(func.count()).where(A.sha256 == sha256, A.purged_at.is_(None))
    return bool(connection_of(db).execute(query).scalar_one())


def totals(db: Db) -> tuple[int, int]:
    """(attachments whose file is kept, their bytes)."""
    row = connection_of(db).execute(
        select(func.count(), func.coalesce(func.sum(A.size), 0)).where(A.purged_at.is_(None))
    )
    count, size = row.one()
    return int(count), int(size)
