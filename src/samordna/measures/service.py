"""Measures: register, edit and move them through the workflow; read them back as views, and as the pages
that show them. Policy and orchestration only: the SQL is in samordna.measures.repository.

MeasureService is the feature's one entry point. Its methods are the API; the longer work sits beside it,
one module a side: how a measure changes (samordna.measures.writes: registering, editing, firing a trigger,
the versioned write), and what its pages are (samordna.measures.page: the measure page with the forms it
offers a member, the answer to a form sent from it, «Meld behov»). The side effects of transitions are in
samordna.measures.callbacks, the fields and rules of a measure in samordna.measures.rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from samordna.accounts.repository import actor_for_token
from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.clock import Clock, aware
from samordna.domain.errors import NotFound
from samordna.i18n import gettext as _
from samordna.measures import export as exports
from samordna.measures import listing, writes
from samordna.measures import page as pages
from samordna.measures import repository as repo
from samordna.measures.changes import ChangeFeed, MeasureChanged
from samordna.measures.repository import Db
from samordna.measures.rules import CREATE_ROLES as CREATE_ROLES  # re-exported: the forms of a need
from samordna.measures.rules import NEED_FIELDS as NEED_FIELDS
from samordna.measures.rules import permitted_rule as permitted_rule
from samordna.measures.rules import trigger_fields
from samordna.measures.rules import who_may as who_may  # re-exported: the boards name who may
from samordna.measures.views import (
    EventView,
    ListFilters,
    ListPage,
    MeasurePage,
    MeasureView,
    NeedAnswer,
    NeedForm,
    PageAnswer,
)
from samordna.organisation import repository as org
from samordna.store.db import Database, after_commit
from samordna.workflow import FieldDef, Workflow

# ---------------------------------------------------------------- the service


class MeasureService:
    """Register needs, edit measures and fire their triggers; read them back, and the pages that show them.
    Keyword-only; each public method is one transaction (a form sent from a page: the change, then — when
    refused, or asked for — the page as it is now, read in a second), and the actor's membership and role are
    checked before anything is written."""

    def __init__(self, *, db: Database, workflow: Workflow, clock: Clock) -> None:
        self.db = db
        self.workflow = workflow
        self.clock = clock
        self.now = clock.now  # an aware datetime
        self.today = clock.today  # the local date (Europe/Oslo) of that clock
        self.changes = ChangeFeed()  # who hears of committed changes (the live boards: samordna.live)

    # ------------------------------------------------------------ the public API

    def get(self, *, actor: Actor, measure_id: int) -> MeasureView:
        with self.db.read() as s:
            return self._get_in(s, actor=actor, measure_id=measure_id)

    def find(self, *, actor: Actor, slug: str, **filters: Any) -> list[MeasureView]:
        with self.db.read() as s:
            area = org.area_for(s, actor, slug)
            return self._find_in(s, actor=actor, area_id=area.id, **filters)  # type: ignore[arg-type]

    def list_page(
        self,
        *,
        actor: Actor,
        slug: str,
        filters: ListFilters,
        after: str | None = None,
        limit: int = listing.PAGE_SIZE,
        full: bool = False,
    ) -> ListPage:
        """The measure list: a page of the area's measures under `filters`, searched, sorted, by keyset;
        with `full`, also each measure in full (`measures`, for the API)."""
        return listing.read_list(self, actor=actor, slug=slug, filters=filters, after=after, limit=limit, full=full)

    def export(
        self, *, actor: Actor, slug: str, filters: ListFilters, chunk: int = exports.CHUNK
    ) -> exports.MeasureExport:
        """An export of the measure list under `filters`: every row of that view in its order, and their
        events. The actor is checked now (NotFound for another area's list); the rows are read when the
        export's `chunks()` is iterated, `chunk` at a time in one read transaction (a stream)."""
        return exports.open_export(self, actor=actor, slug=slug, filters=filters, chunk=chunk)

    def events(self, *, actor: Actor, measure_id: int) -> list[EventView]:
        with self.db.read() as s:
            return self._events_in(s, actor=actor, measure_id=measure_id)

    def page(self, *, actor: Actor, measure_id: int) -> MeasurePage:
        """The measure page: its details and the forms it offers `actor` now (fields and choices), in one read."""
        return pages.read_page(self, actor=actor, measure_id=measure_id)

    def submit(
        self,
        *,
        actor: Actor,
        measure_id: int,
        trigger: str,
        version: int | None,
        data: Mapping[str, Any],
        with_page: bool = False,
    ) -> PageAnswer:
        """A form sent from the measure page: fire `trigger`, or `edit` the description. Accepted, or refused
        with why and the page as it is now (400, 403, 409, 422; nothing written). `with_page`: also the page
        after an accepted change. NotFound for a measure the actor cannot see, or a trigger no workflow has."""
        return pages.submit(
            self, actor=actor, measure_id=measure_id, trigger=trigger, version=version, data=data, with_page=with_page
        )

    def form_fields(self, *, trigger: str) -> tuple[tuple[FieldDef, bool], ...]:
        """Every field a form for `trigger` (or `edit`, `create`) can send: what to read from a submitted form.
        Which of them a member must fill in is decided when it arrives. No transaction."""
        return trigger_fields(self.workflow, trigger)

    def need_form(self, *, actor: Actor, slug: str) -> NeedForm:
        """«Meld behov» in the area, for a member who may register a need (NotAllowed naming who may)."""
        return pages.need_form(self, actor=actor, slug=slug)

    def submit_need(self, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> NeedAnswer:
        """A need sent from «Meld behov»: registered (201), or refused with the form to show again (422)."""
        return pages.submit_need(self, actor=actor, slug=slug, data=data)

    def register_need(
        self, *, actor: Actor, slug: str, data: Mapping[str, Any], comment: str | None = None
    ) -> MeasureView:
        with self.db.write() as s:
            area = org.area_for(s, actor, slug)
            return writes.create_in(self, s, actor=actor, area_id=area.id, data=data, comment=comment)  # type: ignore[arg-type]

    def edit(
        self, *, actor: Actor, measure_id: int, version: int, data: Mapping[str, Any], comment: str | None = None
    ) -> MeasureView:
        with self.db.write() as s:
            return writes.edit_in(
                self, s, actor=actor, measure_id=measure_id, version=version, data=data, comment=comment
            )

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
            return writes.fire_in(
                self,
                conn,
                actor=actor,
                measure_id=measure_id,
                trigger=trigger,
                version=version,
                data=data,
                comment=comment,
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
            return writes.fire_in(
                self,
                conn,
                actor=actor,
                measure_id=measure_id,
                trigger=trigger,
                version=version,
                data=data,
                comment=comment,
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
        meeting_id: int | None = None,
        meeting_date: date | None = None,
    ) -> tuple[str, MeasureView]:
        """`record_transition` inside the caller's write transaction (a board fires the trigger and reads
        the card's new place in one): (the state before, the measure after). With `meeting_id` the decision
        is taken in that meeting: the event carries it, and `meeting_date` (the meeting's date) is the
        transition's `meeting_date` unless `data` gives one."""
        return writes.fire_in(
            self,
            conn,
            actor=actor,
            measure_id=measure_id,
            trigger=trigger,
            version=version,
            data=data,
            comment=comment,
            with_source=True,
            meeting_id=meeting_id,
            meeting_date=meeting_date,
        )

    def may_attach_in(self, conn: Db, *, actor: Actor, measure_id: int) -> tuple[int, bool]:
        """The measure's area and whether the actor may add files to it (NotFound when they may not see it)."""
        return writes.may_attach_in(self, conn, actor=actor, measure_id=measure_id)

    def note_file_in(
        self, conn: Db, *, actor: Actor, measure_id: int, trigger: str, data: dict[str, Any]
    ) -> MeasureView:
        """A file added (`attach`) or removed (`detach`): one event in the measure's history, in the caller's
        transaction."""
        return writes.note_file_in(self, conn, actor=actor, measure_id=measure_id, trigger=trigger, data=data)

    def event_id_in(self, conn: Db, *, measure_id: int, version: int) -> int | None:
        """The id of the event that gave the measure `version`, inside the caller's transaction."""
        return repo.event_id(conn, measure_id=measure_id, version=version)

    def announce(self, conn: Db, change: MeasureChanged) -> None:
        """Tell the listeners of `changes` about `change`: the transaction listeners now, in the write transaction
        `conn` (so it commits or rolls back with the change), the others once it has committed."""
        self.changes.emit_in_transaction(conn, change)
        after_commit(lambda: self.changes.emit(change))

    # ------------------------------------------------------------ reads

    def _member(self, actor: Actor, area_id: int) -> MemberView:
        member = actor.in_area(area_id)
        if member is None:
            raise NotFound(_("Fant ikke tiltaket."))
        return member

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
        row, participating = self._load(session, actor, measure_id)
        return self._view(row, participating, self._member(actor, row["area_id"]))

    def _find_in(self, session: Db, *, actor: Actor, area_id: int, **filters: Any) -> list[MeasureView]:
        member = self._member(actor, area_id)
        rows = repo.find(session, area_id=area_id, **filters)
        participating = repo.participating(session, [r["id"] for r in rows])
        return [self._view(r, participating[r["id"]], member) for r in rows]

    def _events_in(self, session: Db, *, actor: Actor, measure_id: int) -> list[EventView]:
        self._get_in(session, actor=actor, measure_id=measure_id)  # visibility
        return repo.events(session, measure_id=measure_id)

    # ------------------------------------------------------------ internals

    def _load(self, session: Db, actor: Actor, measure_id: int) -> tuple[dict[str, Any], list[int]]:
        """The measure's row and its participating units (ascending); NotFound when the measure does not
        exist or lies in an area the actor is not a member of."""
        found = repo.load(session, measure_id=measure_id)
        if found is None or actor.in_area(found[0]["area_id"]) is None:
            raise NotFound(_("Fant ikke tiltaket."))
        return found
