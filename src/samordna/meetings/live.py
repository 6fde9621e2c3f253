"""The meeting itself: the projector view (`/meetings/{id}/live`) that walks the items one at a time, the
decisions, notes and attendance recorded from it, marking the meeting held and approving the previous
minutes. HTTP in, HTML out; no SQL. The MeetingService (by dependency injection) decides who may.

On a measure item the decisions offered are exactly the forms the measure page offers the coordinator in the
measure's state (MeasureService.page), without the steering group's meeting date: the meeting is it. A
refused decision shows the item again with the messages in place and everything typed (422, 403, 409); an
accepted one answers 303 back to the item. Everything works without JavaScript (`?item=N`); the arrow keys
walk the items with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from samordna.accounts.web import Page, page_for
from samordna.domain.errors import DomainError, FieldError, Invalid, NotFound
from samordna.measures.timeline import state_label
from samordna.meetings.service import MeetingService
from samordna.meetings.views import Minutes
from samordna.meetings.web import ATTENDANCE_LABELS, _done, _in_thread, _render, _state_label, _version, form_route
from samordna.web.forms import Form, build_form, parse_form
from samordna.web.i18n import current_lang
from samordna.web.i18n import gettext as _

MEETING = "/meetings/{meeting_id:int}"
MEETING_FIELD = "meeting_date"  # the meeting satisfies it


def _position(raw: Any, count: int) -> int:
    text = str(raw or "").strip()
    n = int(text) if text.isascii() and text.isdigit() and len(text) < 6 else 1
    return min(max(n, 1), max(count, 1))


def _decision_forms(
    meetings: MeetingService,
    page: Page,
    measure_id: int,
    *,
    refused: tuple[str, Mapping[str, Any], list[FieldError]] | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """The measure and its decision forms for the coordinator now (the measure page's forms, less `edit`)."""
    assert meetings.measures is not None
    found = meetings.measures.page(actor=page.actor, measure_id=measure_id)
    wf = meetings.measures.workflow
    lang = current_lang.get()
    m = found.measure
    out = []
    for shape in found.forms:
        fields = tuple((f, req) for f, req in shape.fields if f.name != MEETING_FIELD)
        values: Mapping[str, Any] = {f.name: getattr(m, f.store, None) for f, _r in fields if f.store}
        errors: list[FieldError] = []
        if refused is not None and refused[0] == shape.trigger:
            values, errors = refused[1], refused[2]
        form: Form = build_form(fields, choices=dict(found.choices), values=values, errors=errors)
        td = wf.transition(m.state, shape.trigger)
        out.append(
            {
                "trigger": shape.trigger,
                "label": td.label.get(lang) if td else shape.trigger,
                "form": form,
                "open": bool(errors),
            }
        )
    return found, out


def _live(
    page: Page,
    meetings: MeetingService,
    meeting_id: int,
    *,
    position: Any = None,
    status: int = 200,
    error: str | None = None,
    refused: tuple[str, Mapping[str, Any], list[FieldError]] | None = None,
    note: str | None = None,
) -> Template:
    minutes: Minutes = meetings.minutes(actor=page.actor, meeting_id=meeting_id)
    page = page_for(page.request, minutes.agenda.meeting.area_slug)
    items = minutes.agenda.items
    n = _position(position, len(items))
    item = items[n - 1] if items else None
    found, forms = None, []
    if item is not None and item.measure_id is not None:
        try:
            found, forms = _decision_forms(meetings, page, item.measure_id, refused=refused)
        except NotFound:
            found, forms = None, []
        if not minutes.runs or item.decision_event_id is not None:
            forms = []
    mwf = meetings.measures.workflow if meetings.measures else None
    return _render(
        page,
        "live.html",
        status,
        minutes=minutes,
        meeting=minutes.agenda.meeting,
        meeting_state=_state_label(meetings)(minutes.agenda.meeting.state),
        items=items,
        n=n,
        item=item,
        measure=found.measure if found else None,
        measure_state=state_label(mwf, found.measure.state, page.lang) if found and mwf else "",
        decision_forms=forms,
        note_value=note if note is not None else (item.note if item else ""),
        error=error,
        decision_label=lambda t: mwf.first_transition(t).label.get(page.lang) if mwf and mwf.first_transition(t) else t,
        attendance_label=lambda s: _(ATTENDANCE_LABELS.get(s, s)),
        attendance_of={a.user_id: a.status for a in minutes.attendance if a.user_id is not None},
    )


@get(f"{MEETING}/live", name="meeting_live")
async def meeting_live(
    request: Request, meetings: NamedDependency[MeetingService], meeting_id: FromPath[int]
) -> Template:
    return await _in_thread(
        lambda: _live(page_for(request), meetings, meeting_id, position=request.query_params.get("item"))
    )


def _item_url(meeting_id: int, position: Any) -> str:
    return f"/meetings/{meeting_id}/live?item={_position(position, 10_000)}"


def _decide(
    request: Request, meetings: MeetingService, meeting_id: int, item_id: int, form: Mapping[str, Any]
) -> Response:
    page = page_for(request)
    trigger = str(form.get("trigger") or "")
    position = form.get("item")
    assert meetings.measures is not None
    data = parse_form(meetings.measures.form_fields(trigger=trigger), form) if trigger else {}
    data.pop(MEETING_FIELD, None)
    note = str(form.get("note") or "")
    try:
        version = _version(form)
        meetings.record_decision(
            actor=page.actor,
            meeting_id=meeting_id,
            item_id=item_id,
            trigger=trigger,
            version=version,
            data=data,
            note=note,
        )
    except Invalid as exc:
        message = _("Vedtaket ble ikke ført. Se meldingene ved skjemaet.")
        return _live(
            page,
            meetings,
            meeting_id,
            position=position,
            status=422,
            error=message,
            refused=(trigger, data, list(exc.errors)),
            note=note,
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _live(
            page,
            meetings,
            meeting_id,
            position=position,
            status=exc.status,
            error=exc.message,
            refused=(trigger, data, []),
            note=note,
        )
    return _done(page, _item_url(meeting_id, position), _("Vedtaket er ført i referatet."))


def _save_note(
    request: Request, meetings: MeetingService, meeting_id: int, item_id: int, form: Mapping[str, Any]
) -> Response:
    page = page_for(request)
    position = form.get("item")
    note = str(form.get("note") or "")
    try:
        meetings.save_note(actor=page.actor, meeting_id=meeting_id, item_id=item_id, note=note)
    except Invalid as exc:
        return _live(
            page,
            meetings,
            meeting_id,
            position=position,
            status=422,
            error=" ".join(e.message for e in exc.errors),
            note=note,
        )
    return _done(page, _item_url(meeting_id, position), _("Notatet er lagret."))


def _attendance(request: Request, meetings: MeetingService, meeting_id: int, form: Mapping[str, Any]) -> Response:
    page = page_for(request)
    data = {k: str(v) for k, v in form.items() if k.startswith("status_") or k == "guest"}
    try:
        meetings.record_attendance(actor=page.actor, meeting_id=meeting_id, data=data)
    except Invalid as exc:
        return _live(
            page,
            meetings,
            meeting_id,
            position=form.get("item"),
            status=422,
            error=" ".join(e.message for e in exc.errors),
        )
    return _done(page, _item_url(meeting_id, form.get("item")) + "#attendance", _("Oppmøtet er lagret."))


def _hold(request: Request, meetings: MeetingService, meeting_id: int, form: Mapping[str, Any]) -> Response:
    page = page_for(request)
    summary = str(form.get("summary") or "").strip()
    meetings.hold(
        actor=page.actor, meeting_id=meeting_id, version=_version(form), data={"summary": summary} if summary else {}
    )
    return _done(page, f"/meetings/{meeting_id}#minutes", _("Møtet er markert som gjennomført. Referatet er klart."))


def _approve(request: Request, meetings: MeetingService, meeting_id: int, form: Mapping[str, Any]) -> Response:
    """Approve, in this meeting, the minutes of an earlier meeting of the body (`minutes_of`)."""
    page = page_for(request)
    raw = str(form.get("minutes_of") or "")
    earlier = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else 0
    meetings.approve_minutes(actor=page.actor, meeting_id=earlier, in_meeting_id=meeting_id, version=_version(form))
    return _done(page, f"/meetings/{meeting_id}", _("Referatet er godkjent og kan ikke endres lenger."))


record_decision = form_route(f"{MEETING}/items/{{item_id:int}}/decision", "meeting_decision", _decide)
save_note = form_route(f"{MEETING}/items/{{item_id:int}}/note", "meeting_item_note", _save_note)
record_attendance = form_route(f"{MEETING}/attendance", "meeting_attendance", _attendance)
hold_meeting = form_route(f"{MEETING}/hold", "meeting_hold", _hold)
approve_minutes = form_route(f"{MEETING}/approve", "meeting_approve_minutes", _approve)

HANDLERS = [meeting_live, record_decision, save_note, record_attendance, hold_meeting, approve_minutes]
