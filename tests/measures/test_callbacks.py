"""The callbacks a measure workflow file names run inside the transition, through the state machine: an `after`
callback added to a copy of workflows/measure.toml runs (in the service and on the API's token path), what it
computes is written in the same UPDATE and event, a failing one writes nothing, a condition answering no
refuses the transition with 409, and an unknown name stops the services from starting."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from samordna.domain.errors import Conflict
from samordna.measures.callbacks import CALLBACKS, MeasureChange
from samordna.services import Services
from samordna.store.models import Event, StatusReport
from samordna.workflow import WorkflowError
from tests.factories import World, valid_data

MEASURE_TOML = Path(__file__).resolve().parents[2] / "workflows" / "measure.toml"
START = (
    'allow = [{ role = "executing", unit = "responsible" }, { role = "coordinator" }]\nafter = ["schedule_follow_up"]'
)
INITIATE = 'required = ["goal_id", "plan", "success_criteria"]'


@pytest.fixture
def services_with(
    tmp_path: Path, samordna: Services, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Services]]:
    """`services_with(old, new, **callbacks)`: the services over the test database, with a copy of measure.toml
    in which `old` is replaced by `new`, and `callbacks` registered for this test only."""

    def build(old: str, new: str, **callbacks: Callable[[MeasureChange], Any]) -> Services:
        text = MEASURE_TOML.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        (tmp_path / "measure.toml").write_text(text.replace(old, new), encoding="utf-8")
        for name, fn in callbacks.items():
            monkeypatch.setitem(CALLBACKS, name, fn)
        settings = dataclasses.replace(samordna.settings, workflows_dir=tmp_path)
        return Services.build(settings, db=samordna.db, clock=samordna.clock)

    yield build


def counts(services: Services, measure_id: int) -> tuple[int, int]:
    with services.db.read() as s:
        events = s.execute(select(func.count()).where(Event.measure_id == measure_id)).scalar_one()
        reports = s.execute(select(func.count()).where(StatusReport.measure_id == measure_id)).scalar_one()
    return events, reports


def test_an_after_callback_added_to_the_file_runs_and_what_it_writes_is_stored(
    services_with: Callable[..., Services], world: World
) -> None:
    seen: list[tuple[str, str, str]] = []

    def note_start(change: MeasureChange) -> None:
        seen.append((change.trigger, change.row["state"], change.state))  # after: already in the new state
        change.values["decision_note"] = "Startet etter plan."  # a column, written with the transition

    services = services_with(
        START, START.replace('["schedule_follow_up"]', '["schedule_follow_up", "note_start"]'), note_start=note_start
    )
    m = world.advance(world.register(), "assigned")
    after = services.measures.record_transition(
        actor=world.actors["executing"], measure_id=m.id, trigger="start", version=m.version
    )
    assert seen == [("start", "assigned", "in_follow_up")]
    assert (after.state, after.version, after.decision_note) == ("in_follow_up", m.version + 1, "Startet etter plan.")
    assert after.next_follow_up_at is not None  # the file's own callback still ran
    assert services.measures.get(actor=world.actors["executing"], measure_id=m.id) == after
    event = services.measures.events(actor=world.actors["executing"], measure_id=m.id)[-1]
    assert event.trigger == "start" and event.changes["decision_note"] == [None, "Startet etter plan."]

    # The API's path (the token looked up inside the transition's transaction) goes through the machine too.
    m = world.advance(world.register(), "assigned")
    services.measures.record_transition_for_token(
        token=world.tokens["coordinator"], measure_id=m.id, trigger="start", version=m.version
    )
    assert seen[-1] == ("start", "assigned", "in_follow_up") and len(seen) == 2


def test_the_shipped_file_uses_the_same_registry(world: World) -> None:
    workflow = world.samordna.workflow
    assert {n for t in workflow.transitions for n in (*t.conditions, *t.before, *t.after)} <= set(CALLBACKS)
    m = world.advance(world.register(), "in_follow_up")
    m = world.fire("executing", m, "report_status", health="at_risk", note="Lite oppmøte.")
    assert m.last_health == "at_risk"
    assert counts(world.samordna, m.id) == (5, 1)  # create, initiate, assign, start, report_status; one report


def test_a_callback_that_fails_writes_nothing(services_with: Callable[..., Services], world: World) -> None:
    def explode(change: MeasureChange) -> None:
        change.values["decision_note"] = "Skal ikke lagres."
        raise RuntimeError("the side effect failed")

    services = services_with(
        START, START.replace('["schedule_follow_up"]', '["schedule_follow_up", "explode"]'), explode=explode
    )
    m = world.advance(world.register(), "assigned")
    before = counts(services, m.id)
    with pytest.raises(RuntimeError, match="side effect failed"):
        services.measures.record_transition(
            actor=world.actors["executing"], measure_id=m.id, trigger="start", version=m.version
        )
    assert services.measures.get(actor=world.actors["coordination"], measure_id=m.id) == m  # as assigned
    assert counts(services, m.id) == before


def test_a_condition_that_answers_no_refuses_with_409_and_writes_nothing(
    services_with: Callable[..., Services], world: World
) -> None:
    """A condition is about the measure, not the fields sent: the request was valid (no 422), the measure is not
    ready for it — 409 Conflict with its state, version and what can be done, like a trigger of another state."""
    answers: list[bool] = []

    def has_budget(change: MeasureChange) -> bool:
        assert change.state == "need_identified"  # conditions run before the state changes
        return answers.pop(0)

    services = services_with(INITIATE, INITIATE + '\nconditions = ["has_budget"]', has_budget=has_budget)
    m = world.register()
    answers.append(False)
    with pytest.raises(Conflict) as caught:
        services.measures.record_transition(
            actor=world.actors["coordination"],
            measure_id=m.id,
            trigger="initiate",
            version=m.version,
            data=valid_data(world, "initiate"),
        )
    refused = caught.value
    assert refused.status == 409
    assert refused.message == "Tiltaket oppfyller ikke vilkårene for «Initier tiltak»."
    assert (refused.state, refused.current_version) == ("need_identified", m.version)
    assert refused.allowed_triggers == ("initiate", "decline")
    now = services.measures.get(actor=world.actors["coordination"], measure_id=m.id)
    assert (now.state, now.version, now.plan) == ("need_identified", m.version, None)
    assert counts(services, m.id) == (1, 0)

    answers.append(True)
    after = services.measures.record_transition(
        actor=world.actors["coordination"],
        measure_id=m.id,
        trigger="initiate",
        version=m.version,
        data=valid_data(world, "initiate"),
    )
    assert after.state == "initiated" and answers == []


def test_an_unknown_callback_stops_the_services_naming_file_and_transition(
    services_with: Callable[..., Services],
) -> None:
    with pytest.raises(WorkflowError) as caught:
        services_with(INITIATE, INITIATE + '\nafter = ["shedule_follow_up"]')
    (message,) = caught.value.messages
    assert message.endswith(
        "measure.toml: transitions[1] (initiate): after names 'shedule_follow_up', which is not a known callback "
        "(did you mean 'schedule_follow_up'?)"
    )


def test_adjust_clears_the_last_health_and_the_next_follow_up(world: World) -> None:
    m = world.advance(world.register(), "in_follow_up")
    m = world.fire("executing", m, "report_status", health="off_track", note="Ute av kurs.")
    m = world.fire("coordination", world.fire("executing", m, "request_evaluation"), "submit_evaluation")
    assert m.last_health == "off_track" and m.next_follow_up_at is not None
    after = world.fire("steering", m, "adjust")
    assert (after.state, after.last_health, after.next_follow_up_at) == ("initiated", None, None)
    event = world.samordna.measures.events(actor=world.actors["steering"], measure_id=m.id)[-1]
    assert event.changes["last_health"] == ["off_track", None]
    assert event.changes["next_follow_up_at"] == [m.next_follow_up_at.isoformat(), None]
    # Back in follow-up, the measure is scheduled anew and reports anew.
    again = world.fire("coordination", after, "assign")
    assert again.next_follow_up_at is not None and again.last_health is None
