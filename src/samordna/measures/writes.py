"""How a measure changes: a need registered (`create`), its description edited (`edit`), a trigger fired.
Each announces its change once it has committed (MeasureService.announce, samordna.measures.changes).
The write side of MeasureService (samordna.measures.service), whose methods call these inside their
transaction; no SQL here (samordna.measures.repository), the side effects of transitions are in
samordna.measures.callbacks.

Every write is one transaction: checks first, then the measure (its version checked in the UPDATE
itself), its side records and exactly one Event — or nothing.

A transition is checked in this order: the measure exists in one of the actor's areas (404), the trigger can
be fired from its state (409), the actor may fire it (403), the fields sent are valid (422). Then the
workflow's state machine fires it on a MeasureChange wrapping the row: the transition's conditions (any
answering False: 409, nothing written), its `before` callbacks, the new state, its `after` callbacks —
which compute what else is written (the next follow-up date, a status report row). Then the writes.

A transition costs four statements: the measure read together with its participating units, the
versioned UPDATE, the event and (for a status report) its row. The answer is built from the row read
and the values written, not read back: the UPDATE's version check guarantees nothing else changed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.errors import Conflict, Invalid, NotAllowed
from samordna.domain.vocabulary import role_list
from samordna.fields import Wanted, clean, message_for
from samordna.i18n import gettext as _
from samordna.measures import repository as repo
from samordna.measures.callbacks import MeasureChange
from samordna.measures.changes import MeasureChanged, units_involved
from samordna.measures.rules import (
    CREATE_ROLES,
    EDIT_ROLES,
    NEED_FIELDS,
    age_range_errors,
    comment_errors,
    condition_refused,
    not_in_state,
    not_permitted,
    permitted_rule,
)
from samordna.measures.views import MeasureView
from samordna.workflow import TransitionRefused

if TYPE_CHECKING:
    from samordna.measures.repository import Db
    from samordna.measures.service import MeasureService


def create_in(
    service: MeasureService,
    session: Db,
    *,
    actor: Actor,
    area_id: int,
    data: Mapping[str, Any],
    comment: str | None = None,
) -> MeasureView:
    """Register a need (`create`): a new measure in the workflow's initial state, version 1."""
    member = service._member(actor, area_id)
    if member.role not in CREATE_ROLES:
        raise NotAllowed(
            _("Bare {roles} kan melde behov.").format(roles=role_list(CREATE_ROLES)), allowed_roles=CREATE_ROLES
        )
    values, errors = clean(
        session=session,
        area_id=area_id,
        wanted=[Wanted(f, req) for f, req in NEED_FIELDS],
        data=data,
        today=service.today(),
    )
    errors += age_range_errors(values, {})
    errors += comment_errors(comment)
    if errors:
        raise Invalid(errors)
    now = service.now()
    measure_id = repo.insert_measure(
        session,
        values={
            "area_id": area_id,
            "ref": repo.next_ref(session, area_id=area_id, year=now.year),
            "state": service.workflow.initial,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by_id": actor.user_id,
            "updated_by_id": actor.user_id,
            **values,
        },
    )
    event_id = repo.insert_event(
        session,
        measure_id=measure_id,
        actor_id=actor.user_id,
        trigger="create",
        from_state=None,
        to_state=service.workflow.initial,
        comment=comment,
        changes={k: [None, v] for k, v in values.items() if v is not None},
        data={},
        version=1,
        at=now,
    )
    view = service._get_in(session, actor=actor, measure_id=measure_id)
    service.announce(
        session,
        MeasureChanged(
            event_id=event_id,
            area_id=area_id,
            measure_id=measure_id,
            ref=view.ref,
            kind="create",
            from_state=None,
            to_state=view.state,
            version=1,
            units=units_involved([view.responsible_unit_id], view.participating_unit_ids),
            registered_by=actor.user_id,
            actor_id=actor.user_id,
            actor_name=actor.name,
        ),
    )
    return view


def edit_in(
    service: MeasureService,
    session: Db,
    *,
    actor: Actor,
    measure_id: int,
    version: int,
    data: Mapping[str, Any],
    comment: str | None = None,
) -> MeasureView:
    """Change descriptive fields outside a transition (`edit`): versioned and audited."""
    row, participating = service._load(session, actor, measure_id)
    member = service._member(actor, row["area_id"])
    if not policy.may_edit_measure(
        member,
        actor_id=actor.user_id,
        created_by_id=row["created_by_id"],
        in_initial_state=row["state"] == service.workflow.initial,
    ):
        raise NotAllowed(
            _("Bare {roles} kan endre tiltaket.").format(roles=role_list(EDIT_ROLES)), allowed_roles=EDIT_ROLES
        )
    if service.workflow.states[row["state"]].final:
        raise Conflict(
            _("Tiltaket er avsluttet og kan ikke endres."),
            state=row["state"],
            current_version=row["version"],
            allowed_triggers=(),
        )
    values, errors = clean(
        session=session,
        area_id=row["area_id"],
        wanted=[Wanted(f, req) for f, req in NEED_FIELDS],
        data=data,
        today=service.today(),
        current=row,
    )
    # `edit` takes any subset of the fields; a field sent must still be valid.
    required = message_for("required")
    errors = [e for e in errors if not (e.field not in data and e.message == required)]
    errors += age_range_errors(values, row)
    errors += comment_errors(comment)
    if errors:
        raise Invalid(errors)
    changes = {k: [row[k], v] for k, v in values.items() if row[k] != v}
    return _write(
        service,
        session,
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
        at=service.now(),
    )


def fire_in(
    service: MeasureService,
    session: Db,
    *,
    actor: Actor,
    measure_id: int,
    trigger: str,
    version: int,
    data: Mapping[str, Any] | None = None,
    comment: str | None = None,
    with_source: bool = False,
    meeting_id: int | None = None,
    meeting_date: date | None = None,
) -> Any:
    """Fire `trigger` on a measure for `actor`, who saw `version`. One transaction, one Event.
    The measure after; with `with_source`, (the state before, the measure after).

    `meeting_id`: the decision is taken in that meeting (its event carries it); its date `meeting_date` is
    the transition's `meeting_date` (what the coordinator must give for a steering decision)."""
    data = dict(data or {})
    wf = service.workflow
    row, participating = service._load(session, actor, measure_id)
    member = service._member(actor, row["area_id"])
    state = row["state"]
    td = wf.transition(state, trigger)
    if td is None:
        raise not_in_state(wf, trigger, row, tuple(service.allowed_for(member, row, participating)))
    rule = permitted_rule(td, member, row["responsible_unit_id"], participating)
    if rule is None:
        raise not_permitted(td)
    if meeting_id is not None and meeting_date is not None and "meeting_date" in td.fields():
        data.setdefault("meeting_date", meeting_date.isoformat())  # the meeting is the steering decision's date
    wanted = [Wanted(wf.fields[n], n in td.required or n in rule.requires) for n in td.fields()]
    values, errors = clean(
        session=session, area_id=row["area_id"], wanted=wanted, data=data, today=service.today(), current=row
    )
    errors += comment_errors(comment)
    if errors:
        raise Invalid(errors)

    stored: dict[str, Any] = {}
    unstored: dict[str, Any] = {}
    for name, value in values.items():
        target = wf.fields[name].store
        (stored if target else unstored)[target or name] = value
    participating_new = stored.pop("participating_unit_ids", None)
    change = MeasureChange(
        row=row,
        trigger=trigger,
        values=stored,
        fields=values,
        data=unstored,
        actor_id=actor.user_id,
        today=service.today(),
        now=service.now(),
    )
    try:
        new_state = wf.fire(change, trigger)  # the machine: conditions, before, the new state, after
    except TransitionRefused:
        raise condition_refused(td, row, tuple(service.allowed_for(member, row, participating))) from None
    changes = {k: [row[k], v] for k, v in change.values.items() if row[k] != v}
    if participating_new is not None and sorted(participating_new) != participating:
        changes["participating_unit_ids"] = [participating, sorted(participating_new)]
    view = _write(
        service,
        session,
        actor=actor,
        row=row,
        version=version,
        trigger=trigger,
        to_state=new_state,
        values=change.values,
        changes=changes,
        data=change.data,
        comment=comment,
        member=member,
        participating_before=participating,
        participating=participating_new,
        at=change.now,
        meeting_id=meeting_id,
    )
    if change.status_report is not None:
        repo.insert_status_report(session, **change.status_report)
    return (state, view) if with_source else view


def may_attach_in(service: MeasureService, session: Db, *, actor: Actor, measure_id: int) -> tuple[int, bool]:
    """The measure's area and whether the actor may add files to it; NotFound when they may not see it."""
    row, participating = service._load(session, actor, measure_id)
    member = service._member(actor, row["area_id"])
    may = policy.may_attach_to_measure(
        member,
        actor_id=actor.user_id,
        created_by_id=row["created_by_id"],
        responsible_unit_id=row["responsible_unit_id"],
        participating=participating,
    )
    return row["area_id"], may


def note_file_in(
    service: MeasureService, session: Db, *, actor: Actor, measure_id: int, trigger: str, data: dict[str, Any]
) -> MeasureView:
    """A file added to the measure or removed from it (`attach`, `detach`): a new version and one Event in its
    history, its state and fields unchanged. The caller holds no version: a file does not conflict with what
    someone else is editing, so the current one is taken (a write between the read and the UPDATE is a
    Conflict the caller may try again)."""
    row, participating = service._load(session, actor, measure_id)
    return _write(
        service,
        session,
        actor=actor,
        row=row,
        version=row["version"],
        trigger=trigger,
        to_state=row["state"],
        values={},
        changes={},
        data=data,
        comment=None,
        member=service._member(actor, row["area_id"]),
        participating_before=participating,
        at=service.now(),
    )


def _write(
    service: MeasureService,
    session: Db,
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
    at: datetime,
    meeting_id: int | None = None,
) -> MeasureView:
    """The versioned UPDATE, the participating units when given, one Event; the measure as it is now."""
    measure_id = row["id"]
    if not repo.update_versioned(
        session,
        measure_id=measure_id,
        version=version,
        values=values,
        state=to_state,
        at=at,
        actor_id=actor.user_id,
    ):
        current_version, current_state = repo.version_and_state(session, measure_id=measure_id)
        raise Conflict(
            _("Noen andre har endret tiltaket etter at du åpnet det. Se gjennom den nye versjonen og prøv igjen."),
            state=current_state,
            current_version=current_version,
        )
    if participating is not None:
        repo.replace_participating(session, measure_id=measure_id, unit_ids=participating)
    event_id = repo.insert_event(
        session,
        measure_id=measure_id,
        actor_id=actor.user_id,
        trigger=trigger,
        from_state=row["state"],
        to_state=to_state,
        comment=comment,
        changes=changes,
        data=data,
        version=version + 1,
        at=at,
        meeting_id=meeting_id,
    )
    service.announce(
        session,
        MeasureChanged(
            event_id=event_id,
            area_id=row["area_id"],
            measure_id=measure_id,
            ref=row["ref"],
            kind=trigger,
            from_state=row["state"],
            to_state=to_state,
            version=version + 1,
            units=units_involved(
                [row["responsible_unit_id"], values.get("responsible_unit_id")],
                participating_before,
                participating or (),
            ),
            registered_by=row["created_by_id"],
            actor_id=actor.user_id,
            actor_name=actor.name,
            meeting_id=meeting_id,
        ),
    )
    # The measure as it is now: what was read, with what was written (the version check above
    # guarantees nothing else changed it in between).
    after = {
        **row,
        **values,
        "state": to_state,
        "version": version + 1,
        "updated_at": at,
        "updated_by_id": actor.user_id,
    }
    return service._view(after, sorted(participating) if participating is not None else participating_before, member)
