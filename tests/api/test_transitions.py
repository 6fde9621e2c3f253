"""Every trigger of the measure workflow, fired over HTTP by a role allowed to fire it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from samordna.settings import Settings
from samordna.workflow import load_workflows
from tests.api.support import Api, assert_error, field_errors, iso, measure_in
from tests.factories import World, valid_data

SHIFT = 3  # days the clock moves between setting a measure up and firing the trigger under test


@pytest.fixture
def api(live_server, world: World) -> Iterator[Api]:
    client = Api(live_server.url, world)
    yield client
    client.close()


@dataclass
class Ctx:
    world: World
    t0: date  # the day the measure was set up
    today: date  # the day the trigger is fired (t0 + SHIFT)

    def unit(self, name: str) -> int:
        return self.world.unit(name)

    def user(self, who: str) -> int:
        return self.world.user_ids[who]


@dataclass
class Case:
    trigger: str
    who: str
    source: str
    dest: str
    allowed_after: list[str]
    data: Callable[[Ctx], dict[str, Any]]
    changes: Callable[[Ctx], dict[str, Any]]
    event_data: Callable[[Ctx], dict[str, Any]] = lambda c: {}
    assign: Callable[[Ctx], dict[str, Any]] = lambda c: {}
    follow_up: str = "keep"  # "keep" (unchanged), "scheduled" (today + follow_up_days), "none"
    body: Callable[[Ctx], dict[str, Any]] = lambda c: {}


def std(trigger: str) -> Callable[[Ctx], dict[str, Any]]:
    return lambda c: valid_data(c.world, trigger)


def follow_up_moved(c: Ctx) -> dict[str, Any]:
    return {"next_follow_up_at": [iso(c.t0 + timedelta(days=14)), iso(c.today + timedelta(days=14))]}


def follow_up_cleared(c: Ctx) -> dict[str, Any]:
    """`adjust` sends the measure back to planning: no next follow-up (and no last health) any more."""
    return {"next_follow_up_at": [iso(c.t0 + timedelta(days=14)), None]}


EVAL = {"effect": "achieved", "method": "Intervjuer.", "findings": "Mindre uro.", "recommendation": "close"}

CASES = {
    "initiate/coordination": Case(
        "initiate",
        "coordination",
        "need_identified",
        "initiated",
        ["assign"],
        std("initiate"),
        lambda c: {
            "goal_id": [None, c.world.goals["alfa"]],
            "plan": [None, "Plan for høsten."],
            "success_criteria": [None, "Færre hendelser."],
        },
        follow_up="none",
        body=lambda c: {"goal_id": c.world.goals["alfa"], "plan": "Plan for høsten."},
    ),
    "initiate/coordinator": Case(
        "initiate",
        "coordinator",
        "need_identified",
        "initiated",
        ["assign"],
        std("initiate"),
        lambda c: {
            "goal_id": [None, c.world.goals["alfa"]],
            "plan": [None, "Plan for høsten."],
            "success_criteria": [None, "Færre hendelser."],
        },
        follow_up="none",
    ),
    "decline/coordination": Case(
        "decline",
        "coordination",
        "need_identified",
        "declined",
        [],
        std("decline"),
        lambda c: {},
        event_data=lambda c: {"reason": "Dekkes av andre tiltak."},
        follow_up="none",
    ),
    "assign/coordination+contact+participating": Case(
        "assign",
        "coordination",
        "initiated",
        "assigned",
        ["reassign"],
        lambda c: {
            "responsible_unit_id": c.unit("Ungdomsskolene"),
            "order_text": "  Kartlegg behovet og start natteravnordning.  ",
            "due_date": iso(c.today + timedelta(days=90)),
            "follow_up_days": 21,
            "contact_user_id": c.user("executing"),
            "participating_unit_ids": [c.unit("Politiet"), c.unit("Kultur og fritid")],
        },
        lambda c: {
            "responsible_unit_id": [None, c.unit("Ungdomsskolene")],
            "order_text": [None, "Kartlegg behovet og start natteravnordning."],
            "due_date": [None, iso(c.today + timedelta(days=90))],
            "follow_up_days": [None, 21],
            "next_follow_up_at": [None, iso(c.today + timedelta(days=21))],
            "contact_user_id": [None, c.user("executing")],
            "participating_unit_ids": [[], sorted([c.unit("Politiet"), c.unit("Kultur og fritid")])],
        },
        follow_up="scheduled",
        body=lambda c: {
            "responsible_unit_id": c.unit("Ungdomsskolene"),
            "contact_user_id": c.user("executing"),
            "participating_unit_ids": sorted([c.unit("Politiet"), c.unit("Kultur og fritid")]),
            "order_text": "Kartlegg behovet og start natteravnordning.",
            "due_date": iso(c.today + timedelta(days=90)),
            "follow_up_days": 21,
        },
    ),
    "assign/coordinator": Case(
        "assign",
        "coordinator",
        "initiated",
        "assigned",
        ["reassign", "start"],
        std("assign"),
        lambda c: {
            "responsible_unit_id": [None, c.unit("Ungdomsskolene")],
            "order_text": [None, "Gjennomfør tiltaket innen fristen."],
            "due_date": [None, iso(c.today + timedelta(days=60))],
            "follow_up_days": [None, 14],
            "next_follow_up_at": [None, iso(c.today + timedelta(days=14))],
        },
        follow_up="scheduled",
        body=lambda c: {"contact_user_id": None, "participating_unit_ids": []},
    ),
    "reassign/from-assigned/coordinator": Case(
        "reassign",
        "coordinator",
        "assigned",
        "assigned",
        ["reassign", "start"],
        std("reassign"),
        lambda c: {"responsible_unit_id": [c.unit("Ungdomsskolene"), c.unit("Politiet")]},
        event_data=lambda c: {"reason": "Politiet tar over."},
        body=lambda c: {"responsible_unit_id": c.unit("Politiet")},
    ),
    "reassign/from-in_follow_up/coordination": Case(
        "reassign",
        "coordination",
        "in_follow_up",
        "assigned",
        ["reassign"],
        std("reassign"),
        lambda c: {"responsible_unit_id": [c.unit("Ungdomsskolene"), c.unit("Politiet")]},
        event_data=lambda c: {"reason": "Politiet tar over."},
    ),
    "reassign/from-paused/coordination": Case(
        "reassign",
        "coordination",
        "paused",
        "assigned",
        ["reassign"],
        std("reassign"),
        lambda c: {"responsible_unit_id": [c.unit("Ungdomsskolene"), c.unit("Politiet")]},
        event_data=lambda c: {"reason": "Politiet tar over."},
    ),
    "start/executing": Case(
        "start",
        "executing",
        "assigned",
        "in_follow_up",
        ["report_status", "request_evaluation"],
        lambda c: {},
        follow_up_moved,
        follow_up="scheduled",
    ),
    "start/coordinator": Case(
        "start",
        "coordinator",
        "assigned",
        "in_follow_up",
        ["reassign", "report_status", "pause", "request_evaluation"],
        lambda c: {},
        follow_up_moved,
        follow_up="scheduled",
    ),
    "report_status/executing": Case(
        "report_status",
        "executing",
        "in_follow_up",
        "in_follow_up",
        ["report_status", "request_evaluation"],
        lambda c: {"health": "at_risk", "note": "Færre deltakere enn ventet."},
        lambda c: {"last_health": [None, "at_risk"], **follow_up_moved(c)},
        event_data=lambda c: {"note": "Færre deltakere enn ventet."},
        follow_up="scheduled",
        body=lambda c: {"last_health": "at_risk"},
    ),
    "report_status/executing-of-participating-unit": Case(
        "report_status",
        "executing_police",
        "in_follow_up",
        "in_follow_up",
        ["report_status"],
        lambda c: {"health": "off_track", "note": "Lite oppmøte."},
        lambda c: {"last_health": [None, "off_track"], **follow_up_moved(c)},
        event_data=lambda c: {"note": "Lite oppmøte."},
        assign=lambda c: {"participating_unit_ids": [c.unit("Politiet")]},
        follow_up="scheduled",
        body=lambda c: {"last_health": "off_track"},
    ),
    "report_status/coordination": Case(
        "report_status",
        "coordination",
        "in_follow_up",
        "in_follow_up",
        ["reassign", "report_status", "pause", "request_evaluation"],
        lambda c: {"health": "on_track", "note": "Godt oppmøte."},
        lambda c: {"last_health": [None, "on_track"], **follow_up_moved(c)},
        event_data=lambda c: {"note": "Godt oppmøte."},
        follow_up="scheduled",
        body=lambda c: {"last_health": "on_track"},
    ),
    "pause/coordination": Case(
        "pause",
        "coordination",
        "in_follow_up",
        "paused",
        ["reassign", "resume"],
        std("pause"),
        lambda c: {},
        event_data=lambda c: {"reason": "Venter på midler."},
    ),
    "resume/coordinator": Case(
        "resume",
        "coordinator",
        "paused",
        "in_follow_up",
        ["reassign", "report_status", "pause", "request_evaluation"],
        lambda c: {},
        follow_up_moved,
        follow_up="scheduled",
    ),
    "request_evaluation/executing": Case(
        "request_evaluation",
        "executing",
        "in_follow_up",
        "under_evaluation",
        [],
        std("request_evaluation"),
        lambda c: {},
        event_data=lambda c: {"note": "Perioden er over."},
    ),
    "request_evaluation/coordination": Case(
        "request_evaluation",
        "coordination",
        "in_follow_up",
        "under_evaluation",
        ["submit_evaluation"],
        std("request_evaluation"),
        lambda c: {},
        event_data=lambda c: {"note": "Perioden er over."},
    ),
    "submit_evaluation/coordination": Case(
        "submit_evaluation",
        "coordination",
        "under_evaluation",
        "evaluated",
        [],
        lambda c: dict(EVAL),
        lambda c: {
            "evaluation_effect": [None, "achieved"],
            "evaluation_method": [None, "Intervjuer."],
            "evaluation_findings": [None, "Mindre uro."],
            "evaluation_recommendation": [None, "close"],
        },
        body=lambda c: {"evaluation_effect": "achieved", "evaluation_recommendation": "close"},
    ),
    "submit_evaluation/coordinator": Case(
        "submit_evaluation",
        "coordinator",
        "under_evaluation",
        "evaluated",
        ["extend", "adjust", "close"],
        lambda c: dict(EVAL),
        lambda c: {
            "evaluation_effect": [None, "achieved"],
            "evaluation_method": [None, "Intervjuer."],
            "evaluation_findings": [None, "Mindre uro."],
            "evaluation_recommendation": [None, "close"],
        },
    ),
    "extend/steering": Case(
        "extend",
        "steering",
        "evaluated",
        "in_follow_up",
        [],
        lambda c: {"decision_note": "Videreføres ett år.", "due_date": iso(c.today + timedelta(days=365))},
        lambda c: {
            "decision_note": [None, "Videreføres ett år."],
            "due_date": [iso(c.t0 + timedelta(days=60)), iso(c.today + timedelta(days=365))],
            **follow_up_moved(c),
        },
        follow_up="scheduled",
        body=lambda c: {"decision_note": "Videreføres ett år."},
    ),
    "extend/coordinator+meeting_date": Case(
        "extend",
        "coordinator",
        "evaluated",
        "in_follow_up",
        ["reassign", "report_status", "pause", "request_evaluation"],
        lambda c: {
            "decision_note": "Vedtatt i politirådet.",
            "due_date": iso(c.today + timedelta(days=200)),
            "meeting_date": iso(c.today - timedelta(days=1)),
        },
        lambda c: {
            "decision_note": [None, "Vedtatt i politirådet."],
            "due_date": [iso(c.t0 + timedelta(days=60)), iso(c.today + timedelta(days=200))],
            **follow_up_moved(c),
        },
        event_data=lambda c: {"meeting_date": iso(c.today - timedelta(days=1))},
        follow_up="scheduled",
    ),
    "adjust/steering": Case(
        "adjust",
        "steering",
        "evaluated",
        "initiated",
        [],
        std("adjust"),
        lambda c: {"decision_note": [None, "Justeres med ny plan."], **follow_up_cleared(c)},
        follow_up="none",
        body=lambda c: {"last_health": None},
    ),
    "adjust/coordinator+meeting_date": Case(
        "adjust",
        "coordinator",
        "evaluated",
        "initiated",
        ["assign"],
        lambda c: {"decision_note": "Ny plan.", "meeting_date": iso(c.today)},
        lambda c: {"decision_note": [None, "Ny plan."], **follow_up_cleared(c)},
        event_data=lambda c: {"meeting_date": iso(c.today)},
        follow_up="none",
    ),
    "close/steering": Case(
        "close",
        "steering",
        "evaluated",
        "closed",
        [],
        std("close"),
        lambda c: {"decision_note": [None, "Avsluttes."]},
    ),
    "close/coordinator+meeting_date": Case(
        "close",
        "coordinator",
        "evaluated",
        "closed",
        [],
        lambda c: {"decision_note": "Avsluttes etter vedtak.", "meeting_date": iso(c.today)},
        lambda c: {"decision_note": [None, "Avsluttes etter vedtak."]},
        event_data=lambda c: {"meeting_date": iso(c.today)},
    ),
}


def test_the_table_covers_every_trigger() -> None:
    workflow = load_workflows(Settings().workflows_dir)["measure"]
    assert {case.trigger for case in CASES.values()} == set(workflow.triggers())
    for case in CASES.values():
        td = workflow.transition(case.source, case.trigger)
        assert td is not None and td.dest == case.dest


def shift_clock(world: World, days: int) -> None:
    real = world.samordna.clock.source
    world.samordna.clock.source = lambda: real() + timedelta(days=days)  # the fixture restores the clock


@pytest.mark.parametrize("name", list(CASES))
def test_fire_every_trigger(api: Api, world: World, name: str) -> None:
    case = CASES[name]
    t0 = world.today()
    c = Ctx(world=world, t0=t0, today=t0 + timedelta(days=SHIFT))
    setup = measure_in(world, case.source, **case.assign(c))
    assert setup.state == case.source
    shift_clock(world, SHIFT)
    before = api.measure(setup.id, case.who)
    events_before = api.events(setup.id)

    r = api.fire(case.who, setup.id, case.trigger, before["version"], case.data(c), comment="Tatt opp i møtet.")

    assert r.status_code == 200, r.text
    after = r.json()
    assert after["id"] == setup.id and after["ref"] == before["ref"]
    assert after["state"] == case.dest
    assert after["version"] == before["version"] + 1
    assert after["allowed_triggers"] == case.allowed_after
    assert after["overdue"] is False
    expected_follow_up = {
        "keep": before["next_follow_up_at"],
        "none": None,
        "scheduled": iso(c.today + timedelta(days=after["follow_up_days"] or 0)),
    }[case.follow_up]
    assert after["next_follow_up_at"] == expected_follow_up
    for key, value in case.body(c).items():
        assert after[key] == value, key
    assert api.measure(setup.id, case.who) == after  # what was answered is what was stored

    events = api.events(setup.id)
    assert events[:-1] == events_before  # exactly one event added, the older ones untouched
    event = events[-1]
    assert event["trigger"] == case.trigger
    assert event["from_state"] == case.source and event["to_state"] == case.dest
    assert event["actor"] == {"id": world.user_ids[case.who], "name": case.who.replace("_", " ").title()}
    assert event["version"] == after["version"]
    assert event["comment"] == "Tatt opp i møtet."
    assert event["changes"] == case.changes(c)
    assert event["data"] == case.event_data(c)


def test_follow_up_days_sets_the_rhythm_for_later_reports(api: Api, world: World) -> None:
    """assign stores follow_up_days; start and every status report schedule today + that many days."""
    m = measure_in(world, "initiated")
    data = {**valid_data(world, "assign"), "follow_up_days": 7}
    r = api.fire("coordination", m.id, "assign", m.version, data)
    assert r.status_code == 200 and r.json()["next_follow_up_at"] == iso(world.today() + timedelta(days=7))
    shift_clock(world, 5)
    r = api.fire("executing", m.id, "start", r.json()["version"])
    assert r.json()["next_follow_up_at"] == iso(world.today() + timedelta(days=7))


def test_overdue_flag(api: Api, world: World) -> None:
    m = measure_in(world, "in_follow_up")  # next follow-up in 14 days
    shift_clock(world, 14)
    assert api.measure(m.id)["overdue"] is False  # due today is not overdue yet
    shift_clock(world, 1)
    seen = api.measure(m.id, "executing")
    assert seen["overdue"] is True
    listed = api.get("/areas/alfa/measures", "executing").json()
    assert [x["overdue"] for x in listed if x["id"] == m.id] == [True]

    # A transition that does not reschedule leaves it overdue (assigned is on the execution board) ...
    r = api.fire("coordination", m.id, "reassign", seen["version"], valid_data(world, "reassign"))
    assert r.status_code == 200 and r.json()["state"] == "assigned" and r.json()["overdue"] is True
    # ... starting again reschedules it from today.
    r = api.fire("coordinator", m.id, "start", r.json()["version"])
    body = r.json()
    assert body["overdue"] is False
    assert body["next_follow_up_at"] == iso(world.today() + timedelta(days=14))


def test_a_paused_measure_is_not_overdue(api: Api, world: World) -> None:
    m = measure_in(world, "paused")
    shift_clock(world, 30)
    assert api.measure(m.id)["overdue"] is False
    r = api.fire("coordination", m.id, "resume", m.version)
    assert r.json()["overdue"] is False
    assert r.json()["next_follow_up_at"] == iso(world.today() + timedelta(days=14))


def test_status_reports_accumulate(api: Api, world: World) -> None:
    m = measure_in(world, "in_follow_up")
    version = m.version
    for who, health in (("executing", "on_track"), ("coordination", "off_track"), ("executing", "at_risk")):
        r = api.fire(who, m.id, "report_status", version, {"health": health, "note": f"Status: {health}."})
        assert r.status_code == 200, r.text
        assert r.json()["last_health"] == health
        version = r.json()["version"]
    reports = [e for e in api.events(m.id) if e["trigger"] == "report_status"]
    assert [e["data"] for e in reports] == [{"note": f"Status: {h}."} for h in ("on_track", "off_track", "at_risk")]
    assert [e["changes"].get("last_health") for e in reports] == [
        [None, "on_track"],
        ["on_track", "off_track"],
        ["off_track", "at_risk"],
    ]


def test_full_life_over_http(api: Api, world: World) -> None:
    """need → … → closed, each step by its usual role; the audit trail counts the versions 1..n."""
    m = api.create()
    version = m["version"]
    steps = [
        ("coordination", "initiate"),
        ("coordination", "assign"),
        ("executing", "start"),
        ("executing", "report_status"),
        ("coordination", "pause"),
        ("coordination", "resume"),
        ("executing", "request_evaluation"),
        ("coordination", "submit_evaluation"),
        ("steering", "adjust"),
        ("coordinator", "assign"),
        ("coordinator", "start"),
        ("coordination", "request_evaluation"),
        ("coordination", "submit_evaluation"),
        ("steering", "close"),
    ]
    for who, trigger in steps:
        r = api.fire(who, m["id"], trigger, version, valid_data(world, trigger))
        assert r.status_code == 200, (trigger, r.text)
        version = r.json()["version"]
    assert r.json()["state"] == "closed" and r.json()["allowed_triggers"] == []
    events = api.events(m["id"])
    assert [e["trigger"] for e in events] == ["create"] + [t for _, t in steps]
    assert [e["version"] for e in events] == list(range(1, len(steps) + 2))
    assert [e["to_state"] for e in events[:-1]] == [e["from_state"] for e in events[1:]]


# ------------------------------------------------------------ steering decisions: who records them


@pytest.mark.parametrize("trigger", ["extend", "adjust", "close"])
def test_coordinator_needs_meeting_date_for_a_steering_decision(api: Api, world: World, trigger: str) -> None:
    m = measure_in(world, "evaluated")
    before = api.snapshot(m.id)
    r = api.fire("coordinator", m.id, trigger, m.version, valid_data(world, trigger))
    assert field_errors(r) == {"meeting_date": "Feltet må fylles ut."}
    assert api.snapshot(m.id) == before


@pytest.mark.parametrize("who", ["steering", "coordinator"])
def test_meeting_date_cannot_be_in_the_future(api: Api, world: World, who: str) -> None:
    m = measure_in(world, "evaluated")
    before = api.snapshot(m.id)
    data = {**valid_data(world, "close"), "meeting_date": iso(world.today() + timedelta(days=1))}
    r = api.fire(who, m.id, "close", m.version, data)
    assert field_errors(r) == {"meeting_date": "Datoen kan ikke være fram i tid."}
    assert api.snapshot(m.id) == before


def test_steering_may_give_a_meeting_date(api: Api, world: World) -> None:
    m = measure_in(world, "evaluated")
    data = {**valid_data(world, "close"), "meeting_date": iso(world.today())}
    r = api.fire("steering", m.id, "close", m.version, data)
    assert r.status_code == 200, r.text
    assert api.events(m.id)[-1]["data"] == {"meeting_date": iso(world.today())}


def test_coordinator_sees_decision_triggers_and_is_told_what_is_missing(api: Api, world: World) -> None:
    m = measure_in(world, "evaluated")
    assert api.measure(m.id, "coordinator")["allowed_triggers"] == ["extend", "adjust", "close"]
    assert api.measure(m.id, "steering")["allowed_triggers"] == ["extend", "adjust", "close"]
    assert api.measure(m.id, "coordination")["allowed_triggers"] == []
    r = api.fire("coordinator", m.id, "extend", m.version, {})
    assert field_errors(r) == {
        "decision_note": "Feltet må fylles ut.",
        "due_date": "Feltet må fylles ut.",
        "meeting_date": "Feltet må fylles ut.",
    }
    assert_error(r, 422, detail="Noen felt må rettes.")
