"""The measure list with a search, on an area of 100 000 measures, over real HTTP.

Samordna runs as `samordna serve` (1 worker) on the generated database of bench.data (areas of 1 000,
10 000 and 100 000 measures; the search index is filled by migration 0007's triggers as the rows go in,
and checked here: rebuilt if it does not hold every measure). The client logs in like a browser and GETs
/areas/omrade-3/measures on a kept-alive connection, one request at a time, in rounds that alternate the
cases:

- the floor: the same page without a search (the latest change first: 50 rows, the total, the filters'
  goals and units, the session, the template). What the page costs anyway, so the ratio is what searching
  adds on top of it — the same server, session and template on both sides of the ratio;
- three searches, sorted by relevance as the list is when searching: a narrow one (two words, some 800
  hits), a common word (some 5 600) and a word every measure has (100 000: the worst case, every hit
  ranked to show the best 50).

Beside them, the index's own share: the same search as one raw `sqlite3` query in this process — the hits
in the area, counted, and the best 50 by the same bm25 weights — with no HTTP, session or page. It shows
how much of a search page is the full-text index itself.

Prints figures only; asserts nothing. `python -m bench.list [--rounds R] [--per-round N]`.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.common import Row, Server, login, smoke, start_samordna, time_ratio, timed_gets
from bench.data import PASSWORD, SCALING_SIZES, Dataset, shared_sqlite

NAME = "list"
AREA = "omrade-3"  # the 100 000-measure area of SCALING_SIZES
ROUNDS = smoke(5, 1)
PER_ROUND = smoke(4, 8)  # smoke: enough for a few 10 ms ticks of CPU time per round
SEARCHES = (
    ("gatemegling havna", "two words"),
    ("natteravner", "a common word"),
    ("bekymring", "a word every measure has"),
)


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def list_path(q: str = "") -> str:
    return f"/areas/{AREA}/measures" + (f"?{urlencode({'q': q})}" if q else "")


def fts_query(q: str) -> str:
    """As measures.search builds it: every word a quoted prefix, all required."""
    return " ".join(f'"{t}"*' for t in q.lower().split())


def check_index(path: Path) -> str:
    """That the search index holds every measure (a word every generated need description has); rebuilt if
    not — data made with the triggers off, or before migration 0007. Returns what was done."""
    with sqlite3.connect(path) as c:
        measures = c.execute("SELECT count(*) FROM measure").fetchone()[0]
        indexed = c.execute(
            "SELECT count(*) FROM measure_fts WHERE measure_fts MATCH ?", (fts_query("tiltaket"),)
        ).fetchone()[0]
        if indexed == measures:
            return f"index holds all {measures} measures"
        c.execute("INSERT INTO measure_fts(measure_fts) VALUES('rebuild')")
    return f"index rebuilt ({indexed} of {measures} measures were in it)"


def raw_search(path: Path, area_id: int, q: str, times: int) -> list[float]:
    """Milliseconds for the raw query: the area's hits counted, and the 50 best by bm25 with their rows."""
    match = fts_query(q)
    best = (
        "SELECT m.id, m.ref, m.title, m.state, m.updated_at, bm25(measure_fts, 10.0, 5.0, 1.0) AS rank "
        "FROM measure_fts JOIN measure m ON m.id = measure_fts.rowid "
        "WHERE measure_fts MATCH ? AND m.area_id = ? ORDER BY rank, m.id LIMIT 51"
    )
    count = (
        "SELECT count(*) FROM measure WHERE area_id = ? "
        "AND id IN (SELECT rowid FROM measure_fts WHERE measure_fts MATCH ?)"
    )
    out = []
    with sqlite3.connect(path) as c:
        c.execute(best, (match, area_id)).fetchall()  # warm
        for _ in range(times):
            started = time.perf_counter()
            c.execute(best, (match, area_id)).fetchall()
            c.execute(count, (area_id, match)).fetchone()
            out.append((time.perf_counter() - started) * 1000)
    return out


def hits(path: Path, area_id: int, q: str) -> int:
    with sqlite3.connect(path) as c:
        return c.execute(
            "SELECT count(*) FROM measure WHERE area_id = ? AND id IN "
            "(SELECT rowid FROM measure_fts WHERE measure_fts MATCH ?)",
            (area_id, fts_query(q)),
        ).fetchone()[0]


def compare(app: Server, email: str, paths: list[str], rounds: int, per_round: int) -> dict[str, tuple[list, list]]:
    """path -> (wall ms per request, the server's CPU ms per request per round), rounds alternating paths."""
    out: dict[str, tuple[list, list]] = {p: ([], []) for p in paths}
    with httpx.Client(base_url=app.url, timeout=300) as client:
        login(client, email, PASSWORD)
        for p in paths:
            timed_gets(client, [p] * 2)  # warm: templates compiled, the index's pages in the cache
        for _ in range(rounds):
            for p in paths:
                before = app.cpu_seconds()
                out[p][0].extend(timed_gets(client, [p] * per_round))
                out[p][1].append((app.cpu_seconds() - before) * 1000 / per_round)
    return out


def run(rounds: int = ROUNDS, per_round: int = PER_ROUND) -> list[Row]:
    path_db, ds = shared_sqlite(SCALING_SIZES)
    area = ds.area(AREA)
    index_note = check_index(path_db)
    email = Dataset.email(AREA, "coordinator")
    paths = [list_path()] + [list_path(q) for q, _ in SEARCHES]
    with start_samordna(f"sqlite:///{path_db}") as app:
        results = compare(app, email, paths, rounds, per_round)
    med = statistics.median
    floor_wall, floor_cpu = results[list_path()]
    n = thousands(area.measures)
    rows = [
        Row(
            NAME,
            f"floor: list page, no search, {n} measures",
            "ms/page",
            tuple(floor_wall),
            f"latest change first; server CPU {med(floor_cpu):.0f} ms/page; {index_note}",
            ratio=1.0,
            lower_is_better=True,
        )
    ]
    for q, what in SEARCHES:
        wall, cpu = results[list_path(q)]
        found = hits(path_db, area.id, q)
        rows.append(
            Row(
                NAME,
                f"list page, search «{q}» ({what}: {thousands(found)} hits)",
                "ms/page",
                tuple(wall),
                f"by relevance; server CPU {med(cpu):.0f} ms/page ({med(cpu) / med(floor_cpu):.1f}× the floor's)",
                ratio=time_ratio(med(wall), med(floor_wall), lower_is_better=True),
                lower_is_better=True,
            )
        )
    for q, _what in SEARCHES:
        raw = raw_search(path_db, area.id, q, rounds * per_round)
        page = med(results[list_path(q)][0])
        rows.append(
            Row(
                NAME,
                f"raw sqlite3 FTS5 «{q}»: count + best 50",
                "ms/query",
                tuple(raw),
                f"in-process, no HTTP; {med(raw) / page:.0%} of the search page's time",
                lower_is_better=True,
            )
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--per-round", type=int, default=PER_ROUND)
    args = parser.parse_args(argv)
    print_table(run(args.rounds, args.per_round))


if __name__ == "__main__":
    main()
