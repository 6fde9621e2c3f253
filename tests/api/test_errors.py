"""Every refusal of the API: status and body shape, and that a refused write changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from samordna.store.models import User
from tests.api.support import FNR, NOT_FNR, Api, assert_error, field_errors, iso, measure_in
from tests.factories import NEED, World, valid_data

REQUIRED = "Feltet må fylles ut."


@pytest.fixture
def api(live_server, world: World) -> Iterator[Api]:
    client = Api(live_server.url, world)
    yield client
    client.close()


def areas_measures(api: Api, who: str = "coordinator") -> list[dict[str, Any]]:
    r = api.get("/areas/alfa/measures", who)
    assert r.status_code == 200, r.text
    return r.json()


class Shelf:
    """One measure per state, made on first use. Refused writes change nothing (each test checks that),
    so the refusals of one table can share them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.made: dict[str, Any] = {}

    def __call__(self, state: str) -> Any:
        if state not in self.made:
            self.made[state] = measure_in(self.world, state)
        return self.made[state]


# ------------------------------------------------------------ 401


BAD_AUTHORIZATIONS = [None, "Bearer sam_not-a-real-token", "Bearer", "Basic dXNlcjpwYXNz", "sam_no-scheme"]


def test_401_without_a_valid_token(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    requests = (
        ("GET", "/areas", None),
        ("GET", f"/measures/{m.id}", None),
        ("GET", "/workflows/measure", None),
        (
            "POST",
            f"/measures/{m.id}/transitions",
            {"trigger": "initiate", "version": m.version, "data": valid_data(world, "initiate")},
        ),
        ("PATCH", f"/measures/{m.id}", {"version": m.version, "title": "Nytt navn"}),
        ("POST", "/areas/alfa/measures", NEED),
    )
    for authorization in BAD_AUTHORIZATIONS:
        headers = {"Authorization": authorization} if authorization is not None else {}
        for method, path, body in requests:
            r = api.request(method, path, None, json=body, headers=headers)
            assert_error(r, 401)
            assert r.headers["www-authenticate"] == "Bearer", (authorization, path)
    assert api.snapshot(m.id) == before
    assert len(areas_measures(api)) == 1


def test_401_for_a_deactivated_user(api: Api, world: World) -> None:
    assert api.get("/areas", "coordination").status_code == 200
    with world.samordna.db.write() as s:
        s.execute(update(User).where(User.id == world.user_ids["coordination"]).values(active=False))
    assert_error(api.get("/areas", "coordination"), 401)


def test_the_bearer_scheme_is_case_insensitive(api: Api, world: World) -> None:
    r = api.get("/areas", None, headers={"Authorization": f"bearer {world.tokens['viewer']}"})
    assert r.status_code == 200 and [a["slug"] for a in r.json()] == ["alfa"]


# ------------------------------------------------------------ 404


def _measure_requests(world: World) -> dict[str, Callable[[Api, int], httpx.Response]]:
    return {
        "get": lambda api, i: api.get(f"/measures/{i}", "beta_coordinator"),
        "events": lambda api, i: api.get(f"/measures/{i}/events", "beta_coordinator"),
        "patch": lambda api, i: api.patch(f"/measures/{i}", {"version": 1, "title": "Overtatt"}, "beta_coordinator"),
        "transition": lambda api, i: api.fire(
            "beta_coordinator", i, "initiate", 1, valid_data(world, "initiate") | {"goal_id": world.goals["beta"]}
        ),
        "transition-unknown-trigger": lambda api, i: api.fire("beta_coordinator", i, "to_closed", 1),
    }


def test_404_for_a_measure_in_another_area_looks_like_a_missing_one(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    for name, send in _measure_requests(world).items():
        foreign = send(api, m.id)
        missing = send(api, m.id + 1000)
        body = assert_error(foreign, 404, detail="Fant ikke tiltaket.")
        assert set(body) == {"status", "title", "detail"}, name
        assert foreign.content == missing.content, name
        assert foreign.headers["content-type"] == missing.headers["content-type"]
    assert api.snapshot(m.id) == before


AREA_REQUESTS = [
    ("GET", "/areas/{slug}/units", None),
    ("GET", "/areas/{slug}/goals", None),
    ("POST", "/areas/{slug}/goals", {"title": "Mål", "period_from": 2026, "period_to": 2027}),
    ("GET", "/areas/{slug}/measures", None),
    ("GET", "/areas/{slug}/measures?state=need_identified", None),
    ("POST", "/areas/{slug}/measures", NEED),
]


def test_404_for_an_area_the_caller_is_not_in(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    for method, path, body in AREA_REQUESTS:
        foreign = api.request(method, path.format(slug="alfa"), "beta_coordinator", json=body)
        missing = api.request(method, path.format(slug="finnes-ikke"), "beta_coordinator", json=body)
        assert_error(foreign, 404, detail="Fant ikke SLT-området.")
        assert foreign.content == missing.content, path
    assert [x["id"] for x in areas_measures(api)] == [m.id]
    assert len(api.get("/areas/alfa/goals").json()) == 2


def test_404_for_unknown_paths_is_json(api: Api) -> None:
    assert_error(api.get("/nothing-here"), 404)
    assert_error(api.get("/measures/not-a-number"), 404)


def test_405_for_a_method_the_api_does_not_have(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    r = api.request("DELETE", f"/measures/{m.id}")
    assert r.status_code == 405 and r.json()["status"] == 405
    assert api.measure(m.id)["version"] == 1


# ------------------------------------------------------------ 409


NOT_ALLOWED_IN_STATE = [
    ("need_identified", "coordinator", "start", ["initiate", "decline"]),
    ("need_identified", "executing", "assign", []),
    ("initiated", "coordination", "initiate", ["assign"]),
    ("in_follow_up", "executing", "resume", ["report_status", "request_evaluation"]),
    ("evaluated", "steering", "submit_evaluation", ["extend", "adjust", "close"]),
    ("closed", "coordinator", "extend", []),
]


def test_409_trigger_not_allowed_in_the_state(api: Api, world: World) -> None:
    shelf = Shelf(world)
    for state, who, trigger, allowed in NOT_ALLOWED_IN_STATE:
        m = shelf(state)
        before = api.snapshot(m.id)
        r = api.fire(who, m.id, trigger, m.version, valid_data(world, trigger))
        label = world.samordna.workflow.states[state].label.nb
        assert_error(
            r,
            409,
            state=state,
            current_version=m.version,
            allowed_triggers=allowed,
            detail=f"Handlingen kan ikke utføres når tiltaket har status «{label}».",
        )
        assert api.snapshot(m.id) == before


def test_409_unknown_trigger(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    for trigger in ["to_closed", "to_need_identified", "fly", "", "Initiate", "edit", "create", "trigger"]:
        r = api.fire("coordinator", m.id, trigger, m.version)
        body = assert_error(
            r, 409, state="need_identified", current_version=1, allowed_triggers=["initiate", "decline"]
        )
        assert body["detail"].startswith("Ukjent handling"), trigger
    assert api.snapshot(m.id) == before


def test_409_stale_version_on_a_transition(api: Api, world: World) -> None:
    m = measure_in(world, "in_follow_up")
    before = api.snapshot(m.id)
    for version in (m.version - 1, m.version + 1, m.version + 5, 0, -1):
        r = api.fire("executing", m.id, "report_status", version, valid_data(world, "report_status"))
        body = assert_error(r, 409, current_version=m.version, state="in_follow_up")
        assert body["detail"] == (
            "Noen andre har endret tiltaket etter at du åpnet det. Se gjennom den nye versjonen og prøv igjen."
        )
    assert api.snapshot(m.id) == before


def test_409_two_writers_with_the_same_version(api: Api, world: World) -> None:
    """The second of two writers who both saw version v is told the version that won."""
    m = measure_in(world, "in_follow_up")
    first = api.fire("executing", m.id, "report_status", m.version, valid_data(world, "report_status"))
    assert first.status_code == 200
    after_first = api.snapshot(m.id)
    second = api.fire("coordination", m.id, "pause", m.version, valid_data(world, "pause"))
    assert_error(second, 409, current_version=m.version + 1, state="in_follow_up")
    third = api.patch(f"/measures/{m.id}", {"version": m.version, "title": "Nytt"}, "coordination")
    assert_error(third, 409, current_version=m.version + 1, state="in_follow_up")
    assert api.snapshot(m.id) == after_first


# ------------------------------------------------------------ 403

FORBIDDEN = {
    "viewer-initiate": (
        "need_identified",
        "viewer",
        "initiate",
        ["coordinator", "coordination"],
        "«Initier tiltak» kan bare gjøres av SLT-koordinator og koordineringsgruppen.",
    ),
    "steering-initiate": (
        "need_identified",
        "steering",
        "initiate",
        ["coordinator", "coordination"],
        "«Initier tiltak» kan bare gjøres av SLT-koordinator og koordineringsgruppen.",
    ),
    "executing-decline": (
        "need_identified",
        "executing",
        "decline",
        ["coordinator", "coordination"],
        "«Ikke prioriter» kan bare gjøres av SLT-koordinator og koordineringsgruppen.",
    ),
    "executing-other-unit-start": (
        "assigned",
        "executing_police",
        "start",
        ["executing", "coordinator"],
        "«Start tiltaket» kan bare gjøres av utførende nivå i den ansvarlige enheten og SLT-koordinator.",
    ),
    "coordination-start": (
        "assigned",
        "coordination",
        "start",
        ["executing", "coordinator"],
        "«Start tiltaket» kan bare gjøres av utførende nivå i den ansvarlige enheten og SLT-koordinator.",
    ),
    "executing-uninvolved-report": (
        "in_follow_up",
        "executing_police",
        "report_status",
        ["executing", "coordination", "coordinator"],
        "«Rapporter status» kan bare gjøres av utførende nivå i en ansvarlig eller deltakende enhet, "
        "koordineringsgruppen og SLT-koordinator.",
    ),
    "viewer-report": (
        "in_follow_up",
        "viewer",
        "report_status",
        ["executing", "coordination", "coordinator"],
        "«Rapporter status» kan bare gjøres av utførende nivå i en ansvarlig eller deltakende enhet, "
        "koordineringsgruppen og SLT-koordinator.",
    ),
    "executing-pause": (
        "in_follow_up",
        "executing",
        "pause",
        ["coordinator", "coordination"],
        "«Sett på vent» kan bare gjøres av SLT-koordinator og koordineringsgruppen.",
    ),
    "executing-submit-evaluation": (
        "under_evaluation",
        "executing",
        "submit_evaluation",
        ["coordinator", "coordination"],
        "«Lever evaluering» kan bare gjøres av SLT-koordinator og koordineringsgruppen.",
    ),
    "coordination-close": (
        "evaluated",
        "coordination",
        "close",
        ["steering", "coordinator"],
        "«Avslutte» kan bare gjøres av styringsgruppen og SLT-koordinator (med møtedato fra styringsgruppen).",
    ),
    "viewer-extend": (
        "evaluated",
        "viewer",
        "extend",
        ["steering", "coordinator"],
        "«Videreføre» kan bare gjøres av styringsgruppen og SLT-koordinator (med møtedato fra styringsgruppen).",
    ),
}


def test_403_role_or_unit_not_allowed(api: Api, world: World) -> None:
    shelf = Shelf(world)
    for name, (state, who, trigger, roles, detail) in FORBIDDEN.items():
        m = shelf(state)
        before = api.snapshot(m.id)
        assert trigger not in api.measure(m.id, who)["allowed_triggers"], name
        r = api.fire(who, m.id, trigger, m.version, valid_data(world, trigger))
        assert_error(r, 403, allowed_roles=roles, detail=detail)
        assert api.snapshot(m.id) == before, name


def test_403_comes_before_field_errors(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    r = api.fire("viewer", m.id, "initiate", m.version, {"plan": FNR})
    assert_error(r, 403, allowed_roles=["coordinator", "coordination"])
    assert FNR not in r.text


def test_403_viewer_may_not_register_or_edit(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    r = api.post("/areas/alfa/measures", NEED, "viewer")
    assert_error(
        r,
        403,
        allowed_roles=["steering", "coordinator", "coordination", "executing"],
        detail="Bare styringsgruppen, SLT-koordinator, koordineringsgruppen og utførende nivå kan melde behov.",
    )
    r = api.patch(f"/measures/{m.id}", {"version": m.version, "title": "Nytt"}, "viewer")
    assert_error(
        r,
        403,
        allowed_roles=["coordinator", "coordination"],
        detail="Bare SLT-koordinator og koordineringsgruppen kan endre tiltaket.",
    )
    assert api.snapshot(m.id) == before
    assert len(areas_measures(api)) == 1


# ------------------------------------------------------------ 422 on transitions


def _assign(world: World, **changes: Any) -> dict[str, Any]:
    return {**valid_data(world, "assign"), **changes}


def _yesterday(world: World) -> str:
    return iso(world.today() - timedelta(days=1))


INVALID_TRANSITIONS: dict[str, tuple[str, str, str, Callable[[World], dict[str, Any]], dict[str, str]]] = {
    "initiate-missing-all": (
        "need_identified",
        "coordination",
        "initiate",
        lambda w: {},
        {"goal_id": REQUIRED, "plan": REQUIRED, "success_criteria": REQUIRED},
    ),
    "initiate-blank": (
        "need_identified",
        "coordination",
        "initiate",
        lambda w: {"goal_id": None, "plan": "   ", "success_criteria": ""},
        {"goal_id": REQUIRED, "plan": REQUIRED, "success_criteria": REQUIRED},
    ),
    "initiate-goal-of-other-area": (
        "need_identified",
        "coordination",
        "initiate",
        lambda w: valid_data(w, "initiate") | {"goal_id": w.goals["beta"]},
        {"goal_id": "Velg et aktivt mål i dette SLT-området."},
    ),
    "initiate-inactive-goal": (
        "need_identified",
        "coordinator",
        "initiate",
        lambda w: valid_data(w, "initiate") | {"goal_id": w.goals["alfa_inactive"]},
        {"goal_id": "Velg et aktivt mål i dette SLT-området."},
    ),
    "initiate-missing-goal": (
        "need_identified",
        "coordinator",
        "initiate",
        lambda w: valid_data(w, "initiate") | {"goal_id": 987654},
        {"goal_id": "Velg et aktivt mål i dette SLT-området."},
    ),
    "initiate-goal-not-a-number": (
        "need_identified",
        "coordinator",
        "initiate",
        lambda w: valid_data(w, "initiate") | {"goal_id": "mål nr. 1"},
        {"goal_id": "Må være et heltall."},
    ),
    "initiate-unknown-keys": (
        "need_identified",
        "coordination",
        "initiate",
        lambda w: valid_data(w, "initiate") | {"budget": 100000, "state": "closed"},
        {"budget": "Ukjent felt.", "state": "Ukjent felt."},
    ),
    "initiate-text-too-long": (
        "need_identified",
        "coordination",
        "initiate",
        lambda w: valid_data(w, "initiate") | {"plan": "x" * 4001},
        {"plan": "Teksten er for lang (høyst 4000 tegn)."},
    ),
    "initiate-text-not-text": (
        "need_identified",
        "coordination",
        "initiate",
        lambda w: valid_data(w, "initiate") | {"plan": 42, "success_criteria": ["a", "b"]},
        {"plan": "Må være tekst.", "success_criteria": "Må være tekst."},
    ),
    "assign-missing-all": (
        "initiated",
        "coordination",
        "assign",
        lambda w: {},
        {"responsible_unit_id": REQUIRED, "order_text": REQUIRED, "due_date": REQUIRED, "follow_up_days": REQUIRED},
    ),
    "assign-bad-dates": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, due_date="31.12.2030"),
        {"due_date": "Ugyldig dato. Bruk formatet ÅÅÅÅ-MM-DD."},
    ),
    "assign-impossible-date": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, due_date="2030-02-30"),
        {"due_date": "Ugyldig dato. Bruk formatet ÅÅÅÅ-MM-DD."},
    ),
    "assign-due-date-in-the-past": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, due_date=_yesterday(w)),
        {"due_date": "Datoen kan ikke være tilbake i tid."},
    ),
    "assign-follow-up-6": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, follow_up_days=6),
        {"follow_up_days": "Må være mellom 7 og 180."},
    ),
    "assign-follow-up-181": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, follow_up_days=181),
        {"follow_up_days": "Må være mellom 7 og 180."},
    ),
    "assign-follow-up-negative": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, follow_up_days=-14),
        {"follow_up_days": "Må være mellom 7 og 180."},
    ),
    "assign-follow-up-not-int": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, follow_up_days=14.5),
        {"follow_up_days": "Må være et heltall."},
    ),
    "assign-follow-up-bool": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, follow_up_days=True),
        {"follow_up_days": "Må være et heltall."},
    ),
    "assign-unit-of-other-area": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, responsible_unit_id=w.unit("Skolen", "beta")),
        {"responsible_unit_id": "Velg en aktiv enhet i dette SLT-området."},
    ),
    "assign-participating-unit-of-other-area": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, participating_unit_ids=[w.unit("Politiet"), w.unit("Skolen", "beta")]),
        {"participating_unit_ids": "Velg bare aktive enheter i dette SLT-området."},
    ),
    "assign-contact-of-other-unit": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, contact_user_id=w.user_ids["executing_police"]),
        {"contact_user_id": "Kontaktpersonen må være medlem av den ansvarlige enheten."},
    ),
    "assign-contact-without-unit": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, contact_user_id=w.user_ids["coordinator"]),
        {"contact_user_id": "Kontaktpersonen må være medlem av den ansvarlige enheten."},
    ),
    "assign-contact-of-other-area": (
        "initiated",
        "coordination",
        "assign",
        lambda w: _assign(w, contact_user_id=w.user_ids["beta_coordinator"]),
        {"contact_user_id": "Kontaktpersonen må være medlem av den ansvarlige enheten."},
    ),
    "assign-everything-wrong-at-once": (
        "initiated",
        "coordination",
        "assign",
        lambda w: {
            "responsible_unit_id": w.unit("Skolen", "beta"),
            "due_date": "i morgen",
            "follow_up_days": 1000,
            "colour": "rød",
        },
        {
            "colour": "Ukjent felt.",
            "order_text": REQUIRED,
            "due_date": "Ugyldig dato. Bruk formatet ÅÅÅÅ-MM-DD.",
            "follow_up_days": "Må være mellom 7 og 180.",
            "responsible_unit_id": "Velg en aktiv enhet i dette SLT-området.",
        },
    ),
    "reassign-unit-of-other-area": (
        "assigned",
        "coordination",
        "reassign",
        lambda w: {"responsible_unit_id": w.unit("Skolen", "beta"), "reason": "Flytter."},
        {"responsible_unit_id": "Velg en aktiv enhet i dette SLT-området."},
    ),
    "report-status-bad-health": (
        "in_follow_up",
        "executing",
        "report_status",
        lambda w: {"health": "great", "note": "Bra."},
        {"health": "Ugyldig valg. Velg ett av: on_track, at_risk, off_track."},
    ),
    "report-status-missing": (
        "in_follow_up",
        "executing",
        "report_status",
        lambda w: {},
        {"health": REQUIRED, "note": REQUIRED},
    ),
    "start-takes-no-data": (
        "assigned",
        "executing",
        "start",
        lambda w: {"note": "I gang."},
        {"note": "Ukjent felt."},
    ),
    "submit-evaluation-enums": (
        "under_evaluation",
        "coordination",
        "submit_evaluation",
        lambda w: {"effect": "good", "recommendation": "maybe", "method": "Intervju."},
        {
            "effect": "Ugyldig valg. Velg ett av: achieved, partly, not_achieved, unknown.",
            "recommendation": "Ugyldig valg. Velg ett av: extend, adjust, close.",
            "findings": REQUIRED,
        },
    ),
    "extend-due-date-in-the-past": (
        "evaluated",
        "steering",
        "extend",
        lambda w: {"decision_note": "Videre.", "due_date": _yesterday(w)},
        {"due_date": "Datoen kan ikke være tilbake i tid."},
    ),
    "close-meeting-date-bad": (
        "evaluated",
        "coordinator",
        "close",
        lambda w: {"decision_note": "Slutt.", "meeting_date": "forrige tirsdag"},
        {"meeting_date": "Ugyldig dato. Bruk formatet ÅÅÅÅ-MM-DD."},
    ),
}


def test_422_invalid_transition_data(api: Api, world: World) -> None:
    shelf = Shelf(world)
    for name, (state, who, trigger, data, expected) in INVALID_TRANSITIONS.items():
        m = shelf(state)
        before = api.snapshot(m.id)
        r = api.fire(who, m.id, trigger, m.version, data(world))
        assert field_errors(r) == expected, name
        assert r.json()["detail"] == "Noen felt må rettes."
        assert api.snapshot(m.id) == before, name


def test_422_comment_too_long(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    r = api.fire("coordination", m.id, "initiate", m.version, valid_data(world, "initiate"), comment="k" * 4001)
    assert field_errors(r) == {"comment": "Kommentaren er for lang (høyst 4000 tegn)."}
    assert api.snapshot(m.id) == before


def test_limits_themselves_are_accepted(api: Api, world: World) -> None:
    """7 and 180 days, a due date of today and 4000 characters of text are all fine."""
    for days in (7, 180):
        m = measure_in(world, "initiated")
        r = api.fire(
            "coordination",
            m.id,
            "assign",
            m.version,
            _assign(world, follow_up_days=days, due_date=iso(world.today()), order_text="o" * 4000),
        )
        assert r.status_code == 200, r.text
        assert r.json()["next_follow_up_at"] == iso(world.today() + timedelta(days=days))


# ------------------------------------------------------------ 422 on create, edit, goals


INVALID_NEEDS: dict[str, tuple[Callable[[World], dict[str, Any]], dict[str, str]]] = {
    "missing-all": (
        lambda w: {},
        {
            "title": REQUIRED,
            "need_description": REQUIRED,
            "knowledge_source": REQUIRED,
            "target_group": REQUIRED,
            "arena": REQUIRED,
        },
    ),
    "blank": (lambda w: NEED | {"title": "   ", "target_group": ""}, {"title": REQUIRED, "target_group": REQUIRED}),
    "bad-arena": (
        lambda w: NEED | {"arena": "street"},
        {
            "arena": "Ugyldig valg. Velg ett av: school, leisure, digital, neighbourhood, family, nightlife, other.",
        },
    ),
    "title-too-long": (lambda w: NEED | {"title": "t" * 201}, {"title": "Teksten er for lang (høyst 200 tegn)."}),
    "description-too-long": (
        lambda w: NEED | {"need_description": "d" * 4001},
        {"need_description": "Teksten er for lang (høyst 4000 tegn)."},
    ),
    "ages-reversed": (
        lambda w: NEED | {"age_from": 16, "age_to": 13},
        {"age_to": "«Alder til» kan ikke være lavere enn «Alder fra»."},
    ),
    "age-out-of-range": (
        lambda w: NEED | {"age_from": -1, "age_to": 31},
        {"age_from": "Må være mellom 0 og 30.", "age_to": "Må være mellom 0 og 30."},
    ),
    "goal-of-other-area": (
        lambda w: NEED | {"goal_id": w.goals["beta"]},
        {"goal_id": "Velg et aktivt mål i dette SLT-området."},
    ),
    "inactive-goal": (
        lambda w: NEED | {"goal_id": w.goals["alfa_inactive"]},
        {"goal_id": "Velg et aktivt mål i dette SLT-området."},
    ),
}


def test_422_invalid_need(api: Api, world: World) -> None:
    for name, (data, expected) in INVALID_NEEDS.items():
        r = api.post("/areas/alfa/measures", data(world), "executing")
        assert field_errors(r) == expected, name
    assert areas_measures(api) == []
    # a refused need uses no reference number
    assert api.create()["ref"].endswith("-001")


INVALID_EDITS = [
    (
        {"arena": "bar"},
        {"arena": "Ugyldig valg. Velg ett av: school, leisure, digital, neighbourhood, family, nightlife, other."},
    ),
    ({"title": ""}, {"title": REQUIRED}),
    ({"age_to": 11}, {"age_to": "«Alder til» kan ikke være lavere enn «Alder fra»."}),
    ({"goal_id": "beta"}, {"goal_id": "Velg et aktivt mål i dette SLT-området."}),
    (
        {"knowledge_source": "k" * 201, "age_from": 40},
        {"knowledge_source": "Teksten er for lang (høyst 200 tegn).", "age_from": "Må være mellom 0 og 30."},
    ),
]


def test_422_invalid_edit(api: Api, world: World) -> None:
    m = world.register(age_from=12, age_to=15)
    before = api.snapshot(m.id)
    for changes, expected in INVALID_EDITS:
        if changes.get("goal_id") == "beta":
            changes = {"goal_id": world.goals["beta"]}
        r = api.patch(f"/measures/{m.id}", {"version": m.version, **changes}, "coordination")
        assert field_errors(r) == expected, changes
    assert api.snapshot(m.id) == before


INVALID_GOALS = [
    ({"title": "Mål", "period_from": 2028, "period_to": 2025}, {"period_to": "«Til år» kan ikke være før «Fra år»."}),
    (
        {"title": "Mål", "period_from": 1999, "period_to": 2101},
        {"period_from": "Må være mellom 2000 og 2100.", "period_to": "Må være mellom 2000 og 2100."},
    ),
    ({}, {"title": REQUIRED, "period_from": REQUIRED, "period_to": REQUIRED}),
    ({"title": "Mål", "period_from": 2026, "period_to": 2027, "priority": 10}, {"priority": "Må være mellom 1 og 9."}),
]


def test_422_invalid_goal(api: Api, world: World) -> None:
    for goal, expected in INVALID_GOALS:
        r = api.post("/areas/alfa/goals", goal, "coordinator")
        assert field_errors(r) == expected, goal
    assert len(api.get("/areas/alfa/goals").json()) == 2


# ------------------------------------------------------------ confidentiality guard

GUARD_CASES = {
    "create-description": ("create", "need_description", f"Gjelder en gutt med fnr {FNR} på skolen."),
    "create-title-spaced": ("create", "title", f"Sak {FNR[:6]} {FNR[6:]}"),
    "create-target-dashed": ("create", "target_group", f"{FNR[:6]}-{FNR[6:]}"),
    "create-dotted-d-number": ("create", "knowledge_source", "Melding om 410190.12318"),
    "create-comment": ("create", "comment", f"Se {FNR}"),
    "edit-title": ("edit", "title", f"Elev {FNR}"),
    "edit-comment": ("edit", "comment", f"Rettet {FNR}"),
    "transition-plan": ("transition", "plan", f"Følge opp {FNR} tett."),
    "transition-unknown-key": ("transition", "extra", f"{FNR}"),
    "transition-comment": ("transition", "comment", f"Gjelder {FNR}"),
    "report-note": ("report", "note", f"Ny hendelse med {FNR}."),
    "goal-description": ("goal", "description", f"Målgruppe: {FNR}"),
}


def test_422_confidentiality_guard(api: Api, world: World) -> None:
    shelf = Shelf(world)
    for name, (where, field, text) in GUARD_CASES.items():
        guarded(api, world, shelf, name, where, field, text)
    assert sorted(x["id"] for x in areas_measures(api)) == sorted(m.id for m in shelf.made.values())


def guarded(api: Api, world: World, shelf: Shelf, name: str, where: str, field: str, text: str) -> None:
    m = shelf("in_follow_up" if where == "report" else "need_identified")
    before = api.snapshot(m.id)
    if where == "create":
        body = NEED | {field: text}
        r = api.post("/areas/alfa/measures", body, "executing")
    elif where == "edit":
        r = api.patch(f"/measures/{m.id}", {"version": m.version, field: text}, "coordinator")
    elif where == "transition":
        data = valid_data(world, "initiate")
        if field == "comment":
            r = api.fire("coordination", m.id, "initiate", m.version, data, comment=text)
        else:
            r = api.fire("coordination", m.id, "initiate", m.version, data | {field: text})
    elif where == "report":
        r = api.fire("executing", m.id, "report_status", m.version, {"health": "at_risk", field: text})
    else:
        r = api.post(
            "/areas/alfa/goals", {"title": "Mål", "period_from": 2026, "period_to": 2027, field: text}, "steering"
        )
    errors = field_errors(r)
    assert list(errors) == [field], name
    assert "Taushetsplikten" in errors[field] and "gruppenivå" in errors[field], name
    digits = "".join(c for c in text if c.isdigit())
    for secret in (FNR, digits, digits[:6], digits[6:]):
        assert secret not in r.text, name
    assert api.snapshot(m.id) == before, name


def test_numbers_that_are_not_identity_numbers_pass(api: Api) -> None:
    for text in (f"Kontonummer 1234.56.{NOT_FNR[:5]}", f"Sak nr. {NOT_FNR}", "Telefon 22 33 44 55, 30 elever"):
        created = api.create(need_description=text)
        assert created["need_description"] == text


def test_unknown_trigger_is_not_echoed_when_it_holds_an_identity_number(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    r = api.fire("coordinator", m.id, f"elev {FNR}", m.version)
    assert_error(r, 409, allowed_triggers=["initiate", "decline"])
    assert FNR not in r.text


def test_unknown_data_key_is_not_echoed_when_it_is_an_identity_number(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    r = api.fire("coordination", m.id, "initiate", m.version, valid_data(world, "initiate") | {FNR: "x"})
    errors = field_errors(r)
    assert len(errors) == 1
    assert FNR not in r.text
    assert api.snapshot(m.id) == before


# Full-width digits with zero-width spaces, and Arabic-Indic digits grouped as a date: what the guard reads.
WRITTEN_FNR = {
    "full-width-zwsp": "\u200b".join(chr(0xFF10 + int(c)) for c in FNR),
    "arabic-indic-dotted": "{}{}.{}{}.{}{} {}{}{}{}{}".format(*(chr(0x0660 + int(c)) for c in FNR)),
}


@pytest.mark.parametrize("written", WRITTEN_FNR.values(), ids=WRITTEN_FNR.keys())
def test_identity_number_written_with_unusual_characters_is_refused_and_not_echoed(
    api: Api, world: World, written: str
) -> None:
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    data = valid_data(world, "initiate")
    r = api.fire("coordination", m.id, "initiate", m.version, data | {"plan": f"Følge opp {written}.", written: "x"})
    errors = field_errors(r)
    assert "Taushetsplikten" in errors["plan"]
    assert len(errors) == 2 and "[skjult]" in r.text
    for secret in (written, written.replace("\u200b", ""), FNR):
        assert secret not in r.text and secret not in str(r.json())
    assert api.snapshot(m.id) == before


# ------------------------------------------------------------ 400 malformed requests, 422 fields of the wrong type

TEXT, INTEGER, OBJECT, UNKNOWN = "Må være tekst.", "Må være et heltall.", "Må være et JSON-objekt.", "Ukjent felt."
DEEP = b'{"trigger": "decline", "version": 1, "data": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}"

BAD_BODIES: dict[str, tuple[str, str, bytes | Any]] = {
    "transition-not-json": ("POST", "/measures/{id}/transitions", b'{"trigger": "initiate", "version": '),
    "transition-not-an-object": ("POST", "/measures/{id}/transitions", ["initiate", 1]),
    "transition-nested-1000-deep": ("POST", "/measures/{id}/transitions", DEEP),
    "list-nested-1000-deep": ("POST", "/areas/alfa/measures", b"[" * 1000 + b"]" * 1000),
    "edit-not-json": ("PATCH", "/measures/{id}", b"version=1&title=x"),
    "create-not-json": ("POST", "/areas/alfa/measures", b"{'title': 'x'}"),
}

WRONG_FIELDS: dict[str, tuple[str, str, Any, dict[str, str]]] = {
    "transition-version-missing": (
        "POST",
        "/measures/{id}/transitions",
        {"trigger": "initiate"},
        {"version": REQUIRED},
    ),
    "transition-version-text": (
        "POST",
        "/measures/{id}/transitions",
        {"trigger": "initiate", "version": "en"},
        {"version": INTEGER},
    ),
    "transition-version-digits-as-text": (
        "POST",
        "/measures/{id}/transitions",
        {"trigger": "decline", "version": "1", "data": {"reason": "r"}},
        {"version": INTEGER},
    ),
    "transition-version-float": (
        "POST",
        "/measures/{id}/transitions",
        {"trigger": "decline", "version": 1.5, "data": {"reason": "r"}},
        {"version": INTEGER},
    ),
    "transition-version-bool": (
        "POST",
        "/measures/{id}/transitions",
        {"trigger": "decline", "version": True, "data": {"reason": "r"}},
        {"version": INTEGER},
    ),
    "transition-trigger-number": (
        "POST",
        "/measures/{id}/transitions",
        {"trigger": 3, "version": 1},
        {"trigger": TEXT},
    ),
    "transition-data-list": (
        "POST",
        "/measures/{id}/transitions",
        {"trigger": "initiate", "version": 1, "data": []},
        {"data": OBJECT},
    ),
    "transition-comment-number": (
        "POST",
        "/measures/{id}/transitions",
        {"trigger": "decline", "version": 1, "data": {"reason": "r"}, "comment": 5},
        {"comment": TEXT},
    ),
    "transition-unknown-field": (
        "POST",
        "/measures/{id}/transitions",
        {"trigger": "decline", "version": 1, "data": {"reason": "r"}, "state": "closed"},
        {"state": UNKNOWN},
    ),
    "edit-version-missing": ("PATCH", "/measures/{id}", {"title": "Nytt"}, {"version": REQUIRED}),
    "edit-version-digits-as-text": ("PATCH", "/measures/{id}", {"version": "1", "title": "Nytt"}, {"version": INTEGER}),
    "edit-state": ("PATCH", "/measures/{id}", {"version": 1, "state": "closed"}, {"state": UNKNOWN}),
    "edit-ref": ("PATCH", "/measures/{id}", {"version": 1, "ref": "ALF-1999-999"}, {"ref": UNKNOWN}),
    "edit-title-number": ("PATCH", "/measures/{id}", {"version": 1, "title": 12}, {"title": TEXT}),
    "edit-age-digits-as-text": ("PATCH", "/measures/{id}", {"version": 1, "age_from": "12"}, {"age_from": INTEGER}),
    "create-state": ("POST", "/areas/alfa/measures", NEED | {"state": "closed"}, {"state": UNKNOWN}),
    "create-version": ("POST", "/areas/alfa/measures", NEED | {"version": 7}, {"version": UNKNOWN}),
    "create-age-text": ("POST", "/areas/alfa/measures", NEED | {"age_from": "tolv"}, {"age_from": INTEGER}),
    "create-age-digits-as-text": ("POST", "/areas/alfa/measures", NEED | {"age_from": "12"}, {"age_from": INTEGER}),
    "create-goal-digits-as-text": ("POST", "/areas/alfa/measures", NEED | {"goal_id": "1"}, {"goal_id": INTEGER}),
    "create-title-null": ("POST", "/areas/alfa/measures", NEED | {"title": None}, {"title": TEXT}),
    "goal-period-text": (
        "POST",
        "/areas/alfa/goals",
        {"title": "Mål", "period_from": "i fjor", "period_to": 2027},
        {"period_from": INTEGER},
    ),
    "goal-period-digits-as-text": (
        "POST",
        "/areas/alfa/goals",
        {"title": "Mål", "period_from": "2026", "period_to": 2027},
        {"period_from": INTEGER},
    ),
    "goal-unknown-field": (
        "POST",
        "/areas/alfa/goals",
        {"title": "Mål", "period_from": 2026, "period_to": 2027, "active": False},
        {"active": UNKNOWN},
    ),
}


def test_400_malformed_request(api: Api, world: World) -> None:
    """A body that is not a JSON object (not JSON, an array, nested deeper than can be read) is 400."""
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    for name, (method, path, body) in BAD_BODIES.items():
        kw: dict[str, Any] = (
            {"content": body, "headers": {"Content-Type": "application/json"}}
            if isinstance(body, bytes)
            else {"json": body}
        )
        r = api.request(method, path.format(id=m.id), "coordinator", **kw)
        answer = assert_error(r, 400)
        assert answer == {
            "status": 400,
            "title": "Ugyldig forespørsel.",
            "detail": "Forespørselen kunne ikke leses: send et gyldig JSON-objekt.",
        }, name
    empty = api.request(
        "POST", f"/measures/{m.id}/transitions", content=b"", headers={"Content-Type": "application/json"}
    )
    answer = assert_error(empty, 400)
    assert answer["errors"] == [{"field": "", "message": "Forespørselen mangler innhold."}]
    assert api.snapshot(m.id) == before
    assert len(areas_measures(api)) == 1
    assert len(api.get("/areas/alfa/goals").json()) == 2


def test_422_field_of_the_wrong_type(api: Api, world: World) -> None:
    """No lenient conversion: «"1"» is not an integer, 1.5 and true neither; unknown and missing fields too.
    (2027.0 is: JSON has one kind of number, and JSON Schema calls it an integer.)"""
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    for name, (method, path, body, expected) in WRONG_FIELDS.items():
        r = api.request(method, path.format(id=m.id), "coordinator", json=body)
        assert field_errors(r) == expected, (name, r.text)
        assert r.json()["detail"] == "Noen felt må rettes.", name
    assert api.snapshot(m.id) == before
    assert len(areas_measures(api)) == 1
    assert len(api.get("/areas/alfa/goals").json()) == 2


def test_422_an_integer_is_no_date(api: Api, world: World) -> None:
    m = measure_in(world, "initiated")
    before = api.snapshot(m.id)
    due = int(iso(world.today() + timedelta(days=60)).replace("-", ""))
    for value in (due, str(due), 20270101.0):
        r = api.fire("coordination", m.id, "assign", m.version, _assign(world, due_date=value))
        assert field_errors(r) == {"due_date": "Ugyldig dato. Bruk formatet ÅÅÅÅ-MM-DD."}, value
    for value in ("1", 1.5, True):
        r = api.fire("coordination", m.id, "assign", m.version, _assign(world, follow_up_days=value))
        assert field_errors(r) == {"follow_up_days": INTEGER}, value
    r = api.fire(
        "coordination", m.id, "assign", m.version, _assign(world, responsible_unit_id=str(world.unit("Ungdomsskolene")))
    )
    assert field_errors(r) == {"responsible_unit_id": INTEGER}
    assert api.snapshot(m.id) == before


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"],
)
def test_415_a_body_that_is_not_json(api: Api, world: World, content_type: str | None) -> None:
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    bodies = {
        f"/measures/{m.id}/transitions": (
            "POST",
            {"trigger": "decline", "version": m.version, "data": valid_data(world, "decline")},
        ),
        f"/measures/{m.id}": ("PATCH", {"version": m.version, "title": "Nytt navn"}),
        "/areas/alfa/measures": ("POST", NEED),
        "/areas/alfa/goals": ("POST", {"title": "Mål", "period_from": 2026, "period_to": 2027}),
    }
    for path, (method, body) in bodies.items():
        headers = {"Content-Type": content_type} if content_type else {}
        r = api.request(method, path, "coordinator", content=json.dumps(body).encode(), headers=headers)
        answer = assert_error(r, 415)
        assert answer["title"] == "Formatet støttes ikke."
        assert "application/json" in answer["detail"], answer
    assert api.snapshot(m.id) == before
    assert len(areas_measures(api)) == 1
    # application/json with a charset, and the +json suffix, are JSON
    r = api.request(
        "PATCH",
        f"/measures/{m.id}",
        "coordinator",
        content=json.dumps({"version": m.version, "title": "Nytt navn"}).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    r = api.patch(f"/measures/{m.id}", {"version": float(m.version + 1), "age_from": 12.0}, "coordinator")
    assert r.status_code == 200 and r.json()["age_from"] == 12, r.text


# ------------------------------------------------------------ 413 too large

MAX_BODY = 1_000_000  # Settings.max_body_bytes


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_413_body_over_the_limit(api: Api, world: World, chunked: bool) -> None:
    assert world.samordna.settings.max_body_bytes == MAX_BODY
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    payload = (
        b'{"trigger": "decline", "version": 1, "data": {"reason": "r"}, "comment": "' + b"a" * (MAX_BODY + 10) + b'"}'
    )
    content: Any = iter([payload[i : i + 65536] for i in range(0, len(payload), 65536)]) if chunked else payload
    r = api.request(
        "POST",
        f"/measures/{m.id}/transitions",
        "coordinator",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert_error(r, 413)
    assert api.snapshot(m.id) == before


def test_a_large_body_under_the_limit_is_read_and_judged(api: Api, world: World) -> None:
    m = measure_in(world, "need_identified")
    r = api.fire("coordinator", m.id, "decline", m.version, valid_data(world, "decline"), comment="a" * 900_000)
    assert field_errors(r) == {"comment": "Kommentaren er for lang (høyst 4000 tegn)."}


@pytest.mark.parametrize(
    "path, body",
    [
        ("/areas/alfa/measures", NEED | {f"elev_{FNR}": "x"}),
        ("/measures/{id}/transitions", {"trigger": "decline", "version": 1, FNR: "x"}),
    ],
)
def test_unknown_top_level_field_is_not_echoed_when_it_holds_an_identity_number(
    api: Api, world: World, path: str, body: dict[str, Any]
) -> None:
    m = measure_in(world, "need_identified")
    before = api.snapshot(m.id)
    r = api.post(path.format(id=m.id), body, "coordinator")
    assert_error(r, 422)
    assert FNR not in r.text
    assert api.snapshot(m.id) == before
