"""«Varsler» (the user's notifications), the reminder preferences, and the coordinator's view of who is reached:
HTTP in, HTML out; no SQL. The NotificationService (by dependency injection) decides who may.

The preferences form is a plain form with Post/Redirect/Get: accepted, 303 back with a short message; refused,
the page again with the messages beside the fields (422). The mails' «unsubscribe» link leads here (after
logging in, when needed).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.web import Page, page_for
from samordna.domain.errors import Invalid
from samordna.notifications.mail import describe, headings
from samordna.notifications.service import NotificationService
from samordna.notifications.views import DIGESTS, KINDS, NotificationView
from samordna.organisation.pages import context as admin_context
from samordna.web.i18n import LANGUAGES, N_, current_lang
from samordna.web.i18n import gettext as _

FLASH = "notifications_flash"
NO_STORE = {"Cache-Control": "no-store"}
PREFERENCES = "/notifications/preferences"

DIGEST_LABELS = {
    "daily": N_("Daglig: når det er noe nytt"),
    "weekly": N_("Ukentlig: mandag morgen"),
    "never": N_("Aldri: bare varsler i Samordna"),
}
KIND_LABELS = {
    "follow_up": N_("Oppfølginger som forfaller innen en uke, eller har forfalt"),
    "start": N_("Tiltak som venter på at enheten starter dem"),
    "evaluation": N_("Evalueringer som skal bestilles, leveres eller behandles"),
    "decision": N_("Vedtak om enhetens tiltak"),
    "meeting": N_("Møter i organene dine den neste uka, med saksliste"),
}


def _render(page: Page, template: str, status: int = 200, **context: Any) -> Template:
    context = {"page": page, "lang": page.lang, **context}
    return Template(
        template_name=f"pages/notifications/{template}", context=context, status_code=status, headers=NO_STORE
    )


def _line(n: NotificationView, notifications: NotificationService) -> dict[str, Any]:
    when, urgent = describe(n, notifications.workflow, current_lang.get())
    return {"n": n, "text": f"{n.ref} {n.title}".strip(), "when": when, "urgent": urgent}


@get("/notifications", name="notifications")
async def notifications_page(request: Request, notifications: NamedDependency[NotificationService]) -> Template:
    def work() -> Template:
        page = page_for(request)
        view = notifications.notifications(actor=page.actor)
        titles = headings()
        return _render(
            page,
            "list.html",
            active="notifications",
            view=view,
            lines=[_line(n, notifications) for n in view.items],
            kind_labels=titles,
            several_areas=len({n.area_slug for n in view.items}) > 1,
        )

    return await anyio.to_thread.run_sync(work)


def _preferences_page(
    page: Page,
    notifications: NotificationService,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    prefs = notifications.preferences(actor=page.actor)
    chosen = values or {"digest": prefs.digest, "kinds": prefs.kinds, "language": prefs.language or ""}
    return _render(
        page,
        "preferences.html",
        status,
        active="preferences",
        prefs=prefs,
        chosen=chosen,
        errors=errors or {},
        digests=[(d, _(DIGEST_LABELS[d])) for d in DIGESTS],
        kinds=[(k, _(KIND_LABELS[k])) for k in KINDS],
        languages=LANGUAGES,
        flash=page.request.session.pop(FLASH, None) if status == 200 else None,
        error=_("Innstillingene ble ikke lagret. Se meldingen ved skjemaet.") if errors else None,
    )


@get(PREFERENCES, name="notification_preferences")
async def preferences_page(request: Request, notifications: NamedDependency[NotificationService]) -> Template:
    return await anyio.to_thread.run_sync(lambda: _preferences_page(page_for(request), notifications))


@post(PREFERENCES, name="notification_preferences_save")
async def save_preferences(request: Request, notifications: NamedDependency[NotificationService]) -> Response:
    form = await request.form()
    data = {
        "digest": form.get("digest", ""),
        "kinds": form.getall("kinds") if "kinds" in form else [],
        "language": form.get("language", ""),
    }

    def work() -> Response:
        page = page_for(request)
        try:
            notifications.save_preferences(actor=page.actor, data=data)
        except Invalid as exc:
            errors = {e.field: e.message for e in exc.errors}
            return _preferences_page(page, notifications, values=data, errors=errors, status=422)
        page.request.session[FLASH] = _("Innstillingene for varsler er lagret.")
        return Redirect(PREFERENCES, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)

    return await anyio.to_thread.run_sync(work)


@get("/areas/{slug:str}/notifications", name="notification_reach")
async def reach_page(
    request: Request, notifications: NamedDependency[NotificationService], slug: FromPath[str]
) -> Template:
    def work() -> Template:
        page = page_for(request, slug)
        view = notifications.reach(actor=page.actor, slug=slug)
        context = admin_context(
            page,
            "notifications",
            _("Hvem får varsler"),
            view=view,
            digest_labels={d: _(DIGEST_LABELS[d]) for d in DIGESTS},
            kind_labels=headings(),
        )
        return Template(template_name="pages/notifications/reach.html", context=context, headers=NO_STORE)

    return await anyio.to_thread.run_sync(work)


HANDLERS = [notifications_page, preferences_page, save_preferences, reach_page]
