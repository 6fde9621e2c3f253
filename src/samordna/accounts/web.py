"""Log in and out, choose language and area: the browser's identity, kept in a server-side session."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.service import AccountService
from samordna.domain import policy
from samordna.domain.actor import Actor
from samordna.domain.errors import Busy, Throttled
from samordna.settings import Settings
from samordna.web.i18n import LANGUAGES, current_lang, pick_language
from samordna.web.i18n import gettext as _
from samordna.web.security_log import client_address, note_actor
from samordna.web.session import SEEN_RESOLUTION, rotate_session, session_is_fresh

BOARD_OF_ROLE = {
    "steering": "steering",
    "coordinator": "coordination",
    "coordination": "coordination",
    "executing": "execution",
    "viewer": "coordination",
}


LANG_COOKIE = "samordna_lang"  # the language last chosen in this browser, also before logging in
LANG_COOKIE_SECONDS = 365 * 24 * 3600


class LoginRequired(NotAuthorizedException):
    """Raised for a page that needs a logged-in user; answered with a redirect to /login."""


@dataclass
class Page:
    """Who is looking, where, and in which language: what every page template needs."""

    request: Request
    actor: Actor
    areas: list[Any]
    area: Any | None = None
    lang: str = "nb"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def member(self):  # type: ignore[no-untyped-def]
        return self.actor.in_area(self.area.id) if self.area else None

    @property
    def may_administer(self) -> bool:
        """Whether the header offers «Administrasjon» (organisation or goal pages) in this area."""
        return policy.may_administer(self.member)

    def saved_views(self) -> list[Any]:
        """The member's saved views of the measure list in this area (for the menu), read once per page."""
        if self.area is None:
            return []
        if "saved_views" not in self.extra:
            accounts = self.request.app.state.services.accounts
            self.extra["saved_views"] = accounts.saved_views(actor=self.actor, area_id=self.area.id)
        return self.extra["saved_views"]

    def unread_notifications(self) -> int:
        """The header's «Varsler» badge: the user's unread notifications (one indexed count per page)."""
        if "unread" not in self.extra:
            notifications = self.request.app.state.services.notifications
            self.extra["unread"] = notifications.unread_count(user_id=self.actor.user_id)
        return self.extra["unread"]

    def live_since(self) -> int:
        """The newest event when the page was read: its live stream replays what came after (samordna.live)."""
        if "live_since" not in self.extra:
            self.extra["live_since"] = self.request.app.state.services.live.latest()
        return self.extra["live_since"]

    def board_url(self, area: Any | None = None) -> str:
        area = area or self.area
        return f"/areas/{area.slug}/boards/{BOARD_OF_ROLE[area.role]}"


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()  # no NUL, no line break: it goes into a Location header
    ):
        return target
    return "/"


async def set_language_hook(request: Request) -> None:
    """before_request: the session's language for everything rendered in this request."""
    lang = "nb"
    if "session" in request.scope:
        lang = pick_language(request.session.get("lang"), request.cookies.get(LANG_COOKIE))
    current_lang.set(lang)


def page_for(request: Request, area_slug: str | None = None) -> Page:
    """The logged-in user's page context, or LoginRequired. Runs in a worker thread."""
    samordna = request.app.state.services
    session = request.session
    uid = session.get("uid")
    if not uid or not session_is_fresh(session):
        request.clear_session()
        raise LoginRequired()
    found = samordna.accounts.actor_for_session(uid, session.get("pw", ""))
    if found is None:  # deactivated, or a new password since this log-in: the session dies at once
        request.clear_session()
        raise LoginRequired()
    actor, areas = found
    note_actor(request, actor.user_id)
    now = int(time.time())
    if now - session.get("seen", 0) >= SEEN_RESOLUTION:  # a page view need not be a session write
        session["seen"] = now
    slug = area_slug or session.get("area")
    area = next((a for a in areas if a.slug == slug), areas[0] if areas else None)
    if area_slug is not None and (area is None or area.slug != area_slug):
        from samordna.domain.errors import NotFound

        raise NotFound(_("Fant ikke SLT-området."))
    if area is not None:
        session["area"] = area.slug
        note_actor(request, actor.user_id, area.id)
    return Page(request=request, actor=actor, areas=areas, area=area, lang=current_lang.get())


def login_redirect(request: Request, _: Exception) -> Redirect:
    if request.headers.get("hx-request"):
        # htmx follows redirects inside the swap; tell it to load the login page instead.
        return Redirect("/login", status_code=HTTP_303_SEE_OTHER, headers={"HX-Redirect": "/login"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target)}", status_code=HTTP_303_SEE_OTHER)


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    next: str = "/"


@get("/login", sync_to_thread=False, name="login")
def login_page(request: Request, next: FromQuery[str] = "/") -> Template:
    return Template(
        template_name="pages/login.html",
        context={"form": LoginForm(next=safe_next(next)), "error": None, "lang": current_lang.get()},
    )


@post("/login", status_code=HTTP_303_SEE_OTHER)
async def login(
    request: Request, data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Redirect | Template:
    """The password is checked in the password gate's threads (samordna.accounts.gate), at most a few at once per
    process: a burst of log-ins waits in the event loop without holding the threads the pages need, and one
    that cannot start within a few seconds is answered 503 with Retry-After, the form kept."""
    samordna = request.app.state.services  # the organisation's areas too: a room above this one
    again = LoginForm(email=data.email, next=safe_next(data.next))
    ip = client_address(request)

    def check() -> tuple[Any, list[Any]]:
        found = samordna.accounts.log_in(data.email, data.password, ip=ip)
        return found, samordna.organisation.areas(actor=found.actor) if found is not None else []

    try:
        found, areas = await samordna.passwords.run(check)
    except (Throttled, Busy) as exc:
        return Template(
            template_name="pages/login.html",
            context={"form": again, "error": exc.message, "lang": current_lang.get()},
            status_code=exc.status,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if found is None:
        return Template(
            template_name="pages/login.html",
            context={"form": again, "error": _("Feil e-postadresse eller passord."), "lang": current_lang.get()},
            status_code=401,
        )
    actor, preferred = found.actor, found.language
    chosen = request.cookies.get(LANG_COOKIE)  # chosen on the log-in page (or last time): it wins
    chosen = chosen if chosen in LANGUAGES else None
    lang = pick_language(chosen, preferred, areas[0].language if areas else None)
    rotate_session(request)
    now = int(time.time())
    request.set_session(
        {
            "uid": actor.user_id,
            "started": now,
            "seen": now,
            "lang": lang,
            "lang_chosen": bool(chosen or preferred),
            "pw": found.password_mark,
        }
    )
    target = safe_next(data.next)
    if target == "/" and areas:
        target = f"/areas/{areas[0].slug}/boards/{BOARD_OF_ROLE[areas[0].role]}"
    return Redirect(target, status_code=HTTP_303_SEE_OTHER)


@post("/logout", sync_to_thread=True, status_code=HTTP_303_SEE_OTHER)
def logout(request: Request, accounts: NamedDependency[AccountService]) -> Redirect:
    if uid := request.session.get("uid"):
        accounts.log_out(uid, ip=client_address(request))
    request.clear_session()
    return Redirect("/login", status_code=HTTP_303_SEE_OTHER)


@dataclass
class LanguageForm:
    lang: str = "nb"
    next: str = "/"


@post("/language", sync_to_thread=True, status_code=HTTP_303_SEE_OTHER)
def choose_language(
    request: Request,
    accounts: NamedDependency[AccountService],
    settings: NamedDependency[Settings],
    data: Annotated[LanguageForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    """The language for this browser (a cookie: the log-in page too) and, once logged in, for the user."""
    lang = pick_language(data.lang)
    try:
        page = page_for(request) if request.session.get("uid") else None
    except LoginRequired:
        page = None  # a session that has expired: the choice is this browser's only
    if page is not None:
        request.session["lang"] = lang
        request.session["lang_chosen"] = True
        accounts.set_language(user_id=page.actor.user_id, lang=lang)
    response = Redirect(safe_next(data.next), status_code=HTTP_303_SEE_OTHER)
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=LANG_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@get("/", sync_to_thread=True)
def home(request: Request) -> Redirect:
    page = page_for(request)
    if page.area is None:
        return Redirect("/login", status_code=HTTP_303_SEE_OTHER)
    return Redirect(page.board_url(), status_code=HTTP_303_SEE_OTHER)


@get("/areas/{slug:str}", sync_to_thread=True)
def switch_area(request: Request, slug: FromPath[str]) -> Redirect:
    """Switch area from the header: go to this area's board for the user's role there."""
    page = page_for(request, slug)
    if not page.request.session.get("lang_chosen"):
        page.request.session["lang"] = page.area.language
    return Redirect(page.board_url(), status_code=HTTP_303_SEE_OTHER)


HANDLERS = [login_page, login, logout, choose_language, home, switch_area]

__all__ = ["HANDLERS", "LANGUAGES"]
