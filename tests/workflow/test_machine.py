"""The measure workflow compiled: DESIGN §3 as a table, allowed triggers, fire() with the callbacks the file
names, one machine shared without a lock."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import BaseModel
from transitions import MachineError

import samordna.workflow.machine as machine_module
from samordna.workflow import (
    BOARDS,
    LANGS,
    TransitionRefused,
    TriggerNotAllowed,
    UnboundCallback,
    Workflow,
    load_workflow,
)

MEASURE = Path(__file__).resolve().parents[2] / "workflows" / "measure.toml"

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

# trigger -> the callbacks it names, in order (all `after`)
AFTER = {
    "assign": ("schedule_follow_up",),
    "start": ("schedule_follow_up",),
    "report_status": ("status_report", "schedule_follow_up"),
    "resume": ("schedule_follow_up",),
    "extend": ("schedule_follow_up",),
    "adjust": ("clear_follow_up",),
}

PAIRS = [(source, trigger) for trigger, spec in TRANSITIONS.items() for source in spec[0]]


def recorder(name: str):  # type: ignore[no-untyped-def]
    """A callback that notes its name and the state it saw on the model's own list (if it has one)."""

    def record(model) -> None:  # type: ignore[no-untyped-def]
        if isinstance(getattr(model, "calls", None), list):
            model.calls.append((name, model.state))

    return record


RECORDING = {name: recorder(name) for names in AFTER.values() for name in names}


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return load_workflow(MEASURE, callbacks=RECORDING)


def row(state: str) -> SimpleNamespace:
    return SimpleNamespace(state=state, title="Natteravner i sentrum", calls=[])


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


def test_measure_callbacks_and_field_rules(workflow: Workflow) -> None:
    assert {t.trigger: t.after for t in workflow.transitions if t.after} == AFTER
    assert not [t.trigger for t in workflow.transitions if t.before or t.conditions]
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
    dest = TRANSITIONS[trigger][1]
    assert workflow.fire(r, trigger) == dest
    assert r.state == dest
    assert r.title == "Natteravner i sentrum"
    assert r.calls == [(name, dest) for name in AFTER.get(trigger, ())]  # after: in the new state
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
    assert r.calls == []
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
    assert m.send_event is True  # callbacks get the EventData; the registry's functions get its model
    assert sorted(m.events) == sorted(TRANSITIONS)
    assert not [name for name in m.events if name.startswith("to_")]
    assert m.initial == "need_identified"


def test_fire_attaches_nothing_to_the_machine_or_the_model(workflow: Workflow, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("fire() must not add or remove models")

    monkeypatch.setattr(workflow.machine, "add_model", refuse)
    monkeypatch.setattr(workflow.machine, "remove_model", refuse)
    r = row("evaluated")
    before = set(vars(r))
    assert workflow.fire(r, "close") == "closed"
    assert set(vars(r)) == before  # no trigger(), to_*(), may_*() or is_*() added to the model
    assert workflow.machine.models == []


def test_conditions_and_callbacks_run_in_order_and_a_failed_condition_refuses(tmp_path: Path) -> None:
    text = MEASURE.read_text(encoding="utf-8").replace(
        'after = ["clear_follow_up"]',
        'conditions = ["first_ok", "second_ok"]\nbefore = ["before_a"]\nafter = ["clear_follow_up", "after_b"]',
    )
    (tmp_path / "measure.toml").write_text(text, encoding="utf-8")
    answers = {"first_ok": True, "second_ok": True}

    def condition(name: str):  # type: ignore[no-untyped-def]
        def check(model) -> bool:  # type: ignore[no-untyped-def]
            model.calls.append((name, model.state))
            return answers[name]

        return check

    names = ("first_ok", "second_ok", "before_a", "clear_follow_up", "after_b")
    callbacks = {**RECORDING, **{n: condition(n) if n.endswith("_ok") else recorder(n) for n in names}}
    workflow = load_workflow(tmp_path / "measure.toml", callbacks=callbacks)
    r = row("evaluated")
    assert workflow.fire(r, "adjust") == "initiated"
    assert r.calls == [
        ("first_ok", "evaluated"),
        ("second_ok", "evaluated"),
        ("before_a", "evaluated"),
        ("clear_follow_up", "initiated"),
        ("after_b", "initiated"),
    ]
    answers["second_ok"] = False
    r = row("evaluated")
    with pytest.raises(TransitionRefused) as caught:
        workflow.fire(r, "adjust")
    assert isinstance(caught.value, MachineError)
    assert (caught.value.trigger, caught.value.state, caught.value.condition) == ("adjust", "evaluated", "second_ok")
    assert r.state == "evaluated"
    assert r.calls == [("first_ok", "evaluated"), ("second_ok", "evaluated")]  # no before, no after


def test_a_callback_without_a_registry_is_not_skipped() -> None:
    workflow = load_workflow(MEASURE)  # names checked for spelling only, bound to nothing
    r = row("initiated")
    with pytest.raises(UnboundCallback, match="'schedule_follow_up' is not bound"):
        workflow.fire(r, "assign")
    assert workflow.fire(row("need_identified"), "decline") == "declined"  # names no callback


class PydanticRow(BaseModel):
    """Like a SQLModel row: pydantic refuses unknown attributes, and equal rows compare equal."""

    id: int | None = None
    state: str


def test_fire_on_pydantic_rows_that_compare_equal(workflow: Workflow) -> None:
    a, b = PydanticRow(state="initiated"), PydanticRow(state="initiated")
    assert a == b
    with pytest.raises(ValueError, match="trigger"):
        a.trigger = print  # why the row itself can never be the machine's model
    assert workflow.fire(a, "assign") == "assigned"  # the row is the model: nothing is added to it
    assert (a.state, b.state) == ("assigned", "initiated")
    assert workflow.fire(b, "assign") == "assigned"
    assert workflow.machine.models == []


# ------------------------------------------------------------------------------------- one machine


def test_machine_is_built_once_per_load_and_shared_by_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = load_workflow(MEASURE, callbacks=RECORDING), load_workflow(MEASURE, callbacks=RECORDING)
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
    # each row's callbacks ran on that row and no other, in the order of its own path
    expected = [(name, TRANSITIONS[t][1]) for t in path for name in AFTER.get(t, ())]
    assert all(r.calls == expected for r in rows)
    assert workflow.machine.models == []
