"""The calendar room: the annual wheel (årshjul) of an area, its milestones, and the calendar feeds of
bodies and users.

Each public method is keyword-only and one transaction; membership and role are decided first
(domain.policy), and what a member sees of meetings follows `policy.readable_levels`. The feeds are
authenticated by their secret key alone (a calendar program has no session): a wrong or replaced key is
simply not found. All SQL is in calendar.repository.
"""

from __future__ import annotations

import calendar as cal
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from samordna.calendar import repository as repo
from samordna.calendar.fields import MILESTONE_FIELDS
from samordna.calendar.ics import build_ics
from samordna.calendar.views import BodyView, Feed, MilestoneView, MonthView, WheelView
from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.clock import Clock
from samordna.domain.errors import FieldError, Invalid, NotFound
from samordna.i18n import gettext as _
from samordna.store.db import Database

Tx = Any  # a store session, opened by Database and handed to the repository
KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
FEED_HISTORY = timedelta(days=365)  # a feed lists the meetings of the last year and every coming one


def new_key() -> str:
    return secrets.token_urlsafe(24)


def _area(s: Tx, actor: Actor, slug: str, *, lock: bool = False) -> tuple[Any, MemberView]:
    """The area and the actor's membership, or NotFound: decided before anything else is read."""
    area = repo.area_by_slug(s, slug, lock=lock)
    if area is None or actor.in_area(area.id) is None:
        raise NotFound(_("Fant ikke SLT-området."))
    return area, policy.member_in(actor, area.id)


def _manager(s: Tx, actor: Actor, slug: str, doing: str) -> tuple[Any, MemberView]:
    area, member = _area(s, actor, slug, lock=True)
    policy.require_role(member, policy.MANAGE_CALENDAR, doing)
    return area, member


class CalendarService:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------ the wheel

    def wheel(self, *, actor: Actor, slug: str, year: int | None = None) -> WheelView:
        """The årshjul of `year` (default: this year in the area's zone) as this member may see it."""
        tz = self.clock.tz
        year = year or self.clock.today().year
        with self.db.read() as s:
            area, member = _area(s, actor, slug)
            levels = policy.readable_levels(member.role)
            bodies = repo.bodies_of(s, area.id, levels)
            start = datetime(year, 1, 1, tzinfo=tz)
            end = datetime(year + 1, 1, 1, tzinfo=tz)
            marks = [repo.to_mark(r, tz) for r in repo.meetings_between(s, area.id, levels, start, end)]
            milestones = repo.milestones_of(s, area.id)
            user_key = repo.user_feed_key(s, actor.user_id)
        months = tuple(
            MonthView(
                n,
                tuple(m for m in marks if m.starts_at.month == n),
                tuple(ms for ms in milestones if ms.month == n),
            )
            for n in range(1, 13)
        )
        return WheelView(
            area_slug=area.slug,
            area_name=area.name,
            year=year,
            role=member.role,
            levels=tuple(b.level for b in bodies),
            bodies=tuple(bodies),
            months=months,
            milestones=tuple(milestones),
            may_manage=policy.may(member, policy.MANAGE_CALENDAR),
            user_feed_key=user_key,
        )

    # ------------------------------------------------------------ milestones

    def _clean(self, s: Tx, area: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        values, errors = repo.clean_values(s, area.id, MILESTONE_FIELDS, data, self.clock.today())
        month, day = values.get("month"), values.get("day")
        if month and day and day > cal.monthrange(2027, month)[1]:  # a year that is not a leap year
            errors.append(
                FieldError(
                    "day",
                    _("Dagen finnes ikke i den måneden: velg en dag fra 1 til {days}.").format(
                        days=cal.monthrange(2027, month)[1]
                    ),
                )
            )
        if errors:
            raise Invalid(errors)
        return {
            "title": values["title"],
            "month": month,
            "day": day,
            "level": values.get("level"),
            "description": values.get("description") or "",
        }

    def add_milestone(self, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> MilestoneView:
        with self.db.write() as s:
            area, _member = _manager(s, actor, slug, _("legge til milepæler i årshjulet"))
            values = self._clean(s, area, data)
            row = repo.add_milestone(s, area.id, values)
            repo.audit(s, area_id=area.id, actor_id=actor.user_id, kind="milestone_added", subject=row.title)
            return repo.milestone_view(row)

    def edit_milestone(self, *, actor: Actor, slug: str, milestone_id: int, data: Mapping[str, Any]) -> MilestoneView:
        with self.db.write() as s:
            area, _member = _manager(s, actor, slug, _("endre milepæler i årshjulet"))
            row = repo.milestone_in(s, area.id, milestone_id)
            if row is None:
                raise NotFound(_("Fant ikke milepælen."))
            values = self._clean(s, area, data)
            changed = {k: [getattr(row, k), v] for k, v in values.items() if getattr(row, k) != v}
            repo.change_milestone(s, row, values)
            repo.audit(
                s,
                area_id=area.id,
                actor_id=actor.user_id,
                kind="milestone_changed",
                subject=row.title,
                detail={k: v for k, v in changed.items() if k not in ("title", "description")} or None,
            )
            return repo.milestone_view(row)

    def remove_milestone(self, *, actor: Actor, slug: str, milestone_id: int) -> MilestoneView:
        with self.db.write() as s:
            area, _member = _manager(s, actor, slug, _("fjerne milepæler fra årshjulet"))
            row = repo.milestone_in(s, area.id, milestone_id)
            if row is None:
                raise NotFound(_("Fant ikke milepælen."))
            view = repo.milestone_view(row)
            repo.remove_milestone(s, row)
            repo.audit(s, area_id=area.id, actor_id=actor.user_id, kind="milestone_removed", subject=view.title)
            return view

    # ------------------------------------------------------------ the feeds' addresses

    def renew_body_key(self, *, actor: Actor, slug: str, level: str) -> BodyView:
        """A new secret address for the body's calendar; the old one answers 404 from now on."""
        with self.db.write() as s:
            area, member = _area(s, actor, slug, lock=True)
            if level not in policy.LEVELS:
                raise NotFound(_("Fant ikke organet."))
            policy.require_role(member, policy.MANAGE_CALENDAR, _("lage ny kalenderadresse for et organ"))
            body = repo.renew_body_key(s, area.id, level, new_key())
            if body is None:
                raise NotFound(_("Fant ikke organet."))
            repo.audit(s, area_id=area.id, actor_id=actor.user_id, kind="calendar_key_renewed", subject=body.name)
            return body

    def renew_user_key(self, *, actor: Actor, slug: str) -> str:
        """The member's own calendar address, made on first asking and replaced on every later one."""
        with self.db.write() as s:
            area, _member = _area(s, actor, slug)
            key = new_key()
            repo.set_user_feed_key(s, actor.user_id, key, self.clock.now())
            repo.audit(s, area_id=area.id, actor_id=actor.user_id, kind="calendar_feed_renewed", subject=actor.email)
            return key

    # ------------------------------------------------------------ the feeds

    def body_feed(self, *, slug: str, level: str, key: str) -> bytes:
        """The body's meetings as iCalendar, for whoever has its key; anything else is NotFound."""
        if level not in policy.LEVELS or not KEY.fullmatch(key):
            raise NotFound(_("Fant ikke kalenderen."))
        now = self.clock.now()
        with self.db.read() as s:
            found = repo.body_by_key(s, slug, level, key)
            if found is None:
                raise NotFound(_("Fant ikke kalenderen."))
            area_id, area_name, _level, body_name = found
            meetings = repo.feed_meetings(s, {area_id: (level,)}, now - FEED_HISTORY)
        return build_ics(Feed(f"{body_name} – {area_name}", tuple(meetings)), tz=self.clock.tz, now=now)

    def user_feed(self, *, key: str) -> bytes:
        """Every meeting the key's user may read, across their areas."""
        if not KEY.fullmatch(key):
            raise NotFound(_("Fant ikke kalenderen."))
        now = self.clock.now()
        with self.db.read() as s:
            user = repo.user_by_key(s, key)
            if user is None:
                raise NotFound(_("Fant ikke kalenderen."))
            reads = {area_id: policy.readable_levels(role) for area_id, role in repo.roles_of(s, user[0])}
            meetings = repo.feed_meetings(s, reads, now - FEED_HISTORY)
        name = _("SLT-møter for {name}").format(name=user[1])
        return build_ics(Feed(name, tuple(meetings)), tz=self.clock.tz, now=now)
