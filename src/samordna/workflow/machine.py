"""One shared transitions Machine per workflow, the row wrapper it moves, and fire(). No HTTP, no SQL."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from transitions import Machine, MachineError

if TYPE_CHECKING:
    from samordna.workflow.definition import TransitionDef


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


class RowProxy:
    """The model the machine sees: a plain object whose `state` reads and writes `row.state`.

    A SQLModel row cannot be a transitions model (pydantic refuses the attributes the machine adds),
    so the machine decorates this throwaway object instead and never touches the row otherwise.
    """

    def __init__(self, row: Any) -> None:
        self._row = row

    @property
    def state(self) -> str:
        return self._row.state

    @state.setter
    def state(self, value: str) -> None:
        if self._row.state != value:  # don't dirty an ORM row by writing the value it already has
            self._row.state = value


class CompiledMachine:
    """A workflow's Machine (built once, shared by all rows and threads) and its lookup tables."""

    def __init__(
        self, *, name: str, states: tuple[str, ...], initial: str, transitions: tuple[TransitionDef, ...]
    ) -> None:
        edges = [{"trigger": t.trigger, "source": list(t.sources), "dest": t.dest} for t in transitions]
        self.machine = Machine(
            model=None,
            states=list(states),
            transitions=edges,
            initial=initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
            send_event=False,
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
        self._lock = threading.Lock()

    def fire(self, row: Any, trigger: str) -> str:
        """Fire `trigger` on `row` through the shared machine; returns the new state (also on the row)."""
        state = row.state
        if (state, trigger) not in self.lookup:
            raise TriggerNotAllowed(trigger, state, self.allowed.get(state, ()))
        proxy = RowProxy(row)
        with self._lock:
            self.machine.add_model(proxy, initial=state)
            try:
                proxy.trigger(trigger)  # type: ignore[attr-defined]  # bound by add_model
            finally:
                self.machine.remove_model(proxy)
        return row.state
