"""The named side effects a measure workflow file can give its transitions (`conditions`, `before`, `after`),
and MeasureChange, the object the workflow's machine moves and the callbacks act on. No SQL: a callback
computes what the transition writes (a column, a status report row); the service writes it, in the same
transaction as the versioned UPDATE and the event.

CALLBACKS is the registry: Services.build loads the workflow files with it, so a file naming a callback that
is not here is refused at start-up (with the file and the transition). A condition answers True to let the
transition happen; False refuses it (409, nothing written). Register one with `@callback("name")`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

DEFAULT_FOLLOW_UP_DAYS = 30


class MeasureChange:
    """One transition of one measure, as the state machine sees it: made per call, never shared.

    `state` starts as the row's and is moved by the machine; `row` is the measure as read (leave it alone);
    `values` the columns the transition writes, which callbacks may add to; `fields` the clean values sent,
    by field name; `data` the values kept in the event only; `status_report` the status report row to
    insert, if a callback made one.
    """

    __slots__ = ("state", "row", "trigger", "values", "fields", "data", "actor_id", "today", "now", "status_report")

    def __init__(
        self,
        *,
        row: Mapping[str, Any],
        trigger: str,
        values: dict[str, Any],
        fields: Mapping[str, Any],
        data: dict[str, Any],
        actor_id: int,
        today: date,
        now: datetime,
    ) -> None:
        self.state: str = row["state"]
        self.row = row
        self.trigger = trigger
        self.values = values
        self.fields = fields
        self.data = data
        self.actor_id = actor_id
        self.today = today
        self.now = now
        self.status_report: dict[str, Any] | None = None


Callback = Callable[[MeasureChange], Any]
CALLBACKS: dict[str, Callback] = {}


def callback(name: str) -> Callable[[Callback], Callback]:
    """Register the decorated function as the callback `name` a workflow file can give a transition."""

    def register(fn: Callback) -> Callback:
        CALLBACKS[name] = fn
        return fn

    return register


@callback("schedule_follow_up")
def schedule_follow_up(change: MeasureChange) -> None:
    """The next follow-up: today plus the follow-up interval (the one just given, else the measure's)."""
    days = change.values.get("follow_up_days") or change.row["follow_up_days"] or DEFAULT_FOLLOW_UP_DAYS
    change.values["next_follow_up_at"] = change.today + timedelta(days=days)


@callback("status_report")
def status_report(change: MeasureChange) -> None:
    """A status report row from the `health` and `note` fields."""
    change.status_report = {
        "measure_id": change.row["id"],
        "author_id": change.actor_id,
        "at": change.now,
        "health": change.fields["health"],
        "note": change.fields.get("note") or "",
    }


@callback("clear_follow_up")
def clear_follow_up(change: MeasureChange) -> None:
    """Forget the last reported health and the next follow-up date (the measure goes back to planning)."""
    change.values["last_health"] = None
    change.values["next_follow_up_at"] = None
