"""The årshjul page, its milestone forms, the calendar addresses, and the .ics feeds: HTTP in, HTML or
iCalendar out; no SQL.

The CalendarService (by dependency injection) decides who may and does the work. Plain forms: an accepted
POST answers 303 back to the page with a short message; a refused one renders the page again with the
messages beside the fields and what was typed (422). The feeds carry no session: their secret key is the
only credential, and a wrong, replaced or malformed key is a plain 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import anyio.to_thread
from babel.dates import get_month_names
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.web import Page, page_for
from samordna.calendar import fields, wheel
from samordna.calendar.service import CalendarService
from samordna.calendar.views import MilestoneView, WheelView
from samordna.domain.errors import Invalid, NotFound
from samordna.web.forms import Form, build_form, parse_form
from samordna.web.i18n import LOCALES, N_
from samordna.web.i18n import gettext as _

BASE = "/areas/{slug:str}/arshjul"
MILESTONE = f"{BASE}/milestones/{{milestone_id:int}}"
FLASH = "calendar_flash"
NO_STORE = {"Cache-Control": "no-store"}
YEAR = re.compile(r"20[0-9]{2}")
ICS = "text/calendar; charset=utf-8"

STATE_LABELS = {
    "planned": N_("Planlagt"),
    "agenda_sent": N_("Innkalling sendt"),
    "held": N_("Holdt"),
    "minutes_approved": N_("Referat godkjent"),
    "cancelled": N_("Avlyst"),
}


def _year(request: Request) -> int | None:
    raw = request.query_params.get("year", "")
    return int(raw) if YEAR.fullmatch(raw) else None  # anything else: this year


def _month_names(lang: str) -> list[str]:
    names = get_month_names("wide", locale=LOCALES.get(lang, "nb_NO"))
    return [names[m][:1].upper() + names[m][1:] for m in range(1, 13)]


def _milestone_values(ms: MilestoneView) -> dict[str, Any]:
    return {"title": ms.title, "month": ms.month, "day": ms.day, "level": ms.level, "description": ms.description}


def _feed_url(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


def _page(
    page: Page,
    calendar: CalendarService,
    *,
    year: int | None = None,
    add: Form | None = None,
    refused_id: int | None = None,
    refused: Form | None = None,
    status: int = 200,
    error: str | None = None,
) -> Template:
    view: WheelView = calendar.wheel(actor=page.actor, slug=page.area.slug, year=year)
    lang = page.lang
    months = _month_names(lang)
    edit = {
        ms.id: refused
        if ms.id == refused_id and refused
        else build_form(fields.MILESTONE_FIELDS, values=_milestone_values(ms))
        for ms in view.milestones
    }
    request = page.request
    body_feeds = [
        (b, _feed_url(request, f"/areas/{view.area_slug}/calendar/{b.level}.ics?key={b.feed_key}")) for b in view.bodies
    ]
    user_feed = _feed_url(request, f"/calendar/{view.user_feed_key}.ics") if view.user_feed_key else None
    context = {
        "page": page,
        "lang": lang,
        "active": "arshjul",
        "view": view,
        "drawing": wheel.draw(view, months, calendar.clock.today()),
        "month_names": months,
        "level_labels": {k: v.get(lang) for k, v in fields.LEVEL_LABELS.items()},
        "state_labels": {k: _(v) for k, v in STATE_LABELS.items()},
        "add": add or build_form(fields.MILESTONE_FIELDS),
        "edit": edit,
        "open_id": refused_id,
        "body_feeds": body_feeds,
        "user_feed": user_feed,
        "flash": page.request.session.pop(FLASH, None) if status == 200 else None,
        "error": error,
        "base": f"/areas/{view.area_slug}/arshjul",
    }
    return Template(template_name="calendar/arshjul.html", context=context, status_code=status, headers=NO_STORE)


def _done(page: Page, message: str, anchor: str = "") -> Redirect:
    page.request.session[FLASH] = message
    url = f"/areas/{page.area.slug}/arshjul" + (f"#{anchor}" if anchor else "")
    return Redirect(url, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


@get(BASE, name="arshjul")
async def arshjul_page(request: Request, calendar: NamedDependency[CalendarService], slug: FromPath[str]) -> Template:
    year = _year(request)
    return await anyio.to_thread.run_sync(lambda: _page(page_for(request, slug), calendar, year=year))


def form_route(path: str, name: str, handler: Callable[..., Response], **fixed: Any) -> HTTPRouteHandler:
    """POST `path`: read the form in the event loop, then run `handler(request, calendar, form=..., **path
    parameters)` in a worker thread."""

    async def run(request: Request, calendar: NamedDependency[CalendarService]) -> Response:
        form = await request.form()
        work = partial(handler, request, calendar, form=form, **request.path_params, **fixed)
        return await anyio.to_thread.run_sync(work)

    run.__name__ = run.__qualname__ = name
    return post(path, name=name)(run)


def _add(request: Request, calendar: CalendarService, slug: str, form: Mapping[str, Any]) -> Response:
    page = page_for(request, slug)
    data = parse_form(fields.MILESTONE_FIELDS, form)
    try:
        ms = calendar.add_milestone(actor=page.actor, slug=slug, data=data)
    except Invalid as exc:
        add = build_form(fields.MILESTONE_FIELDS, values=data, errors=exc.errors)
        return _page(
            page, calendar, add=add, status=422, error=_("Milepælen ble ikke lagt til. Se meldingen ved skjemaet.")
        )
    return _done(page, _("Milepælen «%(title)s» er lagt til.") % {"title": ms.title}, "milestones")


def _edit(
    request: Request, calendar: CalendarService, slug: str, milestone_id: int, form: Mapping[str, Any]
) -> Response:
    page = page_for(request, slug)
    data = parse_form(fields.MILESTONE_FIELDS, form)
    try:
        ms = calendar.edit_milestone(actor=page.actor, slug=slug, milestone_id=milestone_id, data=data)
    except Invalid as exc:
        refused = build_form(fields.MILESTONE_FIELDS, values=data, errors=exc.errors)
        return _page(
            page,
            calendar,
            refused_id=milestone_id,
            refused=refused,
            status=422,
            error=_("Milepælen ble ikke endret. Se meldingen ved skjemaet."),
        )
    return _done(page, _("Milepælen «%(title)s» er endret.") % {"title": ms.title}, "milestones")


def _remove(
    request: Request, calendar: CalendarService, slug: str, milestone_id: int, form: Mapping[str, Any]
) -> Response:
    page = page_for(request, slug)
    ms = calendar.remove_milestone(actor=page.actor, slug=slug, milestone_id=milestone_id)
    return _done(page, _("Milepælen «%(title)s» er fjernet.") % {"title": ms.title}, "milestones")


def _renew_body(
    request: Request, calendar: CalendarService, slug: str, level: str, form: Mapping[str, Any]
) -> Response:
    page = page_for(request, slug)
    body = calendar.renew_body_key(actor=page.actor, slug=slug, level=level)
    message = _("«%(name)s» har fått ny kalenderadresse. Den gamle virker ikke lenger.") % {"name": body.name}
    return _done(page, message, "feeds")


def _renew_mine(request: Request, calendar: CalendarService, slug: str, form: Mapping[str, Any]) -> Response:
    page = page_for(request, slug)
    calendar.renew_user_key(actor=page.actor, slug=slug)
    return _done(page, _("Din kalenderadresse er klar. En eldre adresse virker ikke lenger."), "feeds")


add_milestone = form_route(f"{BASE}/milestones", "milestone_add", _add)
edit_milestone = form_route(f"{MILESTONE}/edit", "milestone_edit", _edit)
remove_milestone = form_route(f"{MILESTONE}/delete", "milestone_remove", _remove)
renew_body_feed = form_route(f"{BASE}/feeds/{{level:str}}/renew", "calendar_body_renew", _renew_body)
renew_my_feed = form_route(f"{BASE}/my-feed", "calendar_user_renew", _renew_mine)


# ---------------------------------------------------------------- the feeds (key, no session)


def _ics(content: bytes, filename: str) -> Response:
    headers = {"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{filename}"'}
    return Response(content=content, media_type=ICS, headers=headers)


def _stem(feed: str) -> str:
    if not feed.endswith(".ics"):
        raise NotFound(_("Fant ikke kalenderen."))
    return feed[: -len(".ics")]


@get("/areas/{slug:str}/calendar/{feed:str}", sync_to_thread=True, name="calendar_body_feed")
def body_feed(
    calendar: NamedDependency[CalendarService], slug: FromPath[str], feed: FromPath[str], key: FromQuery[str] = ""
) -> Response:
    level = _stem(feed)
    return _ics(calendar.body_feed(slug=slug, level=level, key=key), f"{slug}-{level}.ics")


@get("/calendar/{feed:str}", sync_to_thread=True, name="calendar_user_feed")
def user_feed(calendar: NamedDependency[CalendarService], feed: FromPath[str]) -> Response:
    return _ics(calendar.user_feed(key=_stem(feed)), "samordna.ics")


HANDLERS = [
    arshjul_page,
    add_milestone,
    edit_milestone,
    remove_milestone,
    renew_body_feed,
    renew_my_feed,
    body_feed,
    user_feed,
]
