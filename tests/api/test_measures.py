"""The JSON API's reads and plain writes: measures (create, list, get, edit), goals, areas, units,
the workflow definition, the OpenAPI document and the health check."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from samordna.organisation import repository as org
from samordna.store.models import User
from tests.api.support import Api, assert_error, measure_in
from tests.factories import NEED, World, valid_data

MEASURE_KEYS = {
    "id",
    "area_id",
    "ref",
    "title",
    "need_description",
    "knowledge_source",
    "target_group",
    "age_from",
    "age_to",
    "arena",
    "goal_id",
    "plan",
    "success_criteria",
    "responsible_unit_id",
    "contact_user_id",
    "participating_unit_ids",
    "order_text",
    "due_date",
    "follow_up_days",
    "next_follow_up_at",
    "last_health",
    "evaluation_effect",
    "evaluation_method",
    "evaluation_findings",
    "evaluation_recommendation",
    "decision_note",
    "state",
    "version",
    "created_at",
    "updated_at",
    "overdue",
    "allowed_triggers",
}


@pytest.fixture
def api(live_server, world: World) -> Iterator[Api]:
    client = Api(live_server.url, world)
    yield client
    client.close()


def ids(r: httpx.Response) -> list[int]:
    assert r.status_code == 200, r.text
    return [m["id"] for m in r.json()]


# ------------------------------------------------------------ create


def test_create_answers_201_with_the_measure_and_audits_it(api: Api, world: World) -> None:
    body = NEED | {
        "title": "  Natteravner i sentrum  ",
        "age_from": 14,
        "age_to": 18,
        "goal_id": world.goals["alfa"],
        "comment": "Meldt fra skolen.",
    }
    r = api.post("/areas/alfa/measures", body, "executing")
    assert r.status_code == 201, r.text
    m = r.json()
    assert MEASURE_KEYS <= set(m)
    year = world.samordna.clock.now().year
    assert m["ref"] == f"ALF-{year}-001"
    assert m["area_id"] == world.areas["alfa"]
    assert m["title"] == "Natteravner i sentrum"  # trimmed
    assert {k: m[k] for k in NEED if k != "title"} == {k: v for k, v in NEED.items() if k != "title"}
    assert (m["age_from"], m["age_to"], m["goal_id"]) == (14, 18, world.goals["alfa"])
    assert (m["state"], m["version"]) == ("need_identified", 1)
    assert m["allowed_triggers"] == []  # executing may not triage
    assert m["overdue"] is False and m["next_follow_up_at"] is None
    assert m["responsible_unit_id"] is None and m["participating_unit_ids"] == []
    assert api.measure(m["id"], "executing") == m
    assert api.measure(m["id"], "coordination")["allowed_triggers"] == ["initiate", "decline"]

    [event] = api.events(m["id"], "viewer")
    assert event["trigger"] == "create"
    assert (event["from_state"], event["to_state"], event["version"]) == (None, "need_identified", 1)
    assert event["actor"] == {"id": world.user_ids["executing"], "name": "Executing"}
    assert event["comment"] == "Meldt fra skolen."
    assert event["changes"] == {
        "title": [None, "Natteravner i sentrum"],
        "need_description": [None, NEED["need_description"]],
        "knowledge_source": [None, NEED["knowledge_source"]],
        "target_group": [None, NEED["target_group"]],
        "arena": [None, "nightlife"],
        "age_from": [None, 14],
        "age_to": [None, 18],
        "goal_id": [None, world.goals["alfa"]],
    }
    assert event["data"] == {}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", event["at"])


def test_refs_count_up_per_area(api: Api, world: World) -> None:
    year = world.samordna.clock.now().year
    refs = [api.create(who)["ref"] for who in ("executing", "coordinator", "steering", "coordination")]
    assert refs == [f"ALF-{year}-{n:03d}" for n in (1, 2, 3, 4)]
    assert api.create("beta_coordinator", "beta")["ref"] == f"BET-{year}-001"
    assert api.create("executing_police")["ref"] == f"ALF-{year}-005"


def test_every_role_but_viewer_may_register_a_need(api: Api) -> None:
    for who, allowed in [
        ("steering", []),
        ("coordinator", ["initiate", "decline"]),
        ("coordination", ["initiate", "decline"]),
        ("executing", []),
        ("executing_police", []),
    ]:
        m = api.create(who)
        assert m["state"] == "need_identified" and m["allowed_triggers"] == allowed, who


# ------------------------------------------------------------ list and get


@pytest.fixture
def spread(world: World) -> dict[str, int]:
    """Five alfa measures in different states, goals and units, and one in beta."""
    a = world.register()
    b = measure_in(world, "initiated")
    c = measure_in(world, "assigned")
    d = measure_in(world, "in_follow_up")
    d = world.fire("coordination", d, "reassign")  # now assigned to Politiet
    e = world.register(goal_id=world.goals["alfa"])
    f = world.register("beta_coordinator", "beta")
    return {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "e": e.id, "beta": f.id}


FILTERS = [
    ("", "abcde"),
    ("?state=need_identified", "ae"),
    ("?state=assigned", "cd"),
    ("?state=initiated", "b"),
    ("?state=closed", ""),
    ("?state=assigned&state=initiated", "bcd"),
    ("?goal_id={goal}", "bcde"),
    ("?goal_id={beta_goal}", ""),
    ("?unit_id={schools}", "c"),
    ("?unit_id={police}", "d"),
    ("?state=assigned&unit_id={police}", "d"),
    ("?state=need_identified&goal_id={goal}", "e"),
    ("?limit=2", "ab"),
    ("?sort=id&dir=desc&limit=2", "ed"),
    ("?q=natteravner&sort=id", "abcde"),
    ("?q=finnesikke", ""),
]


def test_list_measures_with_filters(api: Api, world: World, spread: dict[str, int]) -> None:
    for query, expected in FILTERS:
        query = query.format(
            goal=world.goals["alfa"],
            beta_goal=world.goals["beta"],
            schools=world.unit("Ungdomsskolene"),
            police=world.unit("Politiet"),
        )
        assert ids(api.get("/areas/alfa/measures" + query, "viewer")) == [spread[k] for k in expected], query


def test_list_shows_each_caller_what_they_may_do(api: Api, world: World, spread: dict[str, int]) -> None:
    def allowed(who: str) -> dict[int, list[str]]:
        r = api.get("/areas/alfa/measures?state=assigned", who)
        assert r.status_code == 200
        return {m["id"]: m["allowed_triggers"] for m in r.json()}

    c, d = spread["c"], spread["d"]
    assert allowed("executing") == {c: ["start"], d: []}
    assert allowed("executing_police") == {c: [], d: ["start"]}
    assert allowed("coordinator") == {c: ["reassign", "start"], d: ["reassign", "start"]}
    assert allowed("viewer") == {c: [], d: []}
    r = api.get("/areas/beta/measures", "beta_coordinator")
    assert ids(r) == [spread["beta"]]
    assert r.json()[0]["ref"].startswith("BET-")


def test_list_rejects_bad_query_parameters(api: Api) -> None:
    for query, field, message in [
        ("?limit=0", "limit", "Må være minst 1."),
        ("?limit=1001", "limit", "Kan være høyst 1000."),
        ("?sort=colour", "sort", None),
        ("?dir=up", "dir", None),
        ("?health=great", "health", None),
        ("?goal_id=abc", "goal_id", "Må være et heltall."),
        ("?unit_id=1.5", "unit_id", "Må være et heltall."),
    ]:
        body = assert_error(api.get("/areas/alfa/measures" + query), 400)
        if message is None:  # an enumeration: the message names the values allowed
            assert [e["field"] for e in body["errors"]] == [field], query
        else:
            assert body["errors"] == [{"field": field, "message": message}], query
    # A state the workflow file does not have is a typing error, not an empty area.
    body = assert_error(api.get("/areas/alfa/measures?state=in_follow_up&state=closd"), 422)
    [error] = body["errors"]
    assert error["field"] == "state" and error["message"].startswith("Ukjent tilstand «closd». Gyldige: ")
    assert "in_follow_up" in error["message"]
    body = assert_error(api.get("/areas/alfa/measures?cursor=not-a-cursor"), 422)
    assert body["errors"] == [
        {"field": "cursor", "message": "Sidenøkkelen er ugyldig eller hører til en annen sortering."}
    ]


def test_list_pages_by_cursor_in_the_link_header(api: Api, spread: dict[str, int]) -> None:
    seen: list[int] = []
    url = "/areas/alfa/measures?limit=2&state=need_identified&state=initiated&state=assigned"
    while url:
        r = api.get(url, "viewer")
        assert r.headers["x-total-count"] == "5"
        seen += ids(r)
        link = r.headers.get("link")
        url = link.split(";")[0].strip("<>").removeprefix("/api/v1") if link else ""
    assert seen == sorted(seen) and set(seen) == {spread[k] for k in "abcde"}
    # A cursor of one sort is refused for another.
    first = api.get("/areas/alfa/measures?limit=1", "viewer").headers["link"]
    cursor = first.split("cursor=")[1].split(">")[0]
    assert_error(api.get(f"/areas/alfa/measures?limit=1&sort=title&cursor={cursor}", "viewer"), 422)


def test_get_one_measure(api: Api, world: World) -> None:
    m = measure_in(
        world, "assigned", participating_unit_ids=[world.unit("Politiet")], contact_user_id=world.user_ids["executing"]
    )
    got = api.measure(m.id, "viewer")
    assert MEASURE_KEYS <= set(got)
    assert got["id"] == m.id and got["ref"] == m.ref
    assert (got["state"], got["version"]) == ("assigned", 3)
    assert got["responsible_unit_id"] == world.unit("Ungdomsskolene")
    assert got["participating_unit_ids"] == [world.unit("Politiet")]
    assert got["contact_user_id"] == world.user_ids["executing"]
    assert got["goal_id"] == world.goals["alfa"]
    assert got["follow_up_days"] == 14
    assert got["due_date"] == valid_data(world, "assign")["due_date"]
    assert got["allowed_triggers"] == []
    assert api.measure(m.id, "executing")["allowed_triggers"] == ["start"]
    assert api.measure(m.id, "executing_police")["allowed_triggers"] == []


# ------------------------------------------------------------ edit (PATCH)


def test_edit_is_versioned_and_audited(api: Api, world: World) -> None:
    m = measure_in(world, "in_follow_up")
    r = api.patch(
        f"/measures/{m.id}",
        {
            "version": m.version,
            "title": "Natteravner i sentrum og på stasjonen",
            "arena": "neighbourhood",
            "target_group": NEED["target_group"],
            "age_from": 13,
            "comment": "Utvidet område.",
        },
        "coordination",
    )
    assert r.status_code == 200, r.text
    after = r.json()
    assert (after["state"], after["version"]) == ("in_follow_up", m.version + 1)
    assert after["title"] == "Natteravner i sentrum og på stasjonen"
    assert (after["arena"], after["age_from"]) == ("neighbourhood", 13)
    assert after["need_description"] == NEED["need_description"]  # untouched
    assert after["allowed_triggers"] == ["reassign", "report_status", "pause", "request_evaluation"]
    assert api.measure(m.id) == after | {"allowed_triggers": after["allowed_triggers"]}
    event = api.events(m.id)[-1]
    assert event["trigger"] == "edit"
    assert (event["from_state"], event["to_state"], event["version"]) == ("in_follow_up", "in_follow_up", m.version + 1)
    assert event["actor"] == {"id": world.user_ids["coordination"], "name": "Coordination"}
    assert event["comment"] == "Utvidet område."
    assert event["changes"] == {  # target_group was sent unchanged: not a change
        "title": [NEED["title"], "Natteravner i sentrum og på stasjonen"],
        "arena": ["nightlife", "neighbourhood"],
        "age_from": [None, 13],
    }
    assert len(api.events(m.id)) == m.version + 1


def test_edit_can_clear_an_optional_field(api: Api, world: World) -> None:
    m = world.register(age_from=12, age_to=16, goal_id=world.goals["alfa"])
    r = api.patch(f"/measures/{m.id}", {"version": 1, "age_to": None, "goal_id": None}, "coordinator")
    assert r.status_code == 200, r.text
    assert (r.json()["age_to"], r.json()["goal_id"]) == (None, None)
    assert api.events(m.id)[-1]["changes"] == {"age_to": [16, None], "goal_id": [world.goals["alfa"], None]}


def test_the_author_may_edit_their_own_new_need_until_it_is_triaged(api: Api, world: World) -> None:
    m = world.register("executing")
    r = api.patch(f"/measures/{m.id}", {"version": 1, "title": "Rettet tittel"}, "executing")
    assert r.status_code == 200 and r.json()["version"] == 2
    before = api.snapshot(m.id)
    r = api.patch(f"/measures/{m.id}", {"version": 2, "title": "Ikke min"}, "executing_police")
    assert_error(r, 403, allowed_roles=["coordinator", "coordination"])
    assert api.snapshot(m.id) == before

    m = world.fire(
        "coordination", world.samordna.measures.get(actor=world.actors["executing"], measure_id=m.id), "initiate"
    )
    before = api.snapshot(m.id)
    r = api.patch(f"/measures/{m.id}", {"version": m.version, "title": "For sent"}, "executing")
    assert_error(
        r,
        403,
        allowed_roles=["coordinator", "coordination"],
        detail="Bare SLT-koordinator og koordineringsgruppen kan endre tiltaket.",
    )
    assert api.snapshot(m.id) == before


def test_edit_with_a_stale_version(api: Api, world: World) -> None:
    m = world.register()
    assert api.patch(f"/measures/{m.id}", {"version": 1, "title": "Først"}, "coordinator").status_code == 200
    before = api.snapshot(m.id)
    r = api.patch(f"/measures/{m.id}", {"version": 1, "title": "Sist"}, "coordination")
    assert_error(r, 409, current_version=2, state="need_identified")
    assert api.snapshot(m.id) == before
    assert api.measure(m.id)["title"] == "Først"


@pytest.mark.parametrize("who", ["viewer", "steering"])
def test_edit_refused_for_read_only_and_steering(api: Api, world: World, who: str) -> None:
    m = world.register()
    before = api.snapshot(m.id)
    r = api.patch(f"/measures/{m.id}", {"version": 1, "title": "Nytt"}, who)
    assert_error(r, 403, allowed_roles=["coordinator", "coordination"])
    assert api.snapshot(m.id) == before


@pytest.mark.parametrize("final", ["closed", "declined"])
def test_edit_refused_in_a_final_state(api: Api, world: World, final: str) -> None:
    m = measure_in(world, "closed") if final == "closed" else world.fire("coordinator", world.register(), "decline")
    before = api.snapshot(m.id)
    r = api.patch(f"/measures/{m.id}", {"version": m.version, "title": "Etterpå"}, "coordinator")
    assert_error(
        r,
        409,
        state=final,
        current_version=m.version,
        allowed_triggers=[],
        detail="Tiltaket er avsluttet og kan ikke endres.",
    )
    assert api.snapshot(m.id) == before


# ------------------------------------------------------------ goals


def test_goals_list(api: Api, world: World) -> None:
    r = api.get("/areas/alfa/goals", "viewer")
    assert r.status_code == 200
    goals = {g["id"]: g for g in r.json()}
    assert set(goals) == {world.goals["alfa"], world.goals["alfa_inactive"]}
    assert goals[world.goals["alfa"]] == {
        "id": world.goals["alfa"],
        "title": "Redusere rusbruk blant ungdom",
        "description": "",
        "period_from": 2025,
        "period_to": 2028,
        "priority": 1,
        "active": True,
    }
    assert goals[world.goals["alfa_inactive"]]["active"] is False
    assert [g["id"] for g in api.get("/areas/beta/goals", "beta_coordinator").json()] == [world.goals["beta"]]


@pytest.mark.parametrize("who", ["steering", "coordinator"])
def test_create_goal(api: Api, world: World, who: str) -> None:
    body = {
        "title": " Trygge skoleveier ",
        "description": "Færre hendelser.",
        "period_from": 2026,
        "period_to": 2029,
        "priority": 2,
    }
    r = api.post("/areas/alfa/goals", body, who)
    assert r.status_code == 201, r.text
    goal = r.json()
    assert goal == {
        "id": goal["id"],
        "title": "Trygge skoleveier",
        "description": "Færre hendelser.",
        "period_from": 2026,
        "period_to": 2029,
        "priority": 2,
        "active": True,
    }
    assert goal in api.get("/areas/alfa/goals", "viewer").json()
    # the new goal can be chosen when a measure is initiated
    m = world.register()
    r = api.fire("coordination", m.id, "initiate", 1, valid_data(world, "initiate") | {"goal_id": goal["id"]})
    assert r.status_code == 200 and r.json()["goal_id"] == goal["id"]


def test_create_goal_defaults(api: Api) -> None:
    r = api.post("/areas/alfa/goals", {"title": "Kort", "period_from": 2026, "period_to": 2026}, "steering")
    assert r.status_code == 201, r.text
    assert (r.json()["description"], r.json()["priority"], r.json()["active"]) == ("", 1, True)


@pytest.mark.parametrize("who", ["coordination", "executing", "viewer"])
def test_create_goal_refused(api: Api, who: str) -> None:
    r = api.post("/areas/alfa/goals", {"title": "Mål", "period_from": 2026, "period_to": 2027}, who)
    assert_error(
        r,
        403,
        allowed_roles=["steering", "coordinator"],
        detail="Bare styringsgruppen og SLT-koordinator kan opprette mål.",
    )
    assert len(api.get("/areas/alfa/goals").json()) == 2


# ------------------------------------------------------------ areas and units


@pytest.mark.parametrize(
    "who, expected",
    [
        ("coordinator", [("alfa", "Alfa kommune", "municipality", "coordinator", None)]),
        ("executing", [("alfa", "Alfa kommune", "municipality", "executing", "Ungdomsskolene")]),
        ("beta_coordinator", [("beta", "Beta bydel", "district", "coordinator", None)]),
    ],
)
def test_areas_lists_only_the_callers_own(api: Api, world: World, who: str, expected: list[tuple]) -> None:
    r = api.get("/areas", who)
    assert r.status_code == 200
    assert r.json() == [
        {
            "id": world.areas[slug],
            "slug": slug,
            "name": name,
            "kind": kind,
            "language": "nb",
            "role": role,
            "unit_id": world.unit(unit, slug) if unit else None,
        }
        for slug, name, kind, role, unit in expected
    ]


def test_a_member_of_two_areas_sees_both(api: Api, world: World) -> None:
    with world.samordna.db.write() as s:
        user = s.get(User, world.user_ids["viewer"])
        org.add_member(s, area=org.get_area(s, "beta"), user=user, role="executing", unit_name="Skolen")
    areas = api.get("/areas", "viewer").json()
    assert [(a["slug"], a["role"]) for a in areas] == [("alfa", "viewer"), ("beta", "executing")]
    assert api.get("/areas/beta/units", "viewer").status_code == 200


def test_units_of_an_area(api: Api, world: World) -> None:
    r = api.get("/areas/alfa/units", "executing")
    assert r.status_code == 200
    assert r.json() == [
        {"id": world.unit("Kultur og fritid"), "name": "Kultur og fritid", "kind": "municipal", "active": True},
        {"id": world.unit("Politiet"), "name": "Politiet", "kind": "police", "active": True},
        {"id": world.unit("Ungdomsskolene"), "name": "Ungdomsskolene", "kind": "municipal", "active": True},
    ]
    assert [u["name"] for u in api.get("/areas/beta/units", "beta_coordinator").json()] == ["Skolen"]


# ------------------------------------------------------------ workflow, schema, health


def test_workflow_definition(api: Api, world: World) -> None:
    r = api.get("/workflows/measure", "viewer")
    assert r.status_code == 200
    wf = r.json()
    assert (wf["name"], wf["initial"]) == ("measure", "need_identified")
    assert [s["name"] for s in wf["states"]] == [
        "need_identified",
        "initiated",
        "assigned",
        "in_follow_up",
        "paused",
        "under_evaluation",
        "evaluated",
        "closed",
        "declined",
    ]
    states = {s["name"]: s for s in wf["states"]}
    assert states["evaluated"]["board"] == "steering" and states["closed"]["final"] is True
    assert states["in_follow_up"]["label"] == {
        "nb": "I gang – oppfølging",
        "nn": "I gang – oppfølging",
        "en": "Running – follow-up",
    }
    transitions = {t["trigger"]: t for t in wf["transitions"]}
    assert list(transitions) == [
        "initiate",
        "decline",
        "assign",
        "reassign",
        "start",
        "report_status",
        "pause",
        "resume",
        "request_evaluation",
        "submit_evaluation",
        "extend",
        "adjust",
        "close",
    ]
    assert transitions["assign"] | {"label": None} == {
        "trigger": "assign",
        "sources": ["initiated"],
        "dest": "assigned",
        "roles": ["coordinator", "coordination"],
        "required": ["responsible_unit_id", "order_text", "due_date", "follow_up_days"],
        "optional": ["contact_user_id", "participating_unit_ids"],
        "label": None,
    }
    assert transitions["reassign"]["sources"] == ["assigned", "in_follow_up", "paused"]
    assert transitions["extend"]["roles"] == ["steering", "coordinator"]
    assert transitions["report_status"]["roles"] == ["executing", "coordination", "coordinator"]
    assert transitions["close"]["label"]["nb"] == "Avslutte"
    assert "need_identified" in wf["mermaid"] and "evaluated" in wf["mermaid"]


def test_openapi_document(api: Api) -> None:
    r = api.http.get("/schema/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    expected = {
        "/api/v1/areas": {"get"},
        "/api/v1/areas/{slug}/units": {"get"},
        "/api/v1/areas/{slug}/goals": {"get", "post"},
        "/api/v1/areas/{slug}/measures": {"get", "post"},
        "/api/v1/measures/{measure_id}": {"get", "patch"},
        "/api/v1/measures/{measure_id}/transitions": {"post"},
        "/api/v1/measures/{measure_id}/events": {"get"},
        "/api/v1/workflows/measure": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    assert "/healthz" not in paths
    assert doc["components"]["securitySchemes"]["BearerToken"] == {"type": "http", "scheme": "bearer"}
    params = {p["name"] for p in paths["/api/v1/areas/{slug}/measures"]["get"].get("parameters", [])}
    assert {"state", "goal_id", "unit_id", "q", "sort", "dir", "cursor", "mine", "my_unit", "year"} <= params


def test_openapi_document_declares_the_errors_and_required_fields(api: Api) -> None:
    doc = api.http.get("/schema/openapi.json").json()
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    expected = {
        ("/api/v1/areas", "get"): {"200", "400", "401"},
        ("/api/v1/areas/{slug}/measures", "get"): {"200", "400", "401", "404", "422"},  # 422: a cursor not given out
        ("/api/v1/areas/{slug}/measures", "post"): {"201", "400", "401", "403", "404", "413", "415", "422"},
        ("/api/v1/areas/{slug}/goals", "post"): {"201", "400", "401", "403", "404", "413", "415", "422"},
        ("/api/v1/measures/{measure_id}", "patch"): {"200", "400", "401", "403", "404", "409", "413", "415", "422"},
        ("/api/v1/measures/{measure_id}/transitions", "post"): {
            "200",
            "400",
            "401",
            "403",
            "404",
            "409",
            "413",
            "415",
            "422",
        },
    }
    for (path, method), statuses in expected.items():
        responses = doc["paths"][path][method]["responses"]
        assert set(responses) == statuses, (path, method)
        for status in statuses - {"200", "201"}:
            assert responses[status]["content"]["application/json"]["schema"] == error_body, (path, method, status)
    schemas = doc["components"]["schemas"]
    assert set(schemas["ErrorBody"]["required"]) == {"status", "title", "detail"}
    assert {"errors", "current_version", "allowed_triggers", "allowed_roles"} <= set(schemas["ErrorBody"]["properties"])
    assert schemas["NeedIn"]["required"] == ["arena", "knowledge_source", "need_description", "target_group", "title"]
    assert schemas["GoalIn"]["required"] == ["period_from", "period_to", "title"]
    assert schemas["MeasurePatch"]["required"] == ["version"]
    assert schemas["TransitionIn"]["required"] == ["trigger", "version"]
    for name in ("NeedIn", "GoalIn", "MeasurePatch", "TransitionIn"):
        assert schemas[name]["additionalProperties"] is False, name
    assert schemas["NeedIn"]["properties"]["title"]["maxLength"] == 200
    assert schemas["NeedIn"]["properties"]["arena"]["enum"][0] == "school"


def test_healthz(api: Api) -> None:
    r = api.http.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
