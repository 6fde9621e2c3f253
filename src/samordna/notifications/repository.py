"""All SQL of the notifications room, as Core statements on the connection the service opens
(`db.read_rows()` / `db.write_rows()`): who is a member with which settings, what is due in an area, the
in-app notifications, the outbox and its leases, and the scheduler's lock.

A digest run costs a constant number of statements per area (the members, the measures due, the decisions,
the meetings) and per chunk of users (the notifications they already have; the writes, each one statement
for the whole chunk), never one per measure. The measures due are two index walks of `ix_measure_board`
(area, state, next follow-up, …): the follow-up states up to the horizon, and the states that wait for
someone (to start, to evaluate, to decide).

«Never twice» is the database's: uq_outbox_user_day refuses a second digest for a user and day (INSERT … ON
CONFLICT DO NOTHING, so a run that loses the race writes nothing and says so), and a sender takes a message
only by moving its lease with a conditional UPDATE that a second sender's UPDATE then no longer matches
(PostgreSQL: the candidates locked FOR UPDATE SKIP LOCKED; SQLite: one writer at a time, BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from samordna.domain.clock import aware
from samordna.notifications.views import (
    DecisionFact,
    MeasureFact,
    MeetingFact,
    Member,
    NotificationView,
    OutboxRow,
)
from samordna.store.db import Database
from samordna.store.models import (
    Area,
    Body,
    Event,
    JobLock,
    Measure,
    MeasureUnit,
    Meeting,
    Membership,
    Notification,
    NotificationSetting,
    OutboxMessage,
    Unit,
    User,
)

Conn = Connection
MEASURE = Measure.__table__
NOTIFICATION = Notification.__table__
SETTING = NotificationSetting.__table__
OUTBOX = OutboxMessage.__table__
LOCK = JobLock.__table__
DEFAULT_KINDS = NotificationSetting.model_fields["kinds"].default


def reading(db: Database) -> AbstractContextManager[Conn]:
    return db.read_rows()


def writing(db: Database) -> AbstractContextManager[Conn]:
    return db.write_rows()


def _insert(conn: Conn, table: Any) -> Any:
    """INSERT with the dialect's ON CONFLICT support (both engines speak it)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _kinds(value: str | None) -> tuple[str, ...]:
    return tuple(k for k in (value if value is not None else DEFAULT_KINDS).split(",") if k)


# ---------------------------------------------------------------- members and their settings

MEMBER_COLUMNS = (
    User.id,
    User.email,
    User.name,
    User.language,
    Area.id,
    Area.slug,
    Area.name,
    Area.language,
    Membership.role,
    Membership.unit_id,
    NotificationSetting.digest,
    NotificationSetting.kinds,
    NotificationSetting.language,
    NotificationSetting.last_digest_at,
)


def _member(r: Any) -> Member:
    return Member(
        user_id=r[0],
        email=r[1],
        name=r[2],
        user_language=r[3],
        area_id=r[4],
        area_slug=r[5],
        area_name=r[6],
        area_language=r[7],
        role=r[8],
        unit_id=r[9],
        digest=r[10] or "daily",
        kinds=_kinds(r[11]),
        language=r[12],
        last_digest_at=aware(r[13]),
    )


def members(conn: Conn, area_ids: Sequence[int] | None = None) -> list[Member]:
    """Every active membership of an active user (of `area_ids`, or of every area), with the user's settings;
    one statement."""
    query = (
        select(*MEMBER_COLUMNS)
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .join(Area, Area.id == Membership.area_id)
        .outerjoin(NotificationSetting, NotificationSetting.user_id == User.id)
        .where(Membership.active, User.active)
        .order_by(User.id, Area.id)
    )
    if area_ids is not None:
        query = query.where(Membership.area_id.in_(list(area_ids)))
    return [_member(r) for r in conn.execute(query)]


def area_by_slug(conn: Conn, slug: str) -> tuple[int, str, str] | None:
    row = conn.execute(select(Area.id, Area.slug, Area.name).where(Area.slug == slug)).first()
    return tuple(row) if row else None  # type: ignore[return-value]


def unit_names(conn: Conn, area_id: int) -> dict[int, str]:
    return dict(conn.execute(select(Unit.id, Unit.name).where(Unit.area_id == area_id)).all())  # type: ignore[arg-type]


# ---------------------------------------------------------------- what is due in an area

FACT_COLUMNS = (
    MEASURE.c.id,
    MEASURE.c.ref,
    MEASURE.c.title,
    MEASURE.c.state,
    MEASURE.c.responsible_unit_id,
    MEASURE.c.next_follow_up_at,
    MEASURE.c.due_date,
)
# Follow-ups due by the horizon (a walk of ix_measure_board per state up to the date), and in the same states
# the measures whose own due date comes by then (their period ends: time to ask for an evaluation).
FOLLOW_UPS = select(*FACT_COLUMNS).where(
    MEASURE.c.area_id == bindparam("area_id"),
    MEASURE.c.state.in_(bindparam("states", expanding=True)),
    or_(
        MEASURE.c.next_follow_up_at <= bindparam("horizon"),
        MEASURE.c.due_date <= bindparam("horizon"),
    ),
)
# Every measure in a state that waits for someone: to start it, to evaluate it, to decide.
WAITING = select(*FACT_COLUMNS).where(
    MEASURE.c.area_id == bindparam("area_id"), MEASURE.c.state.in_(bindparam("states", expanding=True))
)


def _fact(r: Any) -> MeasureFact:
    return MeasureFact(r[0], r[1], r[2], r[3], r[4], r[5], r[6])


def measures_due(
    conn: Conn, area_id: int, *, follow: Sequence[str], waiting: Sequence[str], horizon: date
) -> list[MeasureFact]:
    out: list[MeasureFact] = []
    if follow:
        params = {"area_id": area_id, "states": list(follow), "horizon": horizon}
        out += [_fact(r) for r in conn.execute(FOLLOW_UPS, params)]
    if waiting:
        out += [_fact(r) for r in conn.execute(WAITING, {"area_id": area_id, "states": list(waiting)})]
    return out


DECISIONS = (
    select(
        Event.id,
        Event.measure_id,
        Measure.ref,
        Measure.title,
        Event.trigger,
        Event.at,
        Measure.responsible_unit_id,
    )
    .join(Measure, Measure.id == Event.measure_id)
    .where(
        Measure.area_id == bindparam("area_id"),
        Event.trigger.in_(bindparam("triggers", expanding=True)),
        Event.at >= bindparam("since"),
        Event.at < bindparam("until"),
    )
    .order_by(Event.at.desc(), Event.id.desc())
)


def decisions(
    conn: Conn, area_id: int, *, triggers: Sequence[str], since: datetime, until: datetime
) -> list[DecisionFact]:
    """The decisions (events of `triggers`) on the area's measures in [since, until), newest first, with each
    measure's participating units: two statements."""
    if not triggers:
        return []
    params = {"area_id": area_id, "triggers": list(triggers), "since": since, "until": until}
    rows = conn.execute(DECISIONS, params).all()
    ids = sorted({r[1] for r in rows})
    taking_part: dict[int, list[int]] = {}
    if ids:
        for measure_id, unit_id in conn.execute(
            select(MeasureUnit.measure_id, MeasureUnit.unit_id).where(MeasureUnit.measure_id.in_(ids))
        ):
            taking_part.setdefault(measure_id, []).append(unit_id)
    return [
        DecisionFact(r[0], r[1], r[2], r[3], r[4], aware(r[5]), r[6], tuple(taking_part.get(r[1], ()))) for r in rows
    ]


def meetings(conn: Conn, area_id: int, *, start: datetime, end: datetime) -> list[MeetingFact]:
    """The area's meetings starting in [start, end) that are not cancelled, in time order (ix_meeting_area_starts)."""
    rows = conn.execute(
        select(Meeting.id, Meeting.title, Body.level, Body.name, Meeting.starts_at, Meeting.place)
        .join(Body, Body.id == Meeting.body_id)
        .where(
            Meeting.area_id == area_id,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Meeting.state != "cancelled",
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    return [MeetingFact(r[0], r[1], r[2], r[3], aware(r[4]), r[5]) for r in rows]


# ---------------------------------------------------------------- the notifications a run writes


def known(conn: Conn, user_ids: Sequence[int], keys: Sequence[str]) -> dict[tuple[int, str], bool]:
    """{(user, key): mailed?} of the notifications these users already have among `keys` (uq_notification_user_key)."""
    if not user_ids or not keys:
        return {}
    rows = conn.execute(
        select(Notification.user_id, Notification.key, Notification.mailed_on).where(
            Notification.user_id.in_(list(user_ids)), Notification.key.in_(list(keys))
        )
    )
    return {(r[0], r[1]): r[2] is not None for r in rows}


def add_notifications(conn: Conn, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert the notifications not there yet (one statement for all); how many were new."""
    if not rows:
        return 0
    statement = (
        _insert(conn, NOTIFICATION)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(NOTIFICATION.c.id)
    )
    # RETURNING counts the rows written on both engines (psycopg's rowcount of a batch does not).
    return len(conn.execute(statement, list(rows)).all())


def add_digests(conn: Conn, rows: Sequence[Mapping[str, Any]]) -> set[int]:
    """Write the digests to the outbox; a user who already has the day's digest gets none. The users whose
    digest this statement wrote."""
    if not rows:
        return set()
    statement = (
        _insert(conn, OUTBOX)
        .on_conflict_do_nothing(index_elements=["user_id", "digest_day"])
        .returning(OUTBOX.c.user_id)
    )
    written: set[int] = set()
    for row in rows:  # RETURNING with ON CONFLICT: one statement per digest (a digest is a large row anyway)
        written.update(r[0] for r in conn.execute(statement, dict(row)))
    return written


def mark_mailed(conn: Conn, pairs: Iterable[tuple[int, str]], day: date) -> None:
    params = [{"u": u, "k": k, "day": day} for u, k in pairs]
    if params:
        conn.execute(
            update(NOTIFICATION)
            .where(NOTIFICATION.c.user_id == bindparam("u"), NOTIFICATION.c.key == bindparam("k"))
            .values(mailed_on=bindparam("day")),
            params,
        )


def set_last_digest(conn: Conn, user_ids: Iterable[int], at: datetime) -> None:
    """The users' last digest is `at` (a settings row with the defaults for those who have none)."""
    params = [{"user_id": u, "last_digest_at": at, "updated_at": at} for u in user_ids]
    if not params:
        return
    statement = _insert(conn, SETTING)
    statement = statement.on_conflict_do_update(
        index_elements=["user_id"], set_={"last_digest_at": statement.excluded.last_digest_at}
    )
    conn.execute(statement, params)


def forget_read(conn: Conn, before: datetime) -> int:
    """Notifications read before `before` are deleted (a year's history is kept)."""
    result = conn.execute(NOTIFICATION.delete().where(NOTIFICATION.c.read_at < before))
    return max(result.rowcount, 0)


# ---------------------------------------------------------------- the outbox: claiming, sending, showing


def claim(conn: Conn, *, now: datetime, holder: str, lease_until: datetime, limit: int) -> list[tuple[int, str, str]]:
    """Take up to `limit` messages that are due (pending, next attempt reached, no live lease) for `holder`:
    (id, recipient, message). The lease moves with the attempt count in one UPDATE; a second sender's
    UPDATE no longer matches a row taken (PostgreSQL re-checks the condition after waiting for the row)."""
    o = OUTBOX.c
    due = and_(
        o.status == "pending",
        o.next_attempt_at <= now,
        or_(o.lease_until.is_(None), o.lease_until < now),
    )
    candidates = select(o.id).where(due).order_by(o.next_attempt_at, o.id).limit(limit)
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    taken = conn.execute(
        update(OUTBOX)
        .where(o.id.in_(candidates.scalar_subquery()), due)
        .values(leased_by=holder, lease_until=lease_until, attempts=o.attempts + 1)
        .returning(o.id)
    ).all()
    ids = sorted(r[0] for r in taken)
    if not ids:
        return []
    rows = conn.execute(select(o.id, o.recipient, o.message).where(o.id.in_(ids)).order_by(o.id)).all()
    return [(r[0], r[1], r[2]) for r in rows]


def attempts_of(conn: Conn, message_id: int) -> int:
    return int(conn.execute(select(OUTBOX.c.attempts).where(OUTBOX.c.id == message_id)).scalar_one())


def settle(
    conn: Conn,
    message_id: int,
    *,
    holder: str,
    status: str,
    now: datetime,
    next_attempt_at: datetime | None = None,
    error: str | None = None,
) -> bool:
    """Record an attempt's outcome on a message `holder` has leased: sent, pending again (retry at
    `next_attempt_at`) or failed. False when the lease is no longer the holder's."""
    o = OUTBOX.c
    values: dict[str, Any] = {"status": status, "leased_by": None, "lease_until": None}
    if status == "sent":
        values["sent_at"] = now
        values["last_error"] = None
    else:
        values["last_error"] = (error or "")[:2000]
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    result = conn.execute(
        update(OUTBOX).where(o.id == message_id, o.leased_by == holder, o.status == "pending").values(**values)
    )
    return result.rowcount == 1


OUTBOX_COLUMNS = (
    OUTBOX.c.id,
    OUTBOX.c.user_id,
    OUTBOX.c.digest_day,
    OUTBOX.c.recipient,
    OUTBOX.c.subject,
    OUTBOX.c.language,
    OUTBOX.c["items"],
    OUTBOX.c.status,
    OUTBOX.c.attempts,
    OUTBOX.c.next_attempt_at,
    OUTBOX.c.last_error,
    OUTBOX.c.created_at,
    OUTBOX.c.sent_at,
)


def _outbox_row(r: Any) -> OutboxRow:
    return OutboxRow(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], aware(r[9]), r[10], aware(r[11]), aware(r[12])
    )


def outbox_rows(conn: Conn, *, limit: int, status: str | None = None) -> list[OutboxRow]:
    query = select(*OUTBOX_COLUMNS).order_by(OUTBOX.c.digest_day.desc(), OUTBOX.c.id.desc()).limit(limit)
    if status:
        query = query.where(OUTBOX.c.status == status)
    return [_outbox_row(r) for r in conn.execute(query)]


def outbox_counts(conn: Conn, user_ids: Sequence[int] | None = None) -> dict[str, int]:
    query = select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)
    if user_ids is not None:
        query = query.where(OUTBOX.c.user_id.in_(list(user_ids)))
    return {r[0]: r[1] for r in conn.execute(query)}


def outbox_message(conn: Conn, message_id: int) -> tuple[OutboxRow, str] | None:
    row = conn.execute(select(*OUTBOX_COLUMNS, OUTBOX.c.message).where(OUTBOX.c.id == message_id)).first()
    return (_outbox_row(row), row[-1]) if row else None


def failed_of(conn: Conn, user_ids: Sequence[int], *, limit: int) -> list[OutboxRow]:
    if not user_ids:
        return []
    query = (
        select(*OUTBOX_COLUMNS)
        .where(OUTBOX.c.status == "failed", OUTBOX.c.user_id.in_(list(user_ids)))
        .order_by(OUTBOX.c.digest_day.desc(), OUTBOX.c.id.desc())
        .limit(limit)
    )
    return [_outbox_row(r) for r in conn.execute(query)]


def failed_counts(conn: Conn, user_ids: Sequence[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    query = (
        select(OUTBOX.c.user_id, func.count())
        .where(OUTBOX.c.status == "failed", OUTBOX.c.user_id.in_(list(user_ids)))
        .group_by(OUTBOX.c.user_id)
    )
    return {r[0]: r[1] for r in conn.execute(query)}


# ---------------------------------------------------------------- in the app

# The header asks on every page: the user's unread notifications, counted from ix_notification_user_read
# alone, and never more than a badge shows.
UNREAD = select(func.count()).select_from(
    select(literal(1))
    .select_from(NOTIFICATION)
    .where(NOTIFICATION.c.user_id == bindparam("user_id"), NOTIFICATION.c.read_at.is_(None))
    .limit(bindparam("cap"))
    .subquery()
)


def unread_count(conn: Conn, user_id: int, cap: int) -> int:
    return int(conn.execute(UNREAD, {"user_id": user_id, "cap": cap}).scalar_one())


def notifications_of(conn: Conn, user_id: int, *, limit: int) -> list[NotificationView]:
    n = NOTIFICATION.c
    rows = conn.execute(
        select(
            n.id,
            n.kind,
            Area.slug,
            Area.name,
            n.measure_id,
            n.meeting_id,
            n.ref,
            n.title,
            n.code,
            n.on_date,
            n.at,
            n.created_at,
            n.read_at,
        )
        .join(Area, Area.id == n.area_id)
        .where(n.user_id == user_id)
        .order_by(n.created_at.desc(), n.id.desc())
        .limit(limit)
    ).all()
    return [
        NotificationView(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], aware(r[10]), aware(r[11]), r[12] is None
        )
        for r in rows
    ]


def mark_read(conn: Conn, user_id: int, ids: Sequence[int], now: datetime) -> None:
    if ids:
        conn.execute(
            update(NOTIFICATION)
            .where(
                NOTIFICATION.c.user_id == user_id, NOTIFICATION.c.id.in_(list(ids)), NOTIFICATION.c.read_at.is_(None)
            )
            .values(read_at=now)
        )


# ---------------------------------------------------------------- a user's settings


def setting_of(conn: Conn, user_id: int) -> tuple[str, str, tuple[str, ...], str | None, datetime | None, str | None]:
    """(email, digest, kinds, chosen language, last digest, the user's own language) — the defaults without a row."""
    row = conn.execute(
        select(
            User.email,
            NotificationSetting.digest,
            NotificationSetting.kinds,
            NotificationSetting.language,
            NotificationSetting.last_digest_at,
            User.language,
        )
        .select_from(User)
        .outerjoin(NotificationSetting, NotificationSetting.user_id == User.id)
        .where(User.id == user_id)
    ).one()
    return row[0], row[1] or "daily", _kinds(row[2]), row[3], aware(row[4]), row[5]


def save_setting(
    conn: Conn, user_id: int, *, digest: str, kinds: Sequence[str], language: str | None, now: datetime
) -> None:
    values = {"digest": digest, "kinds": ",".join(kinds), "language": language, "updated_at": now}
    statement = _insert(conn, SETTING).values(user_id=user_id, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))


def set_settings(conn: Conn, rows: Sequence[Mapping[str, Any]]) -> None:
    """Give several users their settings at once (the demo): user_id, digest, kinds, language, updated_at."""
    if rows:
        statement = _insert(conn, SETTING)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"digest": excluded.digest, "kinds": excluded.kinds, "language": excluded.language},
        )
        conn.execute(statement, list(rows))


def users_by_email(conn: Conn, emails: Sequence[str]) -> dict[str, int]:
    rows = conn.execute(select(User.email, User.id).where(User.email.in_([e.lower() for e in emails])))
    return {r[0]: r[1] for r in rows}


# ---------------------------------------------------------------- the scheduler's lock


def try_lock(conn: Conn, name: str, *, holder: str, now: datetime, until: datetime, day: date) -> bool:
    """Take the job `name` for `day`: only when nobody holds a live lease and the day is not done yet. Every
    process (on every machine) runs the same conditional UPDATE; one of them moves the row."""
    conn.execute(_insert(conn, LOCK).values(name=name).on_conflict_do_nothing(index_elements=["name"]))
    result = conn.execute(
        update(LOCK)
        .where(
            LOCK.c.name == name,
            or_(LOCK.c.locked_until.is_(None), LOCK.c.locked_until < now),
            or_(LOCK.c.done_day.is_(None), LOCK.c.done_day < day),
        )
        .values(holder=holder, locked_until=until)
    )
    return result.rowcount == 1


def release(conn: Conn, name: str, *, holder: str, done_day: date | None) -> None:
    values: dict[str, Any] = {"holder": None, "locked_until": None}
    if done_day is not None:
        values["done_day"] = done_day
    conn.execute(update(LOCK).where(LOCK.c.name == name, LOCK.c.holder == holder).values(**values))


def done_day(conn: Conn, name: str) -> date | None:
    return conn.execute(select(LOCK.c.done_day).where(LOCK.c.name == name)).scalar_one_or_none()
