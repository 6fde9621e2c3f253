"""The pages of the measures feature as the service answers them: everything the measure page shows and the
forms it offers a member, read in one transaction; the answer to a form sent from it — accepted, or refused
with the page as it is now; and «Meld behov». Which forms a member gets, with which fields, is decided here
(policy); the web layer only renders them. No SQL: that is in samordna.measures.repository.

The functions take the MeasureService they serve; they are its methods `page`, `submit`, `need_form`
and `submit_need`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.clock import aware
from samordna.domain.errors import Conflict, FieldError, Invalid, NotAllowed, NotFound
from samordna.domain.vocabulary import role_list
from samordna.i18n import gettext as _
from samordna.measures import repository as repo
from samordna.measures.rules import (
    CHOICE_TYPES,
    CREATE,
    CREATE_ROLES,
    EDIT,
    NEED_FIELDS,
    permitted_rule,
    transition_fields,
)
from samordna.measures.views import (
    FormShape,
    MeasureDetails,
    MeasurePage,
    MeasureView,
    NeedAnswer,
    NeedForm,
    PageAnswer,
    TimelineEntry,
)
from samordna.organisation import repository as org

if TYPE_CHECKING:
    from samordna.measures.repository import Db, PageRows
    from samordna.measures.service import MeasureService

NEED_FORM = FormShape(CREATE, NEED_FIELDS)
EDIT_FORM = FormShape(EDIT, NEED_FIELDS)


# ---------------------------------------------------------------- the measure page


def read_page(service: MeasureService, *, actor: Actor, measure_id: int) -> MeasurePage:
    """The measure as `actor` may see it (NotFound outside the actor's areas), and the forms it offers them."""
    with service.db.read() as s:
        return _page_in(service, s, actor, measure_id)


def submit(
    service: MeasureService,
    *,
    actor: Actor,
    measure_id: int,
    trigger: str,
    version: int | None,
    data: Mapping[str, Any],
    with_page: bool = False,
) -> PageAnswer:
    """Fire `trigger` (or `edit`) on the measure the member saw at `version`. Refused: nothing written, and
    the page as it is now, read after the rollback, with the refused form's fields and why."""
    if trigger != EDIT and trigger not in service.workflow.triggers():
        service.get(actor=actor, measure_id=measure_id)  # an invisible measure: 404 before anything else
        raise NotFound(_("Fant ikke handlingen."))  # a path naming no action is no resource
    if version is None:
        missing = FieldError("version", _("Skjemaet mangler versjon. Last siden på nytt."))
        return _refused(service, actor, measure_id, trigger, 400, errors=(missing,))
    try:
        if trigger == EDIT:
            after = service.edit(actor=actor, measure_id=measure_id, version=version, data=data)
        else:
            after = service.record_transition(
                actor=actor, measure_id=measure_id, trigger=trigger, version=version, data=data
            )
    except Invalid as exc:
        return _refused(service, actor, measure_id, trigger, 422, errors=tuple(exc.errors))
    except NotAllowed as exc:
        return _refused(service, actor, measure_id, trigger, 403, errors=(FieldError("", exc.message),))
    except Conflict as exc:
        return _refused(service, actor, measure_id, trigger, 409, conflict=exc, version=version)
    page = read_page(service, actor=actor, measure_id=measure_id) if with_page else None
    return PageAnswer(trigger=trigger, status=200, measure=after, page=page)


def _refused(
    service: MeasureService,
    actor: Actor,
    measure_id: int,
    trigger: str,
    status: int,
    *,
    errors: tuple[FieldError, ...] = (),
    conflict: Conflict | None = None,
    version: int | None = None,
) -> PageAnswer:
    with service.db.read() as s:
        page = _page_in(service, s, actor, measure_id, also=trigger)
    measure = page.measure
    changed = conflict is not None and version != measure.version
    if conflict is not None and not changed:
        # The measure is as the form saw it: a condition of the transition said no, or it is closed.
        errors = (FieldError("", conflict.message),)
    member = _member(actor, measure)
    return PageAnswer(
        trigger=trigger,
        status=status,
        measure=measure,
        page=page,
        form=_form(service, member, measure, trigger),
        errors=errors,
        changed=changed,
    )


def _member(actor: Actor, measure: MeasureView) -> MemberView:
    member = actor.in_area(measure.area_id)
    if member is None:  # the measure was read for this actor: never
        raise NotFound(_("Fant ikke tiltaket."))
    return member


def _form(service: MeasureService, member: MemberView, measure: MeasureView, trigger: str) -> FormShape:
    """The form for `trigger` (or `edit`) as this member fills it in: the fields its allow rule asks for."""
    if trigger == EDIT:
        return EDIT_FORM
    wf = service.workflow
    td = wf.transition(measure.state, trigger) or wf.first_transition(trigger)
    if td is None:
        return FormShape(trigger, ())
    rule = permitted_rule(td, member, measure.responsible_unit_id, measure.participating_unit_ids)
    return FormShape(trigger, transition_fields(wf, td, rule))


def _page_in(service: MeasureService, s: Db, actor: Actor, measure_id: int, *, also: str | None = None) -> MeasurePage:
    details, rows = _details_in(service, s, actor, measure_id)
    measure = details.measure
    member = _member(actor, measure)
    forms = tuple(_form(service, member, measure, t) for t in measure.allowed_triggers)
    edit = EDIT_FORM if details.can_edit else None
    shapes = [*forms, *([edit] if edit else []), *([_form(service, member, measure, also)] if also else [])]
    choices: dict[str, list[Any]] = {}
    if any(f.type in CHOICE_TYPES for shape in shapes for f, _required in shape.fields):
        choices = _choices(rows.goals, rows.units, repo.members(s, measure.area_id))
    return MeasurePage(details=details, forms=forms, edit=edit, choices=choices)


def _choices(goals: list[Any], units: list[Any], members: list[Any]) -> dict[str, list[Any]]:
    """What a form's choice fields offer: the active goals and units, and the members of active units."""
    active = {u.id for u in units if u.active}
    return {
        "goals": [g for g in goals if g.active],
        "units": [u for u in units if u.active],
        "members": [m for m in members if m.unit_id in active],
    }


def _details_in(service: MeasureService, s: Db, actor: Actor, measure_id: int) -> tuple[MeasureDetails, PageRows]:
    """The measure's details, and the rows they were read from (the area's goals and units among them)."""
    wf = service.workflow
    measure = service._get_in(s, actor=actor, measure_id=measure_id)
    rows = repo.page_rows(s, measure_id=measure_id, area_id=measure.area_id)
    created_by_id, updated_by_id = rows.created_by_id, rows.updated_by_id

    # A trigger with the status_report callback writes its event and its report in one transaction, so
    # the n-th reporting event and the n-th report belong together.
    reporting = {t.trigger for t in wf.transitions if t.calls("status_report")}
    queue = list(rows.reports)
    timeline: list[TimelineEntry] = []
    user_ids = {created_by_id, updated_by_id, measure.contact_user_id}
    for event, name in rows.events:
        changes = json.loads(event.changes)
        health = note = None
        if event.trigger in reporting and queue:
            report, _author = queue.pop(0)
            health, note = report.health, report.note
        if isinstance(changes.get("contact_user_id"), list):
            user_ids.update(v for v in changes["contact_user_id"] if isinstance(v, int))
        timeline.append(
            TimelineEntry(
                kind="event",
                at=aware(event.at),
                actor_name=name,
                trigger=event.trigger,
                from_state=event.from_state,
                to_state=event.to_state,
                changes=changes,
                data=json.loads(event.data),
                comment=event.comment,
                health=health,
                note=note,
                version=event.version,
                meeting_id=event.meeting_id,
            )
        )
    for report, name in queue:
        timeline.append(
            TimelineEntry(kind="report", at=aware(report.at), actor_name=name, health=report.health, note=report.note)
        )
    user_ids.discard(None)
    users = repo.user_names(s, user_ids)

    member = actor.in_area(measure.area_id)
    state = wf.states.get(measure.state)
    can_edit = bool(
        member
        and state
        and not state.final
        and policy.may_edit_measure(
            member, actor_id=actor.user_id, created_by_id=created_by_id, in_initial_state=measure.state == wf.initial
        )
    )
    order = {id(e): i for i, e in enumerate(timeline)}
    timeline.sort(key=lambda e: (e.at, order[id(e)]), reverse=True)
    return MeasureDetails(
        measure=measure,
        timeline=timeline,
        goal_titles=rows.goal_titles,
        unit_names=rows.unit_names,
        user_names=users,
        created_by=users.get(created_by_id, ""),
        updated_by=users.get(updated_by_id, ""),
        can_edit=can_edit,
    ), rows


# ---------------------------------------------------------------- «Meld behov»


def need_form(service: MeasureService, *, actor: Actor, slug: str) -> NeedForm:
    """«Meld behov» in the area: its fields and choices; NotAllowed, naming who may, for a member who may not."""
    with service.db.read() as s:
        area = org.area_for(s, actor, slug)
        member = actor.in_area(area.id)  # type: ignore[arg-type]
        if member is None or member.role not in CREATE_ROLES:
            raise NotAllowed(
                _("Du har bare lesetilgang i %(area)s. Behov meldes av %(roles)s.")
                % {"area": area.name, "roles": role_list(CREATE_ROLES)},
                allowed_roles=CREATE_ROLES,
            )
        choices = _choices(org.goals_of(s, area.id), org.units_of(s, area.id), repo.members(s, area.id))  # type: ignore[arg-type]
    return NeedForm(form=NEED_FORM, choices=choices)


def submit_need(service: MeasureService, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> NeedAnswer:
    """Register a need; refused (422), nothing written, with the form to show again. A member who may not
    register one gets NotAllowed, as on opening the form."""
    try:
        created = service.register_need(actor=actor, slug=slug, data=data)
    except Invalid as exc:
        return NeedAnswer(status=422, need=need_form(service, actor=actor, slug=slug), errors=tuple(exc.errors))
    except NotAllowed as exc:
        need = need_form(service, actor=actor, slug=slug)  # NotAllowed naming who may, as on opening the form
        return NeedAnswer(status=403, need=need, errors=(FieldError("", exc.message),))
    return NeedAnswer(status=201, measure=created)
