"""What happens in a meeting (DESIGN.md §11): decisions, notes per item, attendance, the meeting held, the
minutes approved. The write side of MeetingService (samordna.meetings.service), whose methods call these
inside their transaction; no SQL here (samordna.meetings.repository).

A decision taken in a meeting *is* the measure's transition: it is fired through MeasureService's own write
path (the same checks and errors as on the measure page: 409 stale or wrong state, 403, 422, the
confidentiality guard) with the meeting as its reference — the event carries `meeting_id`, and the meeting's
date is the `meeting_date` a coordinator must give for a steering decision — and the minutes line
(decision_trigger, decision_event_id, decided_by_id, note) is written in the same transaction: both or
neither.

Once the minutes are approved nothing of the meeting changes: the service answers 409 here, and the
database's triggers (migration 0006) refuse it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from samordna.domain import policy
from samordna.domain.actor import Actor
from samordna.domain.errors import Conflict, FieldError, Invalid, NotFound
from samordna.i18n import gettext as _
from samordna.measures.views import MeasureView
from samordna.meetings import repository as repo

if TYPE_CHECKING:
    from samordna.meetings.service import MeetingService, Tx

RUNNING_STATES = ("agenda_sent", "held")  # decisions, notes and attendance are recorded in these states
ATTENDANCE = ("present", "absent", "excused")
NOTE_MAX = 20_000


def minutes_open(service: MeetingService, meeting: Any) -> None:
    """409 unless the meeting's minutes may still be written (its agenda sent, or it is held)."""
    if meeting.state == "minutes_approved":
        raise service._conflict(meeting, _("Referatet er godkjent og kan ikke endres."))
    if meeting.state not in RUNNING_STATES:
        raise service._conflict(
            meeting, _("Møtet er {state}: vedtak og referat føres når sakslisten er sendt eller møtet er holdt.")
        )


def _running(service: MeetingService, s: Tx, actor: Actor, meeting_id: int) -> tuple[Any, Any, Any, Any]:
    meeting, body, area, member = service._meeting(s, actor, meeting_id, lock=True)
    policy.require_role(member, policy.PLAN_MEETINGS, _("føre referat"))
    minutes_open(service, meeting)
    return meeting, body, area, member


def _note(note: Any) -> tuple[str | None, list[FieldError]]:
    if note is None:
        return None, []
    if not isinstance(note, str) or "\x00" in note:
        return None, [FieldError("note", _("Notatet må være tekst."))]
    note = note.strip()
    if len(note) > NOTE_MAX:
        return None, [FieldError("note", _("Notatet kan være høyst {n} tegn.").format(n=NOTE_MAX))]
    return note, []


def record_decision_in(
    service: MeetingService,
    s: Tx,
    *,
    actor: Actor,
    meeting_id: int,
    item_id: int | None,
    trigger: str,
    version: int,
    data: Mapping[str, Any] | None,
    note: str | None,
    measure_id: int | None = None,
) -> MeasureView:
    """Fire `trigger` on the item's measure in the meeting and write the minutes line, in the caller's
    transaction. The measure after. The item is named by its id, or (the API) by the measure it is about."""
    if service.measures is None:  # pragma: no cover - every installation builds it (samordna.services)
        raise RuntimeError("MeetingService needs MeasureService to record decisions")
    meeting, _body, _area, _member = _running(service, s, actor, meeting_id)
    if item_id is None:
        on_agenda = next((row.id for row in repo.item_rows(s, meeting.id) if row.measure_id == measure_id), None)
        if on_agenda is None:
            raise Invalid([FieldError("measure_id", _("Tiltaket står ikke på sakslisten til dette møtet."))])
        item_id = on_agenda
    item = repo.item(s, meeting.id, item_id, lock=True)
    if item is None:
        raise NotFound(_("Fant ikke saken."))
    if item.kind != "measure" or item.measure_id is None:
        raise Conflict(_("Saken gjelder ikke et tiltak: her føres bare et notat."), current_version=meeting.version)
    if item.decision_event_id is not None:
        raise Conflict(_("Vedtaket i saken er allerede ført."), current_version=meeting.version)
    clean_note, errors = _note(note)
    if errors:
        raise Invalid(errors)
    day = service._local_day(meeting)
    _before, view = service.measures.record_transition_in(
        s,
        actor=actor,
        measure_id=item.measure_id,
        trigger=trigger,
        version=version,
        data=data,
        comment=clean_note or None,
        meeting_id=meeting.id,
        meeting_date=day,
    )
    item.decision_trigger = trigger
    item.decision_event_id = service.measures.event_id_in(s, measure_id=view.id, version=view.version)
    item.decided_by_id = actor.user_id
    if clean_note is not None:
        item.note = clean_note
    repo.save(s, item)
    service._audit(
        s, actor, meeting, "meeting_decision", {"item_id": item.id, "measure_id": view.id, "trigger": trigger}
    )
    return view


def save_note_in(service: MeetingService, s: Tx, *, actor: Actor, meeting_id: int, item_id: int, note: Any) -> Any:
    """The minutes' note on one item, without a decision."""
    meeting, _body, _area, _member = _running(service, s, actor, meeting_id)
    item = repo.item(s, meeting.id, item_id, lock=True)
    if item is None:
        raise NotFound(_("Fant ikke saken."))
    clean_note, errors = _note(note if note is not None else "")
    if errors:
        raise Invalid(errors)
    item.note = clean_note or ""
    repo.save(s, item)
    return item


def attendance_in(
    service: MeetingService, s: Tx, *, actor: Actor, meeting_id: int, data: Mapping[str, Any]
) -> list[Any]:
    """Mark who attended: `status_<user_id>` = present|absent|excused for members, `guest` a name to add
    as present, `remove_<attendance_id>` to remove a line. Every line of the meeting after."""
    meeting, body, _area, _member = _running(service, s, actor, meeting_id)
    rows = {r.id: r for r in repo.attendance_of(s, meeting.id)}
    by_user = {r.user_id: r for r in rows.values() if r.user_id is not None}
    members = {uid: name for uid, name, _email in repo.members_with_roles(s, meeting.area_id, _roles_of(body.level))}
    errors: list[FieldError] = []
    for key, value in data.items():
        if key.startswith("status_"):
            try:
                uid = int(key.removeprefix("status_"))
            except ValueError:
                continue
            if uid not in members:
                continue
            if value in ("", None):
                continue
            if value not in ATTENDANCE:
                errors.append(FieldError(key, _("Velg møtt, ikke møtt eller forfall.")))
                continue
            row = by_user.get(uid)
            if row is None:
                by_user[uid] = repo.new_attendance(
                    s, meeting_id=meeting.id, user_id=uid, name=members[uid], status=value
                )
            elif row.status != value:
                row.status = value
                repo.save(s, row)
    guest = data.get("guest")
    if isinstance(guest, str) and guest.strip():
        name = guest.strip()
        if len(name) > 200:
            errors.append(FieldError("guest", _("Navnet kan være høyst 200 tegn.")))
        else:
            repo.new_attendance(s, meeting_id=meeting.id, user_id=None, name=name, status="present")
    if errors:
        raise Invalid(errors)
    return repo.attendance_of(s, meeting.id)


def _roles_of(level: str) -> tuple[str, ...]:
    """Who is marked present, absent or excused: the body's members (those who get its agenda)."""
    return policy.AGENDA_RECIPIENTS[level]


def approve_in(
    service: MeetingService, s: Tx, *, actor: Actor, meeting_id: int, in_meeting_id: int, version: int
) -> Any:
    """Approve the minutes of `meeting_id` in `in_meeting_id`, the next meeting of the same body (its agenda
    sent, or held). The approved meeting."""
    meeting, body, area, member = service._meeting(s, actor, meeting_id, lock=True)
    policy.require_role(member, policy.PLAN_MEETINGS, _("godkjenne referat"))
    if meeting.state == "minutes_approved":
        raise service._conflict(meeting, _("Referatet er godkjent og kan ikke endres."))
    current = repo.meeting(s, in_meeting_id)
    if (
        current is None
        or current.body_id != meeting.body_id
        or current.starts_at <= meeting.starts_at
        or current.state not in RUNNING_STATES
    ):
        raise service._conflict(
            meeting,
            _("Referatet godkjennes i et senere møte i samme organ, når sakslisten er sendt eller møtet er holdt."),
        )
    # One UPDATE: once the row says minutes_approved the database refuses any other.
    meeting.minutes_approved_at = service.clock.now()
    meeting.approved_in_id = current.id
    service._fire(s, actor, meeting, area, member, "approve_minutes", version, {})
    service._audit(s, actor, meeting, "minutes_approved", {"approved_in_id": current.id})
    return meeting, body, area, member
