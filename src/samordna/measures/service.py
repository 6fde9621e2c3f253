"""Measures: register, edit and move them through the workflow; read them back as views.

Every write is one transaction: checks first, then the measure (its version checked in the UPDATE
itself), its side records and exactly one Event — or nothing.

A transition costs four statements: the measure read together with its participating units, the
versioned UPDATE, the event and (for a status report) its row. The answer is built from the row read
and the values written, not read back: the UPDATE's version check guarantees nothing else changed it.

The statements are Core statements built once and run on the transaction's connection (nothing here
loads or flushes ORM objects); those of every transition are `Prepared` (samordna.store.prepared): compiled
once per dialect and run on the DBAPI cursor, with SQLAlchemy's own type processing but without its
per-execution machinery. The new state is the transition's `dest` from the workflow's lookup table, which
is exactly what the workflow's state machine would answer (tests/test_workflow_machine.py fires every
transition through it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from samordna.accounts.repository import actor_for_token
from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.clock import Clock, aware
from samordna.domain.confidentiality import contains_national_id, guard_message
from samordna.domain.errors import Conflict, FieldError, Invalid, NotAllowed, NotFound
from samordna.domain.vocabulary import ARENA_LABELS, ARENAS, role_list
from samordna.fields import Wanted, clean, fits_column, message_for
from samordna.i18n import current_lang
from samordna.i18n import gettext as _
from samordna.measures.details import MeasureDetails, read_details
from samordna.organisation import repository as org
from samordna.store.db import Database, connection_of
from samordna.store.models import Area, Event, Measure, MeasureUnit, RefCounter, StatusReport, User
from samordna.store.prepared import Prepared
from samordna.workflow import FieldDef, Label, TransitionDef, Workflow

# What the hot paths run their statements on: the write transaction's connection (see `connection_of`).
Db = Session | Connection

MEASURE = Measure.__table__
MEASURE_UNIT = MeasureUnit.__table__
DEFAULT_FOLLOW_UP_DAYS = 30
PARTICIPATING = "participating_unit_id"  # the extra column of LOAD (one row per participating unit)

# Built once: the statements of the hot paths take their values as parameters.
LOAD = Prepared(
    select(MEASURE, MEASURE_UNIT.c.unit_id.label(PARTICIPATING))
    .outerjoin(MEASURE_UNIT, MEASURE_UNIT.c.measure_id == MEASURE.c.id)
    .where(MEASURE.c.id == bindparam("measure_id"))
    .order_by(MEASURE_UNIT.c.unit_id)
)
INSERT_EVENT = Prepared(
    insert(Event.__table__).inline(),  # inline: no RETURNING of the new id (PostgreSQL would add one)
    column_keys=(
        "measure_id",
        "at",
        "actor_id",
        "trigger",
        "from_state",
        "to_state",
        "comment",
        "changes",
        "data",
        "version",
    ),
)
INSERT_STATUS_REPORT = Prepared(
    insert(StatusReport.__table__).inline(), column_keys=("measure_id", "author_id", "at", "health", "note")
)
CREATE_ROLES = policy.REGISTER_NEED
EDIT_ROLES = policy.EDIT_MEASURE
permitted_rule = policy.permitted_rule


def _field(name: str, type_: str, nb: str, nn: str, en: str, **kw: Any) -> FieldDef:
    return FieldDef(
        name=name,
        type=type_,
        label=Label(nb=nb, nn=nn, en=en),
        help=kw.pop("help", None),
        store=name,
        options=kw.pop("options", ()),
        option_labels={k: Label(**v) for k, v in kw.pop("option_labels", {}).items()},
        min=kw.pop("min", None),
        max=kw.pop("max", None),
        rule=None,
        of_unit=None,
    )


# The descriptive fields of a need: given at `create`, changed by `edit`.
NEED_FIELDS: tuple[tuple[FieldDef, bool], ...] = (
    (_field("title", "text", "Tittel", "Tittel", "Title"), True),
    (
        _field(
            "need_description", "longtext", "Beskrivelse av behovet", "Skildring av behovet", "Description of the need"
        ),
        True,
    ),
    (_field("knowledge_source", "text", "Kunnskapsgrunnlag", "Kunnskapsgrunnlag", "Knowledge source"), True),
    (_field("target_group", "text", "Målgruppe", "Målgruppe", "Target group"), True),
    (_field("arena", "enum", "Arena", "Arena", "Arena", options=ARENAS, option_labels=ARENA_LABELS), True),
    (_field("age_from", "integer", "Alder fra", "Alder frå", "Age from", min=0, max=30), False),
    (_field("age_to", "integer", "Alder til", "Alder til", "Age to", min=0, max=30), False),
    (_field("goal_id", "goal", "Mål", "Mål", "Goal"), False),
)


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

    def to_json(self) -> dict[str, Any]:
        return _json_fields(self, _EVENT_VIEW_FIELDS)


_MEASURE_VIEW_FIELDS = tuple(f.name for f in fields(MeasureView))
_EVENT_VIEW_FIELDS = tuple(f.name for f in fields(EventView))
_PLAIN = frozenset({int, str, bool, float, type(None)})


def _json_fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """`_jsonable` of the named attributes as a dict, with the common plain values passed straight through."""
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = value if type(value) in _PLAIN else _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- policy


def who_may(td: TransitionDef) -> str:
    """«SLT-koordinator og koordineringsgruppen» — who may fire `td`, in the current language."""
    parts = []
    for rule in td.allow:
        words = role_list([rule.role])
        if rule.unit == "responsible":
            words = _("{role} i den ansvarlige enheten").format(role=words)
        elif rule.unit == "involved":
            words = _("{role} i en ansvarlig eller deltakende enhet").format(role=words)
        if "meeting_date" in rule.requires:
            words = _("{role} (med møtedato fra styringsgruppen)").format(role=words)
        parts.append(words)
    if len(parts) > 1:
        return _("{first} og {last}").format(first=", ".join(parts[:-1]), last=parts[-1])
    return parts[0]


# ---------------------------------------------------------------- the service


class MeasureService:
    """Register needs, edit measures and fire their triggers; read them back. Keyword-only; each public
    method is one transaction, and the actor's membership and role are checked before anything is written."""

    def __init__(self, *, db: Database, workflow: Workflow, clock: Clock) -> None:
        self.db = db
        self.workflow = workflow
        self.clock = clock
        self.now = clock.now  # an aware datetime
        self.today = clock.today  # the local date (Europe/Oslo) of that clock

    # ------------------------------------------------------------ the public API

    def get(self, *, actor: Actor, measure_id: int) -> MeasureView:
        with self.db.read() as s:
            return self._get_in(s, actor=actor, measure_id=measure_id)

    def find(self, *, actor: Actor, slug: str, **filters: Any) -> list[MeasureView]:
        with self.db.read() as s:
            area = org.area_for(s, actor, slug)
            return self._find_in(s, actor=actor, area_id=area.id, **filters)  # type: ignore[arg-type]

    def events(self, *, actor: Actor, measure_id: int) -> list[EventView]:
        with self.db.read() as s:
            return self._events_in(s, actor=actor, measure_id=measure_id)

    def details(self, *, actor: Actor, measure_id: int) -> MeasureDetails:
        """Everything the measure page shows, in one read."""
        return read_details(self, actor=actor, measure_id=measure_id)

    def register_need(
        self, *, actor: Actor, slug: str, data: Mapping[str, Any], comment: str | None = None
    ) -> MeasureView:
        with self.db.write() as s:
            area = org.area_for(s, actor, slug)
            return self._create_in(s, actor=actor, area_id=area.id, data=data, comment=comment)  # type: ignore[arg-type]

    def edit(
        self, *, actor: Actor, measure_id: int, version: int, data: Mapping[str, Any], comment: str | None = None
    ) -> MeasureView:
        with self.db.write() as s:
            return self._edit_in(s, actor=actor, measure_id=measure_id, version=version, data=data, comment=comment)

    def record_transition(
        self,
        *,
        actor: Actor,
        measure_id: int,
        trigger: str,
        version: int,
        data: Mapping[str, Any] | None = None,
        comment: str | None = None,
    ) -> MeasureView:
        with self.db.write_rows() as conn:
            return self._fire_in(
                conn, actor=actor, measure_id=measure_id, trigger=trigger, version=version, data=data, comment=comment
            )

    def record_transition_for_token(
        self,
        *,
        token: str,
        measure_id: int,
        trigger: str,
        version: int,
        data: Mapping[str, Any] | None = None,
        comment: str | None = None,
        seen: Callable[[Actor], None] | None = None,
    ) -> MeasureView:
        """`record_transition` for the holder of an API token, looked up inside the transition's own
        transaction: one transaction per API transition instead of a read for the token and a write.

        NotAuthenticated (nothing written) for an unknown or revoked token or a deactivated user, exactly as
        `actor_for_token`; `seen` learns the actor before any check on the measure runs (the refusal log)."""
        with self.db.write_rows() as conn:
            actor = actor_for_token(conn, token)
            if seen is not None:
                seen(actor)
            return self._fire_in(
                conn, actor=actor, measure_id=measure_id, trigger=trigger, version=version, data=data, comment=comment
            )

    # ------------------------------------------------------------ inside a transaction

    def get_in(self, conn: Db, *, actor: Actor, measure_id: int) -> MeasureView:
        """`get` inside the caller's transaction."""
        return self._get_in(conn, actor=actor, measure_id=measure_id)

    def record_transition_in(
        self,
        conn: Db,
        *,
        actor: Actor,
        measure_id: int,
        trigger: str,
        version: int,
        data: Mapping[str, Any] | None = None,
        comment: str | None = None,
    ) -> tuple[str, MeasureView]:
        """`record_transition` inside the caller's write transaction (a board fires the trigger and reads
        the card's new place in one): (the state before, the measure after)."""
        return self._fire_in(
            conn,
            actor=actor,
            measure_id=measure_id,
            trigger=trigger,
            version=version,
            data=data,
            comment=comment,
            with_source=True,
        )

    # ------------------------------------------------------------ reads

    def _member(self, actor: Actor, area_id: int) -> MemberView:
        member = actor.in_area(area_id)
        if member is None:
            raise NotFound(_("Fant ikke tiltaket."))
        return member

    def _participating(self, session: Session, measure_ids: list[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {i: [] for i in measure_ids}
        if measure_ids:
            rows = session.execute(
                select(MeasureUnit.measure_id, MeasureUnit.unit_id)
                .where(MeasureUnit.measure_id.in_(measure_ids))
                .order_by(MeasureUnit.unit_id)
            )
            for measure_id, unit_id in rows:
                out[measure_id].append(unit_id)
        return out

    def allowed_for(self, member: MemberView, row: Mapping[str, Any], participating: list[int]) -> list[str]:
        return policy.allowed_triggers(self.workflow, member, row, participating)

    def _view(self, row: Mapping[str, Any], participating: list[int], member: MemberView) -> MeasureView:
        values = {k: row[k] for k in MeasureView.__dataclass_fields__ if k in row}
        values["created_at"] = aware(values["created_at"])
        values["updated_at"] = aware(values["updated_at"])
        return MeasureView(
            **values,
            participating_unit_ids=participating,
            overdue=self.is_overdue(row["state"], row["next_follow_up_at"]),
            allowed_triggers=self.allowed_for(member, row, participating),
        )

    def is_overdue(self, state: str, next_follow_up_at: date | None) -> bool:
        st = self.workflow.states.get(state)
        return bool(next_follow_up_at and st and st.board == "execution" and next_follow_up_at < self.today())

    def _get_in(self, session: Db, *, actor: Actor, measure_id: int) -> MeasureView:
        row, participating = self._load(connection_of(session), actor, measure_id)
        return self._view(row, participating, self._member(actor, row["area_id"]))

    def _find_in(
        self,
        session: Session,
        *,
        actor: Actor,
        area_id: int,
        state: str | None = None,
        goal_id: int | None = None,
        unit_id: int | None = None,
        limit: int = 500,
        offset: int = 0,
    ) -> list[MeasureView]:
        member = self._member(actor, area_id)
        query = select(MEASURE).where(MEASURE.c.area_id == area_id)
        if state:
            query = query.where(MEASURE.c.state == state)
        if goal_id:
            query = query.where(MEASURE.c.goal_id == goal_id)
        if unit_id:
            query = query.where(MEASURE.c.responsible_unit_id == unit_id)
        rows = session.execute(query.order_by(MEASURE.c.id).limit(limit).offset(offset)).mappings().all()
        participating = self._participating(session, [r["id"] for r in rows])
        return [self._view(r, participating[r["id"]], member) for r in rows]

    def _events_in(self, session: Session, *, actor: Actor, measure_id: int) -> list[EventView]:
        self._get_in(session, actor=actor, measure_id=measure_id)  # visibility
        rows = session.execute(
            select(Event, User.name)
            .join(User, User.id == Event.actor_id)
            .where(Event.measure_id == measure_id)
            .order_by(Event.id)
        ).all()
        return [
            EventView(
                id=e.id,
                trigger=e.trigger,
                from_state=e.from_state,
                to_state=e.to_state,
                actor={"id": e.actor_id, "name": name},
                at=aware(e.at),
                comment=e.comment,
                changes=json.loads(e.changes),
                data=json.loads(e.data),
                version=e.version,
            )
            for e, name in rows
        ]

    # ------------------------------------------------------------ writes

    def _create_in(
        self, session: Session, *, actor: Actor, area_id: int, data: Mapping[str, Any], comment: str | None = None
    ) -> MeasureView:
        """Register a need (`create`): a new measure in the workflow's initial state, version 1."""
        member = self._member(actor, area_id)
        if member.role not in CREATE_ROLES:
            raise NotAllowed(
                _("Bare {roles} kan melde behov.").format(roles=role_list(CREATE_ROLES)), allowed_roles=CREATE_ROLES
            )
        values, errors = clean(
            session=session,
            area_id=area_id,
            wanted=[Wanted(f, req) for f, req in NEED_FIELDS],
            data=data,
            today=self.today(),
        )
        errors += _age_range_errors(values, {})
        errors += _comment_errors(comment)
        if errors:
            raise Invalid(errors)
        now = self.now()
        ref = self._next_ref(session, area_id, now.year)
        measure_id = session.execute(
            insert(MEASURE)
            .values(
                area_id=area_id,
                ref=ref,
                state=self.workflow.initial,
                version=1,
                created_at=now,
                updated_at=now,
                created_by_id=actor.user_id,
                updated_by_id=actor.user_id,
                **values,
            )
            .returning(MEASURE.c.id)
        ).scalar_one()
        changes = {k: [None, v] for k, v in values.items() if v is not None}
        self._record_event(
            connection_of(session),
            measure_id=measure_id,
            actor=actor,
            trigger="create",
            from_state=None,
            to_state=self.workflow.initial,
            comment=comment,
            changes=changes,
            data={},
            version=1,
            at=now,
        )
        return self._get_in(session, actor=actor, measure_id=measure_id)

    def _edit_in(
        self,
        session: Session,
        *,
        actor: Actor,
        measure_id: int,
        version: int,
        data: Mapping[str, Any],
        comment: str | None = None,
    ) -> MeasureView:
        """Change descriptive fields outside a transition (`edit`): versioned and audited."""
        conn = connection_of(session)
        row, participating = self._load(conn, actor, measure_id)
        member = self._member(actor, row["area_id"])
        if not policy.may_edit_measure(
            member,
            actor_id=actor.user_id,
            created_by_id=row["created_by_id"],
            in_initial_state=row["state"] == self.workflow.initial,
        ):
            raise NotAllowed(
                _("Bare {roles} kan endre tiltaket.").format(roles=role_list(EDIT_ROLES)), allowed_roles=EDIT_ROLES
            )
        if self.workflow.states[row["state"]].final:
            raise Conflict(
                _("Tiltaket er avsluttet og kan ikke endres."),
                state=row["state"],
                current_version=row["version"],
                allowed_triggers=(),
            )
        values, errors = clean(
            session=conn,
            area_id=row["area_id"],
            wanted=[Wanted(f, req) for f, req in NEED_FIELDS],
            data=data,
            today=self.today(),
            current=row,
        )
        # `edit` takes any subset of the fields; a field sent must still be valid.
        required = message_for("required")
        errors = [e for e in errors if not (e.field not in data and e.message == required)]
        errors += _age_range_errors(values, row)
        errors += _comment_errors(comment)
        if errors:
            raise Invalid(errors)
        changes = {k: [row[k], v] for k, v in values.items() if row[k] != v}
        return self._write(
            conn,
            actor=actor,
            row=row,
            version=version,
            trigger="edit",
            to_state=row["state"],
            values={k: v for k, v in values.items() if k in changes},
            changes=changes,
            data={},
            comment=comment,
            member=member,
            participating_before=participating,
        )

    def _fire_in(
        self,
        session: Db,
        *,
        actor: Actor,
        measure_id: int,
        trigger: str,
        version: int,
        data: Mapping[str, Any] | None = None,
        comment: str | None = None,
        with_source: bool = False,
    ) -> Any:
        """Fire `trigger` on a measure for `actor`, who saw `version`. One transaction, one Event.
        The measure after; with `with_source`, (the state before, the measure after)."""
        data = dict(data or {})
        wf = self.workflow
        conn = connection_of(session)
        row, participating = self._load(conn, actor, measure_id)
        member = self._member(actor, row["area_id"])
        state = row["state"]
        td = wf.transition(state, trigger)
        if td is None:
            allowed = tuple(self.allowed_for(member, row, participating))
            known = trigger in wf.triggers()
            label = wf.states[state].label.get(current_lang.get())
            raise Conflict(
                _("Handlingen kan ikke utføres når tiltaket har status «{state}».").format(state=label)
                if known
                else _("Ukjent handling «{trigger}».").format(trigger=trigger[:40]),
                state=state,
                current_version=row["version"],
                allowed_triggers=allowed,
            )
        rule = permitted_rule(td, member, row["responsible_unit_id"], participating)
        if rule is None:
            raise NotAllowed(
                _("«{action}» kan bare gjøres av {who}.").format(
                    action=td.label.get(current_lang.get()), who=who_may(td)
                ),
                allowed_roles=td.roles(),
            )
        wanted = [Wanted(wf.fields[n], n in td.required or n in rule.requires) for n in td.fields()]
        values, errors = clean(
            session=conn, area_id=row["area_id"], wanted=wanted, data=data, today=self.today(), current=row
        )
        errors += _comment_errors(comment)
        if errors:
            raise Invalid(errors)

        new_state = td.dest  # what wf.fire() would answer for this (state, trigger): the same table
        stored: dict[str, Any] = {}
        unstored: dict[str, Any] = {}
        for name, value in values.items():
            target = wf.fields[name].store
            (stored if target else unstored)[target or name] = value
        participating_new = stored.pop("participating_unit_ids", None)
        if td.schedule_follow_up:
            days = stored.get("follow_up_days") or row["follow_up_days"] or DEFAULT_FOLLOW_UP_DAYS
            stored["next_follow_up_at"] = self.today() + timedelta(days=days)
        changes = {k: [row[k], v] for k, v in stored.items() if row[k] != v}
        if participating_new is not None and sorted(participating_new) != participating:
            changes["participating_unit_ids"] = [participating, sorted(participating_new)]
        view = self._write(
            conn,
            actor=actor,
            row=row,
            version=version,
            trigger=trigger,
            to_state=new_state,
            values=stored,
            changes=changes,
            data=unstored,
            comment=comment,
            member=member,
            participating_before=participating,
            participating=participating_new,
        )
        if td.status_report:
            INSERT_STATUS_REPORT.rowcount(
                conn,
                {
                    "measure_id": measure_id,
                    "author_id": actor.user_id,
                    "at": self.now(),
                    "health": values["health"],
                    "note": unstored.get("note") or "",
                },
            )
        return (state, view) if with_source else view

    # ------------------------------------------------------------ internals

    def _load(self, conn: Connection, actor: Actor, measure_id: int) -> tuple[dict[str, Any], list[int]]:
        """The measure's row and its participating units (ascending), in one query; NotFound when the
        measure does not exist or lies in an area the actor is not a member of."""
        rows = LOAD.mappings(conn, {"measure_id": measure_id})
        if not rows or actor.in_area(rows[0]["area_id"]) is None:
            raise NotFound(_("Fant ikke tiltaket."))
        row = dict(rows[0])
        del row[PARTICIPATING]
        return row, [r[PARTICIPATING] for r in rows if r[PARTICIPATING] is not None]

    def _write(
        self,
        conn: Connection,
        *,
        actor: Actor,
        row: Mapping[str, Any],
        version: int,
        trigger: str,
        to_state: str,
        values: dict[str, Any],
        changes: dict[str, Any],
        data: dict[str, Any],
        comment: str | None,
        member: MemberView,
        participating_before: list[int],
        participating: list[int] | None = None,
    ) -> MeasureView:
        """The versioned UPDATE, the participating units when given, one Event; the measure as it is now."""
        now = self.now()
        updated = 0  # a version no column can hold was never this measure's: a conflict, not a query
        if fits_column(version):
            updated = _update_statement(tuple(sorted(values))).rowcount(
                conn,
                {
                    **{f"v_{k}": v for k, v in values.items()},
                    "v_state": to_state,
                    "v_updated_at": now,
                    "v_updated_by_id": actor.user_id,
                    "b_id": row["id"],
                    "b_version": version,
                },
            )
        if updated != 1:
            current = conn.execute(select(MEASURE.c.version, MEASURE.c.state).where(MEASURE.c.id == row["id"])).one()
            raise Conflict(
                _("Noen andre har endret tiltaket etter at du åpnet det. Se gjennom den nye versjonen og prøv igjen."),
                state=current.state,
                current_version=current.version,
            )
        if participating is not None:
            conn.execute(delete(MEASURE_UNIT).where(MEASURE_UNIT.c.measure_id == row["id"]))
            if participating:
                conn.execute(insert(MEASURE_UNIT), [{"measure_id": row["id"], "unit_id": u} for u in participating])
        self._record_event(
            conn,
            measure_id=row["id"],
            actor=actor,
            trigger=trigger,
            from_state=row["state"],
            to_state=to_state,
            comment=comment,
            changes=changes,
            data=data,
            version=version + 1,
            at=now,
        )
        # The measure as it is now: what was read, with what was written (the version check above
        # guarantees nothing else changed it in between).
        after = {
            **row,
            **values,
            "state": to_state,
            "version": version + 1,
            "updated_at": now,
            "updated_by_id": actor.user_id,
        }
        return self._view(after, sorted(participating) if participating is not None else participating_before, member)

    def _record_event(self, conn: Connection, **values: Any) -> None:
        actor: Actor = values.pop("actor")
        values["changes"] = json.dumps(_jsonable(values["changes"]), ensure_ascii=False)
        values["data"] = json.dumps(_jsonable(values["data"]), ensure_ascii=False)
        INSERT_EVENT.rowcount(conn, {"actor_id": actor.user_id, **values})

    def _next_ref(self, session: Session, area_id: int, year: int) -> str:
        dialect = session.get_bind().dialect.name
        insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert_fn(RefCounter).values(area_id=area_id, year=year, last=0).on_conflict_do_nothing())
        number = session.execute(
            update(RefCounter)
            .where(RefCounter.area_id == area_id, RefCounter.year == year)
            .values(last=RefCounter.last + 1)
            .returning(RefCounter.last)
        ).scalar_one()
        code = session.execute(select(Area.code).where(Area.id == area_id)).scalar_one()
        return f"{code}-{year}-{number:03d}"


@lru_cache(maxsize=256)
def _update_statement(columns: tuple[str, ...]) -> Prepared:
    """UPDATE measure SET <columns>, state, version + 1, updated_* WHERE id = :b_id AND version = :b_version,
    built once per set of columns a trigger writes (the values as parameters v_<column>)."""
    c = MEASURE.c
    names = (*columns, "state", "updated_at", "updated_by_id")
    assigned = {name: bindparam(f"v_{name}", type_=c[name].type) for name in names}
    return Prepared(
        update(MEASURE)
        .where(c.id == bindparam("b_id"), c.version == bindparam("b_version"))
        .values(**assigned, version=c.version + 1)
    )


def _age_range_errors(values: Mapping[str, Any], current: Mapping[str, Any]) -> list[FieldError]:
    age_from = values.get("age_from", current.get("age_from"))
    age_to = values.get("age_to", current.get("age_to"))
    if age_from is not None and age_to is not None and age_from > age_to:
        return [FieldError("age_to", _("«Alder til» kan ikke være lavere enn «Alder fra»."))]
    return []


def _comment_errors(comment: str | None) -> list[FieldError]:
    if comment is None:
        return []
    if not isinstance(comment, str):
        return [FieldError("comment", message_for("not_text"))]
    if len(comment) > 4000:
        return [FieldError("comment", _("Kommentaren er for lang (høyst {max} tegn).").format(max=4000))]
    if contains_national_id(comment):
        return [FieldError("comment", guard_message())]
    return []
