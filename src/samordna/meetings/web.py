"""The meetings pages: each body's meetings (`/areas/{slug}/meetings`) and a meeting with its agenda
(`/meetings/{id}`). HTTP in, HTML out; no SQL. The MeetingService (by dependency injection) decides who may.

Plain forms with Post/Redirect/Get: an accepted POST answers 303 back to its page with a short message; a
refused one renders the page again with the messages beside the fields and what was typed (422), or the
error page saying why (403, 404, and 409 for a frozen agenda or a cancelled meeting). The agenda's forms are
boosted by htmx (the same POST, the page swapped in without a reload); everything works without JavaScript.

Size: one short handler per meeting route; the projector view's handlers are in meetings/live.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.web import Page, page_for
from samordna.domain.errors import FieldError, Invalid
from samordna.domain.vocabulary import BODY_LEVEL_LABELS
from samordna.meetings.service import MeetingService
from samordna.meetings.views import FREE_KINDS, Agenda, MeetingsPage, YearPlan
from samordna.web.forms import _without_national_ids
from samordna.web.i18n import N_, current_lang
from samordna.web.i18n import gettext as _
from samordna.web.rendering import label
from samordna.web.sections import sections

FLASH = "meetings_flash"
NO_STORE = {"Cache-Control": "no-store"}
AREA = "/areas/{slug:str}/meetings"
MEETING = "/meetings/{meeting_id:int}"

KIND_LABELS = {
    "measure": N_("Tiltak"),
    "goal": N_("Mål"),
    "orientation": N_("Orientering"),
    "discussion": N_("Drøfting"),
    "decision": N_("Vedtak"),
}
REASON_LABELS = {
    "need_identified": N_("Nytt behov"),
    "without_responsibility": N_("Igangsatt uten ansvarlig enhet"),
    "overdue": N_("Oppfølging forfalt"),
    "off_track": N_("Avviker fra planen"),
    "under_evaluation": N_("Til evaluering"),
    "awaiting_decision": N_("Evaluert: venter på beslutning"),
    "goal_status": N_("Status for målet"),
}
WEEKDAYS = (N_("mandag"), N_("tirsdag"), N_("onsdag"), N_("torsdag"), N_("fredag"), N_("lørdag"), N_("søndag"))
NTHS = ((1, N_("første")), (2, N_("andre")), (3, N_("tredje")), (4, N_("fjerde")), (5, N_("siste")))
MONTHS = (
    N_("januar"),
    N_("februar"),
    N_("mars"),
    N_("april"),
    N_("mai"),
    N_("juni"),
    N_("juli"),
    N_("august"),
    N_("september"),
    N_("oktober"),
    N_("november"),
    N_("desember"),
)
MINUTES_STATES = ("agenda_sent", "held", "minutes_approved")
ATTENDANCE_LABELS = {"present": N_("Møtt"), "absent": N_("Ikke møtt"), "excused": N_("Forfall")}
ONE_FIELDS = ("body", "title", "day", "start", "end", "place")
YEAR_FIELDS = ("body", "title", "year", "weekday", "nth", "on_holiday", "start", "end", "place")
MOVE_FIELDS = ("title", "day", "start", "end", "place")
ITEM_FIELDS = ("kind", "title", "text")


@dataclass
class Filled:
    """A hand-written form's values and messages (what was typed comes back; a national identity number
    never does)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)


def _filled(form: Mapping[str, Any], names: tuple[str, ...], errors: list[FieldError] = ()) -> Filled:  # type: ignore[assignment]
    values = {n: _without_national_ids(str(form.get(n) or "")) for n in names if n in form}
    messages: dict[str, str] = {}
    for e in errors:
        messages.setdefault(e.field, e.message)
    return Filled(values, messages)


def _data(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: str(form.get(n)).strip() for n in names if n in form and form.get(n) is not None}


def _version(form: Mapping[str, Any]) -> int:
    text = str(form.get("version") or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else -1


def _ui(lang: str) -> dict[str, Any]:
    return {
        "kind_label": lambda k: _(KIND_LABELS.get(k, k)),
        "reason_label": lambda r: _(REASON_LABELS[r]) if r in REASON_LABELS else "",
        "level_label": lambda lv: label(BODY_LEVEL_LABELS, lv),
        "weekdays": [(i, _(w)) for i, w in enumerate(WEEKDAYS)],
        "nths": [(n, _(w)) for n, w in NTHS],
        "months": [(i + 1, _(m)) for i, m in enumerate(MONTHS)],
        "free_kinds": [(k, _(KIND_LABELS[k])) for k in FREE_KINDS],
        "hhmm": lambda d: d.strftime("%H:%M"),
    }


def _state_label(meetings: MeetingService) -> Callable[[str], str]:
    states = meetings.workflow.states
    return lambda state: states[state].label.get(current_lang.get()) if state in states else state


def _render(page: Page, template: str, status: int = 200, **extra: Any) -> Template:
    """A meetings page; 200 shows the message the last change left, once."""
    flash = page.request.session.pop(FLASH, None) if status == 200 else None
    context = {"page": page, "lang": page.lang, "active": "meetings", "flash": flash, "error": None, **_ui(page.lang)}
    context.update(extra)
    return Template(template_name=f"pages/meetings/{template}", context=context, status_code=status, headers=NO_STORE)


def _done(page: Page, url: str, message: str) -> Redirect:
    page.request.session[FLASH] = message
    return Redirect(url, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


def form_route(path: str, name: str, handler: Callable[..., Response]) -> HTTPRouteHandler:
    """POST `path`: the form read in the event loop, then `handler(request, meetings, form=..., **path)` in a
    worker thread; `meetings` comes by dependency injection."""

    async def run(request: Request, meetings: NamedDependency[MeetingService]) -> Response:
        form = await request.form()
        work = partial(handler, request, meetings, form=form, **request.path_params)
        return await anyio.to_thread.run_sync(work)

    run.__name__ = run.__qualname__ = name
    return post(path, name=name)(run)


async def _in_thread(work: Callable[[], Template]) -> Template:
    return await anyio.to_thread.run_sync(work)


# ---------------------------------------------------------------- an area's meetings


def _list_page(
    page: Page,
    meetings: MeetingService,
    *,
    status: int = 200,
    error: str | None = None,
    one: Filled | None = None,
    year: Filled | None = None,
    plan: YearPlan | None = None,
    rename: tuple[int, Filled] | None = None,
    view: MeetingsPage | None = None,
) -> Template:
    view = view or meetings.overview(actor=page.actor, slug=page.area.slug)
    today = meetings.clock.today()
    return _render(
        page,
        "list.html",
        status,
        state_label=_state_label(meetings),
        view=view,
        body_choices=[(b.level, b.name) for b in view.all_bodies],
        error=error,
        one=one or Filled({"start": "09:00", "end": "11:00"}),
        year=year
        or Filled({"year": str(today.year + 1), "nth": "2", "weekday": "1", "start": "09:00", "end": "11:00"}),
        skip_months=set(year.values.get("skip_months", [])) if year else {"7"},
        plan=plan,
        rename=rename,
    )


@get(AREA, name="meetings_list")
async def meetings_list(request: Request, meetings: NamedDependency[MeetingService], slug: FromPath[str]) -> Template:
    return await _in_thread(lambda: _list_page(page_for(request, slug), meetings))


def _plan(request: Request, meetings: MeetingService, slug: str, form: Mapping[str, Any]) -> Response:
    page = page_for(request, slug)
    data = _data(form, ONE_FIELDS)
    try:
        m = meetings.plan(actor=page.actor, slug=slug, data=data)
    except Invalid as exc:
        return _list_page(
            page,
            meetings,
            status=422,
            one=_filled(form, ONE_FIELDS, exc.errors),
            error=_("Møtet ble ikke planlagt. Se meldingene ved skjemaet."),
        )
    return _done(page, f"/meetings/{m.id}", _("Møtet er planlagt."))


def _plan_year(request: Request, meetings: MeetingService, slug: str, form: Mapping[str, Any]) -> Response:
    page = page_for(request, slug)
    data = _data(form, YEAR_FIELDS)
    months = [str(v) for v in (form.getall("skip_months", []) if hasattr(form, "getall") else [])]
    data["skip_months"] = months
    preview = bool(form.get("preview"))
    filled = _filled(form, YEAR_FIELDS)
    filled.values["skip_months"] = months
    try:
        plan = meetings.plan_year(actor=page.actor, slug=slug, data=data, preview=preview)
    except Invalid as exc:
        filled.errors = {e.field: e.message for e in reversed(exc.errors)}
        return _list_page(
            page, meetings, status=422, year=filled, error=_("Møteplanen ble ikke laget. Se meldingene ved skjemaet.")
        )
    if preview:
        return _list_page(page, meetings, year=filled, plan=plan)
    message = _("%(count)s møter er planlagt for %(body)s i %(year)s.") % {
        "count": len(plan.created),
        "body": plan.body.name,
        "year": plan.year,
    }
    if plan.skipped:
        message += " " + _("Utelatt: %(days)s.") % {
            "days": "; ".join(f"{s.day.strftime('%d.%m.')} ({s.reason.rstrip('.')})" for s in plan.skipped)
        }
    return _done(page, f"/areas/{slug}/meetings", message)


def _rename_body(
    request: Request, meetings: MeetingService, slug: str, body_id: int, form: Mapping[str, Any]
) -> Response:
    page = page_for(request, slug)
    try:
        body = meetings.rename_body(actor=page.actor, slug=slug, body_id=body_id, data=_data(form, ("name",)))
    except Invalid as exc:
        return _list_page(
            page,
            meetings,
            status=422,
            rename=(body_id, _filled(form, ("name",), exc.errors)),
            error=_("Navnet ble ikke endret. Se meldingen ved organet."),
        )
    return _done(page, f"/areas/{slug}/meetings", _("Organet heter nå «%(name)s».") % {"name": body.name})


plan_meeting = form_route(AREA, "meetings_plan", _plan)
plan_year = form_route(f"{AREA}/year", "meetings_plan_year", _plan_year)
rename_body = form_route("/areas/{slug:str}/bodies/{body_id:int}/rename", "meetings_rename_body", _rename_body)


# ---------------------------------------------------------------- a meeting and its agenda


def _meeting_page(
    page: Page,
    meetings: MeetingService,
    meeting_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    move: Filled | None = None,
    cancel: Filled | None = None,
    item: Filled | None = None,
    agenda: Agenda | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Template:
    agenda = agenda or meetings.agenda(actor=page.actor, meeting_id=meeting_id)
    m = agenda.meeting
    wf = meetings.workflow
    lang = current_lang.get()
    return _render(
        page,
        "meeting.html",
        status,
        agenda=agenda,
        meeting=m,
        meeting_state=wf.states[m.state].label.get(lang),
        minutes=meetings.minutes(actor=page.actor, meeting_id=meeting_id) if m.state in MINUTES_STATES else None,
        decision_label=lambda t: (
            meetings.measure_workflow.first_transition(t).label.get(lang)  # type: ignore[union-attr]
            if meetings.measure_workflow.first_transition(t)
            else t
        ),
        attendance_label=lambda st: _(ATTENDANCE_LABELS.get(st, st)),
        error=error,
        move=move
        or Filled(
            {
                "title": m.title,
                "day": m.day.isoformat(),
                "start": m.local_start.strftime("%H:%M"),
                "end": m.local_end.strftime("%H:%M"),
                "place": m.place,
            }
        ),
        cancel=cancel or Filled(),
        item=item or Filled({"kind": "orientation"}),
        trigger_label=lambda t: wf.first_transition(t).label.get(lang),  # type: ignore[union-attr]
        # the files on the meeting (samordna.attachments); `extra` (a refused upload) in place of what they say
        **{**sections(page.request, "meeting", page, meeting_id), **(extra or {})},
    )


def page_response(
    page: Page,
    meetings: MeetingService,
    meeting_id: int,
    *,
    status_code: int = 200,
    extra: Mapping[str, Any] | None = None,
) -> Template:
    """The meeting page as it is now, with `extra` in its context: what a section of it refused (an upload)."""
    return _meeting_page(page, meetings, meeting_id, status=status_code, extra=extra)


def _meeting_for(page_request: Request, meetings: MeetingService, meeting_id: int) -> Page:
    """The page context in the meeting's own area (the header, the language)."""
    meeting = meetings.get(actor=_actor(page_request), meeting_id=meeting_id)
    return page_for(page_request, meeting.area_slug)


def _actor(request: Request) -> Any:
    return page_for(request).actor


@get(MEETING, name="meeting_page")
async def meeting_page(
    request: Request, meetings: NamedDependency[MeetingService], meeting_id: FromPath[int]
) -> Template:
    def work() -> Template:
        page = page_for(request)
        agenda = meetings.agenda(actor=page.actor, meeting_id=meeting_id)
        return _meeting_page(page_for(request, agenda.meeting.area_slug), meetings, meeting_id, agenda=agenda)

    return await _in_thread(work)


def _move(request: Request, meetings: MeetingService, meeting_id: int, form: Mapping[str, Any]) -> Response:
    page = page_for(request)
    try:
        meetings.move(actor=page.actor, meeting_id=meeting_id, version=_version(form), data=_data(form, MOVE_FIELDS))
    except Invalid as exc:
        page = _meeting_for(request, meetings, meeting_id)
        return _meeting_page(
            page,
            meetings,
            meeting_id,
            status=422,
            move=_filled(form, MOVE_FIELDS, exc.errors),
            error=_("Møtet ble ikke flyttet. Se meldingene ved skjemaet."),
        )
    return _done(page, f"/meetings/{meeting_id}", _("Møtet er endret."))


def _cancel(request: Request, meetings: MeetingService, meeting_id: int, form: Mapping[str, Any]) -> Response:
    page = page_for(request)
    try:
        meetings.cancel(actor=page.actor, meeting_id=meeting_id, version=_version(form), data=_data(form, ("reason",)))
    except Invalid as exc:
        page = _meeting_for(request, meetings, meeting_id)
        return _meeting_page(
            page,
            meetings,
            meeting_id,
            status=422,
            cancel=_filled(form, ("reason",), exc.errors),
            error=_("Møtet ble ikke avlyst. Se meldingen ved skjemaet."),
        )
    return _done(page, f"/meetings/{meeting_id}", _("Møtet er avlyst."))


def _send(request: Request, meetings: MeetingService, meeting_id: int, form: Mapping[str, Any]) -> Response:
    page = page_for(request)
    agenda = meetings.send_agenda(actor=page.actor, meeting_id=meeting_id, version=_version(form))
    return _done(
        page,
        f"/meetings/{meeting_id}",
        _("Sakslisten er sendt til %(count)s mottakere og kan ikke endres lenger.") % {"count": len(agenda.recipients)},
    )


def _add_item(request: Request, meetings: MeetingService, meeting_id: int, form: Mapping[str, Any]) -> Response:
    page = page_for(request)
    try:
        item = meetings.add_item(actor=page.actor, meeting_id=meeting_id, data=_data(form, ITEM_FIELDS))
    except Invalid as exc:
        page = _meeting_for(request, meetings, meeting_id)
        return _meeting_page(
            page,
            meetings,
            meeting_id,
            status=422,
            item=_filled(form, ITEM_FIELDS, exc.errors),
            error=_("Saken ble ikke lagt til. Se meldingene ved skjemaet."),
        )
    return _done(page, f"/meetings/{meeting_id}#agenda", _("«%(title)s» er lagt til.") % {"title": item.title})


def _remove_item(
    request: Request, meetings: MeetingService, meeting_id: int, item_id: int, form: Mapping[str, Any]
) -> Response:
    page = page_for(request)
    meetings.remove_item(actor=page.actor, meeting_id=meeting_id, item_id=item_id)
    return _done(page, f"/meetings/{meeting_id}#agenda", _("Saken er fjernet fra sakslisten."))


def _move_item(
    request: Request, meetings: MeetingService, meeting_id: int, item_id: int, form: Mapping[str, Any]
) -> Response:
    page = page_for(request)
    direction = str(form.get("direction") or "")
    meetings.move_item(actor=page.actor, meeting_id=meeting_id, item_id=item_id, direction=direction)
    return _done(page, f"/meetings/{meeting_id}#item-{item_id}", _("Rekkefølgen er endret."))


move_meeting = form_route(f"{MEETING}/move", "meeting_move", _move)
cancel_meeting = form_route(f"{MEETING}/cancel", "meeting_cancel", _cancel)
send_agenda = form_route(f"{MEETING}/send", "meeting_send_agenda", _send)
add_item = form_route(f"{MEETING}/items", "meeting_item_add", _add_item)
remove_item = form_route(f"{MEETING}/items/{{item_id:int}}/remove", "meeting_item_remove", _remove_item)
move_item = form_route(f"{MEETING}/items/{{item_id:int}}/move", "meeting_item_move", _move_item)

HANDLERS = [
    meetings_list,
    plan_meeting,
    plan_year,
    rename_body,
    meeting_page,
    move_meeting,
    cancel_meeting,
    send_agenda,
    add_item,
    remove_item,
    move_item,
]
