"""Planning the meetings of an area's bodies (DESIGN.md §11): one meeting, a whole year from a rhythm, and
moving a meeting while it is planned or its agenda sent. The planning side of MeetingService
(samordna.meetings.service), whose methods open the transaction and call these in it; the dates of a
rhythm are in samordna.meetings.rhythm (Norwegian public holidays skipped or moved), the SQL in
samordna.meetings.repository.

Every input is checked before anything is written, and every error is reported at once (422 with one
message per field); the coordinator's typed values are the web layer's to keep.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from samordna.domain import policy
from samordna.domain.actor import Actor
from samordna.domain.clock import aware
from samordna.domain.errors import FieldError, Invalid
from samordna.fields import message_for
from samordna.i18n import gettext as _
from samordna.meetings import fields
from samordna.meetings import repository as repo
from samordna.meetings.rhythm import LAST, ON_HOLIDAY, Rhythm, plan_dates
from samordna.meetings.views import BodyView, MeetingView, SkippedDate, YearPlan

if TYPE_CHECKING:
    from samordna.meetings.service import MeetingService, Tx

TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")
EDITABLE_STATES = ("planned", "agenda_sent")  # a meeting may be moved until it is held or cancelled


def plan_in(service: MeetingService, s: Tx, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> MeetingView:
    """Plan one meeting: `body` (a level), `day` (YYYY-MM-DD), `start`, `end` (HH:MM, the area's time),
    optional `title` (the body's name) and `place`."""
    area, member = service._area(s, actor, slug)
    policy.require_role(member, policy.PLAN_MEETINGS, _("planlegge møter"))
    errors: list[FieldError] = []
    body = _body_of(s, area.id, data.get("body"), errors)
    day = _day(data.get("day"), errors)
    start, end = _times(data, errors)
    texts = _texts(service, s, area.id, data, errors)
    if errors:
        raise Invalid(errors)
    meeting = new_meeting(service, s, actor, area, body, day, start, end, texts)  # type: ignore[arg-type]
    return service._view(meeting, BodyView(body.id, body.level, body.name), area.slug, member)  # type: ignore[union-attr,arg-type]


def plan_year_in(
    service: MeetingService, s: Tx, *, actor: Actor, slug: str, data: Mapping[str, Any], preview: bool = False
) -> YearPlan:
    """A year of meetings from a rhythm: `body`, `year`, `weekday` (0 = Monday), `nth` (1–4, 5 = last),
    `skip_months` (1–12), `on_holiday` (skip | move), `start`, `end`, optional `title` and `place`.
    Public holidays are skipped (or moved to the next working day), and so are days on which the body
    already meets. With `preview`, nothing is written: the dates the plan would make, and those left out."""
    area, member = service._area(s, actor, slug)
    policy.require_role(member, policy.PLAN_MEETINGS, _("planlegge møter"))
    errors: list[FieldError] = []
    body = _body_of(s, area.id, data.get("body"), errors)
    this_year = service.clock.today().year
    year = _number(data.get("year"), "year", this_year - 1, this_year + 5, errors)
    weekday = _number(data.get("weekday"), "weekday", 0, 6, errors)
    nth = _number(data.get("nth"), "nth", 1, LAST, errors)
    months = _months(data.get("skip_months"), errors)
    on_holiday = data.get("on_holiday") or "skip"
    if on_holiday not in ON_HOLIDAY:
        errors.append(FieldError("on_holiday", _("Velg hva som skjer med møter på helligdager.")))
    if months is not None and len(months) == 12:
        errors.append(FieldError("skip_months", _("Rytmen unntar alle månedene: la minst én måned stå igjen.")))
    start, end = _times(data, errors)
    texts = _texts(service, s, area.id, data, errors)
    if errors:
        raise Invalid(errors)
    assert body is not None and year is not None and weekday is not None and nth is not None
    rhythm = Rhythm(weekday=weekday, nth=nth, skip_months=frozenset(months or ()), on_holiday=on_holiday)
    dates, skipped = plan_dates(year, rhythm)
    first = datetime.combine(date(year, 1, 1), time(0), service.clock.tz)
    taken = {
        aware(t).astimezone(service.clock.tz).date()
        for t in repo.meeting_starts(s, body.id, first, first.replace(year=year + 2))  # type: ignore[arg-type]
    }
    kept = []
    for d in dates:
        if d.day in taken:
            skipped.append(SkippedDate(d.day, _("{body} har allerede et møte denne dagen.").format(body=body.name)))
        else:
            kept.append(d)
    skipped.sort(key=lambda x: x.day)
    body_view = BodyView(body.id, body.level, body.name)  # type: ignore[arg-type]
    if preview:
        return YearPlan(body=body_view, year=year, dates=kept, skipped=skipped, preview=True)
    created = [
        service._view(
            new_meeting(service, s, actor, area, body, d.day, start, end, texts, rhythm_year=year),  # type: ignore[arg-type]
            body_view,
            area.slug,
            member,
        )
        for d in kept
    ]
    return YearPlan(body=body_view, year=year, dates=kept, skipped=skipped, created=created)


def move_in(
    service: MeetingService, s: Tx, *, actor: Actor, meeting_id: int, version: int, data: Mapping[str, Any]
) -> MeetingView:
    """A new day, time, place or title, while the meeting is planned or its agenda sent."""
    meeting, body, area, member = service._meeting(s, actor, meeting_id, lock=True)
    policy.require_role(member, policy.PLAN_MEETINGS, _("flytte møter"))
    service._check_version(meeting, version)
    if meeting.state not in EDITABLE_STATES:
        raise service._conflict(meeting, _("Møtet er {state} og kan ikke flyttes lenger."))
    errors: list[FieldError] = []
    day = _day(data.get("day"), errors)
    start, end = _times(data, errors)
    texts = _texts(service, s, area.id, data, errors)
    if errors:
        raise Invalid(errors)
    starts_at, ends_at = _instants(service, day, start, end)  # type: ignore[arg-type]
    before = service._audit_times(meeting)
    changes: dict[str, Any] = {}
    if aware(meeting.starts_at) != starts_at or aware(meeting.ends_at) != ends_at:
        meeting.starts_at, meeting.ends_at = starts_at, ends_at
        changes["time"] = [before, service._audit_times(meeting)]
    place = texts.get("place") or ""
    if place != meeting.place:
        changes["place"] = [meeting.place, place]
        meeting.place = place
    title = texts.get("title") or meeting.title
    if title != meeting.title:
        changes["title"] = [meeting.title, title]
        meeting.title = title
    if changes:
        meeting.version += 1
        repo.save(s, meeting)
        service._audit(s, actor, meeting, "meeting_moved", changes)
    return service._view(meeting, body, area.slug, member)


def new_meeting(
    service: MeetingService,
    s: Tx,
    actor: Actor,
    area: Any,
    body: Any,
    day: date,
    start: time,
    end: time,
    texts: Mapping[str, Any],
    rhythm_year: int | None = None,
) -> Any:
    starts_at, ends_at = _instants(service, day, start, end)
    meeting = repo.new_meeting(
        s,
        area_id=area.id,
        body_id=body.id,
        title=texts.get("title") or body.name,
        starts_at=starts_at,
        ends_at=ends_at,
        place=texts.get("place") or "",
        state=service.workflow.initial,
        version=1,
        created_at=service.clock.now(),
        created_by_id=actor.user_id,
    )
    detail: dict[str, Any] = {"body": body.level, "time": service._audit_times(meeting), "place": meeting.place}
    if rhythm_year is not None:
        detail["rhythm_year"] = rhythm_year
    service._audit(s, actor, meeting, "meeting_planned", detail)
    return meeting


def _instants(service: MeetingService, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """The local day and times as aware UTC instants."""
    tz = service.clock.tz
    local_start = datetime.combine(day, start, tz)
    local_end = datetime.combine(day, end, tz)
    return local_start.astimezone(UTC), local_end.astimezone(UTC)


# ---------------------------------------------------------------- parsing


def _body_of(s: Tx, area_id: int, level: Any, errors: list[FieldError]) -> Any:
    found = next((b for b in repo.bodies_of(s, area_id) if b.level == level), None)
    if found is None:
        errors.append(FieldError("body", _("Velg hvilket organ som skal møtes.")))
    return found


def _day(raw: Any, errors: list[FieldError]) -> date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors.append(FieldError("day", message_for("required")))
        return None
    if isinstance(raw, date):
        return raw
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    errors.append(FieldError("day", message_for("bad_date")))
    return None


def _times(data: Mapping[str, Any], errors: list[FieldError]) -> tuple[time | None, time | None]:
    found: dict[str, time | None] = {}
    for name in ("start", "end"):
        raw = data.get(name)
        text = raw.strip() if isinstance(raw, str) else ""
        match = TIME.fullmatch(text)
        if not text:
            errors.append(FieldError(name, message_for("required")))
            found[name] = None
        elif match is None:
            errors.append(FieldError(name, _("Skriv klokkeslettet som TT:MM, for eksempel 09:00.")))
            found[name] = None
        else:
            found[name] = time(int(match[1]), int(match[2]))
    start, end = found["start"], found["end"]
    if start is not None and end is not None and end <= start:
        errors.append(FieldError("end", _("Møtet må slutte etter at det begynner.")))
    return start, end


def _texts(
    service: MeetingService, s: Tx, area_id: int, data: Mapping[str, Any], errors: list[FieldError]
) -> dict[str, Any]:
    wanted = [(fields.TITLE, False), (fields.PLACE, False)]
    values, text_errors = repo.clean_values(
        s, area_id, wanted, {k: data[k] for k in ("title", "place") if k in data}, service.clock.today()
    )
    errors += text_errors
    return values


def _number(raw: Any, name: str, low: int, high: int, errors: list[FieldError]) -> int | None:
    text = str(raw).strip() if raw is not None else ""
    if not text:
        errors.append(FieldError(name, message_for("required")))
        return None
    if not re.fullmatch(r"-?[0-9]{1,6}", text) or not low <= int(text) <= high:
        errors.append(FieldError(name, message_for("range", min=low, max=high)))
        return None
    return int(text)


def _months(raw: Any, errors: list[FieldError]) -> list[int] | None:
    raw = [] if raw is None or raw == "" else raw
    values = raw if isinstance(raw, list | tuple) else [raw]
    months = []
    for value in values:
        text = str(value).strip()
        if not re.fullmatch(r"[0-9]{1,2}", text) or not 1 <= int(text) <= 12:
            errors.append(FieldError("skip_months", _("Velg måneder fra januar til desember.")))
            return None
        months.append(int(text))
    return sorted(set(months))
