"""The floor: the same pages with nothing but raw `sqlite3`, the SAME Jinja templates and a bare ASGI function.

It answers the requests the benchmarks send, with the same HTML (same template, same blocks, the same
card and form objects) or the same JSON shape, doing only the work that cannot be avoided: one raw SQL
query per thing shown, the template render, and for a transition the read, the versioned UPDATE, the
event and the status report in one BEGIN IMMEDIATE transaction. It has no framework, no sessions, no
CSRF and no authentication: who is asking comes from an `x-bench-member` header naming the e-mail of a
generated user (see bench.data). Served by uvicorn like Samordna: `uvicorn bench.floor_app:create --factory`.

Routes: /healthz · GET /areas/{slug}/boards/{coordination|execution} · GET .../columns/{state} (htmx
block `column_page`) · GET .../cards/{id}/actions/{trigger} (block `card_form`) ·
POST /api/v1/measures/{id}/transitions (report_status only; `Authorization: Bearer` looked up like the API's).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

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


def create() -> Any:
    floor = Floor(os.environ["BENCH_FLOOR_DB"])

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
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        email = headers.get("x-bench-member", "")
        bearer = headers.get("authorization", "")
        if bearer.startswith("Bearer "):  # the token looked up per request, as the API does (bench.inflight)
            email = floor.email_for_token(bearer[7:]) or ""
        parts = path.strip("/").split("/")
        status, ctype, payload = 404, "text/plain", b"not found"
        if path == "/healthz":
            status, payload = 200, b"ok"
        elif scope["method"] == "POST" and len(parts) == 5 and parts[:2] == ["api", "v1"] and parts[4] == "transitions":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            status, out = floor.transition(email, int(parts[3]), json.loads(body))
            ctype, payload = "application/json", json.dumps(out, default=str).encode()
        elif scope["method"] == "GET" and len(parts) >= 4 and parts[0] == "areas" and parts[2] == "boards":
            board = parts[3]
            ctype = "text/html; charset=utf-8"
            if len(parts) == 4:
                html = floor.board(email, path, board)
            elif len(parts) == 6 and parts[4] == "columns":
                query = parse_qs(scope["query_string"].decode())
                html = floor.column(email, path, board, parts[5], [int(v) for v in query.get("shown", [])])
            elif len(parts) == 8 and parts[4] == "cards":
                html = floor.action_form(email, path, board, int(parts[5]), parts[7])
            else:
                html = "not found"
            status, payload = (200 if html != "not found" else 404), html.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


if __name__ == "__main__":  # a quick look: python -m bench.floor_app DB EMAIL
    import sys

    f = Floor(sys.argv[1])
    print(f.board(sys.argv[2], "/", "coordination")[:2000])
