"""Security headers on every kind of response: pages, htmx fragments, API answers, errors, static files."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.conftest import LiveServer
from tests.factories import World
from tests.web_support import WebClient


def assert_hardened(r: httpx.Response, *, cacheable: bool = False) -> None:
    csp = r.headers.get("content-security-policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("script-src") == "'self'", csp  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives.get("object-src") == "'none'"
    assert directives.get("base-uri") == "'none'"
    assert directives.get("frame-ancestors") == "'none'"
    assert "unsafe" not in csp
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("referrer-policy") == "same-origin"
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy", "cache-control"):
        assert len(r.headers.get_list(name)) == 1, (r.request.url, name)  # added once, never beside the response's
    if cacheable:
        assert "immutable" in r.headers.get("cache-control", "")
    else:
        assert r.headers.get("cache-control") == "no-store", (r.request.url, r.headers.get("cache-control"))


def test_headers_on_pages_fragments_api_errors_and_static(
    live_server: LiveServer, world: World, browser: Callable[[str], WebClient]
) -> None:
    m = world.register()
    web = browser("coordinator")
    anonymous = httpx.Client(base_url=live_server.url, follow_redirects=False)
    api = httpx.Client(base_url=live_server.url, headers={"authorization": f"Bearer {world.tokens['coordinator']}"})
    card_form = f"/areas/alfa/boards/coordination/cards/{m.id}/actions/initiate"
    try:
        responses = {
            "login page": anonymous.get("/login"),
            "redirect to login": anonymous.get("/areas/alfa/boards/coordination"),
            "board": web.get("/areas/alfa/boards/coordination"),
            "board fragment (htmx)": web.get(card_form, htmx=True),
            "measure page": web.get(f"/measures/{m.id}"),
            "refused form (422)": web.post(f"/measures/{m.id}/transitions/initiate", {"version": m.version}, htmx=True),
            "page of another area (404)": web.get("/areas/beta/boards/coordination"),
            "unknown route (404)": web.get("/no/such/page"),
            "CSRF refusal (403)": anonymous.post("/logout"),
            "API answer": api.get("/api/v1/areas"),
            "API error (401)": anonymous.get("/api/v1/areas"),
            "API error (404)": api.get("/api/v1/measures/999999"),
            "API transition refused (422)": api.post(
                f"/api/v1/measures/{m.id}/transitions", json={"trigger": "initiate", "version": m.version}
            ),
            "health check": anonymous.get("/healthz"),
            "API document": anonymous.get("/schema/openapi.json"),
        }
        statuses = {name: r.status_code for name, r in responses.items()}
        assert statuses == {
            "login page": 200,
            "redirect to login": 303,
            "board": 200,
            "board fragment (htmx)": 200,
            "measure page": 200,
            "refused form (422)": 422,
            "page of another area (404)": 404,
            "unknown route (404)": 404,
            "CSRF refusal (403)": 403,
            "API answer": 200,
            "API error (401)": 401,
            "API error (404)": 404,
            "API transition refused (422)": 422,
            "health check": 200,
            "API document": 200,
        }
        for r in responses.values():
            assert_hardened(r)
        css = anonymous.get("/static/css/samordna.css")
        assert css.status_code == 200
        assert_hardened(css, cacheable=True)
    finally:
        anonymous.close()
        api.close()
