"""The SQL of an area's export and import: every row of the area read in one snapshot and turned into the
document's rows (database ids replaced by document-local ones), and a document written back as new rows in
one transaction (new ids, the references mapped onto them).

Reading: one transaction that sees one moment — REPEATABLE READ on PostgreSQL, so every statement reads the
same snapshot; SQLite's read transaction already does — and the big sections (measures, events, reports) are
fetched in batches as they are written out.

Writing: Core INSERTs only (the append-only triggers of migration 0005 refuse UPDATE and DELETE, never
INSERT). Approved minutes refuse new agenda items and attendance (migration 0006), so a meeting whose minutes
are approved is written as held, its items and attendance after it, and then approved in one UPDATE — in the
same transaction, so no reader ever sees the step between.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Table, func, insert, or_, select, text, update

from samordna.domain.clock import aware
from samordna.store.audit import record_audit
from samordna.store.db import Database
from samordna.store.models import (
    AgendaItem,
    AgendaRecipient,
    Area,
    Attendance,
    Body,
    Event,
    Goal,
    Measure,
    MeasureUnit,
    Meeting,
    Membership,
    Milestone,
    RefCounter,
    StatusReport,
    Unit,
    User,
)
from samordna.transfer.document import (
    SECTIONS,
    AgendaItemDoc,
    AreaDoc,
    AttendanceDoc,
    BodyDoc,
    Document,
    EventDoc,
    EventRef,
    GoalDoc,
    MeasureDoc,
    MeetingDoc,
    MemberDoc,
    MilestoneDoc,
    RecipientDoc,
    RefCounterDoc,
    StatusReportDoc,
    UnitDoc,
    UserDoc,
    carried_data,
    ids_in,
    remap,
)

BATCH = 1000
APPROVED = "minutes_approved"
HELD = "held"


def _t(model: Any) -> Table:
    return model.__table__


AREA, UNIT, USER, MEMBERSHIP, GOAL = _t(Area), _t(Unit), _t(User), _t(Membership), _t(Goal)
MEASURE, MEASURE_UNIT, EVENT, REPORT, REF_COUNTER = (
    _t(Measure),
    _t(MeasureUnit),
    _t(Event),
    _t(StatusReport),
    _t(RefCounter),
)
BODY, MEETING, ITEM, RECIPIENT, ATTENDANCE, MILESTONE = (
    _t(Body),
    _t(Meeting),
    _t(AgendaItem),
    _t(AgendaRecipient),
    _t(Attendance),
    _t(Milestone),
)


# Every table an import writes rows to.
WRITTEN = (
    AREA,
    REF_COUNTER,
    BODY,
    UNIT,
    USER,
    MEMBERSHIP,
    GOAL,
    MEASURE,
    MEASURE_UNIT,
    MEETING,
    EVENT,
    REPORT,
    ITEM,
    RECIPIENT,
    ATTENDANCE,
    MILESTONE,
)


def utc(value: datetime) -> datetime:
    return aware(value).astimezone(UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


# ---------------------------------------------------------------- reading


@contextmanager
def snapshot(db: Database) -> Iterator[Connection]:
    """A read-only transaction whose every statement sees the same committed moment."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        else:
            conn = conn.execution_options(samordna_readonly=True)  # a deferred BEGIN (store.db): no write lock
        with conn.begin():
            yield conn


def area_id_of(conn: Connection, slug: str) -> int | None:
    return conn.execute(select(AREA.c.id).where(AREA.c.slug == slug)).scalar_one_or_none()


@dataclass
class Local:
    """Database id → document id, per kind: 1, 2, 3 … in the order of the database's ids."""

    units: dict[int, int] = field(default_factory=dict)
    users: dict[int, int] = field(default_factory=dict)
    goals: dict[int, int] = field(default_factory=dict)
    measures: dict[int, int] = field(default_factory=dict)
    meetings: dict[int, int] = field(default_factory=dict)
    bodies: dict[int, str] = field(default_factory=dict)  # body id → level


def _numbered(ids: Iterable[int]) -> dict[int, int]:
    return {db_id: n for n, db_id in enumerate(sorted(set(ids)), start=1)}


def _ids(conn: Connection, query: Any) -> list[int]:
    return [v for v in conn.execute(query).scalars() if v is not None]


def local_ids(conn: Connection, area_id: int, references: Mapping[str, str]) -> Local:
    """Every id the document names, numbered; users are the members and everyone the area's rows name — the
    contact persons in the measures' history among them."""
    measures = select(MEASURE.c.id).where(MEASURE.c.area_id == area_id)
    meetings = select(MEETING.c.id).where(MEETING.c.area_id == area_id)
    users: set[int] = set()
    for query in (
        select(MEMBERSHIP.c.user_id).where(MEMBERSHIP.c.area_id == area_id),
        select(GOAL.c.created_by_id).where(GOAL.c.area_id == area_id),
        *(
            select(column).where(MEASURE.c.area_id == area_id).distinct()
            for column in (MEASURE.c.created_by_id, MEASURE.c.updated_by_id, MEASURE.c.contact_user_id)
        ),
        select(EVENT.c.actor_id).where(EVENT.c.measure_id.in_(measures)).distinct(),
        select(REPORT.c.author_id).where(REPORT.c.measure_id.in_(measures)).distinct(),
        select(MEETING.c.created_by_id).where(MEETING.c.area_id == area_id),
        select(MEETING.c.agenda_sent_by_id).where(MEETING.c.area_id == area_id),
        select(RECIPIENT.c.user_id).where(RECIPIENT.c.meeting_id.in_(meetings)).distinct(),
        select(ATTENDANCE.c.user_id).where(ATTENDANCE.c.meeting_id.in_(meetings)),
        select(ITEM.c.decided_by_id).where(ITEM.c.meeting_id.in_(meetings)),
    ):
        users.update(_ids(conn, query))
    member_keys = [key for key, section in references.items() if section == "users"]
    if member_keys:
        mentioned = or_(
            *(column.contains(f'"{key}"') for key in member_keys for column in (EVENT.c.changes, EVENT.c.data))
        )
        query = select(EVENT.c.changes, EVENT.c.data).where(EVENT.c.measure_id.in_(measures), mentioned)
        for changes, data in conn.execute(query):
            for values in (json.loads(changes or "{}"), json.loads(data or "{}")):
                for key in member_keys:
                    users.update(ids_in(values.get(key)))
    return Local(
        units=_numbered(_ids(conn, select(UNIT.c.id).where(UNIT.c.area_id == area_id))),
        users=_numbered(users),
        goals=_numbered(_ids(conn, select(GOAL.c.id).where(GOAL.c.area_id == area_id))),
        measures=_numbered(_ids(conn, measures)),
        meetings=_numbered(_ids(conn, meetings)),
        bodies=dict(conn.execute(select(BODY.c.id, BODY.c.level).where(BODY.c.area_id == area_id)).all()),
    )


def _or_none(mapping: dict[int, Any], key: int | None) -> Any:
    return None if key is None else mapping[key]


def _batches(conn: Connection, query: Any) -> Iterator[Any]:
    result = conn.execution_options(yield_per=BATCH).execute(query)
    yield from result.mappings()


def read_area(conn: Connection, area_id: int) -> AreaDoc:
    a = conn.execute(select(AREA).where(AREA.c.id == area_id)).mappings().one()
    return AreaDoc(
        slug=a["slug"],
        name=a["name"],
        kind=a["kind"],
        language=a["language"],
        code=a["code"],
        created_at=utc(a["created_at"]),
    )


def read_ref_counters(conn: Connection, area_id: int) -> Iterator[RefCounterDoc]:
    query = select(REF_COUNTER.c.year, REF_COUNTER.c.last).where(REF_COUNTER.c.area_id == area_id)
    for year, last in conn.execute(query.order_by(REF_COUNTER.c.year)):
        yield RefCounterDoc(year=year, last=last)


def read_units(conn: Connection, area_id: int, local: Local) -> Iterator[UnitDoc]:
    for u in conn.execute(select(UNIT).where(UNIT.c.area_id == area_id).order_by(UNIT.c.id)).mappings():
        yield UnitDoc(id=local.units[u["id"]], name=u["name"], kind=u["kind"], active=bool(u["active"]))


def read_users(conn: Connection, local: Local) -> Iterator[UserDoc]:
    ids = sorted(local.users)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        query = select(USER).where(USER.c.id.in_(chunk)).order_by(USER.c.id)
        for u in conn.execute(query).mappings():
            yield UserDoc(
                id=local.users[u["id"]],
                email=u["email"],
                name=u["name"],
                active=bool(u["active"]),
                language=u["language"],
                created_at=utc(u["created_at"]),
            )


def read_members(conn: Connection, area_id: int, local: Local) -> Iterator[MemberDoc]:
    query = select(MEMBERSHIP).where(MEMBERSHIP.c.area_id == area_id).order_by(MEMBERSHIP.c.id)
    for m in conn.execute(query).mappings():
        yield MemberDoc(
            user=local.users[m["user_id"]],
            role=m["role"],
            unit=_or_none(local.units, m["unit_id"]),
            active=bool(m["active"]),
        )


def read_goals(conn: Connection, area_id: int, local: Local) -> Iterator[GoalDoc]:
    for g in conn.execute(select(GOAL).where(GOAL.c.area_id == area_id).order_by(GOAL.c.id)).mappings():
        yield GoalDoc(
            id=local.goals[g["id"]],
            title=g["title"],
            description=g["description"],
            period_from=g["period_from"],
            period_to=g["period_to"],
            priority=g["priority"],
            active=bool(g["active"]),
            created_at=utc(g["created_at"]),
            created_by=_or_none(local.users, g["created_by_id"]),
        )


# Columns copied as they are (the rest are ids, instants or the participating units).
MEASURE_PLAIN = (
    "ref",
    "title",
    "need_description",
    "knowledge_source",
    "target_group",
    "age_from",
    "age_to",
    "arena",
    "plan",
    "success_criteria",
    "order_text",
    "due_date",
    "follow_up_days",
    "next_follow_up_at",
    "last_health",
    "evaluation_effect",
    "evaluation_method",
    "evaluation_findings",
    "evaluation_recommendation",
    "decision_note",
    "state",
    "version",
)


def read_measures(conn: Connection, area_id: int, local: Local) -> Iterator[MeasureDoc]:
    participating: dict[int, list[int]] = {}
    query = (
        select(MEASURE_UNIT.c.measure_id, MEASURE_UNIT.c.unit_id)
        .join(MEASURE, MEASURE.c.id == MEASURE_UNIT.c.measure_id)
        .where(MEASURE.c.area_id == area_id)
    )
    for measure_id, unit_id in conn.execute(query):
        participating.setdefault(measure_id, []).append(local.units[unit_id])
    rows = select(MEASURE).where(MEASURE.c.area_id == area_id).order_by(MEASURE.c.id)
    for m in _batches(conn, rows):
        yield MeasureDoc(
            id=local.measures[m["id"]],
            **{k: m[k] for k in MEASURE_PLAIN},
            goal=_or_none(local.goals, m["goal_id"]),
            responsible_unit=_or_none(local.units, m["responsible_unit_id"]),
            participating_units=sorted(participating.get(m["id"], [])),
            contact=_or_none(local.users, m["contact_user_id"]),
            created_at=utc(m["created_at"]),
            created_by=local.users[m["created_by_id"]],
            updated_at=utc(m["updated_at"]),
            updated_by=local.users[m["updated_by_id"]],
        )


def read_events(conn: Connection, area_id: int, local: Local, references: Mapping[str, str]) -> Iterator[EventDoc]:
    """The area's events in the order they were written; the ids in their history as document ids."""
    maps = {"goals": local.goals, "units": local.units, "users": local.users}
    query = (
        select(EVENT)
        .join(MEASURE, MEASURE.c.id == EVENT.c.measure_id)
        .where(MEASURE.c.area_id == area_id)
        .order_by(EVENT.c.id)
    )
    for e in _batches(conn, query):
        yield EventDoc(
            measure=local.measures[e["measure_id"]],
            version=e["version"],
            at=utc(e["at"]),
            actor=local.users[e["actor_id"]],
            trigger=e["trigger"],
            from_state=e["from_state"],
            to_state=e["to_state"],
            comment=e["comment"],
            changes=remap(json.loads(e["changes"] or "{}"), references, maps, pairs=True),
            data=remap(carried_data(e["trigger"], json.loads(e["data"] or "{}")), references, maps, pairs=False),
            meeting=_or_none(local.meetings, e["meeting_id"]),
        )


def read_status_reports(conn: Connection, area_id: int, local: Local) -> Iterator[StatusReportDoc]:
    query = (
        select(REPORT)
        .join(MEASURE, MEASURE.c.id == REPORT.c.measure_id)
        .where(MEASURE.c.area_id == area_id)
        .order_by(REPORT.c.id)
    )
    for r in _batches(conn, query):
        yield StatusReportDoc(
            measure=local.measures[r["measure_id"]],
            author=local.users[r["author_id"]],
            at=utc(r["at"]),
            health=r["health"],
            note=r["note"],
        )


def read_bodies(conn: Connection, area_id: int) -> Iterator[BodyDoc]:
    query = select(BODY.c.level, BODY.c.name).where(BODY.c.area_id == area_id).order_by(BODY.c.id)
    for level, name in conn.execute(query):
        yield BodyDoc(level=level, name=name)  # the calendar key is a secret: never exported


def read_meetings(conn: Connection, area_id: int, local: Local) -> Iterator[MeetingDoc]:
    query = select(MEETING).where(MEETING.c.area_id == area_id).order_by(MEETING.c.id)
    for m in _batches(conn, query):
        yield MeetingDoc(
            id=local.meetings[m["id"]],
            body=local.bodies[m["body_id"]],
            title=m["title"],
            starts_at=utc(m["starts_at"]),
            ends_at=utc(m["ends_at"]),
            place=m["place"],
            state=m["state"],
            version=m["version"],
            cancel_reason=m["cancel_reason"],
            minutes_summary=m["minutes_summary"],
            agenda_sent_at=utc_or_none(m["agenda_sent_at"]),
            agenda_sent_by=_or_none(local.users, m["agenda_sent_by_id"]),
            held_at=utc_or_none(m["held_at"]),
            minutes_approved_at=utc_or_none(m["minutes_approved_at"]),
            approved_in=_or_none(local.meetings, m["approved_in_id"]),
            created_at=utc(m["created_at"]),
            created_by=_or_none(local.users, m["created_by_id"]),
        )


def read_agenda_items(conn: Connection, area_id: int, local: Local) -> Iterator[AgendaItemDoc]:
    query = (
        select(ITEM, EVENT.c.measure_id.label("event_measure_id"), EVENT.c.version.label("event_version"))
        .join(MEETING, MEETING.c.id == ITEM.c.meeting_id)
        .outerjoin(EVENT, EVENT.c.id == ITEM.c.decision_event_id)
        .where(MEETING.c.area_id == area_id)
        .order_by(ITEM.c.id)
    )
    for a in _batches(conn, query):
        decision = None
        if a["decision_event_id"] is not None:
            decision = EventRef(measure=local.measures[a["event_measure_id"]], version=a["event_version"])
        yield AgendaItemDoc(
            meeting=local.meetings[a["meeting_id"]],
            year=a["year"],
            number=a["number"],
            position=a["position"],
            kind=a["kind"],
            reason=a["reason"],
            measure=_or_none(local.measures, a["measure_id"]),
            goal=_or_none(local.goals, a["goal_id"]),
            title=a["title"],
            text=a["text"],
            note=a["note"],
            decision_trigger=a["decision_trigger"],
            decision_event=decision,
            decided_by=_or_none(local.users, a["decided_by_id"]),
        )


def read_recipients(conn: Connection, area_id: int, local: Local) -> Iterator[RecipientDoc]:
    query = select(RECIPIENT).join(MEETING, MEETING.c.id == RECIPIENT.c.meeting_id).where(MEETING.c.area_id == area_id)
    rows = [
        RecipientDoc(
            meeting=local.meetings[r["meeting_id"]],
            user=local.users[r["user_id"]],
            email=r["email"],
            sent_at=utc(r["sent_at"]),
        )
        for r in conn.execute(query).mappings()
    ]
    yield from sorted(rows, key=lambda r: (r.meeting, r.user))


def read_attendance(conn: Connection, area_id: int, local: Local) -> Iterator[AttendanceDoc]:
    query = (
        select(ATTENDANCE)
        .join(MEETING, MEETING.c.id == ATTENDANCE.c.meeting_id)
        .where(MEETING.c.area_id == area_id)
        .order_by(ATTENDANCE.c.id)
    )
    for a in conn.execute(query).mappings():
        yield AttendanceDoc(
            meeting=local.meetings[a["meeting_id"]],
            user=_or_none(local.users, a["user_id"]),
            name=a["name"],
            status=a["status"],
        )


def read_milestones(conn: Connection, area_id: int) -> Iterator[MilestoneDoc]:
    query = select(MILESTONE).where(MILESTONE.c.area_id == area_id).order_by(MILESTONE.c.id)
    for m in conn.execute(query).mappings():
        yield MilestoneDoc(
            title=m["title"], month=m["month"], day=m["day"], level=m["level"], description=m["description"]
        )


# ---------------------------------------------------------------- writing


def conflicts(conn: Connection, doc: Document) -> list[str]:
    """What in this database stops the document from being imported (each a sentence), or nothing."""
    found = []
    if area_id_of(conn, doc.area.slug) is not None:
        found.append(
            f"Området «{doc.area.slug}» finnes allerede i denne databasen. Importen lager et nytt område; "
            "den slår ikke sammen og overskriver ikke."
        )
    holder = conn.execute(select(AREA.c.slug).where(AREA.c.code == doc.area.code)).scalar()
    if holder is not None and holder != doc.area.slug:
        found.append(
            f"Områdekoden {doc.area.code} brukes allerede av området «{holder}». Tiltakenes referanser "
            f"({doc.area.code}-ÅÅÅÅ-NNN) må være unike i hele databasen."
        )
    refs = [m.ref for m in doc.measures]
    taken: list[str] = []
    for start in range(0, len(refs), BATCH):
        chunk = refs[start : start + BATCH]
        taken += conn.execute(select(MEASURE.c.ref).where(MEASURE.c.ref.in_(chunk))).scalars().all()
    if taken and holder is None:
        shown = ", ".join(sorted(taken)[:5]) + (" …" if len(taken) > 5 else "")
        found.append(f"Tiltaksreferansene {shown} finnes allerede i denne databasen.")
    return found


@dataclass(frozen=True)
class Written:
    area_id: int
    counts: dict[str, int]
    new_users: list[str]  # e-mail addresses of the users created (without a password)
    linked_users: list[str]  # e-mail addresses of users that were already here


def _allocate(conn: Connection, table: Table, n: int) -> list[int]:
    """`n` new ids for `table`, ascending: from its sequence on PostgreSQL; on SQLite after the largest id,
    as SQLite itself would give them (the write transaction holds the database's write lock)."""
    if conn.dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
        return sorted(conn.execute(query, {"table": table.name, "n": n}).scalars())
    first = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(first, first + n))


def _insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT the rows; their new ids, in the rows' order (ascending, so a new export keeps the order).

    The ids are taken first and the rows sent as one executemany without RETURNING: psycopg then sends one
    statement in a pipeline, where INSERT … RETURNING of thousands of rows would build and parse a statement
    per batch (18 s against a few for 68 000 events)."""
    if not rows:
        return []
    if "id" not in table.c:
        conn.execute(insert(table), list(rows))
        return []
    ids = _allocate(conn, table, len(rows))
    conn.execute(insert(table), [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)])
    return ids


def _new_ids(conn: Connection, table: Table, docs: Sequence[Any], rows: Sequence[dict[str, Any]]) -> dict[int, int]:
    """INSERT the rows made from `docs`: document id → new database id."""
    return dict(zip([d.id for d in docs], _insert(conn, table, rows), strict=True))


def _row(doc_row: Any, *, drop: Iterable[str] = (), **columns: Any) -> dict[str, Any]:
    """A document row's own fields as columns, less its id and the references in `drop`, plus `columns`
    (the references as this database's ids)."""
    values = msgspec.structs.asdict(doc_row)
    for name in ("id", *drop):
        values.pop(name, None)
    return values | columns


def _dumps(value: Any) -> str:
    """JSON text for an event's changes or data (msgspec: the same values as json.dumps, five times faster)."""
    return msgspec.json.encode(value).decode()


class _Ids:
    """Document id → new database id, per kind, filled as the sections are written."""

    def __init__(self) -> None:
        self.units: dict[int, int] = {}
        self.users: dict[int, int] = {}
        self.goals: dict[int, int] = {}
        self.measures: dict[int, int] = {}
        self.meetings: dict[int, int] = {}
        self.bodies: dict[str, int] = {}
        self.events: dict[tuple[int, int], int] = {}

    @staticmethod
    def of(mapping: dict[Any, int], key: Any) -> int | None:
        return None if key is None else mapping[key]


def write_document(conn: Connection, doc: Document, references: Mapping[str, str]) -> Written:
    """Every row of the document as new rows of this database, parents first; the caller's transaction.
    `references`: the keys of the events' history that hold ids (document.history_references)."""
    ids, of = _Ids(), _Ids.of
    area_id = _insert(conn, AREA, [_row(doc.area)])[0]
    _insert(conn, REF_COUNTER, [_row(c, area_id=area_id) for c in doc.ref_counters])
    # Each body a new calendar key: the old address stays with the old database.
    keys = [secrets.token_urlsafe(24) for _b in doc.bodies]
    rows = [_row(b, area_id=area_id, feed_key=key) for b, key in zip(doc.bodies, keys, strict=True)]
    ids.bodies = dict(zip([b.level for b in doc.bodies], _insert(conn, BODY, rows), strict=True))
    ids.units = _new_ids(conn, UNIT, doc.units, [_row(u, area_id=area_id) for u in doc.units])
    new_users, linked_users = _write_users(conn, doc, ids)
    _insert(
        conn,
        MEMBERSHIP,
        [
            _row(m, drop=("user", "unit"), area_id=area_id, user_id=ids.users[m.user], unit_id=of(ids.units, m.unit))
            for m in doc.members
        ],
    )
    rows = [
        _row(g, drop=("created_by",), area_id=area_id, created_by_id=of(ids.users, g.created_by)) for g in doc.goals
    ]
    ids.goals = _new_ids(conn, GOAL, doc.goals, rows)
    _write_measures(conn, doc, ids, area_id, references)
    _write_meetings(conn, doc, ids, area_id)
    _insert(conn, MILESTONE, [_row(m, area_id=area_id) for m in doc.milestones])
    if conn.dialect.name == "postgresql":
        # Fresh statistics for the planner, committed with the rows: until autovacuum gets to them, a table that
        # grew from nothing to 68 000 events is planned as empty (a first export took 28 s instead of 2).
        conn.execute(text(f"ANALYZE {', '.join(t.name for t in WRITTEN)}"))
    counts = {name: len(getattr(doc, name)) for name in SECTIONS if name not in ("area", "ref_counters", "bodies")}
    return Written(area_id=area_id, counts=counts, new_users=new_users, linked_users=linked_users)


def _write_users(conn: Connection, doc: Document, ids: _Ids) -> tuple[list[str], list[str]]:
    """Users are linked by e-mail when they are here already (their name, password and status stay theirs);
    the others are created without a password, so nobody can log in as them until one is set. The e-mail
    addresses of the new ones and of the linked ones."""
    emails = [u.email.strip().lower() for u in doc.users]
    existing: dict[str, int] = {}
    for start in range(0, len(emails), BATCH):
        chunk = emails[start : start + BATCH]
        existing.update(conn.execute(select(USER.c.email, USER.c.id).where(USER.c.email.in_(chunk))).all())
    new = [(u, email) for u, email in zip(doc.users, emails, strict=True) if email not in existing]
    rows = [_row(u, email=email, password_hash=None) for u, email in new]
    by_email = existing | dict(zip([email for _u, email in new], _insert(conn, USER, rows), strict=True))
    ids.users = {u.id: by_email[email] for u, email in zip(doc.users, emails, strict=True)}
    return [email for _u, email in new], sorted(existing)


def _write_measures(conn: Connection, doc: Document, ids: _Ids, area_id: int, references: Mapping[str, str]) -> None:
    """Measures with their participating units, then every event in the document's order, then the status
    reports. An event's meeting is written before it (`_write_meetings` then adds the agenda items that
    point at events)."""
    of, users = _Ids.of, ids.users
    rows = [
        _row(
            m,
            drop=("goal", "responsible_unit", "participating_units", "contact", "created_by", "updated_by"),
            area_id=area_id,
            goal_id=of(ids.goals, m.goal),
            responsible_unit_id=of(ids.units, m.responsible_unit),
            contact_user_id=of(users, m.contact),
            created_by_id=users[m.created_by],
            updated_by_id=users[m.updated_by],
        )
        for m in doc.measures
    ]
    ids.measures = _new_ids(conn, MEASURE, doc.measures, rows)
    rows = [
        {"measure_id": ids.measures[m.id], "unit_id": ids.units[u]} for m in doc.measures for u in m.participating_units
    ]
    _insert(conn, MEASURE_UNIT, rows)
    # The meetings come first: events name them. Approved ones are written as held until their items and
    # attendance are in (the database refuses both under approved minutes).
    rows = [
        _row(
            m,
            drop=("body", "agenda_sent_by", "approved_in", "created_by"),
            area_id=area_id,
            body_id=ids.bodies[m.body],
            state=HELD if m.state == APPROVED else m.state,
            agenda_sent_by_id=of(users, m.agenda_sent_by),
            approved_in_id=None,
            created_by_id=of(users, m.created_by),
        )
        for m in doc.meetings
    ]
    ids.meetings = _new_ids(conn, MEETING, doc.meetings, rows)
    maps = {"goals": ids.goals, "units": ids.units, "users": users}
    rows = [
        _row(
            e,
            drop=("measure", "actor", "meeting"),
            measure_id=ids.measures[e.measure],
            actor_id=users[e.actor],
            changes=_dumps(remap(e.changes, references, maps, pairs=True)),
            data=_dumps(remap(carried_data(e.trigger, e.data), references, maps, pairs=False)),
            meeting_id=of(ids.meetings, e.meeting),
        )
        for e in doc.events
    ]
    ids.events = dict(zip([(e.measure, e.version) for e in doc.events], _insert(conn, EVENT, rows), strict=True))
    rows = [
        _row(r, drop=("measure", "author"), measure_id=ids.measures[r.measure], author_id=users[r.author])
        for r in doc.status_reports
    ]
    _insert(conn, REPORT, rows)


def _write_meetings(conn: Connection, doc: Document, ids: _Ids, area_id: int) -> None:
    """The agenda items, recipients and attendance of the meetings already written; then each meeting's own
    state and the meeting its minutes were approved in."""
    of, users = _Ids.of, ids.users
    body_of = {m.id: ids.bodies[m.body] for m in doc.meetings}
    rows = [
        _row(
            a,
            drop=("meeting", "measure", "goal", "decision_event", "decided_by"),
            meeting_id=ids.meetings[a.meeting],
            body_id=body_of[a.meeting],
            measure_id=of(ids.measures, a.measure),
            goal_id=of(ids.goals, a.goal),
            decision_event_id=None
            if a.decision_event is None
            else ids.events[(a.decision_event.measure, a.decision_event.version)],
            decided_by_id=of(users, a.decided_by),
        )
        for a in doc.agenda_items
    ]
    _insert(conn, ITEM, rows)
    rows = [
        _row(r, drop=("meeting", "user"), meeting_id=ids.meetings[r.meeting], user_id=users[r.user])
        for r in doc.agenda_recipients
    ]
    _insert(conn, RECIPIENT, rows)
    rows = [
        _row(a, drop=("meeting", "user"), meeting_id=ids.meetings[a.meeting], user_id=of(users, a.user))
        for a in doc.attendance
    ]
    _insert(conn, ATTENDANCE, rows)
    for m in doc.meetings:
        if m.state == APPROVED or m.approved_in is not None:
            conn.execute(
                update(MEETING)
                .where(MEETING.c.id == ids.meetings[m.id])
                .values(state=m.state, approved_in_id=of(ids.meetings, m.approved_in))
            )


def record(conn: Connection, *, kind: str, area_id: int, actor_id: int | None, subject: str, detail: dict) -> None:
    """An entry in the area's audit log (an export taken, an area imported)."""
    record_audit(conn, kind=kind, area_id=area_id, actor_id=actor_id, subject=subject, detail=detail)  # type: ignore[arg-type]
