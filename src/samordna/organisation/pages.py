"""What every organisation page shares: its tabs, its context and rendering, Post/Redirect/Get with a message
shown once, and the form route that reads a form and runs the handler in a worker thread with the
OrganisationService (by dependency injection). HTTP only: no SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio.to_thread
from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.web import Page
from samordna.domain import policy
from samordna.domain.actor import MemberView
from samordna.organisation.labels import UI
from samordna.organisation.service import OrganisationService
from samordna.web.i18n import gettext as _

FLASH = "admin_flash"
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url: str


@dataclass(frozen=True)
class Choice:
    """A unit offered in a select (`build_form` reads .id and .name)."""

    id: int
    name: str


def admin_base(page: Page) -> str:
    return f"/areas/{page.area.slug}/admin"


def tabs_for(page: Page) -> list[Tab]:
    member: MemberView | None = page.member
    base, tabs = admin_base(page), []
    if policy.may(member, policy.MANAGE_ORGANISATION):
        tabs += [Tab("members", _("Medlemmer"), f"{base}/members"), Tab("units", _("Enheter"), f"{base}/units")]
    if policy.may(member, policy.MANAGE_GOALS):
        tabs.append(Tab("goals", _("Mål og prioriteringer"), f"{base}/goals"))
    if policy.may(member, policy.READ_SECURITY_LOG):
        tabs.append(Tab("log", _("Logg"), f"{base}/log"))
    if policy.may(member, policy.SEE_REACH):  # the notifications room's page: who gets reminders
        tabs.append(Tab("notifications", _("Varsler"), f"/areas/{page.area.slug}/notifications"))
    return tabs


def context(page: Page, tab: str, heading: str, **extra: Any) -> dict[str, Any]:
    return {
        "page": page,
        "lang": page.lang,
        "active": "admin",
        "tab": tab,
        "tabs": tabs_for(page),
        "heading": heading,
        "base": admin_base(page),
        "ui": UI(page.lang),
        "flash": None,
        "error": None,
        "anchor": None,
        **extra,
    }


def render(template: str, context: dict[str, Any], status: int = 200) -> Template:
    return Template(template_name=f"pages/admin/{template}", context=context, status_code=status, headers=NO_STORE)


def tab_page(page: Page, tab: str, heading: str, *, status: int, error: str | None, **extra: Any) -> Template:
    """A tab with its table and forms: 200 shows the message left by the last change; 422 shows `error`."""
    flash = pop_flash(page) if status == 200 else None
    return render(f"{tab}.html", context(page, tab, heading, flash=flash, error=error, **extra), status)


def done(page: Page, tab: str, message: str) -> Redirect:
    """Post/Redirect/Get: back to the tab, with `message` shown once."""
    page.request.session[FLASH] = message
    return Redirect(f"{admin_base(page)}/{tab}", status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


def pop_flash(page: Page) -> str | None:
    return page.request.session.pop(FLASH, None)


async def in_thread(work: Callable[[], Template]) -> Template:
    """A page read in a worker thread. (GET handlers sharing their path with a POST are async: Litestar
    2.25 wraps a sync_to_thread handler twice when its route holds two handlers, and the call fails.)"""
    return await anyio.to_thread.run_sync(work)


def form_route(path: str, name: str, handler: Callable[..., Response], **fixed: Any) -> HTTPRouteHandler:
    """POST `path`: read the form (a multi-dict) in the event loop, then run
    `handler(request, organisation, form=...)` in a worker thread with the path parameters (already converted,
    and checked by the `ids_in_range` guard) and `fixed` as keyword arguments; `organisation` comes by
    dependency injection."""

    async def run(request: Request, organisation: NamedDependency[OrganisationService]) -> Response:
        form = await request.form()
        work = partial(handler, request, organisation, form=form, **request.path_params, **fixed)
        return await anyio.to_thread.run_sync(work)

    run.__name__ = run.__qualname__ = name
    return post(path, name=name)(run)
