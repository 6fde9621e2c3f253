"""Meetings of an area's bodies and their agendas (DESIGN.md §11). Policy and orchestration only: the SQL is
in meetings.repository, the dates of a rhythm in meetings.rhythm.

Each public method is keyword-only and one transaction. The actor's membership is checked first (another
area's meetings do not exist for them: 404), then whether their role reads the body (403), then whether
they may do what they ask (403: the coordinator plans and runs every body). A meeting's state changes
only by firing the meeting workflow (workflows/meeting.toml) through its compiled Machine — the same
engine as the measures — and every change writes one audit entry in the same transaction.

The agenda is generated from the boards while the meeting is planned, when the coordinator opens it and
again when it is sent: generated items come and go with the measures that need the body, free items and
the order the coordinator gave stay. Sending numbers the items per body and year (Sak 03/27), records the
recipients and freezes the agenda.

API for the features built on it (decisions, minutes): `get(actor=, meeting_id=)` → MeetingView,
`agenda(actor=, meeting_id=)` → Agenda (meeting, items, recipients), `overview(actor=, slug=)`.

The work is in three modules beside this one, each called inside the transaction a method here opens:
planning.py (one meeting, a year from a rhythm, moving), decisions.py (what happens in the meeting) and
this module's agenda generation from the boards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.clock import Clock, aware
from samordna.domain.errors import Conflict, FieldError, Invalid, NotAllowed, NotFound
from samordna.domain.vocabulary import BODY_LEVELS, role_list
from samordna.i18n import current_lang
from samordna.i18n import gettext as _
from samordna.measures.service import MeasureService
from samordna.measures.views import MeasureView
from samordna.meetings import decisions, fields, planning
from samordna.meetings import repository as repo
from samordna.meetings.planning import EDITABLE_STATES
from samordna.meetings.views import (
    FREE_KINDS,
    Agenda,
    AgendaItemView,
    AttendanceView,
    BodyMeetings,
    BodyView,
    MeetingsPage,
    MeetingView,
    Minutes,
    RecipientView,
    YearPlan,
)
from samordna.store.db import Database
from samordna.workflow import TransitionRefused, Workflow

Tx = Any  # a store session opened by Database and handed to the repository
LIST_LIMIT = 24  # coming and past meetings shown per body
# Why a measure is on a coordination or steering agenda, in the order the agenda lists them.
REASONS = (
    "need_identified",
    "without_responsibility",
    "overdue",
    "off_track",
    "under_evaluation",
    "awaiting_decision",
)


@dataclass
class MeetingChange:
    """The model the meeting workflow's Machine moves: the meeting's state, nothing attached to the row."""

    state: str


def _decision_text(changes: str | None) -> str:
    """The reasoning a decision recorded (the measure's decision_note), from its event's changes."""
    found = json.loads(changes or "{}").get("decision_note")
    return found[1] or "" if isinstance(found, list) and len(found) == 2 else ""


def _local(value: datetime, clock: Clock) -> datetime:
    return aware(value).astimezone(clock.tz)


class MeetingService:
    """Plan, move and cancel the meetings of an area's bodies; generate, edit and send their agendas."""

    def __init__(
        self,
        *,
        db: Database,
        workflow: Workflow,
        measure_workflow: Workflow,
        clock: Clock,
        measures: MeasureService | None = None,
    ) -> None:
        self.db = db
        self.workflow = workflow  # workflows/meeting.toml
        self.measure_workflow = measure_workflow
        self.clock = clock
        self.measures = measures  # decisions taken in a meeting fire the measure's transition through it

    # ------------------------------------------------------------ reads

    def overview(self, *, actor: Actor, slug: str) -> MeetingsPage:
        """Each body the member may read, with its coming and past meetings."""
        with self.db.read() as s:
            area, member = self._area(s, actor, slug)
            now = self.clock.now()
            bodies = self._bodies(s, area.id)
            out = []
            for b in bodies:
                if not policy.may_read_meetings_of(member, b.level):
                    continue
                coming, past = repo.coming_and_past(s, b.id, now, limit=LIST_LIMIT)
                out.append(
                    BodyMeetings(
                        body=b,
                        coming=[self._view(m, b, area.slug, member) for m in coming],
                        past=[self._view(m, b, area.slug, member) for m in past],
                    )
                )
            return MeetingsPage(bodies=out, may_plan=policy.may(member, policy.PLAN_MEETINGS), all_bodies=bodies)

    def bodies(self, *, actor: Actor, slug: str) -> list[BodyView]:
        """The area's four bodies, steering first."""
        with self.db.read() as s:
            area, _member = self._area(s, actor, slug)
            return self._bodies(s, area.id)

    def get(self, *, actor: Actor, meeting_id: int) -> MeetingView:
        with self.db.read() as s:
            meeting, body, area, member = self._meeting(s, actor, meeting_id)
            return self._view(meeting, body, area.slug, member)

    def agenda(self, *, actor: Actor, meeting_id: int) -> Agenda:
        """The meeting and its agenda. Opened by the coordinator while the meeting is planned, the agenda is
        generated from the boards first (and the change audited); everyone else reads it as it stands."""
        # A write transaction only for someone who plans meetings somewhere (their role in the meeting's
        # area is checked once it is read): everyone else reads.
        planner = any(m.role in policy.PLAN_MEETINGS for m in actor.memberships.values())
        with self.db.write() if planner else self.db.read() as s:
            meeting, body, area, member = self._meeting(s, actor, meeting_id, lock=planner)
            if meeting.state == "planned" and policy.may(member, policy.PLAN_MEETINGS):
                self._regenerate(s, actor, meeting, body)
            return self._agenda(s, meeting, body, area.slug, member)

    # ------------------------------------------------------------ bodies

    def rename_body(self, *, actor: Actor, slug: str, body_id: int, data: Mapping[str, Any]) -> BodyView:
        with self.db.write() as s:
            area, member = self._area(s, actor, slug)
            policy.require_role(member, policy.PLAN_MEETINGS, _("gi organene nye navn"))
            body = repo.body_in(s, area.id, body_id, lock=True)
            if body is None:
                raise NotFound(_("Fant ikke organet."))
            values, errors = repo.clean_values(
                s, area.id, [(fields.BODY_NAME, True)], {"name": data.get("name")}, self.clock.today()
            )
            if errors:
                raise Invalid(errors)
            old, new = body.name, values["name"]
            if old != new:
                body.name = new
                repo.save(s, body)
                repo.audit(
                    s,
                    area_id=area.id,
                    actor_id=actor.user_id,
                    kind="body_renamed",
                    subject=new,
                    detail={"level": body.level, "name": [old, new]},
                )
            return BodyView(body.id, body.level, body.name)  # type: ignore[arg-type]

    # ------------------------------------------------------------ planning

    def plan(self, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> MeetingView:
        """Plan one meeting: `body` (a level), `day` (YYYY-MM-DD), `start`, `end` (HH:MM, the area's time),
        optional `title` (the body's name) and `place`."""
        with self.db.write() as s:
            return planning.plan_in(self, s, actor=actor, slug=slug, data=data)

    def plan_year(self, *, actor: Actor, slug: str, data: Mapping[str, Any], preview: bool = False) -> YearPlan:
        """A year of meetings from a rhythm: `body`, `year`, `weekday` (0 = Monday), `nth` (1–4, 5 = last),
        `skip_months` (1–12), `on_holiday` (skip | move), `start`, `end`, optional `title` and `place`.
        Public holidays are skipped (or moved to the next working day), and so are days on which the body
        already meets. With `preview`, nothing is written: the dates the plan would make, and those left out."""
        with self.db.write() if not preview else self.db.read() as s:
            return planning.plan_year_in(self, s, actor=actor, slug=slug, data=data, preview=preview)

    def move(self, *, actor: Actor, meeting_id: int, version: int, data: Mapping[str, Any]) -> MeetingView:
        """A new day, time, place or title, while the meeting is planned or its agenda sent."""
        with self.db.write() as s:
            return planning.move_in(self, s, actor=actor, meeting_id=meeting_id, version=version, data=data)

    def cancel(self, *, actor: Actor, meeting_id: int, version: int, data: Mapping[str, Any]) -> MeetingView:
        """Cancel the meeting with a reason: the meeting workflow's `cancel` trigger."""
        with self.db.write() as s:
            meeting, body, area, member = self._meeting(s, actor, meeting_id, lock=True)
            self._fire(s, actor, meeting, area, member, "cancel", version, data)
            self._audit(s, actor, meeting, "meeting_cancelled", {"reason": meeting.cancel_reason})
            return self._view(meeting, body, area.slug, member)

    # ------------------------------------------------------------ the agenda

    def add_item(self, *, actor: Actor, meeting_id: int, data: Mapping[str, Any]) -> AgendaItemView:
        """A free item: `kind` (orientation | discussion | decision), `title`, optional `text`."""
        with self.db.write() as s:
            meeting, body, area, member = self._editable_agenda(s, actor, meeting_id)
            errors: list[FieldError] = []
            kind = data.get("kind")
            if kind not in FREE_KINDS:
                errors.append(FieldError("kind", _("Velg type sak: orientering, drøfting eller vedtak.")))
            wanted = [(fields.ITEM_TITLE, True), (fields.ITEM_TEXT, False)]
            values, text_errors = repo.clean_values(
                s, area.id, wanted, {k: data[k] for k in ("title", "text") if k in data}, self.clock.today()
            )
            errors += text_errors
            if errors:
                raise Invalid(errors)
            rows = repo.item_rows(s, meeting.id)
            item = repo.new_item(
                s,
                meeting_id=meeting.id,
                body_id=body.id,
                year=self._year(meeting),
                position=(rows[-1].position + 1) if rows else 1,
                kind=kind,
                title=values["title"],
                text=values.get("text") or "",
            )
            self._touch(s, actor, meeting, "agenda_item_added", {"kind": kind, "title": item.title})
            return self._item_view(s, meeting.id, item.id)  # type: ignore[arg-type]

    def remove_item(self, *, actor: Actor, meeting_id: int, item_id: int) -> None:
        """Remove a free item (generated items go when the measure no longer needs the body)."""
        with self.db.write() as s:
            meeting, _body, _area, _member = self._editable_agenda(s, actor, meeting_id)
            item = self._item(s, meeting.id, item_id)
            if item.kind not in FREE_KINDS:
                raise Conflict(
                    _("Saken er hentet fra tavlene og forsvinner av seg selv når tiltaket ikke lenger trenger møtet."),
                    state=meeting.state,
                    current_version=meeting.version,
                )
            repo.delete_item(s, item)
            self._touch(s, actor, meeting, "agenda_item_removed", {"kind": item.kind, "title": item.title})

    def move_item(self, *, actor: Actor, meeting_id: int, item_id: int, direction: str) -> list[AgendaItemView]:
        """Move an item one place `up` or `down`; the items in their new order."""
        with self.db.write() as s:
            meeting, _body, _area, _member = self._editable_agenda(s, actor, meeting_id)
            if direction not in ("up", "down"):
                raise Invalid([FieldError("direction", _("Velg opp eller ned."))])
            rows = repo.item_rows(s, meeting.id)
            index = next((i for i, r in enumerate(rows) if r.id == item_id), None)
            if index is None:
                raise NotFound(_("Fant ikke saken."))
            other = index - 1 if direction == "up" else index + 1
            if 0 <= other < len(rows):
                rows[index], rows[other] = rows[other], rows[index]
                for position, row in enumerate(rows, start=1):
                    row.position = position
                repo.save(s, *rows)
                self._touch(
                    s, actor, meeting, "agenda_item_moved", {"title": rows[other].title, "direction": direction}
                )
            return [self._row_view(r) for r in repo.items_of(s, meeting.id)]

    def send_agenda(self, *, actor: Actor, meeting_id: int, version: int) -> Agenda:
        """Send the agenda (`send_agenda`): generated once more, numbered per body and year, the recipients
        recorded, frozen."""
        with self.db.write() as s:
            meeting, body, area, member = self._meeting(s, actor, meeting_id, lock=True)
            if meeting.state == "planned" and policy.may(member, policy.PLAN_MEETINGS):
                self._check_version(meeting, version)
                self._regenerate(s, actor, meeting, body)
                version = meeting.version
            repo.body(s, body.id, lock=True)  # numbers per body and year are handed out one agenda at a time
            self._fire(s, actor, meeting, area, member, "send_agenda", version, {})
            year = self._year(meeting)
            number = repo.last_number(s, body.id, year)
            items = repo.item_rows(s, meeting.id)
            for item in items:
                number += 1
                item.number, item.year = number, year
            repo.save(s, *items)
            now = self.clock.now()
            meeting.agenda_sent_at, meeting.agenda_sent_by_id = now, actor.user_id
            people = repo.members_with_roles(s, area.id, policy.AGENDA_RECIPIENTS[body.level])
            repo.add_recipients(s, meeting.id, people, now)  # type: ignore[arg-type]
            repo.save(s, meeting)
            self._audit(
                s,
                actor,
                meeting,
                "agenda_sent",
                {"items": len(items), "recipients": len(people), "numbers": [items[0].number, number] if items else []},
            )
            return self._agenda(s, meeting, body, area.slug, member)

    # ------------------------------------------------------------ in the meeting (samordna.meetings.decisions)

    def record_decision(
        self,
        *,
        actor: Actor,
        meeting_id: int,
        item_id: int | None = None,
        trigger: str,
        version: int,
        data: Mapping[str, Any] | None = None,
        note: str | None = None,
        measure_id: int | None = None,
    ) -> MeasureView:
        """A decision taken in the meeting on a measure item: the measure's transition `trigger` (the measure
        seen at `version`), fired with the meeting as its reference, and the minutes line — one transaction.
        Allowed while the agenda is sent or the meeting held (else 409); every error of a transition as on
        the measure page. The item by `item_id`, or by `measure_id` (the API names the measure). The measure
        after."""
        with self.db.write() as s:
            return decisions.record_decision_in(
                self,
                s,
                actor=actor,
                meeting_id=meeting_id,
                item_id=item_id,
                trigger=trigger,
                version=version,
                data=data,
                note=note,
                measure_id=measure_id,
            )

    def save_note(self, *, actor: Actor, meeting_id: int, item_id: int, note: Any) -> AgendaItemView:
        """The minutes' note on one item, with or without a decision."""
        with self.db.write() as s:
            item = decisions.save_note_in(self, s, actor=actor, meeting_id=meeting_id, item_id=item_id, note=note)
            return self._item_view(s, meeting_id, item.id)  # type: ignore[arg-type]

    def record_attendance(self, *, actor: Actor, meeting_id: int, data: Mapping[str, Any]) -> list[AttendanceView]:
        """Members present, absent or excused, and guests by name."""
        with self.db.write() as s:
            rows = decisions.attendance_in(self, s, actor=actor, meeting_id=meeting_id, data=data)
            return [AttendanceView(r.id, r.user_id, r.name, r.status) for r in rows]

    def hold(self, *, actor: Actor, meeting_id: int, version: int, data: Mapping[str, Any]) -> MeetingView:
        """Mark the meeting held (the `hold` trigger, with an optional summary for the minutes)."""
        with self.db.write() as s:
            meeting, body, area, member = self._meeting(s, actor, meeting_id, lock=True)
            if meeting.state == "minutes_approved":
                raise self._conflict(meeting, _("Referatet er godkjent og kan ikke endres."))
            self._fire(s, actor, meeting, area, member, "hold", version, data)
            self._audit(s, actor, meeting, "meeting_held", {})
            return self._view(meeting, body, area.slug, member)

    def approve_minutes(self, *, actor: Actor, meeting_id: int, in_meeting_id: int, version: int) -> MeetingView:
        """Approve the minutes of a held meeting in the next meeting of its body; immutable afterwards."""
        with self.db.write() as s:
            meeting, body, area, member = decisions.approve_in(
                self, s, actor=actor, meeting_id=meeting_id, in_meeting_id=in_meeting_id, version=version
            )
            return self._view(meeting, body, area.slug, member)

    def minutes(self, *, actor: Actor, meeting_id: int) -> Minutes:
        """The meeting's minutes as they stand: agenda items with notes and decisions, attendance, the
        members who may be marked, and the earlier meetings whose minutes this meeting may approve."""
        with self.db.read() as s:
            meeting, body, area, member = self._meeting(s, actor, meeting_id)
            agenda = self._agenda(s, meeting, body, area.slug, member)
            rows = repo.attendance_of(s, meeting.id)
            people = repo.members_with_roles(s, meeting.area_id, policy.AGENDA_RECIPIENTS[body.level])
            decided = [r for r in repo.item_rows(s, meeting.id) if r.decided_by_id]
            names = repo.user_names(s, (r.decided_by_id for r in decided))
            changes = repo.decision_changes(s, (r.decision_event_id for r in decided if r.decision_event_id))
            approvable: list[MeetingView] = []
            runs = policy.may(member, policy.PLAN_MEETINGS)
            if runs and meeting.state in decisions.RUNNING_STATES:
                earlier = repo.awaiting_approval(s, body.id, meeting.starts_at)
                approvable = [self._view(m, body, area.slug, member) for m in earlier]
            approved_in = repo.meeting(s, meeting.approved_in_id) if meeting.approved_in_id else None
            return Minutes(
                agenda=agenda,
                summary=meeting.minutes_summary or "",
                attendance=[AttendanceView(r.id, r.user_id, r.name, r.status) for r in rows],
                members=[(uid, name) for uid, name, _email in people],
                decided_by={r.id: names.get(r.decided_by_id, "") for r in decided},
                decision_texts={r.id: _decision_text(changes.get(r.decision_event_id)) for r in decided},
                approvable=approvable,
                approved_in=self._view(approved_in, body, area.slug, member) if approved_in is not None else None,
                runs=runs and meeting.state in decisions.RUNNING_STATES,
            )

    # ------------------------------------------------------------ files on a meeting (samordna.attachments)

    def may_attach_in(self, s: Tx, *, actor: Actor, meeting_id: int) -> tuple[int, bool]:
        """The meeting's area and whether the actor may add files to it: NotFound outside the actor's areas,
        NotAllowed when their role does not read the body's meetings."""
        meeting, _body, _area, member = self._meeting(s, actor, meeting_id)
        return meeting.area_id, policy.may(member, policy.ATTACH_TO_MEETING)

    def note_file_in(self, s: Tx, *, actor: Actor, meeting_id: int, kind: str, detail: dict[str, Any]) -> None:
        """A file added to the meeting or removed: one entry in the area's log (the meeting's row is not
        touched, so the signed minutes can be attached after they are approved)."""
        meeting, _body, _area, _member = self._meeting(s, actor, meeting_id)
        self._audit(s, actor, meeting, kind, detail)

    def _local_day(self, meeting: Any) -> date:
        return _local(meeting.starts_at, self.clock).date()

    # ------------------------------------------------------------ inside

    def _area(self, s: Tx, actor: Actor, slug: str) -> tuple[Any, MemberView]:
        area = repo.area_by_slug(s, slug)
        if area is None or actor.in_area(area.id) is None:
            raise NotFound(_("Fant ikke SLT-området."))
        return area, actor.in_area(area.id)  # type: ignore[return-value]

    def _bodies(self, s: Tx, area_id: int) -> list[BodyView]:
        rows = repo.bodies_of(s, area_id)
        rows.sort(key=lambda b: BODY_LEVELS.index(b.level) if b.level in BODY_LEVELS else 9)
        return [BodyView(b.id, b.level, b.name) for b in rows]  # type: ignore[arg-type]

    def _meeting(self, s: Tx, actor: Actor, meeting_id: int, *, lock: bool = False) -> tuple[Any, BodyView, Any, Any]:
        """The meeting, its body, its area and the actor's membership: 404 when it is not in one of the actor's
        areas, 403 when their role does not read the body's meetings."""
        meeting = repo.meeting(s, meeting_id, lock=lock)
        member = actor.in_area(meeting.area_id) if meeting is not None else None
        if meeting is None or member is None:
            raise NotFound(_("Fant ikke møtet."))
        body = repo.body(s, meeting.body_id)
        if not policy.may_read_meetings_of(member, body.level):  # type: ignore[union-attr]
            levels = [r for r, levels in policy.READ_MEETINGS.items() if body.level in levels]  # type: ignore[union-attr]
            raise NotAllowed(
                _("Bare {roles} kan lese møtene til {body}.").format(roles=role_list(levels), body=body.name),  # type: ignore[union-attr]
                allowed_roles=tuple(levels),
            )
        return meeting, BodyView(body.id, body.level, body.name), repo.area(s, meeting.area_id), member  # type: ignore[union-attr,arg-type]

    def _editable_agenda(self, s: Tx, actor: Actor, meeting_id: int) -> tuple[Any, BodyView, Any, Any]:
        meeting, body, area, member = self._meeting(s, actor, meeting_id, lock=True)
        policy.require_role(member, policy.PLAN_MEETINGS, _("endre sakslisten"))
        if meeting.state != "planned":
            raise self._conflict(meeting, _("Sakslisten er sendt og kan ikke endres lenger (møtet er {state})."))
        return meeting, body, area, member

    def _conflict(self, meeting: Any, message: str) -> Conflict:
        label = self.workflow.states[meeting.state].label.get(current_lang.get()).lower()
        return Conflict(
            message.format(state=label),
            state=meeting.state,
            current_version=meeting.version,
            allowed_triggers=self.workflow.allowed_triggers(meeting.state),
        )

    def _check_version(self, meeting: Any, version: int) -> None:
        if version != meeting.version:
            raise Conflict(
                _("Noen andre har endret møtet etter at du åpnet det. Se gjennom det på nytt og prøv igjen."),
                state=meeting.state,
                current_version=meeting.version,
            )

    def _fire(
        self,
        s: Tx,
        actor: Actor,
        meeting: Any,
        area: Any,
        member: MemberView,
        trigger: str,
        version: int,
        data: Mapping[str, Any],
    ) -> None:
        """Fire `trigger` of the meeting workflow on the meeting, checked like a measure's transition: the
        state (409), the role (403), the stale version (409), the fields (422); then the Machine."""
        wf = self.workflow
        td = wf.transition(meeting.state, trigger)
        if td is None:
            raise self._conflict(meeting, _("Møtet er {state}: det kan ikke gjøres nå."))
        if policy.permitted_rule(td, member, None, []) is None:
            doing = td.label.get(current_lang.get()).lower()
            raise NotAllowed(
                _("Bare {roles} kan {doing}.").format(roles=role_list(td.roles()), doing=doing),
                allowed_roles=td.roles(),
            )
        self._check_version(meeting, version)
        wanted = [(wf.fields[n], n in td.required) for n in td.fields()]
        values, errors = repo.clean_values(
            s, area.id, wanted, {n: data[n] for n in td.fields() if n in data}, self.clock.today()
        )
        if errors:
            raise Invalid(errors)
        change = MeetingChange(state=meeting.state)
        try:
            wf.fire(change, trigger)  # the Machine: conditions, callbacks, the new state
        except TransitionRefused:
            raise self._conflict(meeting, _("Møtet er {state}: det kan ikke gjøres nå.")) from None
        for name, value in values.items():
            store = wf.fields[name].store
            if store:
                setattr(meeting, store, value)
        meeting.state = change.state
        meeting.version += 1
        if change.state == "held":
            meeting.held_at = self.clock.now()
        repo.save(s, meeting)

    def _touch(self, s: Tx, actor: Actor, meeting: Any, kind: str, detail: dict[str, Any]) -> None:
        """An agenda change: the meeting's version moves on (a stale «send» is refused), one audit entry."""
        meeting.version += 1
        repo.save(s, meeting)
        self._audit(s, actor, meeting, kind, detail)

    def _audit(self, s: Tx, actor: Actor, meeting: Any, kind: str, detail: dict[str, Any]) -> None:
        subject = f"{meeting.title} {_local(meeting.starts_at, self.clock):%Y-%m-%d %H:%M}"
        repo.audit(
            s,
            area_id=meeting.area_id,
            actor_id=actor.user_id,
            kind=kind,
            subject=subject,
            detail={"meeting_id": meeting.id, **detail},
        )

    def _audit_times(self, meeting: Any) -> str:
        start, end = _local(meeting.starts_at, self.clock), _local(meeting.ends_at, self.clock)
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"

    def _year(self, meeting: Any) -> int:
        return _local(meeting.starts_at, self.clock).year

    # ---- the agenda

    def _regenerate(self, s: Tx, actor: Actor, meeting: Any, body: BodyView) -> None:
        """Bring the generated items up to date with the boards on the meeting's day: new ones at the end,
        those no longer needing the body removed; free items and the order stay."""
        day = _local(meeting.starts_at, self.clock).date()
        follow_up = self.measure_workflow.states_on_board("execution")
        wanted: dict[tuple[str, int], tuple[str, str, str]] = {}  # (kind, id) -> (reason, title, text)
        rows = repo.measures_needing(s, area_id=meeting.area_id, level=body.level, day=day, follow_up_states=follow_up)
        rows = sorted(rows, key=lambda r: (REASONS.index(r["reason"]), str(r["updated_at"]), r["id"]))
        for r in rows:
            wanted.setdefault(("measure", r["id"]), (r["reason"], r["title"], ""))
        if body.level == "steering":
            for goal_id, (title, line) in self._goal_lines(s, meeting.area_id).items():
                wanted[("goal", goal_id)] = ("goal_status", title, line)
        items = repo.item_rows(s, meeting.id)
        year = self._year(meeting)
        removed = 0
        kept: set[tuple[str, int]] = set()
        for item in items:
            if item.kind not in ("measure", "goal"):
                continue
            key = (item.kind, item.measure_id if item.kind == "measure" else item.goal_id)
            if key not in wanted:
                repo.delete_item(s, item)
                removed += 1
                continue
            kept.add(key)  # type: ignore[arg-type]
            reason, title, text = wanted[key]  # type: ignore[index]
            if (item.reason, item.title, item.text, item.year) != (reason, title[:200], text, year):
                item.reason, item.title, item.text, item.year = reason, title[:200], text, year
                repo.save(s, item)
        position = max((i.position for i in items), default=0)
        new = []
        for (kind, ref_id), (reason, title, text) in wanted.items():
            if (kind, ref_id) in kept:
                continue
            position += 1
            new.append(
                dict(
                    meeting_id=meeting.id,
                    body_id=body.id,
                    year=year,
                    position=position,
                    kind=kind,
                    reason=reason,
                    measure_id=ref_id if kind == "measure" else None,
                    goal_id=ref_id if kind == "goal" else None,
                    title=title[:200],
                    text=text,
                )
            )
        repo.new_items(s, new)  # one statement, however many
        added = len(new)
        if added or removed:
            self._touch(s, actor, meeting, "agenda_generated", {"added": added, "removed": removed})

    def _goal_lines(self, s: Tx, area_id: int) -> dict[int, tuple[str, str]]:
        """goal id -> (title, one status line: its measures by state, and how the running ones go)."""
        lang = current_lang.get()
        wf = self.measure_workflow
        health = wf.fields.get("health")
        by_goal: dict[int, dict[str, dict[str, int]]] = {}
        for goal_id, state, last_health, _effect, n in repo.goal_tallies(s, area_id):
            tally = by_goal.setdefault(goal_id, {"state": {}, "health": {}})
            tally["state"][state] = tally["state"].get(state, 0) + n
            if last_health and not wf.states[state].final:
                tally["health"][last_health] = tally["health"].get(last_health, 0) + n
        out: dict[int, tuple[str, str]] = {}
        for goal in repo.active_goals(s, area_id):
            tally = by_goal.get(goal.id, {"state": {}, "health": {}})  # type: ignore[arg-type]
            total = sum(tally["state"].values())
            if not total:
                out[goal.id] = (goal.title, _("Ingen tiltak ennå."))  # type: ignore[index]
                continue
            states = ", ".join(
                f"{wf.states[st].label.get(lang).lower()} {n}" for st in wf.states if (n := tally["state"].get(st))
            )
            line = _("{total} tiltak: {states}.").format(total=total, states=states)
            if tally["health"] and health is not None:
                healths = ", ".join(
                    f"{health.option_labels[h].get(lang).lower() if h in health.option_labels else h} {n}"
                    for h in health.options
                    if (n := tally["health"].get(h))
                )
                line += " " + _("Siste status: {healths}.").format(healths=healths)
            out[goal.id] = (goal.title, line)  # type: ignore[index]
        return out

    def _item(self, s: Tx, meeting_id: int, item_id: int) -> Any:
        item = next((i for i in repo.item_rows(s, meeting_id) if i.id == item_id), None)
        if item is None:
            raise NotFound(_("Fant ikke saken."))
        return item

    def _row_view(self, r: Mapping[str, Any]) -> AgendaItemView:
        return AgendaItemView(**{k: r[k] for k in AgendaItemView.__dataclass_fields__})

    def _item_view(self, s: Tx, meeting_id: int, item_id: int) -> AgendaItemView:
        return next(self._row_view(r) for r in repo.items_of(s, meeting_id) if r["id"] == item_id)

    def _agenda(self, s: Tx, meeting: Any, body: BodyView, slug: str, member: MemberView) -> Agenda:
        view = self._view(meeting, body, slug, member)
        recipients = [RecipientView(u, n, e, aware(at)) for u, n, e, at in repo.recipients_of(s, meeting.id)]
        frozen = meeting.state != "planned"
        return Agenda(
            meeting=view,
            items=[self._row_view(r) for r in repo.items_of(s, meeting.id)],
            recipients=recipients,
            frozen=frozen,
            editable=not frozen and policy.may(member, policy.PLAN_MEETINGS),
        )

    def _view(self, meeting: Any, body: BodyView, slug: str, member: MemberView) -> MeetingView:
        allowed = tuple(
            t
            for t in self.workflow.allowed_triggers(meeting.state)
            if policy.permitted_rule(self.workflow.transition(meeting.state, t), member, None, [])
        )
        return MeetingView(
            id=meeting.id,
            area_id=meeting.area_id,
            area_slug=slug,
            body=body,
            title=meeting.title,
            starts_at=aware(meeting.starts_at),
            ends_at=aware(meeting.ends_at),
            local_start=_local(meeting.starts_at, self.clock),
            local_end=_local(meeting.ends_at, self.clock),
            place=meeting.place,
            state=meeting.state,
            version=meeting.version,
            cancel_reason=meeting.cancel_reason,
            agenda_sent_at=aware(meeting.agenda_sent_at),
            held_at=aware(meeting.held_at),
            minutes_approved_at=aware(meeting.minutes_approved_at),
            allowed_triggers=allowed,
            may_edit=meeting.state in EDITABLE_STATES and policy.may(member, policy.PLAN_MEETINGS),
        )
