"""What the notifications room hands out and passes between its layers: frozen views, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# The kinds of item a reminder carries, in the order a digest lists them (DESIGN.md §13).
KINDS = ("follow_up", "start", "evaluation", "decision", "meeting")
DIGESTS = ("daily", "weekly", "never")


# ---------------------------------------------------------------- what the repository reads


@dataclass(frozen=True)
class Member:
    """One active membership of an active user, with the user's reminder settings."""

    user_id: int
    email: str
    name: str
    user_language: str | None
    area_id: int
    area_slug: str
    area_name: str
    area_language: str
    role: str
    unit_id: int | None
    digest: str  # daily | weekly | never
    kinds: tuple[str, ...]
    language: str | None  # the mail's language as chosen, or None
    last_digest_at: datetime | None


@dataclass(frozen=True)
class MeasureFact:
    id: int
    ref: str
    title: str
    state: str
    unit_id: int | None
    next_follow_up_at: date | None
    due_date: date | None


@dataclass(frozen=True)
class DecisionFact:
    event_id: int
    measure_id: int
    ref: str
    title: str
    trigger: str
    at: datetime
    unit_id: int | None
    participating: tuple[int, ...]


@dataclass(frozen=True)
class MeetingFact:
    id: int
    title: str
    level: str
    body_name: str
    starts_at: datetime
    place: str


@dataclass(frozen=True)
class AreaFacts:
    """What is due in one area on one day: read once per area, then handed out to each member."""

    area_id: int
    measures: tuple[MeasureFact, ...]  # in the follow-up, start, evaluation and decision states
    decisions: tuple[DecisionFact, ...]
    meetings: tuple[MeetingFact, ...]


# ---------------------------------------------------------------- an item, a digest


@dataclass(frozen=True)
class Item:
    """One thing a user is reminded of. `key` names the item and what makes it news (a follow-up date and
    whether it is overdue, a meeting's time, a decision's event): the same key is never news twice."""

    kind: str
    key: str
    area_id: int
    area_slug: str
    area_name: str
    measure_id: int | None
    meeting_id: int | None
    ref: str
    title: str
    code: str  # follow_up: due | overdue; evaluation: period_ends | submit | decide; decision: the trigger
    on_date: date | None
    at: datetime | None = None
    place: str = ""  # a meeting's

    @property
    def path(self) -> str:
        """Where the item is read in Samordna (relative; the mail makes it absolute)."""
        if self.meeting_id is not None:
            return f"/meetings/{self.meeting_id}"
        return f"/measures/{self.measure_id}"


@dataclass(frozen=True)
class Line:
    """An item as a digest shows it: its words, its link, and whether it is news to this reader."""

    text: str
    when: str
    url: str
    new: bool
    urgent: bool


@dataclass(frozen=True)
class Section:
    kind: str
    heading: str
    lines: tuple[Line, ...]
    more: int = 0  # items not listed (the section shows the most urgent first)
    more_text: str = ""
    more_url: str = ""


@dataclass(frozen=True)
class Digest:
    """One user's digest of one day, in their language, ready to be written as a mail."""

    user_id: int
    name: str
    email: str
    lang: str
    day: date
    subject: str
    intro: str
    sections: tuple[Section, ...]
    preferences_url: str
    items: int


@dataclass(frozen=True)
class ComposeReport:
    day: date
    users: int = 0
    items: int = 0
    notifications: int = 0  # new in-app notifications written
    mails: int = 0  # digests written to the outbox by this run
    already: int = 0  # digests another run had written for the day
    quiet: int = 0  # users with items but nothing new to mail (or not their day)
    never: int = 0  # users who chose no mail
    dry_run: bool = False
    digests: tuple[Digest, ...] = ()  # a dry run's digests (not written)


@dataclass(frozen=True)
class DeliveryReport:
    configured: bool
    sent: int = 0
    retried: int = 0
    failed: int = 0
    stopped: str | None = None  # why a pass stopped early (the server did not answer)


# ---------------------------------------------------------------- pages


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    area_slug: str
    area_name: str
    measure_id: int | None
    meeting_id: int | None
    ref: str
    title: str
    code: str
    on_date: date | None
    at: datetime | None
    created_at: datetime
    unread: bool  # unread until this page showed it

    @property
    def path(self) -> str:
        if self.meeting_id is not None:
            return f"/meetings/{self.meeting_id}"
        return f"/measures/{self.measure_id}"


@dataclass(frozen=True)
class NotificationsPage:
    items: tuple[NotificationView, ...]
    unread: int  # how many of them were unread when the page was opened
    today: date


@dataclass(frozen=True)
class Preferences:
    digest: str
    kinds: tuple[str, ...]
    language: str | None
    effective_language: str
    email: str
    last_digest_at: datetime | None


@dataclass(frozen=True)
class Reach:
    """A member as the coordinator's overview shows them: what reaches them."""

    user_id: int
    name: str
    email: str
    role: str
    unit_name: str | None
    digest: str
    kinds: tuple[str, ...]
    receives_nothing: bool  # no digest (never), or no kind of item chosen
    failed: int  # mails that failed after the last retry


@dataclass(frozen=True)
class OutboxRow:
    id: int
    user_id: int
    digest_day: date
    recipient: str
    subject: str
    language: str
    items: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class ReachPage:
    area_slug: str
    area_name: str
    members: tuple[Reach, ...]
    failed: tuple[OutboxRow, ...]
    mail_configured: bool
    counts: dict[str, int] = field(default_factory=dict)  # outbox status -> messages of the area's members
