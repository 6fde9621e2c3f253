"""Every page a meeting hour reads, at 1 000 and at 100 000 measures: the large area against the small one.

The issue's target is that a page costs what it shows, not what the area holds: every board and the list at
100 000 measures within 1.3× the same page at 1 000. So the floor of each case here is the same page on
the 1 000-measure area of the same file, measured in the same run (rounds alternate the two sizes), and the
ratio is 100k ÷ 1k.

In process (litestar's TestClient, no network, one request at a time): the server time of a request, the
same code path as over HTTP without the socket. Pages, each as the user who reads it:

- the three boards (coordinator; the execution board also as a unit's member, whose columns show «our
  measures» (their totals from unit_tally, migration 0014) and whose «Behov vi har meldt» walks the unit's
  registrants), the coordination board with
  six columns asked at 500 (clamped to 100 each, 200 a page);
- the measure list (newest change first), a search on it (a word about a tenth of the measures have), a
  measure's page (one in follow-up with its history);
- the API: the first page of the area's measures (500 a page, bearer token) and the last, reached by
  following every `Link: rel="next"` (keyset: the last page should cost what the first does).

SQL statements per request are counted at both sizes (they must be equal). Prints figures only; asserts
nothing. `python -m bench.wholearea [--rounds R] [--per-round N]`.
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any
from urllib.parse import urlencode

from bench.common import Row, login, smoke
from bench.data import PASSWORD, Dataset, shared_sqlite

NAME = "wholearea"
SIZES = smoke((1_000, 100_000), (40, 400))
ROUNDS = smoke(5, 1)
PER_ROUND = smoke(10, 2)
STATES = ("need_identified", "initiated", "assigned", "in_follow_up", "paused", "under_evaluation")
NEXT = re.compile(r'<([^>]+)>; rel="next"')


def pages(slug: str, measure_id: int) -> dict[str, tuple[str, str]]:
    """name → (role, path)."""
    return {
        "steering board": ("coordinator", f"/areas/{slug}/boards/steering"),
        "coordination board": ("coordinator", f"/areas/{slug}/boards/coordination"),
        "execution board": ("coordinator", f"/areas/{slug}/boards/execution"),
        "execution board, unit member": ("executing", f"/areas/{slug}/boards/execution"),
        "coordination 6 × limit 500": (
            "coordinator",
            f"/areas/{slug}/boards/coordination?" + urlencode({f"limit_{s}": 500 for s in STATES}),
        ),
        "measure list": ("coordinator", f"/areas/{slug}/measures"),
        "list, search «skole»": ("coordinator", f"/areas/{slug}/measures?q=skole"),
        "measure page": ("coordinator", f"/measures/{measure_id}"),
    }


def _measure_in_follow_up(db: Any, area_id: int) -> int:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT max(id) FROM measure WHERE area_id = :a AND state = 'in_follow_up'"), {"a": area_id}
            ).scalar_one()
        )


def _api_walk(client: Any, slug: str, token: str) -> tuple[list[float], int]:
    """Every page of the area's measures through the API: (ms of each page in order, statements unused)."""
    headers = {"Authorization": f"Bearer {token}"}
    url: str | None = f"/api/v1/areas/{slug}/measures?limit=500"
    times: list[float] = []
    while url:
        t = time.perf_counter()
        r = client.get(url, headers=headers)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
        found = NEXT.search(r.headers.get("link", ""))
        url = found.group(1) if found else None
    return times, len(times)


def measure(rounds: int = ROUNDS, per_round: int = PER_ROUND) -> dict[str, dict[int, tuple[list[float], int]]]:
    """{case: {size: (ms per request of each round, SQL statements of one request)}}."""
    from litestar.testing import TestClient
    from sqlalchemy import event

    from samordna.app import create_app
    from samordna.services import Services
    from samordna.settings import Settings
    from samordna.store.migrate import upgrade

    db_path, ds = shared_sqlite(SIZES)
    url = f"sqlite:///{db_path}"
    upgrade(url)  # a kept file (SAMORDNA_BENCH_CACHE) made before a later migration
    settings = Settings(database_url=url, secret_key="bench-wholearea-" + "x" * 32)
    samordna = Services.build(settings)
    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("BEGIN", "UPDATE web_session")):
            seen.append(statement)

    out: dict[str, dict[int, tuple[list[float], int]]] = {}
    try:
        with TestClient(create_app(settings, services=samordna), base_url="http://127.0.0.1") as client:
            jars: dict[tuple[str, str], Any] = {}
            for area in ds.areas:
                for role in ("coordinator", "executing"):
                    client.cookies.clear()
                    login(client, Dataset.email(area.slug, role), PASSWORD)
                    jars[(area.slug, role)] = dict(client.cookies)
            cases = {a.slug: pages(a.slug, _measure_in_follow_up(samordna.db, a.id)) for a in ds.areas}
            counts: dict[tuple[str, int], int] = {}
            for area in ds.areas:  # warm up, check, count statements
                for name, (role, path) in cases[area.slug].items():
                    client.cookies.clear()
                    client.cookies.update(jars[(area.slug, role)])
                    for _ in range(3):
                        r = client.get(path)
                        assert r.status_code == 200, (path, r.status_code)
                    event.listen(samordna.db.engine, "before_cursor_execute", on_execute)
                    seen.clear()
                    client.get(path)
                    event.remove(samordna.db.engine, "before_cursor_execute", on_execute)
                    counts[(name, area.measures)] = len(seen)
            for _ in range(rounds):  # rounds alternate the sizes, so a slow spell hits both
                for area in ds.areas:
                    for name, (role, path) in cases[area.slug].items():
                        client.cookies.clear()
                        client.cookies.update(jars[(area.slug, role)])
                        t = time.perf_counter()
                        for _ in range(per_round):
                            client.get(path)
                        ms = (time.perf_counter() - t) * 1000 / per_round
                        out.setdefault(name, {}).setdefault(area.measures, ([], counts[(name, area.measures)]))[
                            0
                        ].append(ms)
            client.cookies.clear()
            for area in ds.areas:  # the API's pages, first to last, a few walks
                token = Dataset.token(area.slug, "coordinator")
                _api_walk(client, area.slug, token)  # warm: the walk reads every page of the area once
                walks = [_api_walk(client, area.slug, token)[0] for _ in range(max(2, rounds // 2))]
                firsts = [w[0] for w in walks]
                lasts = [w[-1] for w in walks]
                out.setdefault("API first page (500)", {})[area.measures] = (firsts, len(walks[0]))
                out.setdefault("API last page (500)", {})[area.measures] = (lasts, len(walks[0]))
    finally:
        samordna.db.dispose()
    return out


def run(rounds: int = ROUNDS, per_round: int = PER_ROUND) -> list[Row]:
    results = measure(rounds, per_round)
    small, big = SIZES
    rows: list[Row] = []
    for name, by_size in results.items():
        (ms_small, n_small), (ms_big, n_big) = by_size[small], by_size[big]
        base = Row("", "", "", tuple(ms_small)).median
        if name.startswith("API"):
            note = f"{n_small} → {n_big} pages; at {small:,}: {base:.1f} ms".replace(",", "\u00a0")
        else:
            note = f"SQL {n_small} → {n_big}; at {small:,}: {base:.1f} ms".replace(",", "\u00a0")
        sizes = f"{big:,} vs {small:,}".replace(",", "\u00a0")
        case = f"{name}: {sizes}"
        median = Row("", "", "", tuple(ms_big)).median
        rows.append(Row(NAME, case, "ms", tuple(ms_big), note, ratio=median / base if base else None))
    return rows


def ratio_line(rows: list[Row]) -> str:
    worst = max(rows, key=lambda r: r.ratio or 0)
    return f"the floor of each case is the same page at {SIZES[0]:,} measures; worst {worst.case}: {worst.ratio:.2f}×"


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--per-round", type=int, default=PER_ROUND)
    args = parser.parse_args(argv)
    rows = run(args.rounds, args.per_round)
    print_table(rows)
    print(ratio_line(rows))


if __name__ == "__main__":
    main()
