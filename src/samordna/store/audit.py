"""Writes and reads of the audit log (organisation changes and security events)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlmodel import Session

from samordna.store.models import AuditEntry, Membership, utcnow

TABLE = AuditEntry.__table__

# A log-in attempt is written before its password is checked (so parallel guesses are counted), and its
# outcome is appended when known: `login` or `password_changed` on success, `login_failed` otherwise,
# with the attempt's time, subject, address and account. The log is never updated: an attempt without a
# success is a failure to the throttle. The log pages leave the attempt rows out.
ATTEMPT = "login_attempt"
SUCCESSES = ("login", "password_changed")


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


def _attempt_rows(since: datetime, subject: str | None, ip: str | None) -> Any:
    where = [TABLE.c.kind.in_((ATTEMPT, *SUCCESSES)), TABLE.c.at >= since]
    if subject is not None:
        where.append(TABLE.c.subject == subject)
    if ip is not None:
        where.append(TABLE.c.ip == ip)
    return where


def failures_since(session: Session, *, since: datetime, subject: str | None = None, ip: str | None = None) -> int:
    """Log-in attempts since `since` that did not succeed (or are still being checked): the attempts less
    the successes. A success has its attempt's time, so both are in the window or neither."""
    weight = case((TABLE.c.kind == ATTEMPT, 1), else_=-1)
    query = select(func.coalesce(func.sum(weight), 0)).where(*_attempt_rows(since, subject, ip))
    return int(session.execute(query).scalar_one())


def failure_times(
    session: Session, *, since: datetime, subject: str | None = None, ip: str | None = None
) -> list[datetime]:
    """When each attempt counted by `failures_since` was made, newest first."""
    rows = session.execute(
        select(TABLE.c.at, TABLE.c.kind).where(*_attempt_rows(since, subject, ip)).order_by(TABLE.c.at.desc())
    ).all()
    succeeded = Counter(at for at, kind in rows if kind != ATTEMPT)
    failed = []
    for at, kind in rows:
        if kind != ATTEMPT:
            continue
        if succeeded[at]:
            succeeded[at] -= 1
        else:
            failed.append(at)
    return failed


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
    """The area's entries and the area-less ones (log-ins, log-outs) of anyone who is or was a member;
    log-in attempts only through their outcome."""
    members = select(Membership.user_id).where(Membership.area_id == area_id)
    rows = session.execute(
        select(TABLE)
        .where((TABLE.c.area_id == area_id) | (TABLE.c.area_id.is_(None) & TABLE.c.actor_id.in_(members)))
        .where(TABLE.c.kind != ATTEMPT)
        .order_by(TABLE.c.id.desc())
        .limit(limit)
    ).mappings()
    return [{**r, "detail": json.loads(r["detail"])} for r in rows]
