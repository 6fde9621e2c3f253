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


# ---------------------------------------------------------------- the measure list (measures/listing.py)

SORTS = ("updated", "id", "ref", "title", "state", "unit", "goal", "follow_up", "health", "effect", "rank")


@dataclass(frozen=True)
class ListFilters:
    """What the measure list is narrowed to, as the URL (or the API's query) gives it, cleaned: unknown
    values are dropped. `q` is the free-text search; `mine`: registered by the member; `my_unit`: the
    member's unit is responsible or takes part; `year`: registered that year."""

    q: str = ""
    states: tuple[str, ...] = ()
    goal_id: int | None = None
    unit_id: int | None = None
    arena: str | None = None
    health: str | None = None  # a health value, or "none": no status report yet
    year: int | None = None
    mine: bool = False
    my_unit: bool = False
    sort: str = ""  # one of SORTS; "" = relevance when searching, else the latest change first
    descending: bool | None = None  # None: the sort's natural direction

    def query(self, **changes: Any) -> dict[str, Any]:
        """The filters as URL query parameters (only those set), with `changes` applied."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        out: dict[str, Any] = {}
        for name, value in values.items():
            if name == "descending":  # False is a direction too: «asc»
                if value is not None:
                    out["dir"] = "desc" if value else "asc"
                continue
            if value in (None, "", (), False):
                continue
            if name == "states":
                out["state"] = list(value)
            elif value is True:
                out[name] = "1"
            else:
                out[name] = str(value)
        return out


@dataclass(frozen=True)
class ListQuery:
    """One page of the list as the repository runs it: the area, the cleaned filters, the member for «mine»
    and «my unit», the search terms, the sort and the keyset («after» the previous page's last row)."""

    area_id: int
    filters: ListFilters
    terms: tuple[str, ...]
    user_id: int | None
    member_unit_id: int | None
    year_from: datetime | None
    year_to: datetime | None
    sort: str
    descending: bool
    after: tuple[Any, ...] | None
    limit: int
    state_order: tuple[str, ...]
    health_order: tuple[str, ...]
    effect_order: tuple[str, ...]


@dataclass(frozen=True)
class ListRow:
    """One measure in the list. `marked_title`/`snippet`: with \x02 … \x03 around the words the search
    matched (the web layer escapes the text and turns the markers into <mark>)."""

    id: int
    ref: str
    title: str
    state: str
    responsible_unit_id: int | None
    unit_name: str | None
    goal_id: int | None
    goal_title: str | None
    next_follow_up_at: date | None
    last_health: str | None
    evaluation_effect: str | None
    updated_at: datetime
    arena: str
    version: int
    marked_title: str = ""
    snippet: str = ""


@dataclass(frozen=True)
class ListPage:
    """A page of the measure list: its rows, how many match in all, the key of the next page (None at the
    end), the cleaned filters, the sort in force, and the area's goals and units for the filter form."""

    rows: tuple[ListRow, ...]
    total: int
    next_after: str | None
    filters: ListFilters
    sort: str
    descending: bool
    goals: tuple[Any, ...]
    units: tuple[Any, ...]
    member_unit_id: int | None
    searched: bool
    measures: tuple[MeasureView, ...] = ()  # the rows in full, when asked for (the API)


# ---------------------------------------------------------------- exports of the list (measures/export.py)


@dataclass(frozen=True)
class ExportRow:
    """One measure of an export: the list's columns and what an analyst also wants. Times are aware (UTC)."""

    id: int
    ref: str
    title: str
    state: str
    unit_name: str | None
    participating: tuple[str, ...]  # the names of the units taking part besides the responsible one
    goal_title: str | None
    arena: str
    target_group: str
    age_from: int | None
    age_to: int | None
    created_at: datetime
    due_date: date | None
    next_follow_up_at: date | None
    last_health: str | None
    evaluation_effect: str | None
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class ExportEvent:
    """One event of an exported measure (its ref and title beside it). `changed`: the measure columns it
    changed; `data`: the values given that are not stored on the measure (a reason, a note)."""

    measure_id: int
    ref: str
    title: str
    at: datetime
    trigger: str
    from_state: str | None
    to_state: str
    actor_name: str
    comment: str | None
    changed: tuple[str, ...]
    data: Mapping[str, Any]
    version: int
    meeting_id: int | None


@dataclass(frozen=True)
class ExportChunk:
    """Consecutive rows of an export, in the list's order, and (when asked for) their events: by measure in
    the same order, each measure's oldest first."""

    rows: tuple[ExportRow, ...]
    events: tuple[ExportEvent, ...] = ()
