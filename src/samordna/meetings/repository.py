"""The meetings' SQL: bodies, meetings, agenda items and recipients, and the reads of the boards an agenda
is generated from. On the store session the service opens (`db.read()` / `db.write()`).

The agenda's measures are read as index walks of `ix_measure_board` (area, state, next follow-up, last
change, id, …, last health, …): one range per reason and state, so the work follows the measures that
need the body, not the measures the area holds. The goals' status lines are one aggregate over the goal
index (the steering board's own query).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, union_all
from sqlmodel import Session

from samordna.boards.repository import goal_tallies as board_goal_tallies
from samordna.domain.errors import FieldError
from samordna.organisation import repository as org
from samordna.store.audit import record_audit
from samordna.store.models import (
    AgendaItem,
    AgendaRecipient,
    Area,
    Attendance,
    Body,
    Event,
    Goal,
    Measure,
    Meeting,
    Membership,
    User,
)
from samordna.workflow import FieldDef

Tx = Session
MEASURE = Measure.__table__


# ---------------------------------------------------------------- the area and its bodies


def area_by_slug(s: Tx, slug: str, *, lock: bool = False) -> Area | None:
    return org.area_by_slug(s, slug, lock=lock)


def area(s: Tx, area_id: int) -> Area | None:
    return s.get(Area, area_id)


def bodies_of(s: Tx, area_id: int) -> list[Body]:
    return list(s.execute(select(Body).where(Body.area_id == area_id)).scalars())


def body_in(s: Tx, area_id: int, body_id: int, *, lock: bool = False) -> Body | None:
    query = select(Body).where(Body.id == body_id, Body.area_id == area_id)
    return s.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def body(s: Tx, body_id: int, *, lock: bool = False) -> Body | None:
    query = select(Body).where(Body.id == body_id)
    return s.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def clean_values(
    s: Tx, area_id: int, fields: Iterable[tuple[FieldDef, bool]], data: Mapping[str, Any], today: date
) -> tuple[dict[str, Any], list[FieldError]]:
    return org.clean_values(s, area_id, fields, data, today)


def audit(s: Tx, *, area_id: int, actor_id: int, kind: str, subject: str, detail: dict[str, Any] | None = None) -> None:
    record_audit(s, kind=kind, area_id=area_id, actor_id=actor_id, subject=subject[:254], detail=detail)


def save(s: Tx, *rows: Any) -> None:
    s.add_all(rows)
    s.flush()


# ---------------------------------------------------------------- meetings


def meeting(s: Tx, meeting_id: int, *, lock: bool = False) -> Meeting | None:
    query = select(Meeting).where(Meeting.id == meeting_id)
    return s.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def coming_and_past(s: Tx, body_id: int, now: datetime, *, limit: int) -> tuple[list[Meeting], list[Meeting]]:
    """The body's next `limit` meetings (ending now or later, soonest first) and its last `limit` (latest first)."""
    coming = s.execute(
        select(Meeting)
        .where(Meeting.body_id == body_id, Meeting.ends_at >= now)
        .order_by(Meeting.starts_at)
        .limit(limit)
    ).scalars()
    past = s.execute(
        select(Meeting)
        .where(Meeting.body_id == body_id, Meeting.ends_at < now)
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    ).scalars()
    return list(coming), list(past)


def meeting_starts(s: Tx, body_id: int, start: datetime, end: datetime) -> list[datetime]:
    """When the body's meetings (not cancelled) between `start` and `end` begin."""
    rows = s.execute(
        select(Meeting.starts_at).where(
            Meeting.body_id == body_id,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Meeting.state != "cancelled",
        )
    ).scalars()
    return list(rows)


def new_meeting(s: Tx, **values: Any) -> Meeting:
    row = Meeting(**values)
    save(s, row)
    return row


# ---------------------------------------------------------------- agenda items


def items_of(s: Tx, meeting_id: int) -> list[Mapping[str, Any]]:
    """The meeting's items in their order, with the measure's ref and state for a measure item."""
    i = AgendaItem.__table__.c
    m = MEASURE.c
    query = (
        select(
            i.id,
            i.position,
            i.number,
            i.year,
            i.kind,
            i.reason,
            i.measure_id,
            m.ref.label("measure_ref"),
            m.state.label("measure_state"),
            i.goal_id,
            i.title,
            i.text,
            i.note,
            i.decision_trigger,
            i.decision_event_id,
        )
        .select_from(AgendaItem.__table__.outerjoin(MEASURE, m.id == i.measure_id))
        .where(i.meeting_id == meeting_id)
        .order_by(i.position, i.id)
    )
    return list(s.execute(query).mappings().all())


def item_rows(s: Tx, meeting_id: int) -> list[AgendaItem]:
    return list(
        s.execute(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position, AgendaItem.id)
        ).scalars()
    )


def new_item(s: Tx, **values: Any) -> AgendaItem:
    row = AgendaItem(**values)
    save(s, row)
    return row


# What a new item holds until the agenda is sent and the meeting held.
ITEM_DEFAULTS: dict[str, Any] = {
    "number": None,
    "note": "",
    "decision_trigger": None,
    "decision_event_id": None,
    "decided_by_id": None,
}


def new_items(s: Tx, rows: Sequence[Mapping[str, Any]]) -> None:
    """Many items in one INSERT with a parameter set per item (an agenda's generated items): the statements
    stay the same however many items there are, and no ORM object is built for them. Every row gives
    `meeting_id`, `body_id`, `year`, `position`, `kind`, `reason`, `measure_id`, `goal_id`, `title`, `text`."""
    if rows:
        s.execute(insert(AgendaItem.__table__), [{**ITEM_DEFAULTS, **row} for row in rows])


def delete_item(s: Tx, item: AgendaItem) -> None:
    s.delete(item)
    s.flush()


def last_number(s: Tx, body_id: int, year: int) -> int:
    """The highest item number the body has given in `year` (0 for none)."""
    found = s.execute(
        select(func.max(AgendaItem.number)).where(AgendaItem.body_id == body_id, AgendaItem.year == year)
    ).scalar_one()
    return found or 0


# ---------------------------------------------------------------- what needs the body (from the boards)


def _walk(reason: str, *conditions: Any) -> Any:
    c = MEASURE.c
    return select(c.id, c.title, c.state, c.updated_at, literal(reason).label("reason")).where(*conditions)


def measures_needing(
    s: Tx,
    *,
    area_id: int,
    level: str,
    day: date,
    follow_up_states: Sequence[str],
) -> list[Mapping[str, Any]]:
    """Every measure that needs the body on `day`, with why, as index walks over ix_measure_board.

    Coordination: new needs, initiated without a responsible unit, follow-ups overdue (the next follow-up
    before `day`) or off track, measures under evaluation. Steering: evaluated measures awaiting a decision.
    A measure may come up for several reasons; each row gives one (the caller keeps the first)."""
    c = MEASURE.c
    area = c.area_id == area_id
    if level == "steering":
        parts = [_walk("awaiting_decision", area, c.state == "evaluated")]
    elif level == "coordination":
        states = list(follow_up_states)
        parts = [
            _walk("need_identified", area, c.state == "need_identified"),
            _walk("without_responsibility", area, c.state == "initiated", c.responsible_unit_id.is_(None)),
            _walk("overdue", area, c.state.in_(states), c.next_follow_up_at < day),
            _walk("off_track", area, c.state.in_(states), c.last_health == "off_track"),
            _walk("under_evaluation", area, c.state == "under_evaluation"),
        ]
    else:
        return []
    return list(s.execute(union_all(*parts)).mappings().all())


def active_goals(s: Tx, area_id: int) -> list[Goal]:
    return list(
        s.execute(select(Goal).where(Goal.area_id == area_id, Goal.active).order_by(Goal.priority, Goal.id)).scalars()
    )


def goal_tallies(s: Tx, area_id: int) -> list[tuple[int, str, str | None, str | None, int]]:
    """(goal, state, last health, evaluated effect, measures): the steering board's aggregate."""
    return board_goal_tallies(s.connection(), area_id)


# ---------------------------------------------------------------- recipients


def members_with_roles(s: Tx, area_id: int, roles: Sequence[str]) -> list[tuple[int, str, str]]:
    """(user id, name, e-mail) of the area's active members (active users) with one of `roles`."""
    rows = s.execute(
        select(User.id, User.name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.area_id == area_id, Membership.active, User.active, Membership.role.in_(list(roles)))
        .order_by(User.name, User.id)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def add_recipients(s: Tx, meeting_id: int, people: Sequence[tuple[int, str, str]], at: datetime) -> None:
    s.add_all(AgendaRecipient(meeting_id=meeting_id, user_id=uid, email=email, sent_at=at) for uid, _n, email in people)
    s.flush()


def recipients_of(s: Tx, meeting_id: int) -> list[tuple[int, str, str, datetime]]:
    rows = s.execute(
        select(AgendaRecipient.user_id, User.name, AgendaRecipient.email, AgendaRecipient.sent_at)
        .join(User, User.id == AgendaRecipient.user_id)
        .where(AgendaRecipient.meeting_id == meeting_id)
        .order_by(User.name, User.id)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


# ---------------------------------------------------------------- decisions, attendance, minutes


def item(s: Tx, meeting_id: int, item_id: int, *, lock: bool = False) -> AgendaItem | None:
    query = select(AgendaItem).where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting_id)
    return s.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def attendance_of(s: Tx, meeting_id: int) -> list[Attendance]:
    return list(
        s.execute(select(Attendance).where(Attendance.meeting_id == meeting_id).order_by(Attendance.id)).scalars()
    )


def new_attendance(s: Tx, **values: Any) -> Attendance:
    row = Attendance(**values)
    save(s, row)
    return row


def awaiting_approval(s: Tx, body_id: int, before: datetime) -> list[Meeting]:
    """The body's held meetings that started before `before`, latest first: their minutes await approval."""
    query = (
        select(Meeting)
        .where(Meeting.body_id == body_id, Meeting.state == "held", Meeting.starts_at < before)
        .order_by(Meeting.starts_at.desc())
    )
    return list(s.execute(query).scalars())


def user_names(s: Tx, user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return dict(s.execute(select(User.id, User.name).where(User.id.in_(ids))).all())  # type: ignore[attr-defined]


def decision_changes(s: Tx, event_ids: Iterable[int]) -> dict[int, str]:
    """event id -> the event's changes (JSON text): what a decision recorded in the meeting set."""
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    return dict(s.execute(select(Event.id, Event.changes).where(Event.id.in_(ids))).all())  # type: ignore[attr-defined]
