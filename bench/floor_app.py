"""The floor: the same pages with nothing but raw `sqlite3`, the SAME Jinja templates and a bare ASGI function.

It answers the requests the benchmarks send, with the same HTML (same template, same blocks, the same
card and form objects) or the same JSON shape, doing only the work that cannot be avoided: one raw SQL
query per thing shown, the template render, and for a transition the read, the versioned UPDATE, the
event and the status report in one BEGIN IMMEDIATE transaction. It has no framework, no sessions, no
CSRF and no authentication: who is asking comes from an `x-bench-member` header naming the e-mail of a
generated user (see bench.data). Served by uvicorn like Samordna: `uvicorn bench.floor_app:create --factory`.

Routes: /healthz · GET /areas/{slug}/boards/{coordination|execution|steering} · GET .../columns/{state} (htmx
block `column_page`) · GET .../cards/{id}/actions/{trigger} (block `card_form`) ·
POST /api/v1/measures/{id}/transitions (report_status only; `Authorization: Bearer` looked up like the API's) ·
GET /api/v1/areas/{slug}/measures (keyset by id: `limit`, `cursor`, the `Link: rel="next"` and `X-Total-Count`
headers; the rows as the API's shape) · GET /measures/{id} · GET /areas/{slug}/measures[?q=] (the list; a search
by the same FTS5 bm25 query as Samordna's) · GET /areas/{slug}/meetings · GET /meetings/{id} (the agenda as
stored: the floor does not regenerate it as Samordna's page does) · GET /meetings/{id}/live?item=N (the agenda,
and the item's measure read as its page reads it) · GET /login (Samordna's template, a CSRF cookie) ·
POST /login (the argon2 check of the user's stored hash in a thread; no throttle rows, a random session cookie)
· GET /areas/{slug}/stream (SSE: `ready`, then the area's new events polled from the event table once a second,
which any worker's writes reach, until the client goes away).
The pages other than the boards render the floor's own small templates (FLOOR_PAGES: Samordna's base.html with
its header lookups, and a plain list of the rows read for the main part), so their ratios overstate what
Samordna's own work costs beyond the floor's: its pages show more (forms, labels, sections).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import sqlite3
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from jinja2 import Environment, FileSystemLoader
from jinja2_fragments import render_block

from samordna.boards.service import BoardFilters, BoardView, Card, Column, ColumnPage, board_states
from samordna.boards.web import TEMPLATE, BoardUI
from samordna.domain.actor import MemberView
from samordna.measures.callbacks import DEFAULT_FOLLOW_UP_DAYS
from samordna.measures.service import permitted_rule
from samordna.organisation.repository import GoalView, UnitView
from samordna.settings import Settings
from samordna.web.forms import build_form, transition_fields
from samordna.web.rendering import configure_jinja
from samordna.workflow import load_workflows

PAGE_SIZE = 20
CARD = (
    "id",
    "ref",
    "title",
    "state",
    "version",
    "responsible_unit_id",
    "goal_id",
    "arena",
    "last_health",
    "next_follow_up_at",
)
CSRF = "floor-csrf-token"
_HEAD = '{% extends "base.html" %}{% block title %}{{ title }} – {{ page.area.name }} – Samordna{% endblock %}'
FLOOR_PAGES = {
    "measure": _HEAD.replace("{{ title }}", "{{ m.title }}")
    + """{% block main %}<h1>{{ m.ref }} {{ m.title }}</h1><p>{{ m.state }} · {{ m.last_health or "" }} ·
{{ goal[0] if goal else "" }} · {{ m.next_follow_up_at or "" }}</p><p>{{ m.description }}</p>
<ul>{% for u in units %}<li>{{ u[1] }}</li>{% endfor %}</ul>
<ul>{% for t in allowed %}<li><button name="trigger" value="{{ t }}">{{ t }}</button></li>{% endfor %}</ul>
<ol>{% for r in reports %}<li>{{ r["at"] }} {{ r["health"] }} {{ r["note"] }}</li>{% endfor %}</ol>
<ol>{% for e in events %}<li>{{ e["at"] }} {{ e["actor"] }}: {{ e["trigger"] }} {{ e["from_state"] }}
→ {{ e["to_state"] }} {{ e["comment"] or "" }}</li>{% endfor %}</ol>{% endblock %}""",
    "list": _HEAD.replace("{{ title }}", "Alle tiltak")
    + """{% block main %}<h1>Alle tiltak</h1><form><input name="q" value="{{ q }}">
<select name="unit_id">{% for u in units %}<option value="{{ u.id }}">{{ u.name }}</option>{% endfor %}</select>
<select name="goal_id">{% for g in goals %}<option value="{{ g.id }}">{{ g.title }}</option>{% endfor %}</select></form>
<p>{{ total }}</p><table>{% for r in rows %}<tr><td><a href="/measures/{{ r["id"] }}">{{ r["ref"] }}</a></td>
<td>{{ r["title"] }}</td><td>{{ r["state"] }}</td><td>{{ r["last_health"] or "" }}</td>
<td>{{ names.get(r["responsible_unit_id"], "") }}</td><td>{{ r["updated_at"] }}</td></tr>{% endfor %}</table>
{% endblock %}""",
    "meetings": _HEAD.replace("{{ title }}", "Møter")
    + """{% block main %}<h1>Møter</h1>{% for b in bodies %}<h2>{{ b["name"] }}</h2>{% endfor %}
<table>{% for r in rows %}<tr><td><a href="/meetings/{{ r["id"] }}">{{ r["title"] }}</a></td><td>{{ r["body"] }}</td>
<td>{{ r["starts_at"] }}–{{ r["ends_at"] }}</td><td>{{ r["place"] }}</td><td>{{ r["state"] }}</td>
<td>{{ r["items"] }}</td></tr>{% endfor %}</table>{% endblock %}""",
    "meeting": _HEAD.replace("{{ title }}", "{{ meeting.title }}")
    + """{% block main %}<h1>{{ meeting["title"] }}</h1><p>{{ meeting["body"] }} · {{ meeting["starts_at"] }} ·
{{ meeting["state"] }}</p><ol>{% for i in items %}<li>{{ i["number"] or "" }} {{ i["title"] }} {{ i["reason"] or "" }}
{% if i["measure_id"] %}<a href="/measures/{{ i["measure_id"] }}">{{ i["ref"] }}</a> {{ i["state"] }}
{{ i["last_health"] or "" }} {{ i["unit"] or "" }} {{ i["next_follow_up_at"] or "" }}{% endif %} {{ i["text"] }}</li>
{% endfor %}</ol>
<ul>{% for a in attendance %}<li>{{ a["name"] }} {{ a["status"] }}</li>{% endfor %}</ul>{% endblock %}""",
    "projector": _HEAD.replace("{{ title }}", "{{ meeting.title }}")
    + """{% block main %}<h1>{{ meeting["title"] }}</h1><nav>{% for i in items %}<a href="?item={{ i["position"] }}">
{{ i["number"] or loop.index }}</a>{% endfor %}</nav>{% if current %}<h2>{{ current["title"] }}</h2>
<p>{{ current["reason"] or "" }} {{ current["ref"] or "" }} {{ current["state"] or "" }} {{ current["unit"] or "" }}</p>
{% if report %}<p>{{ report["at"] }} {{ report["health"] }} {{ report["note"] }}</p>{% endif %}
{% for t in allowed or () %}<button name="trigger" value="{{ t }}">{{ t }}</button>{% endfor %}
<textarea name="note">{{ current["note"] }}</textarea>{% endif %}{% endblock %}""",
}


class Floor:
    def __init__(self, db_path: str) -> None:
        settings = Settings()
        self.wf = load_workflows(settings.workflows_dir)["measure"]
        self.tz = ZoneInfo(settings.timezone)
        self.conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.row_factory = sqlite3.Row
        env = Environment(loader=FileSystemLoader(settings.templates_dir), autoescape=True)
        configure_jinja(SimpleNamespace(engine=env))
        env.globals["csrf_token"] = lambda: CSRF
        self.env = env
        self.floor_templates = {k: env.from_string(v) for k, v in FLOOR_PAGES.items()}
        self.members: dict[str, tuple[int, MemberView, Any]] = {}
        for r in self.conn.execute(
            "SELECT u.id AS uid, u.name AS uname, u.email, a.id, a.slug, a.name, a.kind, a.language, m.role,"
            " m.unit_id, un.name AS unit_name FROM membership m JOIN user_account u ON u.id = m.user_id"
            " JOIN area a ON a.id = m.area_id LEFT JOIN unit un ON un.id = m.unit_id"
        ):
            member = MemberView(r["id"], r["slug"], r["name"], r["role"], r["unit_id"], r["unit_name"])
            area = SimpleNamespace(
                id=r["id"],
                slug=r["slug"],
                name=r["name"],
                kind=r["kind"],
                language=r["language"],
                role=r["role"],
                unit_id=r["unit_id"],
            )
            self.members[r["email"]] = (r["uid"], member, SimpleNamespace(area=area, name=r["uname"]))
        self.involved_roles = {rule.role for t in self.wf.transitions for rule in t.allow if rule.unit == "involved"}

    # ------------------------------------------------------------ pieces

    def today(self) -> date:
        return datetime.now(UTC).astimezone(self.tz).date()

    def page(self, email: str, path: str) -> tuple[Any, MemberView]:
        uid, member, who = self.members[email]
        app = SimpleNamespace(state=SimpleNamespace(samordna=SimpleNamespace(workflow=self.wf)))
        request = SimpleNamespace(app=app, url=SimpleNamespace(path=path), headers={})
        page = SimpleNamespace(
            request=request,
            actor=SimpleNamespace(user_id=uid, name=who.name),
            areas=[who.area],
            area=who.area,
            lang="nb",
            may_administer=member.role in ("coordinator", "steering"),
            member=member,
            # The page's lookups, as Samordna's page makes them: the «Varsler» badge, «Mine visninger», and the
            # newest event for the live stream's `since`.
            live_since=lambda: self.conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0],
            unread_notifications=lambda: self.conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM notification WHERE user_id = ? AND read_at IS NULL LIMIT 100)",
                (uid,),
            ).fetchone()[0],
            saved_views=lambda: [
                SimpleNamespace(id=r[0], name=r[1], query=r[2])
                for r in self.conn.execute(
                    "SELECT id, name, query FROM saved_view WHERE user_id = ? AND area_id = ? ORDER BY name",
                    (uid, member.area_id),
                )
            ],
        )
        return page, member

    def scope_sql(self, board: str, member: MemberView, states: tuple[str, ...]) -> tuple[str, list[Any]]:
        where = "area_id = ?" + (f" AND state IN ({','.join('?' * len(states))})" if states else "")
        params: list[Any] = [member.area_id, *states]
        if board == "execution" and member.role == "executing" and member.unit_id is not None:
            where += " AND (responsible_unit_id = ? OR id IN (SELECT measure_id FROM measure_unit WHERE unit_id = ?))"
            params += [member.unit_id, member.unit_id]
        return where, params

    def first_rows(self, where: str, params: list[Any], states: tuple[str, ...], limit: int) -> list[sqlite3.Row]:
        """Each state's first `limit` rows in the board's order (follow-up date, none last; last change; id):
        two index walks per state that stop after `limit` rows, merged here."""
        parts, args = [], []
        for state in states:
            for dated in (True, False):
                order = "next_follow_up_at, updated_at, id" if dated else "updated_at, id"
                null = "IS NOT NULL" if dated else "IS NULL"
                parts.append(
                    f"SELECT * FROM (SELECT {', '.join(CARD)}, updated_at FROM measure WHERE {where}"
                    f" AND state = ? AND next_follow_up_at {null} ORDER BY {order} LIMIT ?)"
                )
                args += [*params, state, limit]
        rows = self.conn.execute(" UNION ALL ".join(parts), args).fetchall()
        out: dict[str, list[sqlite3.Row]] = {s: [] for s in states}
        for r in sorted(
            rows, key=lambda r: (r["next_follow_up_at"] is None, r["next_follow_up_at"] or "", r["updated_at"], r["id"])
        ):
            if len(out[r["state"]]) < limit:
                out[r["state"]].append(r)
        return [r for s in sorted(states) for r in out[s]]

    def cards(
        self, member: MemberView, rows: list[sqlite3.Row], units: dict[int, str], goals: dict[int, str]
    ) -> list[Card]:
        participating: dict[int, list[int]] = {}
        if rows and member.unit_id is not None and member.role in self.involved_roles:
            ids = [r["id"] for r in rows]
            for mid, uid in self.conn.execute(
                f"SELECT measure_id, unit_id FROM measure_unit WHERE measure_id IN ({','.join('?' * len(ids))})", ids
            ):
                participating.setdefault(mid, []).append(uid)
        running = set(self.wf.states_on_board("execution"))
        today = self.today()
        out = []
        for r in rows:
            state = r["state"]
            nxt = date.fromisoformat(r["next_follow_up_at"]) if r["next_follow_up_at"] else None
            allowed = tuple(
                t
                for t in self.wf.allowed_triggers(state)
                if permitted_rule(
                    self.wf.transition(state, t), member, r["responsible_unit_id"], participating.get(r["id"], [])
                )
            )
            out.append(
                Card(
                    id=r["id"],
                    ref=r["ref"],
                    title=r["title"],
                    state=state,
                    version=r["version"],
                    responsible_unit_id=r["responsible_unit_id"],
                    responsible_unit=units.get(r["responsible_unit_id"]),
                    goal_id=r["goal_id"],
                    goal=goals.get(r["goal_id"]),
                    arena=r["arena"],
                    health=r["last_health"],
                    next_follow_up_at=nxt if state in running else None,
                    overdue=bool(nxt and state in running and nxt < today),
                    allowed_triggers=allowed,
                )
            )
        return out

    def units_goals(self, area_id: int) -> tuple[list[UnitView], list[GoalView]]:
        units = [
            UnitView(*r)
            for r in self.conn.execute(
                "SELECT id, name, kind, active FROM unit WHERE area_id = ? ORDER BY name", (area_id,)
            )
        ]
        goals = [
            GoalView(*r)
            for r in self.conn.execute(
                "SELECT id, title, description, period_from, period_to, priority, active FROM goal WHERE area_id = ?"
                " ORDER BY priority, id",
                (area_id,),
            )
        ]
        return units, goals

    # ------------------------------------------------------------ handlers

    def board(self, email: str, path: str, board: str) -> str:
        page, member = self.page(email, path)
        states = board_states(self.wf, board)
        units, goals = self.units_goals(member.area_id)
        where, params = self.scope_sql(board, member, states)
        totals = dict.fromkeys(states, 0)
        totals.update(self.conn.execute(f"SELECT state, count(*) FROM measure WHERE {where} GROUP BY state", params))
        where, params = self.scope_sql(board, member, ())
        rows = self.first_rows(where, params, states, PAGE_SIZE)
        cards = self.cards(member, rows, {u.id: u.name for u in units}, {g.id: g.title for g in goals})
        by_state: dict[str, list[Card]] = {s: [] for s in states}
        for r, c in zip(rows, cards, strict=True):
            by_state[r["state"]].append(c)
        locked = board == "execution" and member.role == "executing" and member.unit_id is not None
        view = BoardView(
            board=board,
            area_id=member.area_id,
            role=member.role,
            member_unit_id=member.unit_id,
            columns=tuple(Column(s, totals[s], tuple(by_state[s])) for s in states),
            units=tuple(units),
            goals=tuple(goals),
            filters=BoardFilters(),
            unit_id=member.unit_id if locked else None,
            unit_locked=locked,
            may_register=member.role != "viewer",
        )
        ui = BoardUI(page, board, self.wf)
        ctx = {
            "page": page,
            "ui": ui,
            "lang": "nb",
            "active": board,
            "view": view,
            "request": page.request,
            "csrf_input": f'<input type="hidden" name="_csrf_token" value="{CSRF}" />',
        }
        return self.env.get_template(TEMPLATE).render(ctx)

    def column(self, email: str, path: str, board: str, state: str, shown: list[int]) -> str:
        page, member = self.page(email, path)
        units, goals = self.units_goals(member.area_id)
        where, params = self.scope_sql(board, member, ())
        if shown:
            where += f" AND id NOT IN ({','.join('?' * len(shown))})"
            params += shown
        rows = self.first_rows(where, params, (state,), PAGE_SIZE + 1)
        cards = self.cards(member, rows[:PAGE_SIZE], {u.id: u.name for u in units}, {g.id: g.title for g in goals})
        ui = BoardUI(page, board, self.wf)
        ctx = {
            "page": page,
            "ui": ui,
            "lang": "nb",
            "active": board,
            "request": page.request,
            "column": ColumnPage(state, tuple(cards), len(rows) > PAGE_SIZE),
            "shown_total": len(shown) + len(cards),
        }
        return render_block(self.env, TEMPLATE, "column_page", ctx)

    def action_form(self, email: str, path: str, board: str, measure_id: int, trigger: str) -> str:
        page, member = self.page(email, path)
        row = self.conn.execute(
            "SELECT * FROM measure WHERE id = ? AND area_id = ?", (measure_id, member.area_id)
        ).fetchone()
        td = self.wf.transition(row["state"], trigger)
        rule = permitted_rule(td, member, row["responsible_unit_id"], []) if td else None
        wanted = transition_fields(self.wf, td, rule) if td else []
        form = build_form(wanted, values={f.name: row[f.store] if f.store in row.keys() else None for f, _ in wanted})
        m = SimpleNamespace(**{k: row[k] for k in row.keys()})
        ui = BoardUI(page, board, self.wf)
        ctx = {
            "page": page,
            "ui": ui,
            "lang": "nb",
            "active": board,
            "request": page.request,
            "m": m,
            "trigger": trigger,
            "form": form,
            "version": str(row["version"]),
            "status": 200,
            "still_possible": True,
            "standalone": False,
            "csrf_input": f'<input type="hidden" name="_csrf_token" value="{CSRF}" />',
        }
        return render_block(self.env, TEMPLATE, "card_form", ctx)

    def email_for_token(self, token: str) -> str | None:
        """A bearer token looked up as Samordna does: its SHA-256 among the active tokens of active users."""
        row = self.conn.execute(
            "SELECT u.email FROM api_token t JOIN user_account u ON u.id = t.user_id"
            " WHERE t.token_hash = ? AND t.active AND u.active",
            (hashlib.sha256(token.encode()).hexdigest(),),
        ).fetchone()
        return row["email"] if row else None

    def transition(self, email: str, measure_id: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """report_status in raw SQL: read, versioned UPDATE, event, status report — one transaction."""
        if email not in self.members:
            return 401, {"detail": "Ugyldig eller manglende API-nøkkel."}
        uid, member, _who = self.members[email]
        health, note = body["data"]["health"], body["data"].get("note") or ""
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT * FROM measure WHERE id = ?", (measure_id,)).fetchone()
            if row is None or row["area_id"] != member.area_id:
                conn.execute("ROLLBACK")
                return 404, {"detail": "Fant ikke tiltaket."}
            days = row["follow_up_days"] or DEFAULT_FOLLOW_UP_DAYS
            nxt = (now.astimezone(self.tz).date() + timedelta(days=days)).isoformat()
            cur = conn.execute(
                "UPDATE measure SET last_health = ?, next_follow_up_at = ?, state = 'in_follow_up',"
                " version = version + 1, updated_at = ?, updated_by_id = ? WHERE id = ? AND version = ?",
                (health, nxt, stamp, uid, measure_id, body["version"]),
            )
            if cur.rowcount != 1:
                conn.execute("ROLLBACK")
                return 409, {"detail": "stale", "current_version": row["version"], "state": row["state"]}
            changes = {k: [row[k], v] for k, v in (("last_health", health), ("next_follow_up_at", nxt)) if row[k] != v}
            conn.execute(
                "INSERT INTO event (measure_id, at, actor_id, trigger, from_state, to_state, comment, changes, data,"
                " version) VALUES (?, ?, ?, 'report_status', ?, 'in_follow_up', ?, ?, ?, ?)",
                (
                    measure_id,
                    stamp,
                    uid,
                    row["state"],
                    body.get("comment"),
                    json.dumps(changes, ensure_ascii=False),
                    json.dumps({"note": note}, ensure_ascii=False),
                    body["version"] + 1,
                ),
            )
            conn.execute(
                "INSERT INTO status_report (measure_id, author_id, at, health, note) VALUES (?, ?, ?, ?, ?)",
                (measure_id, uid, stamp, health, note),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        out = {k: row[k] for k in row.keys()}
        out.update(
            last_health=health,
            next_follow_up_at=nxt,
            version=body["version"] + 1,
            updated_at=now.isoformat(),
            updated_by_id=uid,
            participating_unit_ids=[],
            overdue=False,
            allowed_triggers=list(self.wf.allowed_triggers("in_follow_up")),
        )
        return 200, out

    # ------------------------------------------------------------ the rest of a meeting hour
    # These pages render a floor template of their own (FLOOR_PAGES: Samordna's base.html with its header,
    # «Varsler» badge and «Mine visninger», and a plain list of the rows read for the page's main part): the
    # same rows read by raw SQL, a smaller main part than Samordna's page (no forms, labels or sections).

    def render(self, email: str, path: str, name: str, active: str, **ctx: Any) -> str:
        page, member = self.page(email, path)
        return self.floor_templates[name].render(page=page, lang="nb", active=active, request=page.request, **ctx)

    def measure_page(self, email: str, path: str, measure_id: int) -> str | None:
        _uid, member, _who = self.members[email]
        m = self.conn.execute(
            "SELECT * FROM measure WHERE id = ? AND area_id = ?", (measure_id, member.area_id)
        ).fetchone()
        if m is None:
            return None
        units = self.conn.execute(
            "SELECT u.id, u.name FROM measure_unit mu JOIN unit u ON u.id = mu.unit_id WHERE mu.measure_id = ?",
            (measure_id,),
        ).fetchall()
        events = self.conn.execute(
            "SELECT e.id, e.at, e.trigger, e.from_state, e.to_state, e.comment, e.data, u.name AS actor FROM event e"
            " LEFT JOIN user_account u ON u.id = e.actor_id WHERE e.measure_id = ? ORDER BY e.id DESC",
            (measure_id,),
        ).fetchall()
        reports = self.conn.execute(
            "SELECT at, health, note FROM status_report WHERE measure_id = ? ORDER BY at DESC, id DESC", (measure_id,)
        ).fetchall()
        goal = self.conn.execute("SELECT title FROM goal WHERE id = ?", (m["goal_id"],)).fetchone()
        allowed = [
            t
            for t in self.wf.allowed_triggers(m["state"])
            if permitted_rule(
                self.wf.transition(m["state"], t), member, m["responsible_unit_id"], [u[0] for u in units]
            )
        ]
        return self.render(
            email,
            path,
            "measure",
            "measures",
            m=m,
            units=units,
            events=events,
            reports=reports,
            goal=goal,
            allowed=allowed,
        )

    def measure_list(self, email: str, path: str, q: str) -> str:
        _uid, member, _who = self.members[email]
        area = member.area_id
        units, goals = self.units_goals(area)
        if q:
            match = " ".join(f'"{t}"*' for t in q.lower().split())
            rows = self.conn.execute(
                "SELECT m.id, m.ref, m.title, m.state, m.last_health, m.responsible_unit_id, m.updated_at,"
                " bm25(measure_fts, 10.0, 5.0, 1.0) AS rank FROM measure_fts JOIN measure m ON m.id = measure_fts.rowid"
                " WHERE measure_fts MATCH ? AND m.area_id = ? ORDER BY rank, m.id LIMIT 51",
                (match, area),
            ).fetchall()
            total = self.conn.execute(
                "SELECT count(*) FROM measure WHERE area_id = ? AND id IN"
                " (SELECT rowid FROM measure_fts WHERE measure_fts MATCH ?)",
                (area, match),
            ).fetchone()[0]
        else:
            rows = self.conn.execute(
                "SELECT id, ref, title, state, last_health, responsible_unit_id, updated_at FROM measure"
                " WHERE area_id = ? ORDER BY updated_at DESC, id DESC LIMIT 51",
                (area,),
            ).fetchall()
            total = self.conn.execute("SELECT count(*) FROM measure WHERE area_id = ?", (area,)).fetchone()[0]
        names = {u.id: u.name for u in units}
        return self.render(
            email, path, "list", "measures", rows=rows[:50], total=total, units=units, goals=goals, names=names, q=q
        )

    def meetings(self, email: str, path: str) -> str:
        _uid, member, _who = self.members[email]
        bodies = self.conn.execute(
            "SELECT id, level, name FROM body WHERE area_id = ? ORDER BY id", (member.area_id,)
        ).fetchall()
        rows = self.conn.execute(
            "SELECT m.id, m.title, m.starts_at, m.ends_at, m.place, m.state, b.name AS body,"
            " (SELECT count(*) FROM agenda_item i WHERE i.meeting_id = m.id) AS items"
            " FROM meeting m JOIN body b ON b.id = m.body_id WHERE m.area_id = ? ORDER BY m.starts_at DESC",
            (member.area_id,),
        ).fetchall()
        return self.render(email, path, "meetings", "meetings", bodies=bodies, rows=rows)

    def meeting(self, email: str, path: str, meeting_id: int, item: int | None) -> str | None:
        _uid, member, _who = self.members[email]
        meeting = self.conn.execute(
            "SELECT m.*, b.name AS body, b.level FROM meeting m JOIN body b ON b.id = m.body_id"
            " WHERE m.id = ? AND m.area_id = ?",
            (meeting_id, member.area_id),
        ).fetchone()
        if meeting is None:
            return None
        items = self.conn.execute(
            "SELECT i.id, i.number, i.position, i.kind, i.reason, i.title, i.text, i.note, i.measure_id, m.ref,"
            " m.state, m.last_health, m.next_follow_up_at, u.name AS unit FROM agenda_item i"
            " LEFT JOIN measure m ON m.id = i.measure_id LEFT JOIN unit u ON u.id = m.responsible_unit_id"
            " WHERE i.meeting_id = ? ORDER BY i.position",
            (meeting_id,),
        ).fetchall()
        attendance = self.conn.execute(
            "SELECT name, status FROM attendance WHERE meeting_id = ? ORDER BY id", (meeting_id,)
        ).fetchall()
        if item is None:
            return self.render(email, path, "meeting", "meetings", meeting=meeting, items=items, attendance=attendance)
        # The projector view: one item, with its measure's latest status report and the decisions it allows.
        current = items[min(max(item, 1), len(items)) - 1] if items else None
        report = allowed = None
        if current is not None and current["measure_id"] is not None:
            # The item's measure as its page reads it (its units, history and reports): Samordna offers the
            # measure page's decisions on it.
            mid = current["measure_id"]
            m = self.conn.execute("SELECT * FROM measure WHERE id = ?", (mid,)).fetchone()
            units = [u[0] for u in self.conn.execute("SELECT unit_id FROM measure_unit WHERE measure_id = ?", (mid,))]
            self.conn.execute(
                "SELECT e.id, e.at, e.trigger, e.from_state, e.to_state, e.comment, e.data, u.name FROM event e"
                " LEFT JOIN user_account u ON u.id = e.actor_id WHERE e.measure_id = ? ORDER BY e.id DESC",
                (mid,),
            ).fetchall()
            reports = self.conn.execute(
                "SELECT at, health, note FROM status_report WHERE measure_id = ? ORDER BY at DESC, id DESC", (mid,)
            ).fetchall()
            report = reports[0] if reports else None
            allowed = [
                t
                for t in self.wf.allowed_triggers(m["state"])
                if permitted_rule(self.wf.transition(m["state"], t), member, m["responsible_unit_id"], units)
            ]
        return self.render(
            email,
            path,
            "projector",
            "meetings",
            meeting=meeting,
            items=items,
            current=current,
            report=report,
            allowed=allowed,
            attendance=attendance,
        )

    def api_measures(self, email: str, area_slug: str, query: dict[str, list[str]]) -> tuple[int, Any, str | None]:
        """GET /api/v1/areas/{slug}/measures by id, keyset: `cursor` is the last id of the previous page."""
        if email not in self.members:
            return 401, {"detail": "Ugyldig eller manglende API-nøkkel."}, None
        _uid, member, _who = self.members[email]
        limit = int(query.get("limit", ["500"])[0])
        after = int(query.get("cursor", ["0"])[0])
        rows = self.conn.execute(
            "SELECT * FROM measure WHERE area_id = ? AND id > ? ORDER BY id LIMIT ?", (member.area_id, after, limit + 1)
        ).fetchall()
        total = self.conn.execute("SELECT count(*) FROM measure WHERE area_id = ?", (member.area_id,)).fetchone()[0]
        page = rows[:limit]
        units: dict[int, list[int]] = {}
        if page:
            ids = [r["id"] for r in page]
            for mid, uid in self.conn.execute(
                f"SELECT measure_id, unit_id FROM measure_unit WHERE measure_id IN ({','.join('?' * len(ids))})", ids
            ):
                units.setdefault(mid, []).append(uid)
        today = self.today().isoformat()
        out = [
            {
                **{k: r[k] for k in r.keys()},
                "participating_unit_ids": units.get(r["id"], []),
                "overdue": bool(r["next_follow_up_at"] and r["next_follow_up_at"] < today),
                "allowed_triggers": list(self.wf.allowed_triggers(r["state"])),
            }
            for r in page
        ]
        link = None
        if len(rows) > limit:
            link = f'</api/v1/areas/{area_slug}/measures?limit={limit}&cursor={page[-1]["id"]}>; rel="next"'
        return 200, (out, total), link

    def password_hash(self, email: str) -> str | None:
        row = self.conn.execute(
            "SELECT password_hash FROM user_account WHERE email = ? AND active", (email.lower(),)
        ).fetchone()
        return row[0] if row else None


def create() -> Any:
    floor = Floor(os.environ["BENCH_FLOOR_DB"])
    hasher = PasswordHasher()

    async def read_body(receive: Any) -> bytes:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                return body

    async def stream(email: str, send: Any, receive: Any) -> None:
        """SSE: `ready`, then every new event of the member's area, polled once a second from the event table
        (any worker's writes), until the client goes away."""
        _uid, member, _who = floor.members[email]
        last = floor.conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"event: ready\ndata: {}\nretry: 3000\n\n", "more_body": True}
        )
        gone = asyncio.ensure_future(receive())
        try:
            while True:
                done, _ = await asyncio.wait([gone], timeout=1.0)
                if done:
                    if gone.result()["type"] == "http.disconnect":
                        return
                    gone = asyncio.ensure_future(receive())  # the (empty) request body: wait on
                rows = floor.conn.execute(
                    "SELECT e.id, e.measure_id, m.ref, e.trigger FROM event e JOIN measure m ON m.id = e.measure_id"
                    " WHERE e.id > ? AND m.area_id = ? ORDER BY e.id",
                    (last, member.area_id),
                ).fetchall()
                if rows:
                    last = rows[-1][0]
                    chunk = "".join(
                        f"id: {r[0]}\nevent: measure\ndata: "
                        + json.dumps({"measure": r[1], "ref": r[2], "kind": r[3]}, ensure_ascii=False)
                        + "\n\n"
                        for r in rows
                    )
                    await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})
        finally:
            gone.cancel()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path: str = scope["path"]
        method: str = scope["method"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        email = headers.get("x-bench-member", "")
        bearer = headers.get("authorization", "")
        if bearer.startswith("Bearer "):  # the token looked up per request, as the API does (bench.inflight)
            email = floor.email_for_token(bearer[7:]) or ""
        query = parse_qs(scope["query_string"].decode())
        parts = path.strip("/").split("/")
        status, ctype, payload = 404, "text/plain", b"not found"
        extra: list[tuple[bytes, bytes]] = []
        html: str | None = None
        if path == "/healthz":
            status, payload = 200, b"ok"
        elif method == "POST" and len(parts) == 5 and parts[:2] == ["api", "v1"] and parts[4] == "transitions":
            status, out = floor.transition(email, int(parts[3]), json.loads(await read_body(receive)))
            ctype, payload = "application/json", json.dumps(out, default=str).encode()
        elif method == "GET" and len(parts) == 5 and parts[:3] == ["api", "v1", "areas"] and parts[4] == "measures":
            status, found, link = floor.api_measures(email, parts[3], query)
            ctype = "application/json"
            if status == 200:
                rows, total = found
                payload = json.dumps(rows, default=str).encode()
                extra.append((b"x-total-count", str(total).encode()))
                if link:
                    extra.append((b"link", link.encode()))
            else:
                payload = json.dumps(found).encode()
        elif path == "/login" and method == "GET":
            # The form and its CSRF cookie (Samordna's template, the floor's token).
            html = floor.env.get_template("pages/login.html").render(
                form=SimpleNamespace(email="", password="", next="/"),
                error=None,
                lang="nb",
                csrf_input=f'<input type="hidden" name="_csrf_token" value="{CSRF}" />',
            )
            extra.append((b"set-cookie", f"csrftoken={CSRF}; Path=/; SameSite=Lax".encode()))
        elif path == "/login" and method == "POST":
            form = parse_qs((await read_body(receive)).decode())
            given = form.get("email", [""])[0]
            stored = floor.password_hash(given)
            ok = form.get("_csrf_token", [""])[0] == CSRF and stored is not None
            if ok:
                try:  # the argon2 check in a thread, as Samordna's password gate runs it
                    await asyncio.to_thread(hasher.verify, stored, form.get("password", [""])[0])
                except VerifyMismatchError:
                    ok = False
            if ok:
                status, payload = 303, b""
                extra += [
                    (b"location", b"/areas/x/boards/coordination"),
                    (b"set-cookie", f"session={secrets.token_urlsafe(32)}; Path=/; HttpOnly; SameSite=Lax".encode()),
                ]
            else:
                status, payload = 401, b"no"
        elif method == "GET" and len(parts) == 3 and parts[0] == "areas" and parts[2] == "stream":
            await stream(email, send, receive)
            return
        elif method == "GET" and len(parts) == 2 and parts[0] == "measures" and parts[1].isdigit():
            html = floor.measure_page(email, path, int(parts[1]))
        elif method == "GET" and len(parts) == 3 and parts[0] == "areas" and parts[2] == "measures":
            html = floor.measure_list(email, path, query.get("q", [""])[0])
        elif method == "GET" and len(parts) == 3 and parts[0] == "areas" and parts[2] == "meetings":
            html = floor.meetings(email, path)
        elif method == "GET" and len(parts) in (2, 3) and parts[0] == "meetings" and parts[1].isdigit():
            if len(parts) == 2:
                html = floor.meeting(email, path, int(parts[1]), None)
            elif parts[2] == "live":
                html = floor.meeting(email, path, int(parts[1]), int(query.get("item", ["1"])[0]))
        elif method == "GET" and len(parts) >= 4 and parts[0] == "areas" and parts[2] == "boards":
            board = parts[3]
            if len(parts) == 4:
                html = floor.board(email, path, board)
            elif len(parts) == 6 and parts[4] == "columns":
                html = floor.column(email, path, board, parts[5], [int(v) for v in query.get("shown", [])])
            elif len(parts) == 8 and parts[4] == "cards":
                html = floor.action_form(email, path, board, int(parts[5]), parts[7])
        if html is not None:
            status, ctype, payload = 200, "text/html; charset=utf-8", html.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", ctype.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


if __name__ == "__main__":  # a quick look: python -m bench.floor_app DB EMAIL
    import sys

    f = Floor(sys.argv[1])
    print(f.board(sys.argv[2], "/", "coordination")[:2000])
