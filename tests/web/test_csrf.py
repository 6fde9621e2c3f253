"""CSRF (ASVS 4.2.2, 50.x): every unsafe browser route in the app's route table refuses a request without a
valid token, and a token that belongs to another cookie; no GET handler changes anything.

The routes are read from `app.routes`, so a route added later is covered without touching this file.
Path parameters get real values where this file knows their name (so the GET pages really render) and
a placeholder otherwise (the CSRF check runs before the handler, and an unknown GET must still not write).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from samordna.boards import service as boards
from samordna.services import Services
from tests.factories import World
from tests.security_support import snapshot
from tests.web_support import WebClient

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"\{(\w+):(\w+)\}")


def handlers(app: Litestar, methods: set[str]) -> list[tuple[str, str]]:
    """(method, path template) of every route handler answering one of `methods`."""
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in set(handler.http_methods) & methods:
                found.add((method, route.path))
    return sorted(found)


def fill(template: str, values: dict[str, Any]) -> tuple[str, bool]:
    """The path with its parameters filled in, and whether every value was a known, real one."""
    known = True

    def value(match: re.Match[str]) -> str:
        nonlocal known
        name, kind = match[1], match[2]
        if name in values:
            return str(values[name])
        known = False
        return "1" if kind == "int" else "x"

    return PARAM.sub(value, template), known


# ---------------------------------------------------------------- unsafe routes need the token


def test_the_route_table_has_the_routes_we_expect(app: Litestar) -> None:
    unsafe = {(m, p) for m, p in handlers(app, UNSAFE) if not p.startswith("/api/")}
    for expected in [
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/language"),
        ("POST", "/account/password"),
        ("POST", "/measures/{measure_id:int}/transitions/{trigger:str}"),
        ("POST", "/areas/{slug:str}/measures"),
    ]:
        assert expected in unsafe


@pytest.mark.long
def test_every_unsafe_browser_route_refuses_a_missing_or_foreign_token(
    app: Litestar, open_browser, samordna: Services, web_world: World
) -> None:
    m = web_world.register()
    b: WebClient = open_browser().login("coordinator")
    other = open_browser(peer="198.51.100.3")  # a visitor with a perfectly valid token of their own
    foreign = other.token
    assert foreign != b.token
    forged = b.token[:-4] + ("0000" if not b.token.endswith("0000") else "1111")
    before = snapshot(samordna)
    values = {"slug": "alfa", "measure_id": m.id, "trigger": "initiate", "board": "coordination"}
    routes = [(m_, p) for m_, p in handlers(app, UNSAFE) if not p.startswith("/api/")]
    assert len(routes) >= 6
    refused = []
    for method, template in routes:
        url, _ = fill(template, values)
        attempts = {
            "no token": {"data": {"title": "x"}},
            "foreign token in the form": {"data": {"title": "x", "_csrf_token": foreign}},
            "foreign token in the header": {"data": {"title": "x"}, "headers": {"x-csrftoken": foreign}},
            "forged token": {"data": {"title": "x"}, "headers": {"x-csrftoken": forged}},
            "htmx, foreign token": {"data": {"title": "x"}, "headers": {"x-csrftoken": foreign, "hx-request": "true"}},
            "json, no token": {"json": {"title": "x"}},
        }
        for what, kwargs in attempts.items():
            r = b.client.request(method, url, **kwargs)
            assert r.status_code == 403, (method, url, what, r.status_code)
            if "hx-request" not in kwargs.get("headers", {}):
                assert "Skjemaet er utløpt eller kom fra et annet nettsted." in r.text
            refused.append((method, url, what))
    assert snapshot(samordna) == before  # nothing happened
    assert b.get("/areas/alfa/boards/coordination").status_code == 200  # not even the log-out
    # ... and the token works: the same browser, with its own token, logs out.
    assert b.post("/logout").status_code == 303


def test_the_api_is_excluded_because_it_takes_no_cookies(open_browser, web_world: World) -> None:
    b: WebClient = open_browser()
    headers = {"authorization": f"Bearer {web_world.tokens['coordinator']}"}
    r = b.client.post("/api/v1/areas/alfa/measures", json={"title": "x"}, headers=headers)
    assert r.status_code == 422  # judged on its content, not refused for a missing CSRF token
    # A browser's session cookie is no credential there.
    b.login("coordinator")
    assert b.client.get("/api/v1/areas").status_code == 401


# ---------------------------------------------------------------- GET changes nothing


@pytest.mark.long
def test_no_get_handler_writes(app: Litestar, open_browser, samordna: Services, web_world: World) -> None:
    w = web_world
    fresh = w.register()
    running = w.advance(w.register(title="Tiltak i gang"), "in_follow_up")
    coordinator = w.actors["coordinator"]
    trigger = samordna.measures.get(actor=coordinator, measure_id=fresh.id).allowed_triggers[0]
    b: WebClient = open_browser().login("coordinator")
    api = {"authorization": f"Bearer {w.tokens['coordinator']}"}
    before = snapshot(samordna)
    statuses: dict[str, int] = {}
    for _, template in handlers(app, {"GET"}):
        combos = []
        for board, measure in itertools.product(boards.BOARDS, (fresh, running)):
            combos.append(
                {
                    "slug": "alfa",
                    "board": board,
                    "column": boards.board_states(samordna.workflow, board)[0],
                    "measure_id": measure.id,
                    "trigger": trigger if measure is fresh else "report_status",
                    "file_path": "css/samordna.css",
                }
            )
        for values in combos:
            url, known = fill(template, values)
            for headers in ({}, {"hx-request": "true"}):
                if url.startswith("/api/"):
                    headers = {**headers, **api}
                r = b.client.get(url, headers=headers)
                statuses[f"{url} {headers.get('hx-request', '')}"] = r.status_code
                # The decision log is the steering board's alone: another board's is not found.
                known = known and not (template.endswith("/{board:str}/decisions") and values["board"] != "steering")
                assert r.status_code < (400 if known else 500), (url, headers, r.status_code, r.text[:300])
    assert len(statuses) > 20
    assert snapshot(samordna) == before
