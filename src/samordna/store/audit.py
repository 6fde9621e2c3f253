"""Writes and reads of the audit log (organisation changes and security events)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session

from samordna.store.models import AuditEntry, Membership, utcnow

TABLE = AuditEntry.__table__


def record_audit(
    session: Session,
    *,
    kind: str,
    area_id: int | None = None,
    actor_id: int | None = None,
    subject: str = "",
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    session.execute(
        insert(TABLE).values(
            at=at or utcnow(),
            kind=kind,
            area_id=area_id,
            actor_id=actor_id,
            subject=subject[:254],
            ip=ip,
            detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
        )
    )


def count_since(
    session: Session, *, kind: str, since: datetime, subject: str | None = None, ip: str | None = None
) -> int:
    query = select(func.count()).select_from(TABLE).where(TABLE.c.kind == kind, TABLE.c.at >= since)
    if subject is not None:
        query = query.where(TABLE.c.subject == subject)
    if ip is not None:
        query = query.where(TABLE.c.ip == ip)
    return session.execute(query).scalar_one()


def entries_for_area(session: Session, *, area_id: int, limit: int = 200) -> list[dict[str, Any]]:
    rows = session.execute(
        select(TABLE).where(TABLE.c.area_id == area_id).order_by(TABLE.c.id.desc()).limit(limit)
    ).mappings()
    return [{**r, "detail": json.loads(r["detail"])} for r in rows]


def nth_newest_at(
    session: Session, *, kind: str, since: datetime, n: int, subject: str | None = None, ip: str | None = None
) -> datetime | None:
    """When the n-th newest entry of `kind` since `since` was written (n=1: the newest), or None."""
    query = select(TABLE.c.at).where(TABLE.c.kind == kind, TABLE.c.at >= since)
    if subject is not None:
        query = query.where(TABLE.c.subject == subject)
    if ip is not None:
        query = query.where(TABLE.c.ip == ip)
    return session.execute(query.order_by(TABLE.c.at.desc()).offset(n - 1).limit(1)).scalar_one_or_none()


def security_entries_for_area(session: Session, *, area_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """The area's entries and the area-less ones (log-ins, log-outs) of anyone who is or was a member."""
    members = select(Membership.user_id).where(Membership.area_id == area_id)
    rows = session.execute(
        select(TABLE)
        .where((TABLE.c.area_id == area_id) | (TABLE.c.area_id.is_(None) & TABLE.c.actor_id.in_(members)))
        .order_by(TABLE.c.id.desc())
        .limit(limit)
    ).mappings()
    return [{**r, "detail": json.loads(r["detail"])} for r in rows]
