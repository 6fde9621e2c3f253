"""Reminders (DESIGN.md §13): what is due for each user, written as in-app notifications and as a digest mail
in an outbox, then sent over SMTP; the user's preferences; the coordinator's view of who is reached.

Each public method is keyword-only and opens its own transactions. The digest run (`compose`) reads everything
it needs first — the members and their settings, and per area the measures due, the decisions and the
meetings — computes every user's items in Python (items.py), renders the mails (mail.py), and then writes in
short transactions, a chunk of users at a time: the new notifications, the digests (the database refuses a
second one for the same user and day), which items were mailed, and the time of each user's last digest.
`deliver` then leases due messages from the outbox and sends them (sender.py). All SQL is in
notifications/repository.py.

What makes a mail (noise kept down on purpose):
- a daily subscriber gets a mail only on a day that has something new to say: an item never mailed to them
  (a new follow-up date, a follow-up that has just become overdue, a measure newly given to the unit, a new
  decision, a meeting newly in the coming week); on Mondays also when a follow-up is still overdue;
- a weekly subscriber gets Monday's mail only, on the same terms;
- «never»: no mail; the same items still reach the in-app list («Varsler»), each once;
- nothing due, no mail. A decision is listed once; open items stay listed while they are open.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from samordna.domain import policy
from samordna.domain.actor import Actor
from samordna.domain.clock import Clock
from samordna.domain.errors import FieldError, Invalid, NotFound
from samordna.i18n import LANGUAGES
from samordna.i18n import gettext as _
from samordna.notifications import repository as repo
from samordna.notifications.items import HORIZON_DAYS, AreaItems, merge, rules_of
from samordna.notifications.mail import MailComposer, digest_of
from samordna.notifications.sender import FAILED, RETRY, SENT, Outcome, send_batch
from samordna.notifications.views import (
    DIGESTS,
    KINDS,
    AreaFacts,
    ComposeReport,
    DeliveryReport,
    Digest,
    Item,
    Member,
    NotificationsPage,
    OutboxRow,
    Preferences,
    Reach,
    ReachPage,
)
from samordna.settings import Settings
from samordna.store.db import Database
from samordna.workflow import Workflow

CHUNK = 500  # users per write transaction of a digest run
DECISIONS_AT_MOST = timedelta(days=31)  # «decisions since the last digest» looks back no further
DECISIONS_FIRST = timedelta(days=7)  # for a user who has had no digest yet
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=3))
MAX_ATTEMPTS = len(BACKOFF) + 1  # the last attempt's failure marks the message failed
BATCH = 20  # messages leased and sent over one connection
UNREAD_CAP = 100  # the header shows «99+» beyond this
PAGE_LIMIT = 100
KEEP_READ = timedelta(days=365)
JOB = "remind"


def holder_name() -> str:
    """Who holds a lease or a lock: this machine, this process, this run."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    it = iter(values)
    while chunk := list(islice(it, size)):
        yield chunk


class NotificationService:
    def __init__(self, *, db: Database, clock: Clock, workflow: Workflow, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.workflow = workflow
        self.settings = settings
        self.rules = rules_of(workflow)
        self.composer = MailComposer(
            templates_dir=settings.templates_dir, mail_from=settings.mail_from, base_url=settings.base_url
        )

    # ------------------------------------------------------------ the digest run

    def as_of(self, day: date) -> datetime:
        """The moment a run for `day` looks from: now for today, else that day's reminder time (07:00)."""
        if day == self.clock.today():
            return self.clock.now()
        return datetime.combine(day, self.settings.remind_at, self.clock.tz).astimezone(UTC)

    def remind(self, *, day: date | None = None, dry_run: bool = False) -> tuple[ComposeReport, DeliveryReport]:
        """The day's digests written (or, dry, only computed), then whatever is due in the outbox sent."""
        report = self.compose(day=day, dry_run=dry_run)
        if dry_run:
            return report, DeliveryReport(configured=self.settings.smtp is not None)
        return report, self.deliver()

    def compose(self, *, day: date | None = None, dry_run: bool = False) -> ComposeReport:
        day = day or self.clock.today()
        as_of = self.as_of(day)
        with repo.reading(self.db) as conn:
            members = repo.members(conn)
            areas = self._areas(conn, members, day, as_of)
            by_user: dict[int, list[Member]] = defaultdict(list)
            for m in members:
                by_user[m.user_id].append(m)
            items = {
                user_id: merge(
                    (i for m in ms for i in areas[m.area_id].items_for(m, self._since(m, as_of))), ms[0].kinds
                )
                for user_id, ms in by_user.items()
            }
            known: dict[tuple[int, str], bool] = {}
            for chunk in _chunks(sorted(u for u in items if items[u]), CHUNK):
                keys = sorted({i.key for u in chunk for i in items[u]})
                known.update(repo.known(conn, chunk, keys))

        counts = {"items": 0, "notifications": 0, "mails": 0, "already": 0, "quiet": 0, "never": 0}
        digests: list[Digest] = []
        notifications: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        mailed_keys: dict[int, list[str]] = {}
        now = self.clock.now()
        for user_id, ms in by_user.items():
            mine = items[user_id]
            counts["items"] += len(mine)
            notifications += [self._row(user_id, i, now) for i in mine if (user_id, i.key) not in known]
            if not mine:
                continue
            first = ms[0]
            if first.digest == "never":
                counts["never"] += 1
                continue
            new = {i.key for i in mine if not known.get((user_id, i.key), False)}
            overdue = any(i.kind == "follow_up" and i.code == "overdue" for i in mine)
            monday = day.weekday() == 0
            if (first.digest == "weekly" and not monday) or not (new or (monday and overdue)):
                counts["quiet"] += 1
                continue
            digest = digest_of(
                user_id=user_id,
                name=first.name,
                email=first.email,
                lang=self.language_of(first),
                day=day,
                items=mine,
                new_keys=new,
                workflow=self.workflow,
                base_url=self.settings.base_url,
                several_areas=len({m.area_id for m in ms}) > 1,
            )
            if not digest.sections:  # only decisions mailed before, say
                counts["quiet"] += 1
                continue
            digests.append(digest)
            mailed_keys[user_id] = [i.key for i in mine]
            outbox.append(self._outbox_row(digest, now))

        if dry_run:
            return ComposeReport(
                day=day,
                users=len(by_user),
                items=counts["items"],
                notifications=len(notifications),
                mails=len(outbox),
                quiet=counts["quiet"],
                never=counts["never"],
                dry_run=True,
                digests=tuple(digests),
            )
        for chunk in _chunks(sorted(by_user), CHUNK):
            in_chunk = set(chunk)
            with repo.writing(self.db) as conn:
                counts["notifications"] += repo.add_notifications(
                    conn, [n for n in notifications if n["user_id"] in in_chunk]
                )
                rows = [o for o in outbox if o["user_id"] in in_chunk]
                written = repo.add_digests(conn, rows)
                counts["mails"] += len(written)
                counts["already"] += len(rows) - len(written)
                repo.mark_mailed(conn, ((u, k) for u in sorted(written) for k in mailed_keys[u]), day)
                repo.set_last_digest(conn, sorted(written), as_of)
        with repo.writing(self.db) as conn:
            repo.forget_read(conn, now - KEEP_READ)
        return ComposeReport(
            day=day,
            users=len(by_user),
            items=counts["items"],
            notifications=counts["notifications"],
            mails=counts["mails"],
            already=counts["already"],
            quiet=counts["quiet"],
            never=counts["never"],
        )

    def _areas(self, conn: Any, members: Sequence[Member], day: date, as_of: datetime) -> dict[int, AreaItems]:
        """Each area's facts of the day: a constant number of statements per area."""
        out = {}
        horizon = day + timedelta(days=HORIZON_DAYS)
        meetings_until = datetime.combine(day + timedelta(days=HORIZON_DAYS + 1), time(0), self.clock.tz)
        by_area: dict[int, list[Member]] = defaultdict(list)
        for m in members:
            by_area[m.area_id].append(m)
        for area_id, ms in by_area.items():
            since = min(self._since(m, as_of) for m in ms)
            facts = AreaFacts(
                area_id=area_id,
                measures=tuple(
                    repo.measures_due(
                        conn, area_id, follow=self.rules.follow, waiting=self.rules.waiting, horizon=horizon
                    )
                ),
                decisions=tuple(repo.decisions(conn, area_id, triggers=self.rules.decisions, since=since, until=as_of)),
                meetings=tuple(repo.meetings(conn, area_id, start=as_of, end=meetings_until.astimezone(UTC))),
            )
            out[area_id] = AreaItems(facts, self.rules, day)
        return out

    @staticmethod
    def _since(m: Member, as_of: datetime) -> datetime:
        """Decisions are news since the member's last digest (a week back for a first one, a month at most)."""
        since = m.last_digest_at or as_of - DECISIONS_FIRST
        return max(since, as_of - DECISIONS_AT_MOST)

    @staticmethod
    def language_of(m: Member) -> str:
        for lang in (m.language, m.user_language, m.area_language):
            if lang in LANGUAGES:
                return lang  # type: ignore[return-value]
        return "nb"

    @staticmethod
    def _row(user_id: int, i: Item, now: datetime) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "area_id": i.area_id,
            "kind": i.kind,
            "key": i.key,
            "measure_id": i.measure_id,
            "meeting_id": i.meeting_id,
            "ref": i.ref,
            "title": i.title[:200],
            "code": i.code,
            "on_date": i.on_date,
            "at": i.at,
            "created_at": now,
            "mailed_on": None,
            "read_at": None,
        }

    def _outbox_row(self, digest: Digest, now: datetime) -> dict[str, Any]:
        return {
            "user_id": digest.user_id,
            "digest_day": digest.day,
            "recipient": digest.email,
            "subject": digest.subject[:300],
            "language": digest.lang,
            "items": digest.items,
            "message": self.composer.message(digest, now=now).as_string(),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "leased_by": None,
            "lease_until": None,
            "last_error": None,
            "created_at": now,
            "sent_at": None,
        }

    # ------------------------------------------------------------ sending

    def deliver(self) -> DeliveryReport:
        """Send every message that is due (leased first, so no other process sends it too). Without SMTP
        configured the outbox only fills."""
        if self.settings.smtp is None:
            return DeliveryReport(configured=False)
        holder = holder_name()
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: a worker thread or the command line, no loop here
            return asyncio.run(self._deliver(holder))
        # Called from a thread that runs an event loop: send from a thread of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self._deliver(holder)).result()

    async def _deliver(self, holder: str) -> DeliveryReport:
        smtp = self.settings.smtp
        assert smtp is not None
        lease = timedelta(seconds=BATCH * smtp.timeout * 2 + 60)
        totals = {SENT: 0, RETRY: 0, FAILED: 0}
        stopped = None

        def record(outcome: Outcome) -> None:
            with repo.writing(self.db) as conn:
                now = self.clock.now()
                status = outcome.status
                attempts = repo.attempts_of(conn, outcome.message_id) if status == RETRY else 0
                if attempts >= MAX_ATTEMPTS:
                    status = FAILED
                if status == SENT:
                    repo.settle(conn, outcome.message_id, holder=holder, status="sent", now=now)
                elif status == FAILED:
                    repo.settle(conn, outcome.message_id, holder=holder, status="failed", now=now, error=outcome.error)
                else:
                    repo.settle(
                        conn,
                        outcome.message_id,
                        holder=holder,
                        status="pending",
                        now=now,
                        next_attempt_at=now + BACKOFF[min(attempts, len(BACKOFF)) - 1],
                        error=outcome.error,
                    )
            totals[status] += 1

        while stopped is None:
            now = self.clock.now()
            with repo.writing(self.db) as conn:
                batch = repo.claim(conn, now=now, holder=holder, lease_until=now + lease, limit=BATCH)
            if not batch:
                break
            result = await send_batch(smtp, self.settings.mail_from, batch, record)
            stopped = result.stopped
        return DeliveryReport(True, totals[SENT], totals[RETRY], totals[FAILED], stopped)

    # ------------------------------------------------------------ the scheduler

    def scheduled_run(self, *, holder: str) -> ComposeReport | None:
        """The day's run, by whichever process takes the lock first (on every machine sharing the database);
        None when another has it or the day is done. Sending follows either way (leases keep it single)."""
        day = self.clock.today()
        now = self.clock.now()
        with repo.writing(self.db) as conn:
            mine = repo.try_lock(conn, JOB, holder=holder, now=now, until=now + timedelta(hours=2), day=day)
        report = None
        if mine:
            try:
                report = self.compose(day=day)
            except BaseException:
                with repo.writing(self.db) as conn:
                    repo.release(conn, JOB, holder=holder, done_day=None)
                raise
            with repo.writing(self.db) as conn:
                repo.release(conn, JOB, holder=holder, done_day=day)
        self.deliver()
        return report

    def done_day(self) -> date | None:
        with repo.reading(self.db) as conn:
            return repo.done_day(conn, JOB)

    # ------------------------------------------------------------ the outbox (the CLI)

    def outbox(self, *, limit: int = 20, status: str | None = None) -> tuple[dict[str, int], list[OutboxRow]]:
        with repo.reading(self.db) as conn:
            return repo.outbox_counts(conn), repo.outbox_rows(conn, limit=limit, status=status)

    def outbox_message(self, *, message_id: int) -> tuple[OutboxRow, str]:
        with repo.reading(self.db) as conn:
            found = repo.outbox_message(conn, message_id)
        if found is None:
            raise NotFound(_("Fant ikke meldingen."))
        return found

    # ------------------------------------------------------------ in the app

    def unread_count(self, *, user_id: int) -> int:
        """The header's badge on every page: one indexed count, at most UNREAD_CAP."""
        with repo.reading(self.db) as conn:
            return repo.unread_count(conn, user_id, UNREAD_CAP)

    def notifications(self, *, actor: Actor) -> NotificationsPage:
        """The user's notifications, newest first; those shown are read from now on (they show as new once)."""
        with repo.reading(self.db) as conn:
            items = repo.notifications_of(conn, actor.user_id, limit=PAGE_LIMIT)
        unread = [n.id for n in items if n.unread]
        if unread:
            with repo.writing(self.db) as conn:
                repo.mark_read(conn, actor.user_id, unread, self.clock.now())
        return NotificationsPage(items=tuple(items), unread=len(unread), today=self.clock.today())

    def preferences(self, *, actor: Actor) -> Preferences:
        with repo.reading(self.db) as conn:
            email, digest, kinds, language, last, own = repo.setting_of(conn, actor.user_id)
        effective = next((lang for lang in (language, own) if lang in LANGUAGES), "nb")
        return Preferences(digest, kinds, language, effective, email, last)

    def save_preferences(self, *, actor: Actor, data: Mapping[str, Any]) -> Preferences:
        """Digest daily | weekly | never, the kinds of item (any of KINDS), the mail's language ('' = the
        user's own). Invalid names every wrong field."""
        digest = str(data.get("digest") or "")
        raw_kinds = data.get("kinds") or []
        kinds = [raw_kinds] if isinstance(raw_kinds, str) else list(raw_kinds)
        language = str(data.get("language") or "")
        errors = []
        if digest not in DIGESTS:
            errors.append(FieldError("digest", _("Velg daglig, ukentlig eller aldri.")))
        if any(k not in KINDS for k in kinds):
            errors.append(FieldError("kinds", _("Velg blant varseltypene på siden.")))
        if language and language not in LANGUAGES:
            errors.append(FieldError("language", _("Velg bokmål, nynorsk eller engelsk.")))
        if errors:
            raise Invalid(errors)
        chosen = [k for k in KINDS if k in kinds]
        with repo.writing(self.db) as conn:
            repo.save_setting(
                conn, actor.user_id, digest=digest, kinds=chosen, language=language or None, now=self.clock.now()
            )
        return self.preferences(actor=actor)

    def set_preferences(self, settings: Mapping[str, tuple[str, Sequence[str], str | None]]) -> None:
        """{e-mail: (digest, kinds, language)} for several users at once (the demo; the installation's own)."""
        now = self.clock.now()
        with repo.writing(self.db) as conn:
            ids = repo.users_by_email(conn, list(settings))
            rows = [
                {"user_id": ids[email], "digest": d, "kinds": ",".join(k), "language": lang, "updated_at": now}
                for email, (d, k, lang) in settings.items()
                if email in ids
            ]
            repo.set_settings(conn, rows)

    def reach(self, *, actor: Actor, slug: str) -> ReachPage:
        """The coordinator's view: every member of the area and what reaches them — those who get no mail
        first — and the mails to them that failed after the last retry."""
        member = next((m for m in actor.memberships.values() if m.area_slug == slug), None)
        if member is None:
            raise NotFound(_("Fant ikke SLT-området."))
        policy.require_role(member, policy.SEE_REACH, _("se hvem som får varsler"))
        with repo.reading(self.db) as conn:
            members = repo.members(conn, [member.area_id])
            units = repo.unit_names(conn, member.area_id)
            ids = [m.user_id for m in members]
            failed = repo.failed_of(conn, ids, limit=50)
            failed_by_user = repo.failed_counts(conn, ids)
            counts = repo.outbox_counts(conn, ids)
        rows = [
            Reach(
                user_id=m.user_id,
                name=m.name,
                email=m.email,
                role=m.role,
                unit_name=units.get(m.unit_id) if m.unit_id else None,
                digest=m.digest,
                kinds=m.kinds,
                receives_nothing=m.digest == "never" or not m.kinds,
                failed=failed_by_user.get(m.user_id, 0),
            )
            for m in members
        ]
        rows.sort(key=lambda r: (not r.receives_nothing, not r.failed, r.name.lower()))
        return ReachPage(
            area_slug=member.area_slug,
            area_name=member.area_name,
            members=tuple(rows),
            failed=tuple(failed),
            mail_configured=self.settings.smtp is not None,
            counts=counts,
        )
