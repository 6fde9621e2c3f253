"""The authorization matrix: every route of the app × every kind of actor, against a written policy.

The routes come from the app's own route table (`create_app(...).routes`), so a route added later
without a row in POLICY makes `test_every_route_has_a_policy_decision` (and every matrix test) fail:
someone has to decide who may use it. The actors are each role of the test world in its own area
(alfa; «executing_police» is the executing role in a unit that is not responsible for the measures),
a coordinator of another area (beta: everything of alfa must be 404 for them, never 403) and an
anonymous visitor (401 on the API, a redirect to the log-in page in the browser).

WebClient routes are called the way a browser calls them — session cookie and a valid CSRF token — and
the API with bearer tokens, in process through Litestar's TestClient (the same ASGI app the server runs).
Every path parameter gets a real object of the world, in a state where the action is possible for
somebody (a 403 for an impossible action would prove nothing); every write gets a valid body and its
own fresh object, so an allowed cell really succeeds.

Objects that do not exist are 404 for everyone — unknown ids, ids no database column can hold, another
area's ids put into one's own area's URLs — and odd numbers in queries and forms are never a 500.

The workflow's triggers get their own matrix (`test_every_trigger_for_every_role`): each trigger from
each of its source states, fired through the API by every actor, expecting exactly what the allow rules
of workflows/measure.toml say — read from the file with `load_workflow`, not restated here.

SQLite only: the decisions are made in Python, the same on both engines (the PostgreSQL runs of
the tests of each room and tests/api/ cover the engine).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy import select

from samordna.organisation import repository as org
from samordna.services import Services
from samordna.store.models import Area, Body, Goal, Membership
from samordna.workflow import TransitionDef, load_workflow
from tests.factories import MEMBERS, NEED, World, valid_data
from tests.security_support import snapshot
from tests.web.test_csrf import PARAM
from tests.web_support import PASSWORD, WebClient

pytestmark = pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)

# ---------------------------------------------------------------- actors and outcomes

ALFA = ("coordinator", "steering", "coordination", "executing", "executing_police", "viewer")
OUTSIDER = "beta_coordinator"  # a coordinator — the strongest role — of another area
ANONYMOUS = "anonymous"
ACTORS = (*ALFA, OUTSIDER, ANONYMOUS)

OK = "ok"  # the row's `ok` status (2xx, or a 3xx that is not the log-in page)
LOGIN = "login"  # 303 to /login (a browser route without a session)
NEW_PASSWORD = "et helt nytt og langt passord"


@dataclass(frozen=True)
class Policy:
    """Who may use a route. Members of alfa not in `allow` get `denied` (403; 404 for what is one user's own,
    such as a saved view); the outsider gets `outsider`."""

    ok: int
    allow: tuple[str, ...]
    outsider: int | str = 404
    anonymous: int | str = LOGIN
    headers: dict[str, str] = field(default_factory=dict)
    denied: int = 403

    def expect(self, actor: str) -> int | str:
        if actor == ANONYMOUS:
            return self.anonymous
        if actor == OUTSIDER:
            return self.outsider
        return OK if actor in self.allow else self.denied


def roles(spec: str) -> tuple[str, ...]:
    """«coordinator steering» → the alfa actors with those roles («executing» includes executing_police;
    «registrant» is only «executing», who registered the need the measure routes use)."""
    wanted = set(spec.split())
    assert wanted <= {"coordinator", "steering", "coordination", "executing", "viewer", "registrant"}, wanted
    if "registrant" in wanted:
        wanted = (wanted - {"registrant"}) | {"executing"}
    elif "executing" in wanted:
        wanted.add("executing_police")
    return tuple(a for a in ALFA if a in wanted)


EVERYONE = "coordinator steering coordination executing viewer"


def api(ok: int, allow: str, *, outsider: int | str = 404) -> Policy:
    return Policy(ok, roles(allow), outsider=outsider, anonymous=401)


def page(ok: int, allow: str, *, outsider: int | str = 404, **headers: str) -> Policy:
    return Policy(ok, roles(allow), outsider=outsider, anonymous=LOGIN, headers=headers)


def public(ok: int = 200) -> Policy:
    return Policy(ok, ALFA, outsider=OK, anonymous=OK)


def by_key(ok: int = 200) -> Policy:
    """A calendar feed: its secret key is the credential (no session), so whoever has the URL reads it —
    and a wrong or renewed key is 404 for everyone (tests/calendar)."""
    return Policy(ok, ALFA, outsider=OK, anonymous=OK)


def account(ok: int) -> Policy:
    """The user's own things (password, language, home): any logged-in user, in no particular area."""
    return Policy(ok, ALFA, outsider=OK, anonymous=LOGIN)


# The policy decisions, one row per (method, path template) of the route table. The measure routes use
# a need (state need_identified) registered by «executing»: editing it is for coordination and for
# whoever registered it (until triaged); the trigger tried is `initiate` (coordinator, coordination).
POLICY: dict[tuple[str, str], Policy] = {
    # ---- public
    ("GET", "/healthz"): public(),
    ("GET", "/workflows/{name:str}"): public(),
    ("GET", "/login"): public(),
    ("POST", "/login"): public(303),
    ("POST", "/logout"): public(303),
    ("POST", "/language"): public(303),  # anonymous: a cookie for the log-in page; logged in: also the user's
    ("GET", "/static/{file_path:path}"): public(),
    ("HEAD", "/static/{file_path:path}"): public(),
    ("GET", "/schema"): public(),
    ("GET", "/schema/openapi.json"): public(),
    ("GET", "/schema/openapi.yaml"): public(),
    ("GET", "/schema/openapi.yml"): public(),
    ("GET", "/schema/swagger"): public(),
    ("GET", "/schema/redoc"): public(),
    ("GET", "/schema/elements"): public(),
    ("GET", "/schema/rapidoc"): public(),
    ("GET", "/schema/oauth2-redirect.html"): public(),
    ("GET", "/schema/{path:str}"): public(),
    # ---- the user's own
    ("GET", "/"): account(303),
    ("GET", "/account/password"): account(200),
    ("POST", "/account/password"): account(303),
    # Reminders (DESIGN.md §13): a user's own notifications and preferences, in no particular area; who is reached
    # and whose mails failed is the coordinator's.
    ("GET", "/notifications"): account(200),
    ("GET", "/notifications/preferences"): account(200),
    ("POST", "/notifications/preferences"): account(303),
    ("GET", "/areas/{slug:str}/notifications"): page(200, "coordinator"),
    # ---- API (bearer tokens)
    ("GET", "/api/v1/areas"): api(200, EVERYONE, outsider=OK),
    ("GET", "/api/v1/workflows/measure"): api(200, EVERYONE, outsider=OK),
    ("GET", "/api/v1/areas/{slug:str}/units"): api(200, EVERYONE),
    ("GET", "/api/v1/areas/{slug:str}/goals"): api(200, EVERYONE),
    ("POST", "/api/v1/areas/{slug:str}/goals"): api(201, "coordinator steering"),
    ("GET", "/api/v1/areas/{slug:str}/measures"): api(200, EVERYONE),
    ("POST", "/api/v1/areas/{slug:str}/measures"): api(201, "coordinator steering coordination executing"),
    ("GET", "/api/v1/measures/{measure_id:int}"): api(200, EVERYONE),
    ("PATCH", "/api/v1/measures/{measure_id:int}"): api(200, "coordinator coordination registrant"),
    ("GET", "/api/v1/measures/{measure_id:int}/events"): api(200, EVERYONE),
    ("POST", "/api/v1/measures/{measure_id:int}/transitions"): api(200, "coordinator coordination"),
    ("GET", "/api/v1/areas/{slug:str}/meetings"): api(200, EVERYONE),
    ("POST", "/api/v1/areas/{slug:str}/meetings"): api(201, "coordinator"),
    ("GET", "/api/v1/meetings/{meeting_id:int}"): api(200, EVERYONE),  # the SLT-samling's, which all read
    ("POST", "/api/v1/meetings/{meeting_id:int}/items"): api(201, "coordinator"),
    # executing and viewers do not read the coordination group: 403, as for its other meetings
    ("POST", "/api/v1/meetings/{meeting_id:int}/decisions"): api(200, "coordinator"),
    # ---- pages: area, measures
    ("GET", "/areas/{slug:str}"): page(303, EVERYONE),
    ("GET", "/measures/{measure_id:int}"): page(200, EVERYONE),
    ("POST", "/measures/{measure_id:int}/transitions/{trigger:str}"): page(303, "coordinator coordination"),
    ("POST", "/measures/{measure_id:int}/edit"): page(303, "coordinator coordination registrant"),
    ("GET", "/areas/{slug:str}/measures/new"): page(200, "coordinator steering coordination executing"),
    ("POST", "/areas/{slug:str}/measures"): page(303, "coordinator steering coordination executing"),
    # ---- boards (the coordination board; «Vis flere» is an htmx request)
    ("GET", "/areas/{slug:str}/boards/{board:str}"): page(200, EVERYONE),
    ("GET", "/areas/{slug:str}/stream"): page(200, EVERYONE),  # each hears what their pages show (tests/live)
    ("GET", "/areas/{slug:str}/boards/{board:str}/columns/{column:str}"): page(200, EVERYONE, **{"hx-request": "true"}),
    ("GET", "/areas/{slug:str}/boards/{board:str}/decisions"): page(200, EVERYONE),
    ("GET", "/areas/{slug:str}/measures"): page(200, EVERYONE),
    ("POST", "/areas/{slug:str}/measures/views"): page(303, EVERYONE),
    # A saved view is its owner's (the coordinator's here): for anyone else it does not exist.
    ("POST", "/areas/{slug:str}/measures/views/{view_id:int}/delete"): Policy(
        303, roles("coordinator"), anonymous=LOGIN, denied=404
    ),
    # The list's exports: rows of measures as the list shows them (no aggregates), to every member of the area.
    ("GET", "/areas/{slug:str}/measures.csv"): page(200, EVERYONE),
    ("GET", "/areas/{slug:str}/measures-events.csv"): page(200, EVERYONE),
    ("GET", "/areas/{slug:str}/measures.xlsx"): page(200, EVERYONE),
    ("GET", "/areas/{slug:str}/boards/{board:str}/cards/{measure_id:int}/actions/{trigger:str}"): page(
        200, "coordinator coordination"
    ),
    ("POST", "/areas/{slug:str}/boards/{board:str}/cards/{measure_id:int}/actions/{trigger:str}"): page(
        303, "coordinator coordination"
    ),
    # ---- administration
    ("GET", "/areas/{slug:str}/admin"): page(303, "coordinator steering"),
    ("GET", "/areas/{slug:str}/admin/units"): page(200, "coordinator"),
    ("POST", "/areas/{slug:str}/admin/units"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/admin/units/{unit_id:int}/rename"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/admin/units/{unit_id:int}/deactivate"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/admin/units/{unit_id:int}/reactivate"): page(303, "coordinator"),
    ("GET", "/areas/{slug:str}/admin/members"): page(200, "coordinator"),
    ("POST", "/areas/{slug:str}/admin/members"): page(201, "coordinator"),  # 201: the one-time password
    ("POST", "/areas/{slug:str}/admin/members/{membership_id:int}/change"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/admin/members/{membership_id:int}/deactivate"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/admin/members/{membership_id:int}/reactivate"): page(303, "coordinator"),
    ("GET", "/areas/{slug:str}/admin/goals"): page(200, "coordinator steering"),
    ("POST", "/areas/{slug:str}/admin/goals"): page(303, "coordinator steering"),
    ("POST", "/areas/{slug:str}/admin/goals/{goal_id:int}/archive"): page(303, "coordinator steering"),
    ("POST", "/areas/{slug:str}/admin/goals/{goal_id:int}/unarchive"): page(303, "coordinator steering"),
    ("GET", "/areas/{slug:str}/admin/log"): page(200, "coordinator"),
    # the whole area as one JSON document (names and e-mails of every member): its coordinator only
    ("GET", "/areas/{slug:str}/admin/export.json"): page(200, "coordinator"),
    # Meetings (DESIGN.md §11): every member sees the list (of the bodies they read); the meeting used is the
    # SLT-samling's («all»), which everyone reads; only the coordinator plans, moves, cancels and edits agendas.
    ("GET", "/areas/{slug:str}/meetings"): page(200, EVERYONE),
    ("POST", "/areas/{slug:str}/meetings"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/meetings/year"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/bodies/{body_id:int}/rename"): page(303, "coordinator"),
    ("GET", "/meetings/{meeting_id:int}"): page(200, EVERYONE),
    ("POST", "/meetings/{meeting_id:int}/move"): page(303, "coordinator"),
    ("POST", "/meetings/{meeting_id:int}/cancel"): page(303, "coordinator"),
    ("POST", "/meetings/{meeting_id:int}/send"): page(303, "coordinator"),
    ("POST", "/meetings/{meeting_id:int}/items"): page(303, "coordinator"),
    ("POST", "/meetings/{meeting_id:int}/items/{item_id:int}/remove"): page(303, "coordinator"),
    ("POST", "/meetings/{meeting_id:int}/items/{item_id:int}/move"): page(303, "coordinator"),
    # In the meeting (its agenda sent): members who read the body follow the projector view; only the
    # coordinator records decisions (a coordination meeting's measure item), notes, attendance, holds, approves.
    ("GET", "/meetings/{meeting_id:int}/live"): page(200, EVERYONE),
    ("POST", "/meetings/{meeting_id:int}/items/{item_id:int}/decision"): page(303, "coordinator"),
    ("POST", "/meetings/{meeting_id:int}/items/{item_id:int}/note"): page(303, "coordinator"),
    ("POST", "/meetings/{meeting_id:int}/attendance"): page(303, "coordinator"),
    ("POST", "/meetings/{meeting_id:int}/hold"): page(303, "coordinator"),
    ("POST", "/meetings/{meeting_id:int}/approve"): page(303, "coordinator"),
    # ---- the annual wheel (årshjul), its milestones and the calendar addresses
    ("GET", "/areas/{slug:str}/arshjul"): page(200, EVERYONE),
    ("POST", "/areas/{slug:str}/arshjul/milestones"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/arshjul/milestones/{milestone_id:int}/edit"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/arshjul/milestones/{milestone_id:int}/delete"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/arshjul/feeds/{level:str}/renew"): page(303, "coordinator"),
    ("POST", "/areas/{slug:str}/arshjul/my-feed"): page(303, EVERYONE),
    # ---- calendar feeds (.ics): authenticated by the key in the URL, not by a session
    ("GET", "/areas/{slug:str}/calendar/{feed:str}"): by_key(),
    ("GET", "/calendar/{feed:str}"): by_key(),
    # ---- the steering report (DESIGN.md §12): read by every member of the area, as a page and as PDF
    ("GET", "/areas/{slug:str}/report"): page(200, EVERYONE),
    ("GET", "/areas/{slug:str}/report.pdf"): page(200, EVERYONE),
    # ---- files on measures and meetings (DESIGN.md §14). Whoever reads the measure or meeting reads its files;
    # a file is added to a measure by coordination, by whoever registered it (the need here: «executing»), and by
    # executing staff of a unit responsible for it or taking part (none yet on a need); to a meeting by its
    # secretary (the coordinator). A file is removed by whoever added it (the coordinator here) or by those roles.
    ("GET", "/api/v1/measures/{measure_id:int}/attachments"): api(200, EVERYONE),
    ("POST", "/api/v1/measures/{measure_id:int}/attachments"): api(201, "coordinator coordination registrant"),
    ("GET", "/api/v1/meetings/{meeting_id:int}/attachments"): api(200, EVERYONE),
    ("POST", "/api/v1/meetings/{meeting_id:int}/attachments"): api(201, "coordinator"),
    ("GET", "/api/v1/attachments/{attachment_id:int}"): api(200, EVERYONE),
    ("GET", "/api/v1/attachments/{attachment_id:int}/content"): api(200, EVERYONE),
    ("DELETE", "/api/v1/attachments/{attachment_id:int}"): api(200, "coordinator coordination"),
    ("POST", "/measures/{measure_id:int}/attachments"): page(303, "coordinator coordination registrant"),
    ("POST", "/meetings/{meeting_id:int}/attachments"): page(303, "coordinator"),
    ("GET", "/attachments/{attachment_id:int}"): page(200, EVERYONE),
    ("POST", "/attachments/{attachment_id:int}/remove"): page(303, "coordinator coordination"),
}
UPLOADS = {  # the routes whose body is a file (multipart), not a form or JSON
    ("POST", "/api/v1/measures/{measure_id:int}/attachments"),
    ("POST", "/api/v1/meetings/{meeting_id:int}/attachments"),
    ("POST", "/measures/{measure_id:int}/attachments"),
    ("POST", "/meetings/{meeting_id:int}/attachments"),
}
NOTE = ("notat.txt", "Notater fra møtet.\n".encode(), "text/plain")  # a file every upload route takes

# Litestar answers OPTIONS on every path itself (204 and an Allow header, no data, nobody's session).
IMPLICIT = {"OPTIONS"}
# Session-changing routes run last, in this order (the password changes before the log-in uses it).
LAST = [("POST", "/account/password"), ("POST", "/language"), ("POST", "/login"), ("POST", "/logout")]


def route_table(app: Litestar) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                found |= {(m, route.path) for m in handler.http_methods if m not in IMPLICIT}
    return found


def missing_decisions(app: Litestar) -> str:
    missing = sorted(route_table(app) - POLICY.keys())
    stale = sorted(POLICY.keys() - route_table(app))
    lines = []
    if missing:
        lines.append(
            "These routes have no policy decision. Add a row to POLICY in tests/app/test_authz_matrix.py saying who "
            "may use them (and a request for them in `request_for`):"
        )
        lines += [f"    ({m!r}, {p!r})" for m, p in missing]
    if stale:
        lines.append("These rows of POLICY name routes the app no longer has; remove them:")
        lines += [f"    ({m!r}, {p!r})" for m, p in stale]
    return "\n".join(lines)


def order(cells: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Reads first, then writes, then what changes the session."""
    rest = sorted(cells - set(LAST), key=lambda c: (c[0] != "GET" and c[0] != "HEAD", c[1], c[0]))
    return rest + [c for c in LAST if c in cells]


# ---------------------------------------------------------------- the world the requests use


@dataclass
class Objects:
    """Things of the world the requests point at; spares are safe to rename, archive and deactivate."""

    world: World
    spare_unit: int
    spare_membership: int
    spare_goal: int
    memberships: dict[str, int]  # who -> membership id
    user_feed_key: str  # the coordinator's own calendar address

    @property
    def samordna(self) -> Services:
        return self.world.samordna

    def saved_view(self) -> int:
        """A fresh saved view of the coordinator's (each delete gets its own)."""
        self.views = getattr(self, "views", 0) + 1
        accounts, coordinator = self.world.samordna.accounts, self.world.actors["coordinator"]
        view = accounts.save_view(actor=coordinator, area_id=self.world.areas["alfa"], name=f"V{self.views}", query="")
        return view.id

    def meeting(self) -> Any:
        """A fresh planned meeting of the SLT-samling, with one free item (every write gets its own)."""
        meetings, coordinator = self.world.samordna.meetings, self.world.actors["coordinator"]
        day = (self.world.today() + timedelta(days=10)).isoformat()
        m = meetings.plan(
            actor=coordinator, slug="alfa", data={"body": "all", "day": day, "start": "09:00", "end": "10:00"}
        )
        item = meetings.add_item(actor=coordinator, meeting_id=m.id, data={"kind": "orientation", "title": "Sak"})
        return m, item

    def sent_meeting(self, level: str = "all", days: int = 0) -> tuple[Any, Any]:
        """A fresh meeting whose agenda is sent: of the SLT-samling with one free item, or of the coordination
        group with a new need as its first item."""
        meetings, coordinator = self.world.samordna.meetings, self.world.actors["coordinator"]
        need = self.need() if level == "coordination" else None
        if level == "all" and not days:
            m, _item = self.meeting()
        else:
            day = (self.world.today() + timedelta(days=days)).isoformat()
            m = meetings.plan(
                actor=coordinator, slug="alfa", data={"body": level, "day": day, "start": "09:00", "end": "10:00"}
            )
        opened = meetings.agenda(actor=coordinator, meeting_id=m.id)
        sent = meetings.send_agenda(actor=coordinator, meeting_id=m.id, version=opened.meeting.version)
        item = next((i for i in sent.items if need is None or i.measure_id == need.id), None)
        return sent.meeting, item

    def held_and_next(self) -> tuple[Any, Any]:
        """A held meeting of the SLT-samling and the next one, its agenda sent (the minutes approved in it)."""
        meetings, coordinator = self.world.samordna.meetings, self.world.actors["coordinator"]
        first, _item = self.sent_meeting()
        held = meetings.hold(actor=coordinator, meeting_id=first.id, version=first.version, data={})
        second, _item = self.sent_meeting(days=20)
        return held, second

    def body(self, level: str = "all") -> int:
        return next(
            b.id
            for b in self.samordna.meetings.bodies(actor=self.world.actors["coordinator"], slug="alfa")
            if b.level == level
        )

    def need(self) -> Any:
        """A fresh need, registered by «executing»: every write to a measure gets its own."""
        return self.world.register(title="Tiltak for matrisen")

    def attachment(self) -> int:
        """A fresh file on a fresh need, added by the coordinator: every removal gets its own."""
        files, coordinator = self.samordna.attachments, self.world.actors["coordinator"]
        temp = files.temp_path()
        temp.write_bytes(NOTE[1])
        return files.add(actor=coordinator, temp=temp, filename=NOTE[0], measure_id=self.need().id).id

    def milestone(self) -> int:
        """A fresh milestone of alfa: every write to one gets its own."""
        data = {"title": "Milepæl for matrisen", "month": 5}
        return self.samordna.calendar.add_milestone(actor=self.world.actors["coordinator"], slug="alfa", data=data).id

    def body_key(self, slug: str, level: str) -> str:
        with self.samordna.db.read() as s:
            key = s.execute(
                select(Body.feed_key).join(Area, Area.id == Body.area_id).where(Area.slug == slug, Body.level == level)
            ).scalar_one_or_none()
        return key or "ingen-slik-nokkel-finnes"


def make_objects(world: World) -> Objects:
    with world.samordna.db.write() as s:
        alfa = org.get_area(s, "alfa")
        unit = org.add_unit(s, area=alfa, name="Reserveenheten", kind="municipal")
        user = org.add_user(s, email="reserve@example.no", name="Reserve Person", password=None)
        org.add_member(s, area=alfa, user=user, role="executing", unit_name="Politiet")
        goal = Goal(area_id=alfa.id, title="Reservemål", period_from=2025, period_to=2028, active=True)
        s.add(goal)
        s.flush()
        ids = {u: w for w, u in world.user_ids.items()} | {user.id: "reserve"}
        rows = s.execute(select(Membership.id, Membership.user_id)).all()
        memberships = {ids[user_id]: mid for mid, user_id in rows}
    key = world.samordna.calendar.renew_user_key(actor=world.actors["coordinator"], slug="alfa")
    return Objects(world, unit.id, memberships["reserve"], goal.id, memberships, key)


@dataclass
class Call:
    method: str
    url: str
    form: dict[str, Any] | None = None  # a browser form (the CSRF token is added)
    json: dict[str, Any] | None = None  # an API body (the bearer token is added)
    file: tuple[str, bytes, str] | None = None  # an upload (multipart; a browser's CSRF token goes before it)
    headers: dict[str, str] = field(default_factory=dict)


def initiate_form(o: Objects) -> dict[str, Any]:
    return valid_data(o.world, "initiate")


def request_for(method: str, template: str, o: Objects, values: dict[str, Any] | None = None) -> Call:
    """The request a cell sends: the path filled from the world, and a valid body for writes.

    `values` overrides path parameters (for the nonexistent and foreign objects)."""
    values = dict(values or {})
    need = None
    meeting_version = 1
    running = "{meeting_id" in template and template.endswith(
        ("/live", "/decision", "/decisions", "/note", "/attendance", "/hold", "/approve")
    )
    approved_of = None
    decided = None  # the measure a decision is about: the first item of a sent coordination agenda
    if running and "meeting_id" not in values:
        if template.endswith("/approve"):
            held, meeting = o.held_and_next()
            approved_of = held
            item = None
        else:
            deciding = template.endswith(("/decision", "/decisions"))
            meeting, item = o.sent_meeting("coordination" if deciding else "all")
            decided = item.measure_id if deciding else None
        values["meeting_id"] = meeting.id
        if item is not None:
            values.setdefault("item_id", item.id)
        meeting_version = meeting.version
    elif "{meeting_id:int}" in template and "meeting_id" not in values:
        meeting, item = o.meeting()
        values["meeting_id"] = meeting.id
        values.setdefault("item_id", item.id)
        meeting_version = meeting.version + 1  # the free item moved the version on
    elif "{item_id:int}" in template and "item_id" not in values:
        values["item_id"] = o.meeting()[1].id
    if "{measure_id:int}" in template and "measure_id" not in values:
        need = o.need()
        values["measure_id"] = need.id
    if "{view_id:int}" in template and "view_id" not in values:
        values["view_id"] = o.saved_view()
    if "{milestone_id:int}" in template and "milestone_id" not in values:
        values["milestone_id"] = o.milestone()
    if "{attachment_id:int}" in template and "attachment_id" not in values:
        values["attachment_id"] = o.attachment()
    defaults = {
        "slug": "alfa",
        "name": "meeting",
        "board": "steering" if template.endswith("/{board:str}/decisions") else "coordination",
        "column": "need_identified",
        "trigger": "initiate",
        "unit_id": o.spare_unit,
        "membership_id": o.spare_membership,
        "goal_id": o.spare_goal,
        "file_path": "css/samordna.css",
        "path": "swagger",
        "body_id": o.body(),
        "level": "coordination",
        "feed": f"{o.user_feed_key}.ics" if template == "/calendar/{feed:str}" else "coordination.ics",
    }
    filled = {**defaults, **values}
    url = PARAM.sub(lambda m: str(filled[m[1]]), template)
    if template == "/areas/{slug:str}/calendar/{feed:str}":
        url += f"?key={o.body_key(str(filled['slug']), str(filled['feed']).removesuffix('.ics'))}"
    version = need.version if need is not None else 1
    key = (method, template)
    year = o.world.today().year
    forms: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/login"): {"email": "viewer@example.no", "password": PASSWORD},
        ("POST", "/logout"): {},
        ("POST", "/notifications/preferences"): {"digest": "weekly", "kinds": "follow_up", "language": ""},
        ("POST", "/language"): {"lang": "nn", "next": "/"},
        ("POST", "/account/password"): {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_repeat": NEW_PASSWORD,
        },
        ("POST", "/measures/{measure_id:int}/transitions/{trigger:str}"): {**initiate_form(o), "version": version},
        ("POST", "/measures/{measure_id:int}/edit"): {**NEED, "title": "Nytt navn", "version": version},
        ("POST", "/areas/{slug:str}/measures"): dict(NEED),
        ("POST", "/areas/{slug:str}/measures/views"): {"name": "Avsluttede", "query": "state=closed"},
        ("POST", "/areas/{slug:str}/measures/views/{view_id:int}/delete"): {},
        ("POST", "/areas/{slug:str}/boards/{board:str}/cards/{measure_id:int}/actions/{trigger:str}"): {
            **initiate_form(o),
            "version": version,
        },
        ("POST", "/areas/{slug:str}/admin/units"): {"name": "Helsestasjonen", "kind": "municipal"},
        ("POST", "/areas/{slug:str}/admin/units/{unit_id:int}/rename"): {"name": "Reserveenheten 2"},
        ("POST", "/areas/{slug:str}/admin/units/{unit_id:int}/deactivate"): {},
        ("POST", "/areas/{slug:str}/admin/units/{unit_id:int}/reactivate"): {},
        ("POST", "/areas/{slug:str}/admin/members"): {
            "email": "ny.person@example.no",
            "name": "Ny Person",
            "role": "viewer",
            "unit_id": "",
        },
        ("POST", "/areas/{slug:str}/admin/members/{membership_id:int}/change"): {"role": "viewer", "unit_id": ""},
        ("POST", "/areas/{slug:str}/admin/members/{membership_id:int}/deactivate"): {},
        ("POST", "/areas/{slug:str}/admin/members/{membership_id:int}/reactivate"): {},
        ("POST", "/areas/{slug:str}/admin/goals"): {
            "title": "Nytt mål",
            "description": "",
            "period_from": year,
            "period_to": year + 2,
            "priority": 2,
        },
        ("POST", "/areas/{slug:str}/meetings"): {
            "body": "all",
            "day": f"{year + 1}-03-03",
            "start": "09:00",
            "end": "10:00",
        },
        ("POST", "/areas/{slug:str}/meetings/year"): {
            "body": "steering",
            "year": year + 1,
            "weekday": 1,
            "nth": 2,
            "start": "09:00",
            "end": "10:00",
        },
        ("POST", "/areas/{slug:str}/bodies/{body_id:int}/rename"): {"name": "SLT-forum"},
        ("POST", "/meetings/{meeting_id:int}/move"): {
            "day": f"{year + 1}-04-07",
            "start": "10:00",
            "end": "11:00",
            "version": meeting_version,
        },
        ("POST", "/meetings/{meeting_id:int}/cancel"): {"reason": "Få kunne komme.", "version": meeting_version},
        ("POST", "/meetings/{meeting_id:int}/send"): {"version": meeting_version},
        ("POST", "/meetings/{meeting_id:int}/items"): {"kind": "discussion", "title": "Ny sak"},
        ("POST", "/meetings/{meeting_id:int}/items/{item_id:int}/remove"): {},
        ("POST", "/meetings/{meeting_id:int}/items/{item_id:int}/move"): {"direction": "up"},
        ("POST", "/meetings/{meeting_id:int}/items/{item_id:int}/decision"): {
            "trigger": "initiate",
            "version": 1,
            **initiate_form(o),
        },
        ("POST", "/meetings/{meeting_id:int}/items/{item_id:int}/note"): {"note": "Kort orientering."},
        ("POST", "/meetings/{meeting_id:int}/attendance"): {"guest": "Gjest"},
        ("POST", "/meetings/{meeting_id:int}/hold"): {"version": meeting_version, "summary": ""},
        ("POST", "/meetings/{meeting_id:int}/approve"): {
            "minutes_of": approved_of.id if approved_of is not None else 0,
            "version": approved_of.version if approved_of is not None else 0,
        },
        ("POST", "/areas/{slug:str}/arshjul/milestones"): {"title": "Budsjettarbeid", "month": "9", "day": "15"},
        ("POST", "/areas/{slug:str}/arshjul/milestones/{milestone_id:int}/edit"): {"title": "Endret", "month": "6"},
        ("POST", "/areas/{slug:str}/arshjul/milestones/{milestone_id:int}/delete"): {},
        ("POST", "/areas/{slug:str}/arshjul/feeds/{level:str}/renew"): {},
        ("POST", "/areas/{slug:str}/arshjul/my-feed"): {},
        ("POST", "/areas/{slug:str}/admin/goals/{goal_id:int}/archive"): {},
        ("POST", "/areas/{slug:str}/admin/goals/{goal_id:int}/unarchive"): {},
        ("POST", "/attachments/{attachment_id:int}/remove"): {},
    }
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/areas/{slug:str}/goals"): {"title": "Nytt mål", "period_from": year, "period_to": year + 2},
        ("POST", "/api/v1/areas/{slug:str}/measures"): dict(NEED),
        ("PATCH", "/api/v1/measures/{measure_id:int}"): {"version": version, "title": "Nytt navn"},
        ("POST", "/api/v1/areas/{slug:str}/meetings"): {"body": "all", "starts_at": f"{year + 1}-03-03T09:00:00+01:00"},
        ("POST", "/api/v1/meetings/{meeting_id:int}/items"): {"kind": "discussion", "title": "Ny sak"},
        ("POST", "/api/v1/meetings/{meeting_id:int}/decisions"): {
            "measure_id": decided if decided is not None else 1,  # any number where the meeting is not there
            "trigger": "initiate",
            "version": 1,
            "data": valid_data(o.world, "initiate"),
        },
        ("POST", "/api/v1/measures/{measure_id:int}/transitions"): {
            "trigger": "initiate",
            "version": version,
            "data": initiate_form(o),
        },
    }
    headers = dict(POLICY[key].headers) if key in POLICY else {}
    if key in UPLOADS:
        return Call(method, url, file=NOTE, headers=headers)
    if template.startswith("/api/"):
        if method in ("GET", "HEAD", "DELETE"):
            return Call(method, url, headers=headers)
        assert key in bodies, f"no API body for {key}: add one to request_for"
        return Call(method, url, json=bodies[key], headers=headers)
    if method in ("GET", "HEAD"):
        return Call(method, url, headers=headers)
    assert key in forms, f"no form for {key}: add one to request_for"
    return Call(method, url, form=forms[key], headers=headers)


def send(client: WebClient | None, call: Call, token: str | None, *, anonymous: WebClient) -> httpx.Response:
    b = client or anonymous
    headers = dict(call.headers)
    if call.url.startswith("/api/") and token:
        headers["authorization"] = f"Bearer {token}"
    if call.form is not None:
        assert call.method == "POST", call
        return b.post(call.url, call.form, **headers)
    if call.file is not None:
        form = {} if call.url.startswith("/api/") else {"_csrf_token": b.token}  # before the file, as the page's form
        return b.client.post(call.url, data=form, files={"file": call.file}, headers={**b.headers, **headers})
    if call.json is not None:
        return b.client.request(call.method, call.url, json=call.json, headers=headers)
    return b.client.request(call.method, call.url, headers=headers)


def verdict(expected: int | str, policy: Policy, r: httpx.Response, template: str) -> str | None:
    """None when the answer is what the policy says, else what was wrong."""
    location = r.headers.get("location", "")
    to_login = r.status_code in (302, 303) and location.startswith("/login")
    if expected == LOGIN:
        return None if to_login else f"expected a redirect to /login, got {r.status_code} {location}"
    if expected == OK:
        if r.status_code != policy.ok:
            return f"expected {policy.ok}, got {r.status_code}"
        bounced = to_login and template not in ("/logout",)
        return f"allowed, but sent to the log-in page ({location})" if bounced else None
    return None if r.status_code == expected else f"expected {expected}, got {r.status_code}"


def body_text(r: httpx.Response) -> str:
    """What the answer said, briefly: an API body, or the text of a page's <main>."""
    text = r.text
    if "<main" in text:
        text = re.sub(r"<[^>]+>", " ", text[text.index("<main") : text.find("</main>")])
    return " ".join(html.unescape(text).split())[:160]


# ---------------------------------------------------------------- fixtures


# ---------------------------------------------------------------- the route matrix


def test_every_route_has_a_policy_decision(app: Litestar) -> None:
    problems = missing_decisions(app)
    assert not problems, problems
    assert len(POLICY) >= 55
    # The actors are the members the factories build (a renamed member must not silently drop out).
    assert set(ALFA) | {OUTSIDER} == set(MEMBERS)


@pytest.mark.long
@pytest.mark.parametrize("actor", ACTORS)
def test_route_matrix(actor: str, app: Litestar, open_browser: Callable[..., WebClient], web_world: World) -> None:
    """Every route, as `actor`: exactly the status the policy row gives that actor."""
    problems = missing_decisions(app)
    assert not problems, problems
    o = make_objects(web_world)
    anonymous = open_browser(peer="203.0.113.99")
    client = None if actor == ANONYMOUS else open_browser(peer="192.0.2.50").login(actor)
    token = web_world.tokens.get(actor)
    wrong: list[str] = []
    cells = order(route_table(app))
    for method, template in cells:
        policy = POLICY[(method, template)]
        expected = policy.expect(actor)
        call = request_for(method, template, o)
        if (method, template) == ("POST", "/login") and actor != ANONYMOUS:
            call.form = {"email": f"{actor}@example.no", "password": NEW_PASSWORD}  # changed just before
        r = send(client, call, token, anonymous=anonymous)
        problem = verdict(expected, policy, r, template)
        if problem:
            wrong.append(f"{method} {template} ({call.url}): {problem} — {body_text(r)}")
    assert not wrong, f"{len(wrong)} of {len(cells)} cells wrong for {actor}:\n  " + "\n  ".join(wrong)


@pytest.mark.long
def test_options_reveal_nothing(app: Litestar, open_browser: Callable[..., WebClient], web_world: World) -> None:
    """The implicit OPTIONS answer of every path: 204, an Allow header, no body — the same for everyone."""
    o = make_objects(web_world)
    anonymous = open_browser(peer="203.0.113.98")
    paths = sorted({t for _, t in route_table(app)})
    for template in paths:
        url = request_for("GET", template, o).url
        r = anonymous.client.options(url)
        assert r.status_code == 204, (url, r.status_code)
        assert r.content == b"" and "allow" in r.headers, url


# ---------------------------------------------------------------- nonexistent and foreign objects

# Values naming nothing: an id that is not there, and ids no database column can hold (PostgreSQL's
# INTEGER ends at 2**31 - 1, SQLite's at 2**63 - 1) — those must be 404 too, not a database error (500).
NO_IDS = [987654, 2**31, 2**64]
NOWHERE: dict[str, list[Any]] = {
    "slug": ["ingensteds"],
    "name": ["ingen"],
    "measure_id": NO_IDS,
    "unit_id": NO_IDS,
    "membership_id": NO_IDS,
    "goal_id": NO_IDS,
    "board": ["ingen"],
    "column": ["ingen"],
    "trigger": ["ingen"],
    "meeting_id": NO_IDS,
    "item_id": NO_IDS,
    "body_id": NO_IDS,
    "milestone_id": NO_IDS,
    "view_id": NO_IDS,
    "attachment_id": NO_IDS,
    "level": ["ingen"],
    "feed": ["ingen.ics", "ingen-slik-nokkel-finnes.ics"],
}


@pytest.mark.long
def test_nonexistent_objects_are_404(app: Litestar, open_browser: Callable[..., WebClient], web_world: World) -> None:
    """The coordinator (who may do everything in alfa) gets 404 for every object that does not exist."""
    o = make_objects(web_world)
    b = open_browser(peer="192.0.2.51").login("coordinator")
    token = web_world.tokens["coordinator"]
    before = snapshot(web_world.samordna)
    wrong, tried = [], 0
    for method, template in order(route_table(app)):
        if template.startswith(("/static", "/schema")):
            continue
        for param, _kind in dict.fromkeys(PARAM.findall(template)):
            for value in NOWHERE[param]:
                call = request_for(method, template, o, {param: value})
                r = send(b, call, token, anonymous=b)
                tried += 1
                if r.status_code != 404:
                    wrong.append(f"{method} {call.url} ({param} does not exist): {r.status_code} — {body_text(r)}")
    assert tried >= 80
    assert not wrong, "\n  ".join(["not 404:", *wrong])
    after = snapshot(web_world.samordna)
    for table in ("unit", "membership", "goal", "user_account", "area"):  # (request_for registers needs)
        assert after[table] == before[table], table


ODD_NUMBERS = ["²", "١٢", "-1", str(2**31), str(2**64), "1e3", " 7 "]


@pytest.mark.long
def test_odd_numbers_in_queries_and_forms_are_refused_or_ignored(
    open_browser: Callable[..., WebClient], web_world: World
) -> None:
    """Numbers a person never types — «²» (str.isdigit() says yes, int() says no), values beyond what a
    column holds — in board filters, paging, the log's cursor, form versions and id fields: a calm
    answer (ignored, 4xx with the form again), never a 500."""
    w = web_world
    b = open_browser(peer="192.0.2.54").login("coordinator")
    token = {"authorization": f"Bearer {w.tokens['coordinator']}"}
    board = "/areas/alfa/boards/coordination"
    wrong = []
    for odd in ODD_NUMBERS:
        need = w.register()
        answers = {
            f"board ?goal={odd}": b.get(f"{board}?goal={odd}"),
            f"board ?unit={odd}": b.get(f"{board}?unit={odd}"),
            f"board ?limit_need_identified={odd}": b.get(f"{board}?limit_need_identified={odd}"),
            f"column ?shown={odd}": b.get(f"{board}/columns/need_identified?shown={odd}", **{"hx-request": "true"}),
            f"log ?before={odd}": b.get(f"/areas/alfa/admin/log?before={odd}"),
            f"form version={odd}": b.post(
                f"/measures/{need.id}/transitions/initiate", {**valid_data(w, "initiate"), "version": odd}
            ),
            f"board form version={odd}": b.post(
                f"{board}/cards/{need.id}/actions/initiate", {**valid_data(w, "initiate"), "version": odd}
            ),
            f"form goal_id={odd}": b.post(
                f"/measures/{need.id}/transitions/initiate",
                {**valid_data(w, "initiate"), "goal_id": odd, "version": need.version},
            ),
            f"need goal_id={odd}": b.post("/areas/alfa/measures", {**NEED, "goal_id": odd}),
            f"member unit_id={odd}": b.post(
                "/areas/alfa/admin/members", {"email": "odd@example.no", "role": "executing", "unit_id": odd}
            ),
            f"api goal_id={odd}": b.client.get(f"/api/v1/areas/alfa/measures?goal_id={odd}", headers=token),
            f"api year={odd}": b.client.get(f"/api/v1/areas/alfa/measures?year={odd}", headers=token),
            f"api data goal_id={odd}": b.client.post(
                f"/api/v1/measures/{need.id}/transitions",
                json={
                    "trigger": "initiate",
                    "version": need.version,
                    "data": {**valid_data(w, "initiate"), "goal_id": odd},
                },
                headers=token,
            ),
        }
        if odd.strip().lstrip("-").isascii() and odd.strip().lstrip("-").isdigit():
            number = int(odd)
            answers[f"api version={odd}"] = b.client.post(
                f"/api/v1/measures/{need.id}/transitions",
                json={"trigger": "initiate", "version": number, "data": valid_data(w, "initiate")},
                headers=token,
            )
            answers[f"api data responsible_unit_id={odd}"] = b.client.post(
                f"/api/v1/measures/{w.advance(w.register(), 'initiated').id}/transitions",
                json={
                    "trigger": "assign",
                    "version": 2,
                    "data": {**valid_data(w, "assign"), "responsible_unit_id": number},
                },
                headers=token,
            )
        wrong += [f"{what}: {r.status_code} — {body_text(r)}" for what, r in answers.items() if r.status_code >= 500]
    assert not wrong, "\n  ".join(["server errors:", *wrong])


def test_another_areas_objects_under_ones_own_area_are_404(
    app: Litestar, open_browser: Callable[..., WebClient], web_world: World
) -> None:
    """Beta's coordinator may administer beta; alfa's units, members, goals and measures put into beta's
    URLs must still not exist for them (no id confusion between areas), and nothing of alfa changes."""
    o = make_objects(web_world)
    alfa_measure = web_world.register()
    alfa_meeting, alfa_item = o.meeting()
    foreign = {
        "meeting_id": alfa_meeting.id,
        "item_id": alfa_item.id,
        "body_id": o.body(),
        "slug": "beta",
        "measure_id": alfa_measure.id,
        "unit_id": o.spare_unit,
        "membership_id": o.spare_membership,
        "goal_id": o.spare_goal,
        "milestone_id": o.milestone(),
        "attachment_id": o.attachment(),
    }
    b = open_browser(peer="192.0.2.52").login(OUTSIDER)
    token = web_world.tokens[OUTSIDER]
    before = snapshot(web_world.samordna)
    wrong, tried = [], 0
    for method, template in order(route_table(app)):
        names = set(PARAM.findall(template))
        ids = {n for n, _ in names} & {
            "measure_id",
            "unit_id",
            "membership_id",
            "goal_id",
            "meeting_id",
            "body_id",
            "milestone_id",
            "attachment_id",
        }
        if not ids:
            continue
        call = request_for(method, template, o, foreign)
        r = send(b, call, token, anonymous=b)
        tried += 1
        if r.status_code != 404:
            wrong.append(f"{method} {call.url}: {r.status_code} — {body_text(r)}")
    assert tried >= 15
    assert not wrong, "\n  ".join(["not 404:", *wrong])
    after = snapshot(web_world.samordna)
    for table in (
        "unit",
        "membership",
        "goal",
        "measure",
        "event",
        "user_account",
        "meeting",
        "agenda_item",
        "body",
        "milestone",
        "attachment",
    ):
        assert after[table] == before[table], table


# ---------------------------------------------------------------- the workflow's triggers


def source_measure(world: World, state: str) -> Any:
    """A new measure in `state`, along the main path (responsible unit: Ungdomsskolene, no participants)."""
    m = world.register(title=f"Tiltak i {state}")
    if state == "paused":
        return world.fire("coordination", world.advance(m, "in_follow_up"), "pause")
    return world.advance(m, state)


def allowed_rule(td: TransitionDef, actor: str, world: World, m: Any) -> Any:
    """The allow rule of the workflow file that lets `actor` fire `td` on `m`, read independently of the
    app's own policy module: role, and for unit rules the actor's unit against the measure's."""
    member = world.actors[actor].in_area(m.area_id)
    if member is None:
        return None
    for rule in td.allow:
        if rule.role != member.role:
            continue
        involved = {m.responsible_unit_id, *m.participating_unit_ids}
        if rule.unit == "responsible" and member.unit_id != m.responsible_unit_id:
            continue
        if rule.unit == "involved" and member.unit_id not in involved:
            continue
        return rule
    return None


def data_for(world: World, td: TransitionDef, rule: Any) -> dict[str, Any]:
    data = valid_data(world, td.trigger)
    fields = world.samordna.workflow.fields
    for name in getattr(rule, "requires", ()):  # fields only this role must give
        kind = fields[name].type
        assert kind in ("date", "text", "longtext"), f"no test value for a {kind} field: extend data_for"
        data.setdefault(name, world.today().isoformat() if kind == "date" else "Fra møtet.")
    return data


@pytest.mark.long
def test_every_trigger_for_every_role(
    app: Litestar, open_browser: Callable[..., WebClient], web_world: World, settings: Any
) -> None:
    """Each trigger, from each of its source states, fired over the API by every actor: 200 exactly when an
    allow rule of workflows/measure.toml lets them, 403 for the rest of alfa, 404 for beta's coordinator,
    401 without a token. A refused request changes nothing (the version stays)."""
    wf = load_workflow(settings.workflows_dir / "measure.toml")
    world = web_world
    b = open_browser(peer="192.0.2.53")
    coordinator = world.actors["coordinator"]
    wrong: list[str] = []
    cells = 0
    for td in wf.transitions:
        for source in td.sources:
            m = source_measure(world, source)
            for actor in ACTORS:
                rule = None if actor in (OUTSIDER, ANONYMOUS) else allowed_rule(td, actor, world, m)
                expected = 401 if actor == ANONYMOUS else 404 if actor == OUTSIDER else 200 if rule else 403
                body = {"trigger": td.trigger, "version": m.version, "data": data_for(world, td, rule)}
                headers = {} if actor == ANONYMOUS else {"authorization": f"Bearer {world.tokens[actor]}"}
                r = b.client.post(f"/api/v1/measures/{m.id}/transitions", json=body, headers=headers)
                cells += 1
                where = f"{td.trigger} from {source} by {actor}"
                if r.status_code != expected:
                    wrong.append(f"{where}: expected {expected}, got {r.status_code} — {body_text(r)}")
                    continue
                now = world.samordna.measures.get(actor=coordinator, measure_id=m.id)
                if expected == 200:
                    assert now.state == td.dest and now.version == m.version + 1, where
                    m = source_measure(world, source)  # the next actor needs the measure in the source again
                    continue
                assert now.version == m.version and now.state == source, f"{where}: a refusal changed the measure"
                if expected == 403:
                    allowed = r.json().get("allowed_roles")
                    if allowed != list(td.roles()):
                        wrong.append(f"{where}: 403 names {allowed}, the workflow file says {list(td.roles())}")
    transitions = sum(len(t.sources) for t in wf.transitions)
    assert cells == transitions * len(ACTORS)
    assert not wrong, f"{len(wrong)} of {cells} trigger cells wrong:\n  " + "\n  ".join(wrong)
