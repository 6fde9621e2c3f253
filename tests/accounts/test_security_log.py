"""Refused authorizations in the security log (ASVS 7.2.2): every 403, and every 404 answered to a known
actor, from pages, htmx forms and the API alike, written once, with the path (national ids hidden), the
actor, the address and the page's area."""

from __future__ import annotations

import json
from typing import Any

from samordna.services import Services
from tests.factories import World, national_id, valid_data
from tests.security_support import audit, session_ids
from tests.web_support import WebClient


def refusals(samordna: Services) -> list[dict[str, Any]]:
    return [{**e, "detail": json.loads(e["detail"])} for e in audit(samordna, "authorization_refused")]


def test_a_refused_page_is_logged(open_browser, samordna: Services, web_world: World) -> None:
    b: WebClient = open_browser(peer="192.0.2.31").login("viewer")
    assert b.get("/areas/alfa/measures/new").status_code == 403
    [entry] = refusals(samordna)
    assert entry["subject"] == "/areas/alfa/measures/new"
    assert entry["actor_id"] == web_world.user_ids["viewer"]
    assert entry["area_id"] == web_world.areas["alfa"]
    assert entry["ip"] == "192.0.2.31"
    assert entry["detail"] == {"status": 403, "method": "GET"}


def test_a_refusal_caught_and_drawn_as_a_form_is_logged_too(open_browser, samordna: Services, web_world: World) -> None:
    m = web_world.register()
    b = open_browser().login("steering")  # steering may not initiate
    data = {**valid_data(web_world, "initiate"), "version": m.version}
    r = b.post(f"/measures/{m.id}/transitions/initiate", data, **{"hx-request": "true"})
    assert r.status_code == 403
    [entry] = refusals(samordna)
    assert entry["subject"] == f"/measures/{m.id}/transitions/initiate"
    assert entry["detail"] == {"status": 403, "method": "POST"}
    assert entry["actor_id"] == web_world.user_ids["steering"]


def test_a_refused_api_call_is_logged(open_browser, samordna: Services, web_world: World) -> None:
    b: WebClient = open_browser(peer="192.0.2.32")
    headers = {"authorization": f"Bearer {web_world.tokens['viewer']}", "x-test-peer": "192.0.2.32"}
    r = b.client.post("/api/v1/areas/alfa/measures", json={"title": "x"}, headers=headers)
    assert r.status_code == 403
    [entry] = refusals(samordna)
    assert entry["subject"] == "/api/v1/areas/alfa/measures"
    assert entry["actor_id"] == web_world.user_ids["viewer"] and entry["area_id"] is None
    assert entry["ip"] == "192.0.2.32"


def test_another_areas_measure_is_a_logged_404(open_browser, samordna: Services, web_world: World) -> None:
    m = web_world.register()  # in alfa
    b = open_browser().login("beta_coordinator")
    assert b.get(f"/measures/{m.id}").status_code == 404
    headers = {"authorization": f"Bearer {web_world.tokens['beta_coordinator']}"}
    assert b.client.get(f"/api/v1/measures/{m.id}", headers=headers).status_code == 404
    assert [(e["subject"], e["detail"]["status"]) for e in refusals(samordna)] == [
        (f"/measures/{m.id}", 404),
        (f"/api/v1/measures/{m.id}", 404),
    ]
    assert {e["actor_id"] for e in refusals(samordna)} == {web_world.user_ids["beta_coordinator"]}


def test_national_ids_in_the_path_are_hidden(open_browser, samordna: Services) -> None:
    fnr = national_id()
    b = open_browser().login("coordinator")
    assert b.get(f"/areas/{fnr}/measures/new").status_code == 404
    [entry] = refusals(samordna)
    assert entry["subject"] == "/areas/[skjult]/measures/new"
    assert fnr not in repr(audit(samordna))


def test_anonymous_misses_and_csrf_failures_are_not_authorization_refusals(open_browser, samordna: Services) -> None:
    b = open_browser()
    assert b.get("/static/finnes-ikke.css").status_code == 404
    assert b.get("/finnes/ikke").status_code == 404
    assert b.client.post("/logout").status_code == 403  # no CSRF token: refused before anyone is asked
    b.login("coordinator")
    assert b.get("/areas/alfa/boards/coordination").status_code == 200
    assert refusals(samordna) == []


def test_an_anonymous_visit_stores_no_session(open_browser, samordna: Services) -> None:
    b = open_browser()
    for url in ("/login", "/workflows/measure", "/login?next=/measures/1"):
        assert b.get(url).status_code == 200
    assert b.session_id is None and session_ids(samordna) == set()


def test_a_refused_api_transition_is_logged_with_its_actor(open_browser, samordna: Services, web_world: World) -> None:
    """The transition endpoint looks the token up inside its own transaction; the caller is still known to
    the refusal log when the measure's checks refuse (404 for another area's measure, 403 for the role)."""
    m = web_world.advance(web_world.register(), "in_follow_up")
    b: WebClient = open_browser(peer="192.0.2.33")
    body = {"trigger": "report_status", "version": m.version, "data": valid_data(web_world, "report_status")}
    for who, status in (("beta_coordinator", 404), ("viewer", 403), (None, 401)):
        headers = {
            "authorization": f"Bearer {web_world.tokens[who] if who else 'sam_unknown'}",
            "x-test-peer": "192.0.2.33",
        }
        assert b.client.post(f"/api/v1/measures/{m.id}/transitions", json=body, headers=headers).status_code == status
    path = f"/api/v1/measures/{m.id}/transitions"
    assert [(e["subject"], e["detail"], e["actor_id"], e["ip"]) for e in refusals(samordna)] == [
        (path, {"status": 404, "method": "POST"}, web_world.user_ids["beta_coordinator"], "192.0.2.33"),
        (path, {"status": 403, "method": "POST"}, web_world.user_ids["viewer"], "192.0.2.33"),
    ]
