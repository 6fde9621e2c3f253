"""Random actors fire random triggers with random (valid or broken) data at a few measures.

A Hypothesis state machine drives `Samordna` (the service, one transaction per call) and keeps its own
model of every measure: its state, version, responsible and participating units and its author. The
model is written from DESIGN.md §3 (who may fire what, from where to where), not from the workflow
code, and predicts the outcome of each call: accepted, or refused with exactly one kind of DomainError.
After every step the database must agree with the model, and a refused write must have changed
nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from samordna.domain.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from samordna.measures.service import MeasureView
from samordna.services import Services
from tests.conftest import empty_tables
from tests.factories import MAIN_PATH, MEMBERS, NEED, World, build_world, valid_data

# ---------------------------------------------------------------- the model, from DESIGN.md §3

COORD = {"coordinator", "coordination"}
# trigger -> (source states, destination)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "initiate": (("need_identified",), "initiated"),
    "decline": (("need_identified",), "declined"),
    "assign": (("initiated",), "assigned"),
    "reassign": (("assigned", "in_follow_up", "paused"), "assigned"),
    "start": (("assigned",), "in_follow_up"),
    "report_status": (("in_follow_up",), "in_follow_up"),
    "pause": (("in_follow_up",), "paused"),
    "resume": (("paused",), "in_follow_up"),
    "request_evaluation": (("in_follow_up",), "under_evaluation"),
    "submit_evaluation": (("under_evaluation",), "evaluated"),
    "extend": (("evaluated",), "in_follow_up"),
    "adjust": (("evaluated",), "initiated"),
    "close": (("evaluated",), "closed"),
}
DECISIONS = {"extend", "adjust", "close"}
FINAL = {"closed", "declined"}
STATES = {
    "need_identified",
    "initiated",
    "assigned",
    "in_follow_up",
    "paused",
    "under_evaluation",
    "evaluated",
    "closed",
    "declined",
}
ACTORS = sorted(MEMBERS)  # every member: incl. viewer, executing of another unit, beta's coordinator
TRIGGERS = [*TRANSITIONS, "edit", "fly_to_the_moon"]
MODES = [
    "valid",
    "valid",
    "valid",
    "valid",  # weighted: most steps send good data
    "missing",
    "wrong_enum",
    "bad_date",
    "unknown_field",
    "foreign_ref",
    "stale",
]
ALFA_UNITS = ["Ungdomsskolene", "Politiet", "Kultur og fritid"]
# Where the initial measures are taken along the main path (factories.MAIN_PATH) before random steps.
START_STATES = ["need_identified", "initiated", "assigned", "in_follow_up", "under_evaluation", "evaluated"]
MAX_MEASURES = 5


@dataclass
class Model:
    id: int
    ref: str
    created_by: str
    state: str = "need_identified"
    version: int = 1
    creates: int = 1
    writes: int = 0  # accepted writes after `create`
    responsible: int | None = None
    participating: frozenset[int] = field(default_factory=frozenset)


@dataclass
class Choice:
    """The random details of one step besides actor, trigger and mode."""

    unit: str
    contact: str | None
    participating: list[str] | None
    meeting_date: bool
    which: int  # which field to break when there are several


def role_may(world: World, who: str, trigger: str, m: Model) -> bool:
    """Whether `who` may fire `trigger` at `m` by role and unit alone (DESIGN.md §3)."""
    area, role, unit = MEMBERS[who]
    if area != "alfa":
        return False
    unit_id = world.unit(unit) if unit else None
    executing_responsible = role == "executing" and unit_id is not None and unit_id == m.responsible
    if trigger == "start":
        return role == "coordinator" or executing_responsible
    if trigger == "report_status":
        involved = unit_id is not None and (unit_id == m.responsible or unit_id in m.participating)
        return role in COORD or (role == "executing" and involved)
    if trigger == "request_evaluation":
        return role in COORD or executing_responsible
    if trigger in DECISIONS:
        return role in ("steering", "coordinator")
    return role in COORD


def expected_allowed(world: World, who: str, m: Model) -> set[str]:
    return {t for t, (sources, _) in TRANSITIONS.items() if m.state in sources and role_may(world, who, t, m)}


# ---------------------------------------------------------------- data, valid or broken


def transition_data(world: World, who: str, trigger: str, mode: str, c: Choice) -> tuple[dict[str, Any], bool]:
    """Data for `trigger` and whether it is broken (must be refused with 422 once checks reach it)."""
    today = world.today()
    data = dict(valid_data(world, trigger)) if trigger in TRANSITIONS else {}
    broken = False
    if trigger == "assign":
        data["responsible_unit_id"] = world.unit(c.unit)
        if c.contact is not None:
            data["contact_user_id"] = world.user_ids[c.contact]
            contact_unit = MEMBERS[c.contact][2]
            broken |= contact_unit != c.unit
        if c.participating is not None:
            data["participating_unit_ids"] = [world.unit(u) for u in c.participating]
    if trigger == "reassign":
        data["responsible_unit_id"] = world.unit(c.unit)
    if trigger in DECISIONS and c.meeting_date:
        data["meeting_date"] = today.isoformat()

    if mode == "missing":
        required = [k for k in valid_data(world, trigger)] if trigger in TRANSITIONS else []
        if required:
            del data[required[c.which % len(required)]]
            broken = True
    elif mode == "wrong_enum":
        enums = [k for k in ("health", "effect", "recommendation") if k in data]
        if enums:
            data[enums[c.which % len(enums)]] = "splendid"
            broken = True
    elif mode == "bad_date":
        if "due_date" in data:
            data["due_date"] = (today - timedelta(days=1)).isoformat()  # not_past
            broken = True
        elif trigger in DECISIONS:
            data["meeting_date"] = (today + timedelta(days=1)).isoformat()  # not_future
            broken = True
    elif mode == "unknown_field":
        data["favourite_colour"] = "blå"
        broken = True
    elif mode == "foreign_ref":
        if trigger == "initiate":
            data["goal_id"] = world.goals["beta" if c.which % 2 else "alfa_inactive"]
            broken = True
        elif trigger in ("assign", "reassign"):
            data["responsible_unit_id"] = world.unit("Skolen", "beta")
            broken = True

    # The coordinator records a steering decision only with the meeting's date.
    if trigger in DECISIONS and MEMBERS[who][1] == "coordinator" and "meeting_date" not in data:
        broken = True
    return data, broken


def edit_data(world: World, mode: str, c: Choice) -> tuple[dict[str, Any], bool]:
    if mode == "missing":
        return {}, False  # an edit takes any subset of the fields, none at all included
    if mode == "wrong_enum":
        return {"arena": "moon"}, True
    if mode == "bad_date":
        return {"age_from": 16, "age_to": 12}, True
    if mode == "unknown_field":
        return {"favourite_colour": "blå"}, True
    if mode == "foreign_ref":
        return {"goal_id": world.goals["beta"]}, True
    return [
        {"title": f"Ny tittel {c.which}"},
        {"arena": "school", "age_from": 13, "age_to": 16},
        {"goal_id": world.goals["alfa"], "target_group": "Foreldre"},
    ][c.which % 3], False


def need_data(mode: str, c: Choice) -> tuple[dict[str, Any], bool]:
    data = dict(NEED)
    if mode == "missing":
        del data[list(NEED)[c.which % len(NEED)]]
        return data, True
    if mode == "wrong_enum":
        return {**data, "arena": "moon"}, True
    if mode in ("bad_date", "foreign_ref"):
        return {**data, "age_from": 18, "age_to": 14}, True
    if mode == "unknown_field":
        return {**data, "favourite_colour": "blå"}, True
    return data, False


choices = st.builds(
    Choice,
    unit=st.sampled_from(ALFA_UNITS),
    contact=st.sampled_from([None, None, "executing", "executing_police", "coordination"]),
    participating=st.one_of(st.none(), st.lists(st.sampled_from(ALFA_UNITS), max_size=2, unique=True)),
    meeting_date=st.booleans(),
    which=st.integers(0, 11),
)


# ---------------------------------------------------------------- reading the database back


def snapshot(samordna: Services) -> dict[str, list[tuple]]:
    """Everything a write may touch, in a stable order."""
    queries = {
        "measure": "SELECT * FROM measure ORDER BY id",
        "event": "SELECT * FROM event ORDER BY id",
        "status_report": "SELECT * FROM status_report ORDER BY id",
        "measure_unit": "SELECT * FROM measure_unit ORDER BY measure_id, unit_id",
        "ref_counter": "SELECT * FROM ref_counter ORDER BY area_id, year",
    }
    with samordna.db.read() as s:
        return {name: [tuple(r) for r in s.execute(text(sql))] for name, sql in queries.items()}


def event_rows(samordna: Services) -> list[dict[str, Any]]:
    with samordna.db.read() as s:
        return [
            dict(r)
            for r in s.execute(
                text("SELECT measure_id, trigger, from_state, to_state, version FROM event ORDER BY id")
            ).mappings()
        ]


# ---------------------------------------------------------------- the state machine


def make_machine(samordna: Services) -> type[RuleBasedStateMachine]:
    class MeasureMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            empty_tables(samordna.db)
            self.world = build_world(samordna)
            self.models: list[Model] = []
            self.accepted_creates = 0

        # ------------------------------------------------------------ setup

        @initialize(
            start_states=st.lists(st.sampled_from(START_STATES), min_size=1, max_size=3),
            c=choices,
        )
        def measures_along_the_main_path(self, start_states: list[str], c: Choice) -> None:
            """A few measures taken along the main path, assigned to a random unit with random helpers."""
            world = self.world
            coordinator = world.actors["coordinator"]
            for target in start_states:
                view = world.register()
                self.accepted_creates += 1
                m = Model(id=view.id, ref=view.ref, created_by="executing")
                for state, trigger, _ in MAIN_PATH:
                    if m.state == target:
                        break
                    assert m.state == state
                    data = dict(valid_data(world, trigger))
                    if trigger == "assign":
                        data["responsible_unit_id"] = world.unit(c.unit)
                        data["participating_unit_ids"] = [world.unit(u) for u in c.participating or []]
                        m.responsible = data["responsible_unit_id"]
                        m.participating = frozenset(data["participating_unit_ids"])
                    if trigger in DECISIONS:
                        data["meeting_date"] = world.today().isoformat()
                    samordna.measures.record_transition(
                        actor=coordinator, measure_id=m.id, trigger=trigger, version=m.version, data=data
                    )
                    m.state = TRANSITIONS[trigger][1]
                    m.version += 1
                    m.writes += 1
                self.models.append(m)

        # ------------------------------------------------------------ steps

        @precondition(lambda self: len(self.models) < MAX_MEASURES)
        @rule(who=st.sampled_from(ACTORS), mode=st.sampled_from(MODES), c=choices)
        def create(self, who: str, mode: str, c: Choice) -> None:
            data, broken = need_data(mode, c)
            area, role, _ = MEMBERS[who]
            if area != "alfa":
                expected: type[DomainError] | None = NotFound
            elif role == "viewer":
                expected = NotAllowed
            elif broken:
                expected = Invalid
            else:
                expected = None
            before = snapshot(samordna)
            try:
                view = samordna.measures.register_need(actor=self.world.actors[who], slug="alfa", data=data)
            except DomainError as exc:
                assert type(exc) is expected, (who, mode, exc.message)
                assert snapshot(samordna) == before, "a refused create changed the database"
                return
            assert expected is None, (who, mode, "was accepted")
            self.accepted_creates += 1
            assert view.state == "need_identified" and view.version == 1
            assert view.ref.endswith(f"-{self.accepted_creates:03d}"), view.ref
            assert view.ref not in {m.ref for m in self.models}
            self.models.append(Model(id=view.id, ref=view.ref, created_by=who))
            after = snapshot(samordna)
            assert after["measure"][: len(before["measure"])] == before["measure"]
            assert len(after["measure"]) == len(before["measure"]) + 1
            assert after["event"][: len(before["event"])] == before["event"]
            assert len(after["event"]) == len(before["event"]) + 1

        @rule(
            who=st.sampled_from(ACTORS),
            pick=st.integers(0, 1000),
            trigger=st.sampled_from(TRIGGERS),
            mode=st.sampled_from(MODES),
            c=choices,
        )
        def fire_any(self, who: str, pick: int, trigger: str, mode: str, c: Choice) -> None:
            self.step(who, self.models[pick % len(self.models)], trigger, mode, c)

        @rule(
            who=st.sampled_from(ACTORS),
            pick=st.integers(0, 1000),
            tpick=st.integers(0, 1000),
            mode=st.sampled_from(MODES),
            c=choices,
        )
        def fire_plausible(self, who: str, pick: int, tpick: int, mode: str, c: Choice) -> None:
            """A trigger declared for the measure's current state, so walks get deeper than chance."""
            m = self.models[pick % len(self.models)]
            candidates = [*(t for t, (sources, _) in TRANSITIONS.items() if m.state in sources), "edit"]
            self.step(who, m, candidates[tpick % len(candidates)], mode, c)

        @rule(pick=st.integers(0, 1000), apick=st.integers(0, 1000), mode=st.sampled_from(MODES), c=choices)
        def fire_allowed(self, pick: int, apick: int, mode: str, c: Choice) -> None:
            """An actor the model says may fire a trigger now: mostly accepted, or refused for the data."""
            m = self.models[pick % len(self.models)]
            pairs = sorted((who, t) for who in ACTORS for t in expected_allowed(self.world, who, m))
            who, trigger = pairs[apick % len(pairs)] if pairs else ("coordinator", "edit")
            self.step(who, m, trigger, mode, c)

        def step(self, who: str, m: Model, trigger: str, mode: str, c: Choice) -> None:
            world = self.world
            version = m.version + (-1 if m.version > 1 and c.which % 2 else 1) if mode == "stale" else m.version
            stale = version != m.version
            allowed_before = self.allowed_triggers(who, m)
            if trigger == "edit":
                data, broken = edit_data(world, mode, c)
                expected = self.expect_edit(who, m, broken, stale)
            else:
                data, broken = transition_data(world, who, trigger, mode, c)
                expected = self.expect_fire(who, m, trigger, broken, stale)

            before = snapshot(samordna)
            try:
                if trigger == "edit":
                    view = samordna.measures.edit(actor=world.actors[who], measure_id=m.id, version=version, data=data)
                else:
                    view = samordna.measures.record_transition(
                        actor=world.actors[who], measure_id=m.id, trigger=trigger, version=version, data=data
                    )
            except DomainError as exc:
                event(f"{trigger}: {type(exc).__name__}")
                assert type(exc) is expected, (who, m.state, trigger, mode, data, type(exc), exc.message)
                assert snapshot(samordna) == before, f"refused {trigger} changed the database"
                if isinstance(exc, Conflict):
                    assert exc.current_version == m.version
                    assert exc.state == m.state
                    if exc.allowed_triggers is not None:
                        assert set(exc.allowed_triggers) == expected_allowed(world, who, m)
                # allowed_triggers said so beforehand: a trigger it listed is refused only for its data
                # or a stale version, never for the role or the state.
                if allowed_before is not None and trigger in allowed_before:
                    assert isinstance(exc, Invalid) or (stale and isinstance(exc, Conflict)), exc.message
                return

            event(f"{trigger}: accepted")
            assert expected is None, (who, m.state, trigger, mode, data, "was accepted")
            assert allowed_before is not None
            assert trigger == "edit" or trigger in allowed_before, (trigger, allowed_before)
            old_state = m.state
            m.state = m.state if trigger == "edit" else TRANSITIONS[trigger][1]
            m.version += 1
            m.writes += 1
            if trigger in ("assign", "reassign"):
                m.responsible = data["responsible_unit_id"]
            if trigger == "assign" and "participating_unit_ids" in data:
                m.participating = frozenset(data["participating_unit_ids"])
            assert isinstance(view, MeasureView)
            assert (view.state, view.version) == (m.state, m.version)

            after = snapshot(samordna)
            others = [r for r in before["measure"] if r[0] != m.id]
            assert [r for r in after["measure"] if r[0] != m.id] == others, "another measure changed"
            assert after["event"][: len(before["event"])] == before["event"], "an event was changed"
            assert len(after["event"]) == len(before["event"]) + 1
            new_event = event_rows(samordna)[-1]
            assert new_event == {
                "measure_id": m.id,
                "trigger": trigger,
                "from_state": old_state,
                "to_state": m.state,
                "version": m.version,
            }
            reports = 1 if trigger == "report_status" else 0
            assert after["status_report"][: len(before["status_report"])] == before["status_report"]
            assert len(after["status_report"]) == len(before["status_report"]) + reports

        # ------------------------------------------------------------ predictions

        def expect_fire(self, who: str, m: Model, trigger: str, broken: bool, stale: bool) -> type[DomainError] | None:
            if MEMBERS[who][0] != "alfa":
                return NotFound
            if trigger not in TRANSITIONS or m.state not in TRANSITIONS[trigger][0]:
                return Conflict
            if not role_may(self.world, who, trigger, m):
                return NotAllowed
            if broken:
                return Invalid
            if stale:
                return Conflict
            return None

        def expect_edit(self, who: str, m: Model, broken: bool, stale: bool) -> type[DomainError] | None:
            area, role, _ = MEMBERS[who]
            if area != "alfa":
                return NotFound
            own_new_need = m.created_by == who and m.state == "need_identified"
            if role not in COORD and not own_new_need:
                return NotAllowed
            if m.state in FINAL:
                return Conflict
            if broken:
                return Invalid
            if stale:
                return Conflict
            return None

        def allowed_triggers(self, who: str, m: Model) -> set[str] | None:
            try:
                return set(samordna.measures.get(actor=self.world.actors[who], measure_id=m.id).allowed_triggers)
            except NotFound:
                return None

        # ------------------------------------------------------------ invariants

        @invariant()
        def database_agrees_with_the_model(self) -> None:
            if not hasattr(self, "world"):
                return
            snap = snapshot(samordna)
            events = event_rows(samordna)
            assert len(snap["measure"]) == len(self.models)
            assert len(events) == sum(m.creates + m.writes for m in self.models)
            for m in self.models:
                with samordna.db.read() as s:
                    state, version = s.execute(
                        text("SELECT state, version FROM measure WHERE id = :id"), {"id": m.id}
                    ).one()
                assert state in STATES and state in samordna.workflow.states
                assert (state, version) == (m.state, m.version)
                assert version == 1 + m.writes
                mine = [e for e in events if e["measure_id"] == m.id]
                assert len(mine) == m.writes + m.creates
                assert [e["version"] for e in mine] == list(range(1, len(mine) + 1))
                assert mine[0]["trigger"] == "create" and mine[0]["from_state"] is None
                for prev, nxt in zip(mine, mine[1:], strict=False):
                    assert nxt["from_state"] == prev["to_state"], "the trail has a gap"
                assert mine[-1]["to_state"] == m.state

        @invariant()
        def allowed_triggers_match_the_roles(self) -> None:
            if not hasattr(self, "world"):
                return
            for who in ACTORS:
                actor = self.world.actors[who]
                if MEMBERS[who][0] != "alfa":
                    with pytest.raises(NotFound):
                        samordna.measures.find(actor=actor, slug="alfa")
                    continue
                views = {v.id: v for v in samordna.measures.find(actor=actor, slug="alfa")}
                for m in self.models:
                    assert set(views[m.id].allowed_triggers) == expected_allowed(self.world, who, m), (
                        who,
                        m.state,
                    )

    return MeasureMachine


def test_model_covers_the_workflow_file(samordna: Services) -> None:
    wf = samordna.workflow
    assert set(wf.triggers()) == set(TRANSITIONS)
    assert set(wf.states) == STATES
    for td in wf.transitions:
        sources, dest = TRANSITIONS[td.trigger]
        assert (set(td.sources), td.dest) == (set(sources), dest), td.trigger


@pytest.mark.long
def test_random_walks_keep_the_invariants(samordna: Services, engine_name: str) -> None:
    if engine_name == "sqlite":
        budget = settings(max_examples=40, stateful_step_count=25)
    else:
        budget = settings(max_examples=15, stateful_step_count=20)
    run_state_machine_as_test(
        make_machine(samordna),
        settings=settings(
            budget,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
