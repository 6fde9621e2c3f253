"""SQLModel tables: the schema of record. Alembic migrations are generated from these."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- organisation


class Area(SQLModel, table=True):
    __tablename__ = "area"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default="municipality", max_length=20)  # municipality | intermunicipal | district
    language: str = Field(default="nb", max_length=2)  # nb | nn
    code: str = Field(max_length=8)  # prefix of measure refs, e.g. EKS
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Unit(SQLModel, table=True):
    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("area_id", "name", name="uq_unit_area_name"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default="municipal", max_length=20)  # municipal|police|voluntary|business|state|other
    active: bool = Field(default=True)


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)  # stored lower-case
    name: str = Field(max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = Field(default=True)
    language: str | None = Field(default=None, max_length=2)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Membership(SQLModel, table=True):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "area_id", name="uq_membership_user_area"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    role: str = Field(max_length=20)  # steering | coordinator | coordination | executing | viewer
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    active: bool = Field(default=True)


class Goal(SQLModel, table=True):
    __tablename__ = "goal"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column_kwargs={"nullable": False}, sa_type=Text)
    period_from: int
    period_to: int
    priority: int = Field(default=1)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


# ---------------------------------------------------------------- measures


class RefCounter(SQLModel, table=True):
    """The last sequence number handed out per area and year (EKS-2026-014)."""

    __tablename__ = "ref_counter"

    area_id: int = Field(foreign_key="area.id", primary_key=True)
    year: int = Field(primary_key=True)
    last: int = Field(default=0)


class MeasureTally(SQLModel, table=True):
    """How many measures of an area share a state, goal, arena, last health and evaluated effect, kept by
    the database's triggers on `measure` in the writing transaction (migration 0011): the boards' column
    totals and the steering board's goal progress read these few rows instead of counting the area.
    NULLs are kept as 0 (goal) and '' (the texts), so the key is one row per combination on both engines."""

    __tablename__ = "measure_tally"

    area_id: int = Field(primary_key=True)
    state: str = Field(max_length=40, primary_key=True)
    goal_id: int = Field(primary_key=True)
    arena: str = Field(max_length=40, primary_key=True)
    last_health: str = Field(max_length=20, primary_key=True)
    evaluation_effect: str = Field(max_length=40, primary_key=True)
    n: int = Field(default=0)


class UnitTally(SQLModel, table=True):
    """How many of an area's measures in a state are «our measures» for a unit — the unit is responsible or
    takes part (measure_unit), each measure counted once per unit — kept by the database's triggers on
    `measure` and `measure_unit` in the writing transaction (migration 0014): the totals of a board locked
    to a unit read a row per column instead of counting the unit's measures."""

    __tablename__ = "unit_tally"

    area_id: int = Field(primary_key=True)
    unit_id: int = Field(primary_key=True)
    state: str = Field(max_length=40, primary_key=True)
    n: int = Field(default=0)


class Measure(SQLModel, table=True):
    __tablename__ = "measure"
    __table_args__ = (
        # The boards (services.boards, migration 0004): each column walked in the board's order, never
        # sorted; the filter columns after it, so totals under any filter need no table row.
        Index(
            "ix_measure_board",
            "area_id",
            "state",
            "next_follow_up_at",
            "updated_at",
            "id",
            "goal_id",
            "last_health",
            "arena",
            "responsible_unit_id",
        ),
        Index("ix_measure_area_goal", "area_id", "goal_id", "state", "last_health", "evaluation_effect"),
        Index("ix_measure_area_unit", "area_id", "responsible_unit_id"),
        # The measure list's default order, newest change first (migration 0007, which also adds the
        # free-text search index: FTS5 on SQLite, a generated tsvector column on PostgreSQL).
        Index("ix_measure_area_updated", "area_id", "updated_at", "id"),
        # The execution board's «Behov vi har meldt»: one walk per registrant, newest change first, the
        # state read from the index (migration 0012).
        Index("ix_measure_registrant", "area_id", "created_by_id", "updated_at", "id", "state"),
        # The API's pages in id order, a keyset after the last id given (migration 0012).
        Index("ix_measure_area_id", "area_id", "id"),
        # The area's first registration (the report's years) and the list's year filter (migration 0012).
        Index("ix_measure_area_created", "area_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id")
    ref: str = Field(max_length=32, unique=True)
    title: str = Field(max_length=200)
    need_description: str = Field(sa_type=Text)
    knowledge_source: str = Field(max_length=200)
    target_group: str = Field(max_length=200)
    age_from: int | None = None
    age_to: int | None = None
    arena: str = Field(max_length=20)
    goal_id: int | None = Field(default=None, foreign_key="goal.id")
    plan: str | None = Field(default=None, sa_type=Text)
    success_criteria: str | None = Field(default=None, sa_type=Text)
    responsible_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    contact_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    order_text: str | None = Field(default=None, sa_type=Text)
    due_date: date | None = None
    follow_up_days: int | None = None
    next_follow_up_at: date | None = None
    last_health: str | None = Field(default=None, max_length=20)
    evaluation_effect: str | None = Field(default=None, max_length=20)
    evaluation_method: str | None = Field(default=None, sa_type=Text)
    evaluation_findings: str | None = Field(default=None, sa_type=Text)
    evaluation_recommendation: str | None = Field(default=None, max_length=20)
    decision_note: str | None = Field(default=None, sa_type=Text)
    state: str = Field(max_length=40)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    created_by_id: int = Field(foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_by_id: int = Field(foreign_key="user_account.id")


class MeasureUnit(SQLModel, table=True):
    """A unit taking part in a measure besides the responsible one."""

    __tablename__ = "measure_unit"

    measure_id: int = Field(foreign_key="measure.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)


class StatusReport(SQLModel, table=True):
    __tablename__ = "status_report"

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    author_id: int = Field(foreign_key="user_account.id")
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    health: str = Field(max_length=20)
    note: str = Field(sa_type=Text)


class Event(SQLModel, table=True):
    """The audit trail: append-only; no code path updates or deletes an event, and the database refuses
    to (migration 0005). One event per version of a measure."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("measure_id", "version", name="uq_event_measure_version"),
        # The steering group's decisions, newest first, one walk per trigger that stops after a page
        # (migration 0011; before it, the steering board read every event of the area's measures).
        Index("ix_event_trigger_at", "trigger", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    actor_id: int = Field(foreign_key="user_account.id")
    trigger: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=40)
    to_state: str = Field(max_length=40)
    comment: str | None = Field(default=None, sa_type=Text)
    changes: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON {field: [old, new]}
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON of inputs not stored
    version: int
    # The meeting in which the decision was taken (a decision recorded from a meeting's agenda); else None.
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)


class SavedView(SQLModel, table=True):
    """A view of the measure list a user saved under a name (its filters, search and sort as a URL query),
    found again in the user's menu. One name per user and area."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("user_id", "area_id", "name", name="uq_saved_view_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    area_id: int = Field(foreign_key="area.id")
    name: str = Field(max_length=80)
    query: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the token
    name: str = Field(default="", max_length=100)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WebSession(SQLModel, table=True):
    """Server-side browser sessions, shared by every worker; the cookie holds only the key."""

    __tablename__ = "web_session"

    key: str = Field(primary_key=True, max_length=128)
    data: bytes = Field(sa_type=LargeBinary)
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), index=True)


class AuditEntry(SQLModel, table=True):
    """Changes to an area's organisation and security events (log-ins, refusals, role changes).

    Append-only like Event (the database refuses UPDATE and DELETE, as on status_report). Never holds a
    password or a national identity number."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_area_at", "area_id", "at"),
        Index("ix_audit_kind_subject_at", "kind", "subject", "at"),
        Index("ix_audit_kind_ip_at", "kind", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    area_id: int | None = Field(default=None, foreign_key="area.id")
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    kind: str = Field(max_length=40)  # e.g. login_failed, login, logout, unit_added, member_role_changed
    subject: str = Field(default="", max_length=254)  # what it is about: an e-mail (lower-case), a unit name
    ip: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON


# ---------------------------------------------------------------- meetings (DESIGN.md §11)


class Body(SQLModel, table=True):
    """A body that meets: one per level and area, named in the area's own words (politiråd, arbeidsutvalg,
    faggruppe, SLT-samling). `feed_key` is the secret in the body's calendar URL; renewing it replaces it."""

    __tablename__ = "body"
    __table_args__ = (UniqueConstraint("area_id", "level", name="uq_body_area_level"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    level: str = Field(max_length=20)  # steering | coordination | executing | all
    name: str = Field(max_length=200)
    feed_key: str = Field(max_length=64, unique=True)


class Meeting(SQLModel, table=True):
    """A meeting of a body; its lifecycle is workflows/meeting.toml. Times are stored in UTC and shown in
    the area's time zone. Once the minutes are approved the database refuses every change (migration 0006)."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_area_starts", "area_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id")
    body_id: int = Field(foreign_key="body.id", index=True)
    title: str = Field(max_length=200)
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    place: str = Field(default="", max_length=200)
    state: str = Field(max_length=40)
    version: int = Field(default=1)
    cancel_reason: str | None = Field(default=None, sa_type=Text)
    minutes_summary: str = Field(default="", sa_column_kwargs={"nullable": False}, sa_type=Text)
    agenda_sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    agenda_sent_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    held_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    minutes_approved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The later meeting of the same body in which these minutes were approved.
    approved_in_id: int | None = Field(default=None, foreign_key="meeting.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class AgendaItem(SQLModel, table=True):
    """One item (sak) of a meeting's agenda, and its line in the minutes.

    `kind`: measure (generated: one measure that needs the body, `reason` says why), goal (generated: a
    goal's status for the steering group), or a free item: orientation | discussion | decision.
    `number` is given when the agenda is sent: per body and year (Sak 03/27), unique there."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("body_id", "year", "number", name="uq_agenda_item_number"),
        Index("ix_agenda_item_meeting", "meeting_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    body_id: int = Field(foreign_key="body.id")
    year: int
    number: int | None = Field(default=None)
    position: int
    kind: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=40)
    measure_id: int | None = Field(default=None, foreign_key="measure.id", index=True)
    goal_id: int | None = Field(default=None, foreign_key="goal.id")
    title: str = Field(max_length=200)
    text: str = Field(default="", sa_column_kwargs={"nullable": False}, sa_type=Text)
    note: str = Field(default="", sa_column_kwargs={"nullable": False}, sa_type=Text)  # the minutes' note
    decision_trigger: str | None = Field(default=None, max_length=40)
    decision_event_id: int | None = Field(default=None, foreign_key="event.id")
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class AgendaRecipient(SQLModel, table=True):
    """Who got the agenda when it was sent (frozen with it)."""

    __tablename__ = "agenda_recipient"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    email: str = Field(max_length=254)
    sent_at: datetime = Field(sa_type=DateTime(timezone=True))


class Attendance(SQLModel, table=True):
    """Who took part in a meeting: members by user, guests by name."""

    __tablename__ = "attendance"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    name: str = Field(max_length=200)
    status: str = Field(max_length=20)  # present | absent | excused


class Milestone(SQLModel, table=True):
    """A recurring point of the annual wheel (årshjul) the coordinator defines: the Ungdata survey, the
    budget, the revision of the action plan, the annual report to the municipal council. Every year in
    `month` (and `day`, when given)."""

    __tablename__ = "milestone"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    title: str = Field(max_length=200)
    month: int
    day: int | None = Field(default=None)
    level: str | None = Field(default=None, max_length=20)  # the body it concerns, or None for all
    description: str = Field(default="", sa_column_kwargs={"nullable": False}, sa_type=Text)


class CalendarFeed(SQLModel, table=True):
    """A user's own calendar feed (every meeting they may read, across their areas) at a secret URL."""

    __tablename__ = "calendar_feed"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    key: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


# ---------------------------------------------------------------- reminders (DESIGN.md §13)


class NotificationSetting(SQLModel, table=True):
    """A user's reminder preferences: the digest (daily, weekly on Mondays, never), which kinds of items, the
    language of the mail; and when the last digest was written (decisions are news since then). No row: the
    defaults (daily, every kind, the user's own language)."""

    __tablename__ = "notification_setting"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    digest: str = Field(default="daily", max_length=10)  # daily | weekly | never
    kinds: str = Field(default="follow_up,start,evaluation,decision,meeting", max_length=200)  # comma-separated
    language: str | None = Field(default=None, max_length=2)  # nb | nn | en; None: the user's language
    last_digest_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Notification(SQLModel, table=True):
    """One item a user was told about, in the app («Varsler»): written once per `key` (the item and what makes
    it news: a follow-up date, a meeting's time, a decision's event), so a reminder is never repeated day after
    day. `mailed_on`: the day of the digest that carried it. Unread until the user opens the list."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notification_user_key"),
        # The header's unread count on every page: the user's unread rows, from the index alone.
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    area_id: int = Field(foreign_key="area.id", index=True)
    kind: str = Field(max_length=20)  # follow_up | start | evaluation | decision | meeting
    key: str = Field(max_length=120)
    measure_id: int | None = Field(default=None, foreign_key="measure.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    ref: str = Field(default="", max_length=32)  # the measure's ref, or "" for a meeting
    title: str = Field(max_length=200)  # the measure's or the meeting's title (never a note's text)
    code: str = Field(default="", max_length=40)  # what kind of follow-up, evaluation or decision (a trigger)
    on_date: date | None = Field(default=None)  # the follow-up date, the measure's due date, the meeting's day
    at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))  # a meeting's start, a decision's time
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    mailed_on: date | None = Field(default=None)
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class OutboxMessage(SQLModel, table=True):
    """A digest mail, written here before it is sent, so nothing is lost while the mail server is down. One per
    user and day (the database refuses a second). A sender claims a pending message with a lease (`leased_by`,
    `lease_until`) before talking to the server, so two processes never send the same one; a refused or failed
    attempt is retried at `next_attempt_at`, and after the last attempt the message is `failed`."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("user_id", "digest_day", name="uq_outbox_user_day"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    digest_day: date
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    language: str = Field(max_length=2)
    items: int = Field(default=0)
    message: str = Field(sa_column=Column(Text, nullable=False))  # the whole RFC 5322 message, as sent
    status: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True))
    leased_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class JobLock(SQLModel, table=True):
    """A scheduled job's lock, shared by every process on every machine: whoever moves `locked_until` forward with
    a conditional UPDATE runs the job; `done_day` is the last day it completed."""

    __tablename__ = "job_lock"

    name: str = Field(primary_key=True, max_length=40)
    holder: str | None = Field(default=None, max_length=64)
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    done_day: date | None = Field(default=None)


# ---------------------------------------------------------------- attachments (DESIGN.md §14)


class Attachment(SQLModel, table=True):
    """A file on a measure or on a meeting (exactly one of the two). The file itself lives under the data
    directory, named by its SHA-256 (`attachments/ab/abcd…`), so two uploads of the same content share one file.

    Removal keeps the row and the file (`removed_at`): the measure's history still names it. `samordna attachments
    purge` later deletes the file of a removed attachment and sets `purged_at`."""

    __tablename__ = "attachment"
    __table_args__ = (
        Index("ix_attachment_measure", "measure_id", "created_at"),
        Index("ix_attachment_meeting", "meeting_id", "created_at"),
        Index("ix_attachment_sha256", "sha256"),
        CheckConstraint("(measure_id IS NULL) <> (meeting_id IS NULL)", name="ck_attachment_owner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id")
    measure_id: int | None = Field(default=None, foreign_key="measure.id")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    filename: str = Field(max_length=200)  # cleaned: no path, no control characters
    kind: str = Field(max_length=10)  # pdf | docx | xlsx | odt | png | jpeg | txt | csv (sniffed from the content)
    content_type: str = Field(max_length=120)
    size: int
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    created_by_id: int = Field(foreign_key="user_account.id")
    removed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    removed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    purged_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
