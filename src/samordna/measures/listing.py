"""The measure list (DESIGN.md §12): every measure of an area, closed and declined included, filtered,
searched, sorted and paged by keyset. Policy and orchestration only: the SQL is in measures.search.

`parse_filters` turns a URL's (or the API's) query into ListFilters, dropping what it does not know, so a
shared or bookmarked address always opens. `read_list` checks the membership first (another area's list
does not exist for the actor: 404), then reads one page and the search's marked words in one read.

The page key («after») is opaque to clients: the sort, its direction and the last row's sort key, as
base64url JSON. A key for another sort, or one that is not a key, is refused (422), never guessed at.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from samordna.domain.clock import aware
from samordna.domain.errors import FieldError, Invalid, NotFound
from samordna.domain.vocabulary import ARENAS, HEALTHS
from samordna.i18n import gettext as _
from samordna.measures import repository as measure_rows
from samordna.measures import search as repo
from samordna.measures.views import SORTS, ListFilters, ListPage, ListQuery, ListRow
from samordna.organisation import repository as org

if TYPE_CHECKING:
    from samordna.domain.actor import Actor, MemberView
    from samordna.measures.service import MeasureService

PAGE_SIZE = 50
MAX_PAGE = 500
MAX_TERMS = 8
TERM = re.compile(r"\w+")
Q_MAX = 200
NATURALLY_DESCENDING = ("updated",)
# What each sort's key holds, in order, to read a page key back (see measures.search._sort_key).
KEY_TYPES: dict[str, tuple[type, ...]] = {
    "id": (int,),
    "rank": (float, int),
    "ref": (str, int),
    "title": (str, int),
    "state": (int, int),
    "unit": (int, str, int),
    "goal": (int, str, int),
    "follow_up": (int, date, int),
    "health": (int, int, int),
    "effect": (int, int, int),
    "updated": (datetime, int),
}


def _digits(value: Any, most: int) -> int | None:
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= most and int(text) > 0 else None


def parse_filters(params: Mapping[str, Any], states: tuple[str, ...]) -> ListFilters:
    """The list's filters from query parameters (`state` may be given several times: a list). Values that
    are not one of the known ones are dropped."""

    def one(name: str) -> Any:
        value = params.get(name)
        return value[-1] if isinstance(value, list | tuple) and value else value

    raw_states = params.get("state") or ()
    raw_states = [raw_states] if isinstance(raw_states, str) else list(raw_states)
    q = one("q")
    q = q.strip()[:Q_MAX] if isinstance(q, str) and "\x00" not in q else ""
    health = one("health")
    arena = one("arena")
    sort = one("sort")
    direction = one("dir")
    return ListFilters(
        q=q,
        states=tuple(dict.fromkeys(s for s in raw_states if s in states)),
        goal_id=_digits(one("goal"), 9),
        unit_id=_digits(one("unit"), 9),
        arena=arena if arena in ARENAS else None,
        health=health if health in (*HEALTHS, "none") else None,
        year=_digits(one("year"), 4),
        mine=one("mine") in ("1", "true", "on"),
        my_unit=one("my_unit") in ("1", "true", "on"),
        sort=sort if sort in SORTS else "",
        descending={"desc": True, "asc": False}.get(direction) if isinstance(direction, str) else None,
    )


def terms_of(q: str) -> tuple[str, ...]:
    """The search's words: letters and digits, lower-cased, at most MAX_TERMS."""
    return tuple(dict.fromkeys(t.lower()[:40] for t in TERM.findall(q)))[:MAX_TERMS]


def encode_key(sort: str, descending: bool, key: tuple[Any, ...]) -> str:
    values = [
        aware(v).astimezone(UTC).isoformat() if isinstance(v, datetime) else v.isoformat() if isinstance(v, date) else v
        for v in key
    ]
    raw = json.dumps({"s": sort, "d": descending, "k": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_key(value: str, sort: str, descending: bool) -> tuple[Any, ...]:
    """The key of a page («after»), checked against the sort in force; Invalid when it is not one."""
    refused = Invalid([FieldError("cursor", _("Sidenøkkelen er ugyldig eller hører til en annen sortering."))])
    try:
        raw = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        if not isinstance(raw, dict) or raw.get("s") != sort or raw.get("d") is not descending:
            raise refused
        values, types = raw["k"], KEY_TYPES[sort]
        if not isinstance(values, list) or len(values) != len(types):
            raise refused
        out: list[Any] = []
        for v, t in zip(values, types, strict=True):
            if t is datetime:
                out.append(datetime.fromisoformat(v).astimezone(UTC))
            elif t is date:
                out.append(date.fromisoformat(v))
            elif t is float and isinstance(v, int | float) and not isinstance(v, bool):
                out.append(float(v))
            elif isinstance(v, t) and not isinstance(v, bool):
                out.append(v)
            else:
                raise refused
        return tuple(out)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, AttributeError) as e:
        raise refused from e


def list_query(
    service: MeasureService,
    *,
    actor: Actor,
    slug: str,
    filters: ListFilters,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[MemberView, ListQuery]:
    """(the actor's membership of the area, the query of the list under `filters`: the sort in force, the
    search's words, the year's bounds in the area's time zone). NotFound when the actor is no member of the
    area; Invalid for a page key that is not one of this sort. Reads nothing."""
    member = next((m for m in actor.memberships.values() if m.area_slug == slug), None)
    if member is None:
        raise NotFound(_("Fant ikke SLT-området."))
    terms = terms_of(filters.q)
    sort = filters.sort or ("rank" if terms else "updated")
    if sort == "rank" and not terms:
        sort = "updated"
    descending = filters.descending if filters.descending is not None else sort in NATURALLY_DESCENDING
    filters = replace(filters, sort=sort if filters.sort else "", descending=filters.descending)
    year_from, year_to = service.clock.year_span(filters.year) if filters.year else (None, None)
    wf = service.workflow
    health = wf.fields.get("health")
    effect = wf.fields.get("effect")
    query = ListQuery(
        area_id=member.area_id,
        filters=filters,
        terms=terms,
        user_id=actor.user_id,
        member_unit_id=member.unit_id,
        year_from=year_from,
        year_to=year_to,
        sort=sort,
        descending=descending,
        after=decode_key(after, sort, descending) if after else None,
        limit=max(1, min(limit, MAX_PAGE)),
        state_order=tuple(wf.states),
        health_order=tuple(reversed(health.options)) if health else HEALTHS,
        effect_order=tuple(effect.options) if effect else (),
    )
    return member, query


def read_list(
    service: MeasureService,
    *,
    actor: Actor,
    slug: str,
    filters: ListFilters,
    after: str | None = None,
    limit: int = PAGE_SIZE,
    full: bool = False,
) -> ListPage:
    """One page of the area's measures under `filters` (newest change first; by relevance when searching)."""
    member, query = list_query(service, actor=actor, slug=slug, filters=filters, after=after, limit=limit)
    with repo.reading(service.db) as conn:
        rows, total, last, marked = repo.page(conn, query)
        goals = tuple(org.goals_of(conn, member.area_id))
        units = tuple(org.units_of(conn, member.area_id))
        measures: tuple[Any, ...] = ()
        if full:
            ids = [r["id"] for r in rows]
            found, taking_part = measure_rows.by_ids(conn, ids), measure_rows.participating(conn, ids)
            measures = tuple(service._view(found[i], taking_part[i], member) for i in ids)
    out = []
    for r in rows:
        title, snippet = marked.get(r["id"], ("", ""))
        r["updated_at"] = aware(r["updated_at"])
        out.append(ListRow(**r, marked_title=title, snippet=snippet))
    return ListPage(
        rows=tuple(out),
        total=total,
        next_after=encode_key(query.sort, query.descending, last) if last is not None else None,
        filters=query.filters,
        sort=query.sort,
        descending=query.descending,
        goals=goals,
        units=units,
        member_unit_id=member.unit_id,
        searched=bool(query.terms),
        measures=measures,
    )
