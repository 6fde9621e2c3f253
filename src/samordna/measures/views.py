"""What the measures feature hands out: plain, frozen views of a measure, its events and its page. No SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from samordna.domain.clock import aware
from samordna.domain.errors import FieldError


@dataclass(frozen=True)
class MeasureView:
    id: int
    area_id: int
    ref: str
    title: str
    need_description: str
    knowledge_source: str
    target_group: str
    age_from: int | None
    age_to: int | None
    arena: str
    goal_id: int | None
    plan: str | None
    success_criteria: str | None
    responsible_unit_id: int | None
    contact_user_id: int | None
    participating_unit_ids: list[int]
    order_text: str | None
    due_date: date | None
    follow_up_days: int | None
    next_follow_up_at: date | None
    last_health: str | None
    evaluation_effect: str | None
    evaluation_method: str | None
    evaluation_findings: str | None
    evaluation_recommendation: str | None
    decision_note: str | None
    state: str
    version: int
    created_at: datetime
    updated_at: datetime
    overdue: bool
    allowed_triggers: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return _json_fields(self, _MEASURE_VIEW_FIELDS)


@dataclass(frozen=True)
class EventView:
    id: int
    trigger: str
    from_state: str | None
    to_state: str
    actor: dict[str, Any]
    at: datetime
    comment: str | None
    changes: dict[str, Any]
    data: dict[str, Any]
    version: int
    meeting_id: int | None = None  # a decision taken in a meeting (DESIGN.md §11)

    def to_json(self) -> dict[str, Any]:
        return _json_fields(self, _EVENT_VIEW_FIELDS)


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened: an event (with its status report, if it made one) or a lone report."""

    kind: str  # "event" | "report"
    at: datetime
    actor_name: str
    trigger: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None
    health: str | None = None
    note: str | None = None
    version: int | None = None
    meeting_id: int | None = None  # the meeting a decision was taken in


@dataclass(frozen=True)
class MeasureDetails:
    measure: MeasureView
    timeline: list[TimelineEntry]  # newest first
    goal_titles: dict[int, str]
    unit_names: dict[int, str]
    user_names: dict[int, str]
    created_by: str
    updated_by: str
    can_edit: bool  # may change the descriptive fields (`edit`)


@dataclass(frozen=True)
class FormShape:
    """A form as the service decided it for one member: what it does (a trigger, `edit` or `create`) and
    the fields the member fills in — (workflow FieldDef, required) — in order."""

    trigger: str
    fields: tuple[tuple[Any, bool], ...]


@dataclass(frozen=True)
class MeasurePage:
    """Everything the measure page shows and the forms it offers the member, read in one transaction."""

    details: MeasureDetails
    forms: tuple[FormShape, ...]  # one per trigger the member may fire now, in the order of allowed_triggers
    edit: FormShape | None  # «Endre beskrivelse», when the member may change the descriptive fields
    choices: Mapping[str, Sequence[Any]]  # what the goal, unit and member fields offer (goals, units, members)

    @property
    def measure(self) -> MeasureView:
        return self.details.measure

    def offers(self, trigger: str) -> bool:
        """Whether the page offers the form for `trigger` (or `edit`) to this member now."""
        return any(f.trigger == trigger for f in self.forms) or (self.edit is not None and trigger == self.edit.trigger)


@dataclass(frozen=True)
class PageAnswer:
    """What became of a form sent from the measure page. Accepted: status 200, the measure after (and the page
    after, when asked for). Refused, nothing written: 400 (no version), 422 (fields), 403 (who may) or 409 (the
    measure is not as the form saw it; `changed` when someone else changed it since), with the page as it is
    now and the refused form's fields."""

    trigger: str  # the trigger, or `edit`
    status: int
    measure: MeasureView  # after the change, or as it is now
    page: MeasurePage | None = None
    form: FormShape | None = None  # refused: the form to show again
    errors: tuple[FieldError, ...] = ()
    changed: bool = False

    @property
    def still_possible(self) -> bool:
        """Whether the member may send the refused form again (after correcting it, or on the new version)."""
        return self.status != 403 and self.page is not None and self.page.offers(self.trigger)


@dataclass(frozen=True)
class NeedForm:
    """«Meld behov» for a member who may register a need: its fields and what its choice fields offer."""

    form: FormShape
    choices: Mapping[str, Sequence[Any]]


@dataclass(frozen=True)
class NeedAnswer:
    """A need sent from «Meld behov»: registered (201, the new measure) or refused (422, or 403), nothing
    written, with the form to show again."""

    status: int
    measure: MeasureView | None = None
    need: NeedForm | None = None
    errors: tuple[FieldError, ...] = ()


_MEASURE_VIEW_FIELDS = tuple(f.name for f in fields(MeasureView))
_EVENT_VIEW_FIELDS = tuple(f.name for f in fields(EventView))
_PLAIN = frozenset({int, str, bool, float, type(None)})


def _json_fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """`jsonable` of the named attributes as a dict, with the common plain values passed straight through."""
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = value if type(value) in _PLAIN else jsonable(value)
    return out


def jsonable(value: Any) -> Any:
    """`value` with dates as ISO text (aware datetimes), tuples as lists: what json.dumps can write."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
