"""What the meetings service gives back: frozen views, never ORM rows. Times are aware datetimes in UTC;
`local_*` are the same instants in the area's time zone (Europe/Oslo), for showing and for forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

FREE_KINDS = ("orientation", "discussion", "decision")  # orientering, drøfting, vedtak
GENERATED_KINDS = ("measure", "goal")


@dataclass(frozen=True)
class BodyView:
    id: int
    level: str  # steering | coordination | executing | all
    name: str


@dataclass(frozen=True)
class MeetingView:
    id: int
    area_id: int
    area_slug: str
    body: BodyView
    title: str
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    local_end: datetime
    place: str
    state: str
    version: int
    cancel_reason: str | None
    agenda_sent_at: datetime | None
    held_at: datetime | None
    minutes_approved_at: datetime | None
    # What the asking member may do now: the meeting workflow's triggers their role may fire in this state,
    # and whether they may move it or change its agenda.
    allowed_triggers: tuple[str, ...] = ()
    may_edit: bool = False

    @property
    def day(self) -> date:
        """The meeting's day in the area's time zone."""
        return self.local_start.date()

    @property
    def year(self) -> int:
        return self.local_start.year


@dataclass(frozen=True)
class AgendaItemView:
    """One item (sak). `number` is given when the agenda is sent; `label` is «Sak 03/27» then, else ""."""

    id: int
    position: int
    number: int | None
    year: int
    kind: str  # measure | goal | orientation | discussion | decision
    reason: str | None  # why a generated item is there: need_identified, without_responsibility, overdue, ...
    measure_id: int | None
    measure_ref: str | None
    measure_state: str | None
    goal_id: int | None
    title: str
    text: str
    note: str = ""
    decision_trigger: str | None = None
    decision_event_id: int | None = None

    @property
    def label(self) -> str:
        return f"Sak {self.number:02d}/{self.year % 100:02d}" if self.number is not None else ""

    @property
    def generated(self) -> bool:
        return self.kind in GENERATED_KINDS


@dataclass(frozen=True)
class RecipientView:
    user_id: int
    name: str
    email: str
    sent_at: datetime


@dataclass(frozen=True)
class Agenda:
    """A meeting and its agenda: generated from the boards while planned (and the coordinator opens it),
    frozen once sent (`frozen`: numbered, recipients recorded)."""

    meeting: MeetingView
    items: list[AgendaItemView]
    recipients: list[RecipientView]
    frozen: bool
    editable: bool  # the asking member may add, remove and move items now


@dataclass(frozen=True)
class AttendanceView:
    id: int
    user_id: int | None  # None for a guest
    name: str
    status: str  # present | absent | excused


@dataclass(frozen=True)
class Minutes:
    """The minutes (referat) as they stand: the agenda with each item's note and decision, the summary given
    when the meeting was marked held, attendance; `members` who may be marked; `approvable` the body's earlier
    held meetings whose minutes this one may approve (for the coordinator while it runs); `runs`: the asking
    member records decisions, notes and attendance now."""

    agenda: Agenda
    summary: str
    attendance: list[AttendanceView]
    members: list[tuple[int, str]]
    decided_by: dict[int, str]  # item id -> who recorded its decision
    decision_texts: dict[int, str]  # item id -> the decision's reasoning as recorded (decision_note)
    approvable: list[MeetingView]
    approved_in: MeetingView | None
    runs: bool


@dataclass(frozen=True)
class BodyMeetings:
    body: BodyView
    coming: list[MeetingView]
    past: list[MeetingView]


@dataclass(frozen=True)
class MeetingsPage:
    """Each body the member may read, with its coming and past meetings; `may_plan` for the coordinator."""

    bodies: list[BodyMeetings]
    may_plan: bool
    all_bodies: list[BodyView] = field(default_factory=list)  # every body of the area (for the plan forms)


@dataclass(frozen=True)
class PlannedDate:
    day: date
    moved_from: date | None = None  # the rhythm's date, when a public holiday moved it
    holiday: str | None = None


@dataclass(frozen=True)
class SkippedDate:
    day: date
    reason: str  # in the current language: «Andre pinsedag; Grunnlovsdag», «Juli er unntatt», ...


@dataclass(frozen=True)
class YearPlan:
    """A year of meetings from a rhythm: the dates (and the meetings made, unless it was a preview) and the
    dates left out, each with why."""

    body: BodyView
    year: int
    dates: list[PlannedDate]
    skipped: list[SkippedDate]
    created: list[MeetingView] = field(default_factory=list)
    preview: bool = False
