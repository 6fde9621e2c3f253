"""The measure workflow compiled: DESIGN §3 as a table, allowed triggers, fire(), one machine."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import BaseModel
from transitions import MachineError

import samordna.workflow.machine as machine_module
from samordna.workflow import BOARDS, LANGS, TriggerNotAllowed, Workflow, load_workflow

MEASURE = Path(__file__).resolve().parents[1] / "workflows" / "measure.toml"

# DESIGN §3, written out by hand: state -> (nb label, board, final)
STATES = {
    "need_identified": ("Behov avdekket", "coordination", False),
    "initiated": ("Initiert", "coordination", False),
    "assigned": ("Ansvar tildelt", "execution", False),
    "in_follow_up": ("I gang – oppfølging", "execution", False),
    "paused": ("Satt på vent", "coordination", False),
    "under_evaluation": ("Til evaluering", "coordination", False),
    "evaluated": ("Evaluert – til behandling", "steering", False),
    "closed": ("Avsluttet", None, True),
    "declined": ("Ikke prioritert", None, True),
}

CC = (("coordinator", None), ("coordination", None))
DECIDE = (("steering", None, ()), ("coordinator", None, ("meeting_date",)))

# trigger -> (sources, dest, allow as (role, unit[, requires]), required, optional)
TRANSITIONS = {
    "initiate": (("need_identified",), "initiated", CC, ("goal_id", "plan", "success_criteria"), ()),
    "decline": (("need_identified",), "declined", CC, ("reason",), ()),
    "assign": (
        ("initiated",),
        "assigned",
        CC,
        ("responsible_unit_id", "order_text", "due_date", "follow_up_days"),
        ("contact_user_id", "participating_unit_ids"),
    ),
    "reassign": (
        ("assigned", "in_follow_up", "paused"),
        "assigned",
        CC,
        ("responsible_unit_id", "reason"),
        (),
    ),
    "start": (("assigned",), "in_follow_up", (("executing", "responsible"), ("coordinator", None)), (), ()),
    "report_status": (
        ("in_follow_up",),
        "in_follow_up",
        (("executing", "involved"), ("coordination", None), ("coordinator", None)),
        ("health", "note"),
        (),
    ),
    "pause": (("in_follow_up",), "paused", CC, ("reason",), ()),
    "resume": (("paused",), "in_follow_up", CC, (), ()),
    "request_evaluation": (
        ("in_follow_up",),
        "under_evaluation",
        (("coordinator", None), ("coordination", None), ("executing", "responsible")),
        ("note",),
        (),
    ),
    "submit_evaluation": (
        ("under_evaluation",),
        "evaluated",
        CC,
        ("effect", "method", "findings", "recommendation"),
        (),
    ),
    "extend": (("evaluated",), "in_follow_up", DECIDE, ("decision_note", "due_date"), ("meeting_date",)),
    "adjust": (("evaluated",), "initiated", DECIDE, ("decision_note",), ("meeting_date",)),
    "close": (("evaluated",), "closed", DECIDE, ("decision_note",), ("meeting_date",)),
}

ALLOWED = {
    "need_identified": ("initiate", "decline"),
    "initiated": ("assign",),
    "assigned": ("reassign", "start"),
    "in_follow_up": ("reassign", "report_status", "pause", "request_evaluation"),
    "paused": ("reassign", "resume"),
    "under_evaluation": ("submit_evaluation",),
    "evaluated": ("extend", "adjust", "close"),
    "closed": (),
    "declined": (),
}

PAIRS = [(source, trigger) for trigger, spec in TRANSITIONS.items() for source in spec[0]]


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return load_workflow(MEASURE)


def row(state: str) -> SimpleNamespace:
    return SimpleNamespace(state=state, title="Natteravner i sentrum")


# ------------------------------------------------------------------------------------- DESIGN §3


def test_measure_has_the_states_of_design(workflow: Workflow) -> None:
    assert workflow.name == "measure"
    assert workflow.initial == "need_identified"
    assert workflow.label.get("nb") == "Tiltak"
    assert list(workflow.states) == list(STATES)
    for name, (label, board, final) in STATES.items():
        state = workflow.states[name]
        assert (state.name, state.label.nb, state.board, state.final) == (name, label, board, final)
        assert all(state.label.get(lang) for lang in LANGS)


def test_measure_has_the_transitions_of_design(workflow: Workflow) -> None:
    assert len(workflow.transitions) == 13
    assert workflow.triggers() == tuple(TRANSITIONS)
    for t in workflow.transitions:
        sources, dest, allow, required, optional = TRANSITIONS[t.trigger]
        assert t.sources == sources, t.trigger
        assert t.dest == dest, t.trigger
        expected_allow = tuple((*rule, ())[:3] for rule in allow)  # (role, unit, requires)
        assert tuple((a.role, a.unit, a.requires) for a in t.allow) == expected_allow, t.trigger
        assert t.required == required, t.trigger
        assert t.optional == optional, t.trigger
        assert t.roles() == tuple(dict.fromkeys(rule[0] for rule in allow))
        assert set(t.fields()) == {*required, *optional}
        assert all(t.label.get(lang) for lang in LANGS)


def test_measure_flags_and_field_rules(workflow: Workflow) -> None:
    flags = {t.trigger: (t.status_report, t.schedule_follow_up) for t in workflow.transitions}
    assert [k for k, (report, _) in flags.items() if report] == ["report_status"]
    assert [k for k, (_, follow) in flags.items() if follow] == [
        "assign",
        "start",
        "report_status",
        "resume",
        "extend",
    ]
    f = workflow.fields
    assert f["due_date"].rule == "not_past" and f["meeting_date"].rule == "not_future"
    assert (f["follow_up_days"].min, f["follow_up_days"].max) == (7, 180)
    assert f["effect"].options == ("achieved", "partly", "not_achieved", "unknown")
    assert f["recommendation"].options == ("extend", "adjust", "close")
    assert f["health"].options == ("on_track", "at_risk", "off_track")
    assert f["contact_user_id"].of_unit == "responsible_unit_id"
    assert f["health"].store == "last_health"


def test_roles_match_the_domain_vocabulary() -> None:
    from samordna.domain.vocabulary import ROLES as DOMAIN_ROLES
    from samordna.workflow import ROLES

    assert ROLES == DOMAIN_ROLES


# ------------------------------------------------------------------------------------- lookups


@pytest.mark.parametrize("state", list(ALLOWED))
def test_allowed_triggers(workflow: Workflow, state: str) -> None:
    assert workflow.allowed_triggers(state) == ALLOWED[state]


def test_allowed_triggers_of_unknown_state_is_empty(workflow: Workflow) -> None:
    assert workflow.allowed_triggers("nowhere") == ()


def test_transition_lookup(workflow: Workflow) -> None:
    for source, trigger in PAIRS:
        t = workflow.transition(source, trigger)
        assert t is not None and t.trigger == trigger and source in t.sources
    assert workflow.transition("need_identified", "assign") is None
    assert workflow.transition("closed", "close") is None
    assert workflow.transition("evaluated", "to_closed") is None


def test_states_on_board(workflow: Workflow) -> None:
    assert workflow.states_on_board("coordination") == (
        "need_identified",
        "initiated",
        "paused",
        "under_evaluation",
    )
    assert workflow.states_on_board("execution") == ("assigned", "in_follow_up")
    assert workflow.states_on_board("steering") == ("evaluated",)
    assert workflow.states_on_board("nowhere") == ()
    assert sum(len(workflow.states_on_board(b)) for b in BOARDS) == 7


# ------------------------------------------------------------------------------------- fire


@pytest.mark.parametrize(("source", "trigger"), PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
def test_fire_every_transition(workflow: Workflow, source: str, trigger: str) -> None:
    r = row(source)
    assert workflow.fire(r, trigger) == TRANSITIONS[trigger][1]
    assert r.state == TRANSITIONS[trigger][1]
    assert r.title == "Natteravner i sentrum"
    assert workflow.machine.models == []


@pytest.mark.parametrize(
    ("state", "trigger"),
    [("need_identified", "assign"), ("closed", "extend"), ("declined", "initiate"), ("paused", "pause")],
)
def test_disallowed_trigger_raises_and_leaves_state(workflow: Workflow, state: str, trigger: str) -> None:
    r = row(state)
    with pytest.raises(TriggerNotAllowed) as caught:
        workflow.fire(r, trigger)
    assert isinstance(caught.value, MachineError)
    assert (caught.value.trigger, caught.value.state, caught.value.allowed) == (
        trigger,
        state,
        ALLOWED[state],
    )
    assert f"trigger {trigger!r} is not allowed in state {state!r}" in str(caught.value)
    assert r.state == state
    assert workflow.machine.models == []


@pytest.mark.parametrize("trigger", ["to_closed", "to_need_identified", "may_close", "trigger", "is_closed", "nope"])
def test_unknown_and_shortcut_triggers_raise(workflow: Workflow, trigger: str) -> None:
    r = row("evaluated")
    with pytest.raises(TriggerNotAllowed):
        workflow.fire(r, trigger)
    assert r.state == "evaluated"


def test_row_in_unknown_state_raises(workflow: Workflow) -> None:
    r = row("limbo")
    with pytest.raises(TriggerNotAllowed) as caught:
        workflow.fire(r, "close")
    assert caught.value.allowed == ()
    assert r.state == "limbo"


def test_machine_has_no_auto_transitions(workflow: Workflow) -> None:
    m = workflow.machine
    assert m.auto_transitions is False
    assert m.ignore_invalid_triggers is False
    assert m.send_event is False
    assert sorted(m.events) == sorted(TRANSITIONS)
    assert not [name for name in m.events if name.startswith("to_")]
    assert m.initial == "need_identified"


def test_proxy_gets_no_to_state_shortcuts(workflow: Workflow, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    real_add_model = workflow.machine.add_model

    def spy(model, initial=None):
        seen.append(model)
        real_add_model(model, initial=initial)

    monkeypatch.setattr(workflow.machine, "add_model", spy)
    r = row("evaluated")
    workflow.fire(r, "close")
    (proxy,) = seen
    assert proxy is not r and isinstance(proxy, machine_module.RowProxy)
    names = set(dir(proxy))
    assert not [n for n in names if n.startswith("to_")]
    assert not hasattr(proxy, "to_closed") and not hasattr(proxy, "to_need_identified")
    assert {"trigger", "close", "extend", "may_close", "is_closed"} <= names
    assert not hasattr(r, "close") and not hasattr(r, "trigger")  # the row itself is never decorated


class PydanticRow(BaseModel):
    """Like a SQLModel row: pydantic refuses unknown attributes, and equal rows compare equal."""

    id: int | None = None
    state: str


def test_fire_on_pydantic_rows_that_compare_equal(workflow: Workflow) -> None:
    a, b = PydanticRow(state="initiated"), PydanticRow(state="initiated")
    assert a == b
    with pytest.raises(ValueError, match="trigger"):
        a.trigger = print  # why the row itself can never be the machine's model
    assert workflow.fire(a, "assign") == "assigned"
    assert (a.state, b.state) == ("assigned", "initiated")
    assert workflow.fire(b, "assign") == "assigned"
    assert workflow.machine.models == []


def test_proxy_does_not_rewrite_an_unchanged_state() -> None:
    class Counting:
        def __init__(self) -> None:
            self._state, self.writes = "in_follow_up", 0

        @property
        def state(self) -> str:
            return self._state

        @state.setter
        def state(self, value: str) -> None:
            self.writes += 1
            self._state = value

    workflow = load_workflow(MEASURE)
    r = Counting()
    assert workflow.fire(r, "report_status") == "in_follow_up"
    assert r.writes == 0
    assert workflow.fire(r, "pause") == "paused"
    assert r.writes == 1


# ------------------------------------------------------------------------------------- one machine


def test_machine_is_built_once_per_load_and_shared_by_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = load_workflow(MEASURE), load_workflow(MEASURE)
    assert first.machine is not second.machine
    machine = first.machine

    def no_new_machines(*args, **kwargs):
        raise AssertionError("fire() must not build a Machine")

    monkeypatch.setattr(machine_module, "Machine", no_new_machines)
    rows = [row("in_follow_up") for _ in range(1000)]
    for r in rows:
        first.fire(r, "report_status")
        first.fire(r, "pause")
    assert {r.state for r in rows} == {"paused"}
    assert first.machine is machine
    assert machine.models == []


def test_fire_from_many_threads(workflow: Workflow) -> None:
    path = ["assign", "start", "report_status", "pause", "resume", "request_evaluation", "submit_evaluation"]
    rows = [row("initiated") for _ in range(400)]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(chunk: list[SimpleNamespace]) -> None:
        start.wait()
        try:
            for r in chunk:
                for trigger in path:
                    workflow.fire(r, trigger)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(rows[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {r.state for r in rows} == {"evaluated"}
    assert workflow.machine.models == []
