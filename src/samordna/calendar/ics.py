"""An iCalendar feed (RFC 5545) of meetings, built with `icalendar`: what Outlook and Google Calendar
subscribe to. Times in the area's zone (Europe/Oslo) with its VTIMEZONE over the feed's years only; a
cancelled meeting stays in the feed as STATUS:CANCELLED, so a subscribed calendar removes or strikes it;
a meeting keeps its UID (meeting-{id}@samordna) whatever changes, and SEQUENCE follows its version."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from samordna.calendar.views import Feed

PRODID = "-//Samordna//Samordna SLT//NO"
STATUS = {"cancelled": "CANCELLED"}


def build_ics(feed: Feed, *, tz: ZoneInfo, now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", feed.name)
    cal.add("x-wr-timezone", str(tz))
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    first: date | None = None
    last: date | None = None
    for m in feed.meetings:
        starts, ends = m.starts_at.astimezone(tz), m.ends_at.astimezone(tz)
        event = Event()
        event.add("uid", f"meeting-{m.id}@samordna")
        event.add("dtstamp", now)
        event.add("sequence", max(0, m.version - 1))
        event.add("summary", f"{m.title} ({m.body_name})" if m.body_name not in m.title else m.title)
        event.add("dtstart", starts)
        event.add("dtend", ends)
        if m.place:
            event.add("location", m.place)
        description = f"{m.body_name}, {m.area_name}"
        if m.state == "cancelled":
            description += f"\nAvlyst: {m.cancel_reason}" if m.cancel_reason else "\nAvlyst."
        event.add("description", description)
        event.add("status", STATUS.get(m.state, "CONFIRMED"))
        event.add("transp", "TRANSPARENT" if m.state == "cancelled" else "OPAQUE")
        cal.add_component(event)
        first = min(first, starts.date()) if first else starts.date()
        last = max(last, ends.date()) if last else ends.date()
    if first and last:
        # Only the years the feed covers: the default range (1970–2038) adds some 2 KB of transitions.
        cal.add_missing_timezones(first_date=date(first.year, 1, 1), last_date=date(last.year + 1, 1, 1))
    return cal.to_ical()
