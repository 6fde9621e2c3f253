"""A NUL character (U+0000) in any text that reaches the server: PostgreSQL cannot hold one in a text (it
answered 500), SQLite stored it. Refused at the edge on both engines, over real HTTP: 422 naming the field in
a body, 404 in a path, 400 in a query value; the log-in form answers as for a wrong password and the attempt
is in the security log, without the NUL. Nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from samordna.accounts.service import NOT_AN_EMAIL
from samordna.domain.errors import Invalid
from samordna.measures.service import NEED_FIELDS
from samordna.organisation.repository import GOAL_FIELDS
from samordna.settings import Settings
from samordna.workflow import load_workflows
from tests.api.support import Api, assert_error, field_errors, measure_in
from tests.factories import NEED, World, valid_data
from tests.security_support import audit, raw_audit_text, snapshot

NUL = "a\x00b"
MESSAGE = "Teksten inneholder et ugyldig tegn (NUL)."
STRINGS = ("text", "longtext", "enum", "date")  # the field types a JSON body or a form gives as text
WORKFLOW = load_workflows(Settings().workflows_dir)["measure"]

NEED_TEXTS = [f.name for f, _ in NEED_FIELDS if f.type in STRINGS] + ["comment"]
GOAL_TEXTS = [f.name for f, _ in GOAL_FIELDS if f.type in STRINGS]
# Every text field of every transition, from the workflow definition; and the transition's own texts.
TRANSITION_TEXTS = sorted(
    {(td.trigger, name) for td in WORKFLOW.transitions for name in td.fields() if WORKFLOW.fields[name].type in STRINGS}
) + [("decline", "comment"), ("decline", "trigger")]


@pytest.fixture
def api(live_server, world: World) -> Iterator[Api]:
    client = Api(live_server.url, world)
    yield client
    client.close()


def test_the_tables_cover_the_workflow() -> None:
    assert {"title", "need_description", "knowledge_source", "target_group", "arena"} <= set(NEED_TEXTS)
    assert {"plan", "order_text", "due_date", "health", "note", "meeting_date"} <= {n for _, n in TRANSITION_TEXTS}
    assert {t for t, _ in TRANSITION_TEXTS} >= set(WORKFLOW.triggers()) - {"start", "resume"}


@pytest.mark.parametrize("field", NEED_TEXTS)
def test_need_creation(api: Api, world: World, field: str) -> None:
    before = snapshot(world.samordna)
    r = api.post("/areas/alfa/measures", NEED | {field: NUL}, "executing")
    assert field_errors(r) == {field: MESSAGE}
    assert snapshot(world.samordna) == before


@pytest.mark.parametrize("field", NEED_TEXTS)
def test_edit(api: Api, world: World, field: str) -> None:
    m = world.register()
    before = snapshot(world.samordna)
    r = api.patch(f"/measures/{m.id}", {"version": m.version, field: NUL}, "coordinator")
    assert field_errors(r) == {field: MESSAGE}
    assert snapshot(world.samordna) == before


@pytest.mark.parametrize("field", GOAL_TEXTS)
def test_goal_creation(api: Api, world: World, field: str) -> None:
    before = snapshot(world.samordna)
    r = api.post("/areas/alfa/goals", {"title": "Mål", "period_from": 2026, "period_to": 2027, field: NUL})
    assert field_errors(r) == {field: MESSAGE}
    assert snapshot(world.samordna) == before


@pytest.mark.parametrize(("trigger", "field"), TRANSITION_TEXTS)
def test_transition(api: Api, world: World, trigger: str, field: str) -> None:
    m = world.register()
    before = snapshot(world.samordna)
    body: dict[str, Any] = {"trigger": trigger, "version": m.version, "data": valid_data(world, trigger)}
    if field in ("comment", "trigger"):
        body[field] = NUL
    else:
        body["data"][field] = NUL
    r = api.post(f"/measures/{m.id}/transitions", body, "coordinator")
    assert field_errors(r) == {field: MESSAGE}
    assert snapshot(world.samordna) == before


def test_a_nul_key_in_the_data(api: Api, world: World) -> None:
    m = world.register()
    body = {"trigger": "decline", "version": m.version, "data": valid_data(world, "decline") | {NUL: "x"}}
    assert field_errors(api.post(f"/measures/{m.id}/transitions", body)) == {NUL: MESSAGE}
    assert world.samordna.measures.get(actor=world.actors["coordinator"], measure_id=m.id).version == m.version


def test_the_services_refuse_it_too(world: World) -> None:
    """Behind the edge, `clean` and the comment check refuse it for every caller (the browser's forms too)."""
    m = measure_in(world, "need_identified")
    for data, comment, field in (
        (valid_data(world, "initiate") | {"plan": NUL}, None, "plan"),
        (valid_data(world, "initiate") | {"goal_id": NUL}, None, "goal_id"),
        (valid_data(world, "initiate"), NUL, "comment"),
    ):
        with pytest.raises(Invalid) as refused:
            world.samordna.measures.record_transition(
                actor=world.actors["coordination"],
                measure_id=m.id,
                trigger="initiate",
                version=m.version,
                data=data,
                comment=comment,
            )
        assert [(e.field, e.message) for e in refused.value.errors] == [(field, MESSAGE)]


API_PATHS = [
    ("GET", "/areas/a%00b/units"),
    ("GET", "/areas/a%00b/goals"),
    ("POST", "/areas/a%00b/goals"),
    ("GET", "/areas/a%00b/measures"),
    ("POST", "/areas/a%00b/measures"),
    ("GET", "/areas/%00/measures"),
]


@pytest.mark.parametrize(("method", "path"), API_PATHS)
def test_a_slug_in_the_api_path(api: Api, world: World, method: str, path: str) -> None:
    before = snapshot(world.samordna)
    body = NEED if path.endswith("measures") else {"title": "Mål", "period_from": 2026, "period_to": 2027}
    r = api.request(method, path, "coordinator", json=body if method == "POST" else None)
    assert_error(r, 404)
    assert snapshot(world.samordna) == before


@pytest.mark.parametrize("query", ["state=a%00b", "state=%00", "limit=1%00", "a%00b=1"])
def test_a_query_value(api: Api, query: str) -> None:
    body = assert_error(api.get(f"/areas/alfa/measures?{query}"), 400)
    assert body["detail"] == "Adressen inneholder et ugyldig tegn (NUL)."


@pytest.mark.parametrize(
    "path",
    [
        "/areas/a%00b",
        "/areas/a%00b/boards/coordination",
        "/areas/a%00b/measures/new",
        "/areas/alfa%00/boards/coordination",
    ],
)
def test_a_slug_in_a_page_path(browser, web_world: World, path: str) -> None:
    b = browser("coordinator")
    r = b.get(path)
    assert r.status_code == 404 and "<html" in r.text, r.text[:200]
    assert "Fant ikke det du ba om." in r.text


@pytest.mark.parametrize("path", ["/areas/alfa/boards/coordination?state=a%00b", "/login?next=%2F%00"])
def test_a_query_value_on_a_page(browser, web_world: World, path: str) -> None:
    r = browser("coordinator").get(path)
    assert r.status_code == 400 and "Adressen inneholder et ugyldig tegn (NUL)." in r.text


NEED_FORM = {
    "title": "Trygg vei hjem",
    "need_description": "Ungdom går alene.",
    "knowledge_source": "Ungdata",
    "target_group": "Ungdom 13–16 år",
    "arena": "neighbourhood",
    "age_from": "13",
    "age_to": "16",
    "goal_id": "",
}


@pytest.mark.parametrize("field", list(NEED_FORM))
def test_the_need_form(browser, web_world: World, field: str) -> None:
    b = browser("executing")
    before = snapshot(web_world.samordna)
    r = b.post("/areas/alfa/measures", NEED_FORM | {field: NUL})
    assert r.status_code == 422, r.text[:300]
    assert f'id="need-{field}-error">{MESSAGE}' in r.text
    assert snapshot(web_world.samordna) == before


@pytest.mark.parametrize(
    ("email", "password", "subject"),
    [
        ("coordinator\x00@example.no", "x", NOT_AN_EMAIL),
        ("coordinator@example.no\x00", "x", NOT_AN_EMAIL),
        ("\x00", "x", NOT_AN_EMAIL),
        ("coordinator@example.no", "feil\x00passord", "coordinator@example.no"),
    ],
)
def test_log_in(live_server, web_world: World, email: str, password: str, subject: str) -> None:
    from tests.web_support import WebClient

    b = WebClient.live(live_server.url)
    try:
        r = b.post("/login", {"email": email, "password": password, "next": "/areas/\x00"})
    finally:
        b.close()
    assert r.status_code == 401 and "Feil e-postadresse eller passord." in r.text
    failed = audit(web_world.samordna, "login_failed")
    assert [e["subject"] for e in failed] == [subject]
    assert failed[0]["ip"] == "127.0.0.1"
    assert "\x00" not in raw_audit_text(web_world.samordna) and "\\x00" not in raw_audit_text(web_world.samordna)


def test_a_nul_in_next_after_a_good_log_in_goes_home(live_server, web_world: World) -> None:
    from tests.web_support import PASSWORD, WebClient

    b = WebClient.live(live_server.url)
    try:
        r = b.post("/login", {"email": "coordinator@example.no", "password": PASSWORD, "next": "/areas/\x00"})
    finally:
        b.close()
    assert r.status_code == 303 and r.headers["location"] == "/areas/alfa/boards/coordination"
