"""One shared transitions Machine per workflow, with the callbacks its file names, and fire(). No HTTP, no SQL.

fire() runs the shared machine's Event on the caller's model directly (`machine.events[trigger].trigger(model)`),
without `add_model`: nothing is attached to the machine or added to the model, so calls from many threads
share the machine without a lock (transitions keeps per-call state in its EventData; without a queue,
`Machine._process` only calls the trigger). Measured with timeit (`python -m bench.fire`, transitions 0.9.3,
`report_status` with its two `after` callbacks, on a model made per call): 9 µs, against 54 µs for `add_model`
+ trigger + `remove_model` under a lock and 114 µs for a new `Machine(model=wrapper, ...)` per call (a dict
lookup of the new state, what the measures service did before, takes 0.3 µs and runs no callbacks).

Callbacks are plain functions of the model, named in the workflow file (`conditions`, `before`, `after`)
and bound from a registry when the workflow is loaded: a condition returns True to let the transition
happen; `before` runs before the state changes, `after` once it has. A callback that raises leaves the
model half-moved (after `after` began, its state is the new one): the caller throws the model away with its
transaction. The machine is never `queued` (a queue would be state shared between calls).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from transitions import Machine, MachineError

if TYPE_CHECKING:
    from transitions.core import EventData

    from samordna.workflow.definition import TransitionDef

Callback = Callable[[Any], Any]  # called with the model; a condition answers True to let the transition happen
CALLBACK_KEYS = ("conditions", "before", "after")


class TriggerNotAllowed(MachineError):
    """`trigger` cannot be fired from `state`; `allowed` lists what can."""

    def __init__(self, trigger: str, state: str, allowed: Iterable[str]) -> None:
        self.trigger = trigger
        self.state = state
        self.allowed = tuple(allowed)
        can = ", ".join(self.allowed) if self.allowed else "none"
        super().__init__(f"trigger {trigger!r} is not allowed in state {state!r} (allowed: {can})")

    def __str__(self) -> str:
        return str(self.value)

    def __reduce__(self):
        return (type(self), (self.trigger, self.state, self.allowed))


class TransitionRefused(MachineError):
    """A condition of the transition `trigger` from `state` answered False: nothing happened."""

    def __init__(self, trigger: str, state: str, condition: str) -> None:
        self.trigger = trigger
        self.state = state
        self.condition = condition
        super().__init__(f"trigger {trigger!r} from state {state!r} refused by the condition {condition!r}")

    def __str__(self) -> str:
        return str(self.value)

    def __reduce__(self):
        return (type(self), (self.trigger, self.state, self.condition))


class UnboundCallback(LookupError):
    """The workflow was loaded without a callback registry and fire() reached a callback it names."""


def _run(name: str, fn: Callback) -> Callable[[EventData], None]:
    def run(event: EventData) -> None:
        fn(event.model)

    run.__name__ = run.__qualname__ = name
    return run


def _check(name: str, fn: Callback) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        if fn(event.model):
            return True
        event.args[0].append(name)  # fire()'s per-call list: which condition said no
        return False

    check.__name__ = check.__qualname__ = name
    return check


def _unbound(name: str, path: str) -> Callback:
    def missing(_model: Any) -> None:
        raise UnboundCallback(f"{path}: callback {name!r} is not bound: load the workflow with its callbacks")

    return missing


class CompiledMachine:
    """A workflow's Machine (built once, shared by all models and threads) and its lookup tables."""

    def __init__(
        self,
        *,
        name: str,
        path: str,
        states: tuple[str, ...],
        initial: str,
        transitions: tuple[TransitionDef, ...],
        callbacks: Mapping[str, Callback] | None = None,
    ) -> None:
        def bound(names: tuple[str, ...], wrap: Callable[[str, Callback], Any]) -> list[Any]:
            return [wrap(n, callbacks[n] if callbacks and n in callbacks else _unbound(n, path)) for n in names]

        edges = [
            {
                "trigger": t.trigger,
                "source": list(t.sources),
                "dest": t.dest,
                "conditions": bound(t.conditions, _check),
                "before": bound(t.before, _run),
                "after": bound(t.after, _run),
            }
            for t in transitions
        ]
        self.machine = Machine(
            model=None,
            states=list(states),
            transitions=edges,
            initial=initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
            send_event=True,  # callbacks get the EventData, whose `model` is what fire() was given
            name=name,
        )
        allowed: dict[str, list[str]] = {state: [] for state in states}
        lookup: dict[tuple[str, str], TransitionDef] = {}
        for t in transitions:
            for source in t.sources:
                lookup[source, t.trigger] = t
                if t.trigger not in allowed[source]:
                    allowed[source].append(t.trigger)
        self.allowed: dict[str, tuple[str, ...]] = {state: tuple(ts) for state, ts in allowed.items()}
        self.lookup = lookup
        self.events = self.machine.events

    def fire(self, model: Any, trigger: str) -> str:
        """Fire `trigger` on `model` (anything with a writable `state`) through the shared machine, running
        the transition's conditions and callbacks; returns the new state (also on the model).

        TriggerNotAllowed when `trigger` cannot be fired from the model's state, TransitionRefused when a
        condition answers False; either way the state is left alone and no before/after callback has run.
        """
        state = model.state
        if (state, trigger) not in self.lookup:
            raise TriggerNotAllowed(trigger, state, self.allowed.get(state, ()))
        refused: list[str] = []
        if not self.events[trigger].trigger(model, refused):
            raise TransitionRefused(trigger, state, refused[0] if refused else "?")
        return model.state
