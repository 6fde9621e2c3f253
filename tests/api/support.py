"""Shared helpers for the API tests (tests/api/): an HTTP client over the live server. No tests here.

Measures are brought to a starting state through the services (fast, and not what is under test);
everything asserted goes over real HTTP with bearer tokens.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from samordna.measures.service import MeasureView
from tests.factories import MAIN_PATH, NEED, World, valid_data

# A valid fødselsnummer (mod-11 check digits hold) and one whose check digits fail.
FNR = "01019012308"
NOT_FNR = "01019012345"

TITLES = {
    400: "Ugyldig forespørsel.",
    401: "Du må logge inn.",
    403: "Du har ikke tilgang til dette.",
    404: "Fant ikke det du ba om.",
    409: "Konflikt med gjeldende tilstand.",
    413: "Forespørselen er for stor.",
    415: "Formatet støttes ikke.",
    422: "Noen felt må rettes.",
}


class Api:
    """httpx against the live server; `who` picks the bearer token from the world."""

    def __init__(self, base_url: str, world: World) -> None:
        self.world = world
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=20)

    def close(self) -> None:
        self.http.close()

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.tokens[who]}"} if who else {}

    def request(self, method: str, path: str, who: str | None = "coordinator", **kw: Any) -> httpx.Response:
        headers = {**self.headers(who), **kw.pop("headers", {})}
        return self.http.request(method, "/api/v1" + path, headers=headers, **kw)

    def get(self, path: str, who: str | None = "coordinator", **kw: Any) -> httpx.Response:
        return self.request("GET", path, who, **kw)

    def post(self, path: str, json: Any = None, who: str | None = "coordinator", **kw: Any) -> httpx.Response:
        return self.request("POST", path, who, json=json, **kw)

    def patch(self, path: str, json: Any = None, who: str | None = "coordinator", **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, who, json=json, **kw)

    # -------------------------------------------------------------- shortcuts

    def create(self, who: str = "executing", area: str = "alfa", **overrides: Any) -> dict[str, Any]:
        r = self.post(f"/areas/{area}/measures", {**NEED, **overrides}, who)
        assert r.status_code == 201, r.text
        return r.json()

    def measure(self, measure_id: int, who: str = "coordinator") -> dict[str, Any]:
        r = self.get(f"/measures/{measure_id}", who)
        assert r.status_code == 200, r.text
        return r.json()

    def events(self, measure_id: int, who: str = "coordinator") -> list[dict[str, Any]]:
        r = self.get(f"/measures/{measure_id}/events", who)
        assert r.status_code == 200, r.text
        return r.json()

    def fire(
        self,
        who: str,
        measure_id: int,
        trigger: str,
        version: int,
        data: dict[str, Any] | None = None,
        comment: str | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"trigger": trigger, "version": version, "data": data or {}}
        if comment is not None:
            body["comment"] = comment
        return self.post(f"/measures/{measure_id}/transitions", body, who)

    def snapshot(self, measure_id: int) -> tuple[str, int, list[dict[str, Any]]]:
        """(state, version, events): compare before and after a refused write."""
        m = self.measure(measure_id)
        return m["state"], m["version"], self.events(measure_id)


def measure_in(world: World, state: str, **assign: Any) -> MeasureView:
    """A measure registered by `executing` in alfa, moved along the main path (or paused) to `state`.

    `assign` overrides the data of the `assign` step (for example participating units)."""
    m = world.register()
    if state == "need_identified":
        return m
    m = world.fire("coordination", m, "initiate")
    if state == "initiated":
        return m

    m = world.fire("coordination", m, "assign", **{**valid_data(world, "assign"), **assign})
    if state == "paused":
        m = world.fire("executing", m, "start")
        return world.fire("coordination", m, "pause")
    for source, trigger, who in MAIN_PATH:
        if m.state == state:
            break
        if m.state == source:
            m = world.fire(who, m, trigger)
    assert m.state == state, (m.state, state)
    return m


def assert_error(r: httpx.Response, status: int, **expected: Any) -> dict[str, Any]:
    """The shared error shape: status, title, detail (+ whatever `expected` names, compared exactly)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["status"] == status
    assert body["title"] == TITLES[status]
    assert isinstance(body["detail"], str) and body["detail"]
    for key, value in expected.items():
        assert body[key] == value, (key, body)
    return body


def field_errors(r: httpx.Response) -> dict[str, str]:
    """422 body → {field: message}; also checks the list shape."""
    body = assert_error(r, 422)
    assert isinstance(body["errors"], list) and body["errors"]
    for e in body["errors"]:
        assert set(e) == {"field", "message"} and e["message"]
    fields = [e["field"] for e in body["errors"]]
    assert len(fields) == len(set(fields)), fields
    return {e["field"]: e["message"] for e in body["errors"]}


def iso(d: date) -> str:
    return d.isoformat()
