"""Exports of the measure list (DESIGN.md §12): exactly the rows of a list view — its filters, its search and its
order, every page, not one — and the events of those measures; measures.export_web writes them as CSV and XLSX.
Policy and orchestration only: the SQL is the list's own (measures.search.chunks) and
measures.repository.events_of.

Streaming: `MeasureService.export` checks the actor first (another area's list does not exist: 404) and hands
back a MeasureExport that has read nothing yet. Its `chunks()` is a generator: at the first `next()` it opens
one read transaction that sees a single snapshot (store.db.Database.read_snapshot), then reads CHUNK measures
at a time by keyset with their participating units and, when asked, their events, and yields them; the
transaction ends when the generator ends or is closed (a client that went away halfway). Memory follows the
chunk, never the area: 100 000 measures are never held at once. The connection is held while the file is
read, so a slow reader of a large export keeps one connection of the pool that long.

Confidentiality: rows of measures as the list shows them to every member of the area, and their events as
each measure's page shows them; no aggregates, so no small counts to hide.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, tzinfo
from typing import TYPE_CHECKING, Any

from samordna.domain.clock import aware
from samordna.measures import listing
from samordna.measures import repository as measure_rows
from samordna.measures import search as repo
from samordna.measures.views import ExportChunk, ExportEvent, ExportRow, ListFilters, ListQuery
from samordna.organisation import repository as org

if TYPE_CHECKING:
    from samordna.domain.actor import Actor
    from samordna.measures.service import MeasureService
    from samordna.store.db import Database

CHUNK = 1000  # measures read per statement (and their events in one more)


@dataclass(frozen=True)
class MeasureExport:
    """An export the actor may read, not read yet: `chunks()` reads it. `today` and `tz`: the area's date
    (for the file's name) and time zone (for the times written)."""

    db: Database
    query: ListQuery
    slug: str
    today: date
    tz: tzinfo

    @property
    def filters(self) -> ListFilters:
        return self.query.filters

    def chunks(self, *, events: bool = False) -> Iterator[ExportChunk]:
        """Every row of the list view, CHUNK at a time in the list's order (with their events when
        `events`), read in one snapshot. A generator: nothing is read until it is iterated."""
        with repo.snapshot(self.db) as conn:
            units = {u.id: u.name for u in org.units_of(conn, self.query.area_id)}
            for rows in repo.chunks(conn, self.query):
                ids = [r["id"] for r in rows]
                taking_part = measure_rows.participating(conn, ids)
                out = tuple(_row(r, taking_part[r["id"]], units) for r in rows)
                found = _events(measure_rows.events_of(conn, ids), out) if events else ()
                yield ExportChunk(rows=out, events=found)


def open_export(
    service: MeasureService, *, actor: Actor, slug: str, filters: ListFilters, chunk: int = CHUNK
) -> MeasureExport:
    """The export of the list view `filters` (its sort, or the list's own: relevance when searching, else
    the latest change first). NotFound when the actor is no member of the area. Reads nothing."""
    _member, query = listing.list_query(service, actor=actor, slug=slug, filters=filters)
    return MeasureExport(
        db=service.db,
        query=replace(query, limit=max(1, chunk)),
        slug=slug,
        today=service.today(),
        tz=service.clock.tz,
    )


def _row(r: Mapping[str, Any], participating: Sequence[int], units: Mapping[int, str]) -> ExportRow:
    return ExportRow(
        id=r["id"],
        ref=r["ref"],
        title=r["title"],
        state=r["state"],
        unit_name=r["unit_name"],
        participating=tuple(sorted(units.get(u, str(u)) for u in participating)),
        goal_title=r["goal_title"],
        arena=r["arena"],
        target_group=r["target_group"],
        age_from=r["age_from"],
        age_to=r["age_to"],
        created_at=aware(r["created_at"]),
        due_date=r["due_date"],
        next_follow_up_at=r["next_follow_up_at"],
        last_health=r["last_health"],
        evaluation_effect=r["evaluation_effect"],
        updated_at=aware(r["updated_at"]),
        version=r["version"],
    )


def _events(found: Sequence[Mapping[str, Any]], rows: Sequence[ExportRow]) -> tuple[ExportEvent, ...]:
    """The events read (by measure id), in the order of the chunk's rows."""
    by_measure: dict[int, list[Mapping[str, Any]]] = {}
    for e in found:
        by_measure.setdefault(e["measure_id"], []).append(e)
    out = []
    for row in rows:
        for e in by_measure.get(row.id, ()):
            changes = json.loads(e["changes"] or "{}")
            data = json.loads(e["data"] or "{}")
            out.append(
                ExportEvent(
                    measure_id=row.id,
                    ref=row.ref,
                    title=row.title,
                    at=aware(e["at"]),
                    trigger=e["trigger"],
                    from_state=e["from_state"],
                    to_state=e["to_state"],
                    actor_name=e["actor_name"],
                    comment=e["comment"],
                    changed=tuple(changes) if isinstance(changes, dict) else (),
                    data=data if isinstance(data, dict) else {},
                    version=e["version"],
                    meeting_id=e["meeting_id"],
                )
            )
    return tuple(out)
