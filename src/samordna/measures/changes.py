"""What is said about a measure once a change to it has committed: who needs to hear of it (the live boards,
samordna.live) listens here, so the measures room knows nothing of HTTP, channels or streams.

Every write that appends a measure's event — a need registered, an edit, a transition (a status report, a decision
in a meeting), a file added or removed — announces one MeasureChanged after its transaction has committed
(samordna.store.db.after_commit), never for a write that rolled back. The message carries what a listener needs
to decide who may hear of it (the area, the units involved before and after, who registered the need) and to name
it (the event's id, the measure's id and ref, who changed it), and nothing of its text: it may travel through
PostgreSQL's NOTIFY, whose payloads are small, and a page that wants more asks for it under its own policy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MeasureChanged:
    """One committed change of a measure: its event, and enough to filter and name it."""

    event_id: int
    area_id: int
    measure_id: int
    ref: str
    kind: str  # the event's trigger: create, edit, a workflow trigger, attach, detach
    from_state: str | None
    to_state: str
    version: int
    units: tuple[int, ...]  # responsible and participating units, before and after the change (ascending)
    registered_by: int  # who registered the need (they follow it on the execution board)
    actor_id: int
    actor_name: str
    meeting_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "units": list(self.units)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MeasureChanged:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**{**fields, "units": tuple(int(u) for u in data.get("units", ()))})


def units_involved(*groups: Iterable[int | None]) -> tuple[int, ...]:
    """The distinct units named in `groups` (responsible and participating, before and after), ascending."""
    return tuple(sorted({u for group in groups for u in group if u is not None}))


Listener = Callable[[MeasureChanged], None]
# Called inside the write transaction, with it (a Session or Connection) and the change: what must commit or roll
# back with the change itself (PostgreSQL's NOTIFY, which is delivered on COMMIT and never on ROLLBACK).
TransactionListener = Callable[[Any, MeasureChanged], None]


class ChangeFeed:
    """Who hears of committed changes. Listeners are called in the thread that committed, in order; one that
    raises is logged and the others still hear (the change has happened whatever a listener does).

    Transaction listeners are called before the commit, inside the write's transaction; one that raises makes
    the write fail (it is part of it)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._in_transaction: list[TransactionListener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns the call that removes it."""
        return _added(self._listeners, listener)

    def listen_in_transaction(self, listener: TransactionListener) -> Callable[[], None]:
        """Add a transaction listener (once: a listener already there is not added again); returns the call that
        removes it."""
        if listener in self._in_transaction:
            return lambda: None
        return _added(self._in_transaction, listener)

    def emit_in_transaction(self, conn: Any, change: MeasureChanged) -> None:
        for listener in list(self._in_transaction):
            listener(conn, change)

    def emit(self, change: MeasureChanged) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                log.exception("a listener of measure changes failed")


def _added(listeners: list[Any], listener: Any) -> Callable[[], None]:
    listeners.append(listener)

    def stop() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return stop
