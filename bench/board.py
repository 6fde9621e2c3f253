"""The coordination board of an area with 10 000 measures: Services against the floor, over real HTTP.

Samordna runs as `samordna serve` (1 worker) on a generated database (bench.data: areas of 1 000,
10 000 and 100 000 measures with their histories); the client logs in through /login like a browser
and GETs /areas/omrade-2/boards/coordination on a kept-alive connection, one request at a time. The
floor (bench.floor_app) renders the same cards from raw `sqlite3` with the same Jinja template in a bare
ASGI function under uvicorn, on the same file. Rounds alternate between the two. Each is timed twice:
the client's wall clock per request, and the server process's CPU time per request over each round
(/proc), which a busy neighbour on a shared machine disturbs far less than the wall clock.

SQL statements per page are counted in-process (the same app, an SQLAlchemy cursor event) for the
areas of 1 000 and 100 000 measures: a board costs the same number whatever the area holds.

Prints figures only; asserts nothing. `python -m bench.board [--rounds R] [--per-round N]`.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.common import Row, Server, login, smoke, start_floor, start_samordna, time_ratio, timed_gets
from bench.data import PASSWORD, SCALING_SIZES, Dataset, shared_sqlite

NAME = "board"
ROUNDS = smoke(10, 1)
PER_ROUND = smoke(15, 10)  # smoke: enough for a few 10 ms ticks of CPU time per round
AREA = "omrade-2"  # the 10 000-measure area of SCALING_SIZES


def board_path(slug: str, board: str = "coordination", query: str = "") -> str:
    return f"/areas/{slug}/boards/{board}" + (f"?{query}" if query else "")


def count_statements(url: str, paths_by_email: dict[str, str]) -> dict[str, tuple[int, list[str]]]:
    """SQL statements each GET costs, in-process: {email: (count, statements)}."""
    from litestar.testing import TestClient
    from sqlalchemy import event

    from samordna.app import create_app
    from samordna.services import Services
    from samordna.settings import Settings

    settings = Settings(database_url=url, secret_key="bench-count-" + "x" * 32)
    samordna = Services.build(settings)
    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Not BEGIN; and not the session's write, which happens only when the session changed (at most
        # once a second: it holds the time of the last request).
        if not statement.startswith(("BEGIN", "UPDATE web_session")):
            seen.append(" ".join(statement.split())[:90])

    out = {}
    try:
        with TestClient(create_app(settings, services=samordna), base_url="http://127.0.0.1") as client:
            for email, path in paths_by_email.items():
                client.cookies.clear()
                login(client, email, PASSWORD)
                client.get(path)  # warm: first-request work does not count
                event.listen(samordna.db.engine, "before_cursor_execute", on_execute)
                seen.clear()
                r = client.get(path)
                event.remove(samordna.db.engine, "before_cursor_execute", on_execute)
                assert r.status_code == 200, r.status_code
                out[email] = (len(seen), list(seen))
    finally:
        samordna.db.dispose()
    return out


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)  # ms per request
    cpu: list[float] = field(default_factory=list)  # the server's CPU ms per request, one figure per round


def compare(
    app_server: Server, floor_server: Server, email: str, path: str, rounds: int, per_round: int
) -> tuple[Timings, Timings]:
    """Per-request milliseconds (wall clock, and the server's CPU time) for Samordna (logged in) and the
    floor, alternating rounds."""
    with (
        httpx.Client(base_url=app_server.url, timeout=60) as app,
        httpx.Client(base_url=floor_server.url, timeout=60, headers={"x-bench-member": email}) as floor,
    ):
        login(app, email, PASSWORD)
        timed_gets(app, [path] * 5)  # warm up: templates compiled, caches filled
        timed_gets(floor, [path] * 5)
        a, f = Timings(), Timings()
        for _ in range(rounds):
            for server, client, out in ((app_server, app, a), (floor_server, floor, f)):
                before = server.cpu_seconds()
                out.wall.extend(timed_gets(client, [path] * per_round))
                out.cpu.append((server.cpu_seconds() - before) * 1000 / per_round)
    return a, f


def run(rounds: int = ROUNDS, per_round: int = PER_ROUND) -> list[Row]:
    path_db, ds = shared_sqlite(SCALING_SIZES)
    url = f"sqlite:///{path_db}"
    area = ds.area(AREA)
    email = Dataset.email(AREA, "coordinator")
    path = board_path(AREA)
    with start_samordna(url) as app, start_floor(path_db) as floor:
        a, f = compare(app, floor, email, path, rounds, per_round)
    small, large = ds.areas[0], ds.areas[-1]
    counts = count_statements(
        url,
        {
            Dataset.email(small.slug, "coordinator"): board_path(small.slug),
            Dataset.email(large.slug, "coordinator"): board_path(large.slug),
        },
    )
    (n_small, _), (n_large, _) = counts.values()
    med = statistics.median
    return [
        Row(
            NAME,
            f"samordna: coordination board, {area.measures // 1000}k measures",
            "ms/page",
            tuple(a.wall),
            f"serve 1 worker; {n_small} SQL statements at {small.measures // 1000}k, {n_large} at "
            f"{large.measures // 1000}k (+ the session's write when it changed)",
            ratio=time_ratio(med(a.wall), med(f.wall), lower_is_better=True),
            lower_is_better=True,
        ),
        Row(
            NAME,
            "floor: raw sqlite3 + same template, bare ASGI",
            "ms/page",
            tuple(f.wall),
            "uvicorn 1 worker; 6 queries (4 + the header's badge and saved views), no session or log-in",
            ratio=1.0,
            lower_is_better=True,
        ),
        Row(
            NAME,
            "samordna: the same pages, server CPU time",
            "CPU ms/page",
            tuple(a.cpu),
            f"per round of {per_round}; steadier than wall time on a shared machine",
            ratio=time_ratio(med(a.cpu), med(f.cpu), lower_is_better=True) if med(f.cpu) else None,  # 10 ms ticks
            lower_is_better=True,
        ),
        Row(
            NAME,
            "floor: the same pages, server CPU time",
            "CPU ms/page",
            tuple(f.cpu),
            "",
            ratio=1.0,
            lower_is_better=True,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--per-round", type=int, default=PER_ROUND)
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one board page")
    args = parser.parse_args(argv)
    print_table(run(args.rounds, args.per_round))
    if args.show_sql:
        path_db, ds = shared_sqlite(SCALING_SIZES)
        for email, (n, statements) in count_statements(
            f"sqlite:///{path_db}", {Dataset.email(AREA, "coordinator"): board_path(AREA)}
        ).items():
            print(f"{email}: {n} statements")
            for s in statements:
                print("  ", s)


if __name__ == "__main__":
    main()
