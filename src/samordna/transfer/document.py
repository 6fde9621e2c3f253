"""The area export document, schema version 1: its shape as msgspec structs, decoding with Norwegian messages,
and the checks a decoded document must pass before anything is written. Pure: no SQL, no files.

The document holds no database ids. Rows that others point at carry a document-local `id` (1, 2, 3 … in the
order of the source's ids); a reference names that id (`"unit": 3`), a body by its level, an event by its
measure and version. The history too: in an event's `changes` ({column: [old, new]}) and `data`, the values of
the workflow's reference fields (types goal, unit, units, member: `goal_id`, `responsible_unit_id`,
`participating_unit_ids`, `contact_user_id`) are document-local ids. No secret is in it: no password hash, no
API token, no session, no calendar key.

Attachments (files on measures and meetings) are not carried: the files stay with the installation (a backup,
`samordna backup`, holds them). A measure's history keeps the event of each file added or removed with the
file's name and size, but not the id of its row, which would name nothing — or another file — in the database
the area is imported into (`carried_data`, on export and on import).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from samordna.domain.vocabulary import AREA_KINDS, BODY_LEVELS, HEALTHS, ROLES, UNIT_KINDS
from samordna.measures.rules import ATTACH, DETACH

FORMAT = "samordna-area"
SCHEMA_VERSION = 1
# The sections of a version 1 document after its head, in the order they are written (and read).
SECTIONS = (
    "area",
    "ref_counters",
    "units",
    "users",
    "members",
    "goals",
    "measures",
    "events",
    "status_reports",
    "bodies",
    "meetings",
    "agenda_items",
    "agenda_recipients",
    "attendance",
    "milestones",
)

Id = Annotated[int, Meta(ge=1)]
When = Annotated[datetime, Meta(tz=True)]  # an instant with its offset; written in UTC
Text = str


def Short(n: int) -> Any:  # noqa: N802 (reads as a type: Short(200))
    return Annotated[str, Meta(max_length=n)]


class _Row(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    pass


class AreaDoc(_Row):
    slug: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    name: Short(200)
    kind: Short(20)
    language: Short(2)
    code: Short(8)  # the prefix of the measures' refs, kept with them
    created_at: When


class RefCounterDoc(_Row):
    year: int
    last: Annotated[int, Meta(ge=0)]


class UnitDoc(_Row):
    id: Id
    name: Short(200)
    kind: Short(20)
    active: bool


class UserDoc(_Row):
    """A member, or anyone an area's rows name (an event's actor, a report's author). No password."""

    id: Id
    email: Short(254)
    name: Short(200)
    active: bool
    language: Short(2) | None
    created_at: When


class MemberDoc(_Row):
    user: Id
    role: Short(20)
    unit: Id | None
    active: bool


class GoalDoc(_Row):
    id: Id
    title: Short(200)
    description: Text
    period_from: int
    period_to: int
    priority: int
    active: bool
    created_at: When
    created_by: Id | None


class MeasureDoc(_Row):
    id: Id
    ref: Short(32)
    title: Short(200)
    need_description: Text
    knowledge_source: Short(200)
    target_group: Short(200)
    age_from: int | None
    age_to: int | None
    arena: Short(20)
    goal: Id | None
    plan: Text | None
    success_criteria: Text | None
    responsible_unit: Id | None
    participating_units: list[Id]
    contact: Id | None
    order_text: Text | None
    due_date: date | None
    follow_up_days: int | None
    next_follow_up_at: date | None
    last_health: Short(20) | None
    evaluation_effect: Short(20) | None
    evaluation_method: Text | None
    evaluation_findings: Text | None
    evaluation_recommendation: Short(20) | None
    decision_note: Text | None
    state: Short(40)
    version: Id
    created_at: When
    created_by: Id
    updated_at: When
    updated_by: Id


class EventDoc(_Row):
    """One version of a measure: the audit trail, in the order it was written."""

    measure: Id
    version: Id
    at: When
    actor: Id
    trigger: Short(40)
    from_state: Short(40) | None
    to_state: Short(40)
    comment: Text | None
    changes: dict[str, Any]
    data: dict[str, Any]
    meeting: Id | None


class StatusReportDoc(_Row):
    measure: Id
    author: Id
    at: When
    health: Short(20)
    note: Text


class BodyDoc(_Row):
    level: Short(20)
    name: Short(200)


class MeetingDoc(_Row):
    id: Id
    body: Short(20)  # the body's level
    title: Short(200)
    starts_at: When
    ends_at: When
    place: Short(200)
    state: Short(40)
    version: Id
    cancel_reason: Text | None
    minutes_summary: Text
    agenda_sent_at: When | None
    agenda_sent_by: Id | None
    held_at: When | None
    minutes_approved_at: When | None
    approved_in: Id | None  # the later meeting in which these minutes were approved
    created_at: When
    created_by: Id | None


class EventRef(_Row):
    measure: Id
    version: Id


class AgendaItemDoc(_Row):
    meeting: Id
    year: int
    number: int | None
    position: int
    kind: Short(20)
    reason: Short(40) | None
    measure: Id | None
    goal: Id | None
    title: Short(200)
    text: Text
    note: Text
    decision_trigger: Short(40) | None
    decision_event: EventRef | None
    decided_by: Id | None


class RecipientDoc(_Row):
    meeting: Id
    user: Id
    email: Short(254)
    sent_at: When


class AttendanceDoc(_Row):
    meeting: Id
    user: Id | None
    name: Short(200)
    status: Short(20)


class MilestoneDoc(_Row):
    title: Short(200)
    month: Annotated[int, Meta(ge=1, le=12)]
    day: Annotated[int, Meta(ge=1, le=31)] | None
    level: Short(20) | None
    description: Text


class Head(Struct, kw_only=True):
    """What is read first: which document this is (unknown fields allowed, so any version's head decodes)."""

    format: Any = None
    schema_version: Any = None


class Document(_Row):
    format: Literal["samordna-area"]
    schema_version: Literal[1]
    exported_at: When
    area: AreaDoc
    ref_counters: list[RefCounterDoc]
    units: list[UnitDoc]
    users: list[UserDoc]
    members: list[MemberDoc]
    goals: list[GoalDoc]
    measures: list[MeasureDoc]
    events: list[EventDoc]
    status_reports: list[StatusReportDoc]
    bodies: list[BodyDoc]
    meetings: list[MeetingDoc]
    agenda_items: list[AgendaItemDoc]
    agenda_recipients: list[RecipientDoc]
    attendance: list[AttendanceDoc]
    milestones: list[MilestoneDoc]


def json_schema() -> dict[str, Any]:
    """The document as JSON Schema (docs/area-export.schema.json is this, written out)."""
    schema = msgspec.json.schema(Document)
    schema["title"] = "Samordna area export, schema version 1"
    return schema


# ---------------------------------------------------------------- ids inside the history

# The workflow field types whose values are ids, and the section those ids are rows of.
REFERENCE_SECTIONS = {"goal": "goals", "unit": "units", "units": "units", "member": "users"}
FILE_TRIGGERS = (ATTACH, DETACH)
FILE_ROW_KEYS = ("attachment_id",)  # the data of a file's event that names a row the document does not carry


def carried_data(trigger: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event's data as the document carries it: without the attachment's row id in a file's event."""
    if trigger not in FILE_TRIGGERS:
        return data
    return {k: v for k, v in data.items() if k not in FILE_ROW_KEYS}


def history_references(fields: Iterable[Any]) -> dict[str, str]:
    """The keys of an event's `changes` (the measure's columns) and `data` (unstored inputs, by field name)
    that hold ids, and the section each points into: from the workflow's field definitions."""
    keys: dict[str, str] = {}
    for f in fields:
        section = REFERENCE_SECTIONS.get(f.type)
        if section is not None:
            keys[f.store or f.name] = section
            keys[f.name] = section
    return keys


def remap(
    values: dict[str, Any], keys: Mapping[str, str], maps: Mapping[str, Mapping[int, int]], *, pairs: bool
) -> dict[str, Any]:
    """`values` with the ids under `keys` replaced through `maps[section]` (a KeyError for an id not there).
    `pairs`: the values are [old, new] (an event's changes); else the value itself (its data)."""

    def one(value: Any, mapping: Mapping[int, int]) -> Any:
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return mapping[value]
        if isinstance(value, list):
            return [one(v, mapping) for v in value]
        return value

    out = dict(values)
    for key, value in values.items():
        section = keys.get(key)
        if section is None:
            continue
        if pairs and isinstance(value, list):
            out[key] = [one(v, maps[section]) for v in value]
        else:
            out[key] = one(value, maps[section])
    return out


def ids_in(value: Any) -> list[int]:
    """The ids in one value of a reference field (or in an [old, new] pair of them)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [i for v in value for i in ids_in(v)]
    return []


# ---------------------------------------------------------------- reading, with Norwegian messages


class DocumentError(Exception):
    """The file is not a document this version can import; `problems` says what, in Norwegian."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


_TYPES = {
    "object": "et objekt",
    "array": "en liste",
    "str": "tekst",
    "int": "et heltall",
    "float": "et desimaltall",
    "bool": "true eller false",
    "null": "null",
    "datetime": "et tidspunkt",
    "date": "en dato",
}
_TRANSLATIONS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"Object missing required field `(\w+)`$"), lambda m: f"feltet «{m[1]}» mangler"),
    (re.compile(r"Object contains unknown field `(.+)`$"), lambda m: f"ukjent felt «{m[1]}»"),
    (re.compile(r"Expected `str` of length <= (\d+)$"), lambda m: f"teksten er lengre enn {m[1]} tegn"),
    (re.compile(r"Expected `int` >= (-?\d+)$"), lambda m: f"ventet et heltall som er minst {m[1]}"),
    (re.compile(r"Expected `int` <= (-?\d+)$"), lambda m: f"ventet et heltall som er høyst {m[1]}"),
    (re.compile(r"Expected `datetime` with a timezone component$"), lambda m: "tidspunktet mangler tidssone"),
    (re.compile(r"Expected `str` matching regex .*$"), lambda m: "ugyldig verdi (små bokstaver, tall og bindestrek)"),
    (re.compile(r"Invalid enum value (.+)$"), lambda m: f"ugyldig verdi {m[1]}"),
    (
        re.compile(r"Expected `([\w ]+?)`, got `(\w+)`$"),
        lambda m: f"ventet {_type_words(m[1])}, fant {_TYPES.get(m[2], m[2])}",
    ),
    (re.compile(r"Invalid RFC3339 encoded datetime$"), lambda m: "ugyldig tidspunkt (ventet ISO 8601 med tidssone)"),
    (re.compile(r"Invalid RFC3339 encoded date$"), lambda m: "ugyldig dato (ventet ÅÅÅÅ-MM-DD)"),
)


def _type_words(spec: str) -> str:
    return " eller ".join(_TYPES.get(t.strip(), t.strip()) for t in spec.split("|"))


def _norwegian(error: msgspec.ValidationError) -> str:
    """«Expected `int`, got `str` - at `$.units[0].id`» → «$.units[0].id: ventet et heltall, fant tekst»."""
    message, _sep, where = str(error).partition(" - at ")
    where = where.strip("`")
    if not where:
        missing = re.fullmatch(r"Object missing required field `(\w+)`", message)
        if missing:
            return f"Filen mangler seksjonen «{missing[1]}»."
    text = next((fn(m) for pattern, fn in _TRANSLATIONS if (m := pattern.match(message))), message)
    return f"{where or '$'}: {text}." if where else f"{text[0].upper()}{text[1:]}."


def decode(raw: bytes) -> Document:
    """The document in `raw`, or DocumentError: not JSON (or cut short), not an area export, another schema
    version, a missing section, or a value of the wrong kind (the first one met, with where it is)."""
    if not raw.strip():
        raise DocumentError(["Filen er tom."])
    try:
        head = msgspec.json.decode(raw, type=Head)
    except msgspec.ValidationError:  # (a DecodeError too: caught first)
        raise DocumentError(["Filen er ikke en eksport fra Samordna: dokumentet er ikke et JSON-objekt."]) from None
    except msgspec.DecodeError as exc:
        cut = "truncated" in str(exc)
        raise DocumentError(
            [
                "Filen er ikke fullstendig JSON: den slutter midt i dokumentet (avkuttet under kopiering?)."
                if cut
                else f"Filen er ikke gyldig JSON ({exc})."
            ]
        ) from None
    if head.format != FORMAT:
        raise DocumentError([f"Filen er ikke en områdeeksport fra Samordna (feltet «format» er ikke «{FORMAT}»)."])
    if head.schema_version != SCHEMA_VERSION:
        raise DocumentError(
            [
                f"Ukjent skjemaversjon {head.schema_version!r}: denne versjonen av Samordna leser "
                f"skjemaversjon {SCHEMA_VERSION}."
            ]
        )
    try:
        return msgspec.json.decode(raw, type=Document)
    except msgspec.ValidationError as exc:
        raise DocumentError([_norwegian(exc)]) from None
    except msgspec.DecodeError as exc:  # pragma: no cover (the head was read from the same bytes)
        raise DocumentError([f"Filen er ikke gyldig JSON ({exc})."]) from None


# ---------------------------------------------------------------- writing


CHUNK = 64 * 1024
_ENCODER = msgspec.json.Encoder()


def write(exported_at: datetime, sections: Iterable[tuple[str, Any]]) -> Iterator[bytes]:
    """The document as bytes, a chunk at a time: the head, then each section — one row a line, so a document
    reads well in a pager and compares well with diff. `sections` are (name, row) for the area and (name,
    rows) for the lists, in SECTIONS' order; the rows are consumed as they are written."""
    out = bytearray(b'{"format":"%s","schema_version":%d,"exported_at":' % (FORMAT.encode(), SCHEMA_VERSION))
    _ENCODER.encode_into(exported_at, out, -1)
    for name, value in sections:
        out += b',\n"%s":' % name.encode()
        if isinstance(value, Struct):
            _ENCODER.encode_into(value, out, -1)
            continue
        out += b"["
        first = True
        for row in value:
            out += b"\n" if first else b",\n"
            _ENCODER.encode_into(row, out, -1)
            first = False
            if len(out) >= CHUNK:
                yield bytes(out)
                out.clear()
        out += b"]" if first else b"\n]"
    out += b"\n}\n"
    yield bytes(out)


# ---------------------------------------------------------------- the checks after decoding


MAX_PROBLEMS = 20


class _Problems:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, message: str) -> None:
        self.found.append(message)

    def check(self) -> None:
        if self.found:
            extra = len(self.found) - MAX_PROBLEMS
            shown = self.found[:MAX_PROBLEMS] + ([f"… og {extra} feil til."] if extra > 0 else [])
            raise DocumentError(shown)


def _duplicates(values: Iterable[Any]) -> list[Any]:
    return [v for v, n in Counter(values).items() if n > 1]


def check(
    doc: Document,
    *,
    measure_states: Iterable[str],
    meeting_states: Iterable[str],
    references: Mapping[str, str] | None = None,
) -> None:
    """Every reference points at a row of the document (the ids inside the events' history too, under the
    `references` keys), ids and natural keys are unique, values are ones this installation knows, and each
    measure's events are its versions 1…n: DocumentError naming every problem."""
    p = _Problems()
    references = references or {}
    measure_states, meeting_states = set(measure_states), set(meeting_states)

    def unique(section: str, what: str, values: Iterable[Any]) -> set[Any]:
        values = list(values)
        for dup in _duplicates(values):
            p.add(f"{section}: {what} {dup!r} finnes mer enn én gang.")
        return set(values)

    def ref(section: str, i: int, field: str, value: Any, known: set[Any], target: str) -> None:
        if value is not None and value not in known:
            p.add(f"{section}[{i}].{field}: peker på {target} {value!r}, som ikke finnes i filen.")

    def one_of(section: str, i: int, field: str, value: Any, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        if value is not None and value not in allowed:
            p.add(f"{section}[{i}].{field}: ukjent verdi {value!r} (kjente verdier: {', '.join(sorted(allowed))}).")

    one_of("area", 0, "kind", doc.area.kind, AREA_KINDS)
    one_of("area", 0, "language", doc.area.language, ("nb", "nn"))
    unique("ref_counters", "året", (c.year for c in doc.ref_counters))

    units = unique("units", "id", (u.id for u in doc.units))
    unique("units", "navnet", (u.name.casefold() for u in doc.units))
    for i, u in enumerate(doc.units):
        one_of("units", i, "kind", u.kind, UNIT_KINDS)

    users = unique("users", "id", (u.id for u in doc.users))
    unique("users", "e-postadressen", (u.email.strip().lower() for u in doc.users))
    for i, u in enumerate(doc.users):
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", u.email.strip()):
            p.add(f"users[{i}].email: ugyldig e-postadresse {u.email!r}.")
        one_of("users", i, "language", u.language, ("nb", "nn", "en"))

    unique("members", "brukeren", (m.user for m in doc.members))
    for i, m in enumerate(doc.members):
        ref("members", i, "user", m.user, users, "brukeren")
        ref("members", i, "unit", m.unit, units, "enheten")
        one_of("members", i, "role", m.role, ROLES)

    goals = unique("goals", "id", (g.id for g in doc.goals))
    for i, g in enumerate(doc.goals):
        ref("goals", i, "created_by", g.created_by, users, "brukeren")

    measures = unique("measures", "id", (m.id for m in doc.measures))
    unique("measures", "referansen", (m.ref for m in doc.measures))
    # The area's counters must be past every ref it handed out, or its next measure would get a used one.
    counters = {c.year: c.last for c in doc.ref_counters}
    pattern = re.compile(rf"{re.escape(doc.area.code)}-(\d{{4}})-(\d+)")
    highest: dict[int, tuple[int, str]] = {}
    for m in doc.measures:
        found = pattern.fullmatch(m.ref)
        if found:
            year, number = int(found[1]), int(found[2])
            highest[year] = max(highest.get(year, (0, "")), (number, m.ref))
    for year, (number, last_ref) in sorted(highest.items()):
        if counters.get(year, 0) < number:
            p.add(
                f"ref_counters: telleren for {year} står på {counters.get(year, 0)}, men tiltaket {last_ref} finnes; "
                "nye tiltak ville fått referanser som alt er brukt."
            )
    for i, m in enumerate(doc.measures):
        ref("measures", i, "goal", m.goal, goals, "målet")
        ref("measures", i, "responsible_unit", m.responsible_unit, units, "enheten")
        for unit in m.participating_units:
            ref("measures", i, "participating_units", unit, units, "enheten")
        if len(set(m.participating_units)) != len(m.participating_units):
            p.add(f"measures[{i}].participating_units: samme enhet står flere ganger.")
        for field in ("contact", "created_by", "updated_by"):
            ref("measures", i, field, getattr(m, field), users, "brukeren")
        one_of("measures", i, "state", m.state, measure_states)
        one_of("measures", i, "last_health", m.last_health, HEALTHS)

    meetings = unique("meetings", "id", (m.id for m in doc.meetings))
    events: dict[int, list[int]] = {}
    for i, e in enumerate(doc.events):
        ref("events", i, "measure", e.measure, measures, "tiltaket")
        ref("events", i, "actor", e.actor, users, "brukeren")
        ref("events", i, "meeting", e.meeting, meetings, "møtet")
        events.setdefault(e.measure, []).append(e.version)
        for part, values in (("changes", e.changes), ("data", e.data)):
            for key, value in values.items():
                section = references.get(key)
                if section is None:
                    continue
                known = {"goals": goals, "units": units, "users": users}[section]
                for ref_id in ids_in(value):
                    if ref_id not in known:
                        target = {"goals": "målet", "units": "enheten", "users": "brukeren"}[section]
                        p.add(f"events[{i}].{part}.{key}: peker på {target} {ref_id!r}, som ikke finnes i filen.")
    for m in doc.measures:
        found = events.get(m.id, [])
        if sorted(found) != list(range(1, m.version + 1)):
            p.add(
                f"events: tiltaket {m.ref} har versjon {m.version}, men hendelsene i filen har versjonene "
                f"{', '.join(map(str, sorted(found))) or 'ingen'} (ventet én hendelse per versjon, 1–{m.version})."
            )
    event_keys = {(e.measure, e.version) for e in doc.events}

    for i, r in enumerate(doc.status_reports):
        ref("status_reports", i, "measure", r.measure, measures, "tiltaket")
        ref("status_reports", i, "author", r.author, users, "brukeren")
        one_of("status_reports", i, "health", r.health, HEALTHS)

    levels = unique("bodies", "nivået", (b.level for b in doc.bodies))
    if levels != set(BODY_LEVELS):
        found = ", ".join(sorted(levels)) or "ingen"
        p.add(f"bodies: ventet ett organ per nivå ({', '.join(BODY_LEVELS)}), fant {found}.")

    for i, m in enumerate(doc.meetings):
        ref("meetings", i, "body", m.body, levels, "organet")
        ref("meetings", i, "approved_in", m.approved_in, meetings, "møtet")
        for field in ("agenda_sent_by", "created_by"):
            ref("meetings", i, field, getattr(m, field), users, "brukeren")
        one_of("meetings", i, "state", m.state, meeting_states)

    body_of = {m.id: m.body for m in doc.meetings}
    numbers = []
    for i, a in enumerate(doc.agenda_items):
        ref("agenda_items", i, "meeting", a.meeting, meetings, "møtet")
        ref("agenda_items", i, "measure", a.measure, measures, "tiltaket")
        ref("agenda_items", i, "goal", a.goal, goals, "målet")
        ref("agenda_items", i, "decided_by", a.decided_by, users, "brukeren")
        if a.decision_event is not None and (a.decision_event.measure, a.decision_event.version) not in event_keys:
            p.add(
                f"agenda_items[{i}].decision_event: peker på versjon {a.decision_event.version} av tiltak "
                f"{a.decision_event.measure}, som ikke finnes i filen."
            )
        if a.number is not None:
            numbers.append((body_of.get(a.meeting), a.year, a.number))
    for body, year, number in _duplicates(numbers):
        p.add(f"agenda_items: sak {number:02d}/{year % 100:02d} i organet {body} finnes mer enn én gang.")

    unique("agenda_recipients", "mottakeren", ((r.meeting, r.user) for r in doc.agenda_recipients))
    for i, r in enumerate(doc.agenda_recipients):
        ref("agenda_recipients", i, "meeting", r.meeting, meetings, "møtet")
        ref("agenda_recipients", i, "user", r.user, users, "brukeren")
    for i, a in enumerate(doc.attendance):
        ref("attendance", i, "meeting", a.meeting, meetings, "møtet")
        ref("attendance", i, "user", a.user, users, "brukeren")
    for i, ms in enumerate(doc.milestones):
        one_of("milestones", i, "level", ms.level, BODY_LEVELS)
    p.check()
