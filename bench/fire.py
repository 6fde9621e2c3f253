"""Firing one trigger through the workflow's transitions Machine, in-process, with timeit: the way fire() does
it and the ways it could, each on a model made per call (what a transition wraps its row in).

- fire: `Workflow.fire` — the shared machine's Event run on the model (`machine.events[trigger].trigger`),
  no lock, nothing attached to the machine;
- add_model: `add_model` + trigger + `remove_model` on the shared machine, under a lock (the machine's model
  list is shared state);
- new Machine: `Machine(model=wrapper, ...)` built per call from the precompiled configuration;
- floor: the new state looked up in a dict, no machine (what the service did before; no callbacks run).

`report_status` is fired (in_follow_up -> in_follow_up, two `after` callbacks, no-ops here). Prints figures
only; asserts nothing. `python -m bench.fire [--number N] [--repeats R]`.
"""

from __future__ import annotations

import argparse
import threading
import timeit
from pathlib import Path
from typing import Any

from bench.common import Row, smoke, time_ratio

NAME = "fire"
NUMBER = smoke(5000, 50)
REPEATS = smoke(7, 1)
MEASURE = Path(__file__).resolve().parents[1] / "workflows" / "measure.toml"
TRIGGER = "report_status"


class _Model:
    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.state = row["state"]


def run(number: int = NUMBER, repeats: int = REPEATS) -> list[Row]:
    from transitions import Machine

    from samordna.workflow import load_workflow
    from samordna.workflow.machine import _run

    def noop(model: Any) -> None:
        return None

    callbacks = {name: noop for name in ("schedule_follow_up", "status_report", "clear_follow_up")}
    workflow = load_workflow(MEASURE, callbacks=callbacks)
    config = {
        "states": list(workflow.states),
        "transitions": [
            {
                "trigger": t.trigger,
                "source": list(t.sources),
                "dest": t.dest,
                "after": [_run(n, callbacks[n]) for n in t.after],
            }
            for t in workflow.transitions
        ],
        "auto_transitions": False,
        "ignore_invalid_triggers": False,
        "send_event": True,
    }
    shared = Machine(model=None, initial=workflow.initial, **config)
    lock = threading.Lock()
    row = {"state": "in_follow_up"}

    def fire() -> None:
        workflow.fire(_Model(row), TRIGGER)

    def add_model() -> None:
        model = _Model(row)
        with lock:
            shared.add_model(model, initial=model.state)
            try:
                model.trigger(TRIGGER, [])  # type: ignore[attr-defined]
            finally:
                shared.remove_model(model)

    def new_machine() -> None:
        model = _Model(row)
        Machine(model=model, initial=model.state, **config)
        model.trigger(TRIGGER, [])  # type: ignore[attr-defined]

    def floor() -> None:
        model = _Model(row)
        model.state = workflow.transition(model.state, TRIGGER).dest  # type: ignore[union-attr]

    cases = {"fire": fire, "add_model": add_model, "new_machine": new_machine, "floor": floor}
    micros = {
        k: tuple(t / number * 1e6 for t in timeit.repeat(fn, number=number, repeat=repeats)) for k, fn in cases.items()
    }
    notes = {
        "fire": "Workflow.fire: events[trigger].trigger(model), no lock",
        "add_model": "shared Machine: add_model + trigger + remove_model, under a lock",
        "new_machine": "Machine(model=wrapper, **config) per call",
        "floor": "dict lookup of the new state, no machine, no callbacks",
    }
    floor_median = Row("", "", "", micros["floor"]).median
    return [
        Row(
            NAME,
            f"{kind}: {TRIGGER}",
            "µs",
            micros[kind],
            notes[kind],
            ratio=time_ratio(Row("", "", "", micros[kind]).median, floor_median, lower_is_better=True),
            lower_is_better=True,
        )
        for kind in cases
    ]


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=NUMBER)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    print_table(run(args.number, args.repeats))


if __name__ == "__main__":
    main()
