"""A meeting hour's mixed workload on 127.0.0.1: throughput, p50/p95/p99, errors, per page against a floor.

locust (headless, the `bench` extra) runs bench/locustfile.py against a server for a bounded time: every
page and API a meeting hour touches — the three boards (coordination, execution, steering) and their htmx
partials, the measure page, the measure list and a search in it, the area's meetings, a meeting's page
(its agenda, regenerated on every open) and its projector view, GET /login and POST /login, the API's
measures paged by its cursor, and transitions through the API (the weights: bench/locustfile.py) — each
user logged in with a session of its own; beside them WATCHERS users hold the area's live stream open
(5–15 s each, then another) and count the events it sends. Every configuration gets a fresh copy of the
same data (bench.data: an area of 10 000 measures with histories beside one of 2 000), with a meeting of the
coordination and of the steering group one and three weeks ahead, planned and their agendas opened once
through Samordna's MeetingService (plan_meetings). Two kinds of run:

- capacity: no think time — every client sends its next request as soon as the last one is answered,
  so the throughput is what the server can do. Latency is then mostly queueing: with 50 requests
  always in flight, the mean latency is 50 / throughput (Little's law), the floor's included;
- paced: every client thinks for 0.5–1.5 s (at random) after each answer — 50 (then 200) people each
  clicking about once a second, far busier than a meeting — so the latency is what a user waits for.

Configurations: the floor (bench.floor_app: bare ASGI, raw sqlite3, uvicorn) with as many workers as what
it is compared with (1 against 1, 2 against 2); Samordna under uvicorn with 1 and 2 workers, on SQLite
and on PostgreSQL when SAMORDNA_TEST_POSTGRES_URL or the local server on 127.0.0.1:5432 answers. The
× floor column: capacity rows the floor's req/s ÷ Samordna's at equal workers; paced rows Samordna's p95 ÷
the floor's. After them, per page: Samordna's p50 for each kind of request against the floor's p50 for
the same kind in its run at equal workers (the light paced runs: FEW clients thinking 0.25–0.75 s, for
20 s, on 2 workers, where the p50 is mostly the page's own work rather than queueing). Granian runs only
in the smoke configurations (its path kept working); the full run leaves it out to stay near 8 minutes.

Errors: every answer that is not the one expected (200; 303 for POST /login) counts, with its kind in the
note; the first answer of each kind of failure is printed on stderr. The stream openings count as requests
for errors but not for throughput or latency (an opening waits for the stream, not for a page).

Every user is logged in before the run starts; the first 2 s of a run are left out (each worker's first
requests fill its caches); the throughput's spread is over the seconds of the run.
Prints figures only; asserts nothing. `python -m bench.load [--duration S] [--users N] [--only NAME...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import (
    HOST,
    ROOT,
    SMOKE,
    Row,
    Server,
    free_port,
    percentile,
    server_env,
    smoke,
    start_floor,
    start_samordna,
)
from bench.data import PASSWORD, Dataset, drop_postgres, generate, postgres_base_url, sqlite_copy

NAME = "load"
USERS = smoke(50, 4)
MANY = smoke(200, 6)  # the second paced run's clients
WATCHERS = smoke(5, 1)  # beside the users: each holds the area's live stream open 5–15 s at a time
DURATION = smoke(10, 3)
LOGINS_AT_ONCE = 4
FEW = smoke(10, 2)  # the light paced run: its per-page p50 is mostly each page's own work
FEW_PACE = 0.5  # its think time (0.25–0.75 s): some 15 requests a second, well below either server's capacity
FEW_DURATION = smoke(20, 3)  # long enough for a few dozen of each kind of request
SIZES = smoke((10_000, 2_000), (40, 20))
WARM_UP = smoke(2.0, 0.2)  # seconds at the start of a run left out (first requests of each worker fill its caches)
MEETING_DAYS = (7, 21)  # a meeting of each body this many days ahead (plan_meetings)
WORDS = ("gatemegling+havna", "natteravner", "rus", "skole")  # searches: some 600 to 4 200 hits each


# Uses PostgreSQL when it answers (tests/bench/test_smoke.py runs it only where SAMORDNA_TEST_POSTGRES_URL is set).
POSTGRES = True
PACE = 1.0  # a paced client's mean think time, seconds


@dataclass(frozen=True)
class Config:
    name: str
    engine: str  # sqlite | postgres
    server: str  # uvicorn | granian | floor
    workers: int
    pace: float = 0.0  # 0: capacity (no think time); else seconds between one client's requests
    users: int = USERS
    duration: int = 0  # seconds; 0: the run's


def engine_name(engine: str) -> str:
    return "PostgreSQL" if engine == "postgres" else "SQLite"


def _name(server: str, workers: int, engine: str, pace: float = 0.0, users: int = USERS) -> str:
    head = "capacity" if not pace else f"paced {users}"
    w = f"{workers} worker" + ("s" if workers > 1 else "")
    return f"{head}: floor, {w}" if server == "floor" else f"{head}: {server}, {w}, {engine_name(engine)}"


def _config(
    server: str, workers: int, engine: str = "sqlite", pace: float = 0.0, users: int = USERS, duration: int = 0
) -> Config:
    return Config(_name(server, workers, engine, pace, users), engine, server, workers, pace, users, duration)


# The floor runs with as many workers as the configurations it is compared with (1 against 1, 2 against 2).
CONFIGS = (
    _config("floor", 1),
    _config("uvicorn", 1),
    _config("uvicorn", 1, "postgres"),
    _config("floor", 2),
    _config("uvicorn", 2),
    _config("uvicorn", 2, "postgres"),
    _config("floor", 2, pace=FEW_PACE, users=FEW, duration=FEW_DURATION),
    _config("uvicorn", 2, pace=FEW_PACE, users=FEW, duration=FEW_DURATION),
    _config("uvicorn", 2, "postgres", pace=FEW_PACE, users=FEW, duration=FEW_DURATION),
    _config("floor", 2, pace=PACE),
    _config("uvicorn", 2, pace=PACE),
    _config("uvicorn", 2, "postgres", pace=PACE),
    _config("floor", 2, pace=PACE, users=MANY),
    _config("uvicorn", 2, pace=PACE, users=MANY),
    _config("uvicorn", 2, "postgres", pace=PACE, users=MANY),
)
# Smoke (SAMORDNA_BENCH_SMOKE=1): one configuration per path through the code (the floor, uvicorn, granian with
# two workers on PostgreSQL, a paced run) rather than all of them.
if SMOKE:
    CONFIGS = (
        _config("floor", 1),
        _config("granian", 2, "postgres"),
        _config("floor", 1, pace=PACE),
        _config("uvicorn", 1, pace=PACE),
    )
# Per page: Samordna's p50 against the floor's, each page under the same mix, at equal workers — in the light paced
# runs (FEW clients), where a request seldom waits behind another, so the p50 is mostly the page's own work (under
# capacity load it is mostly queueing, the same for every page; at 50 paced clients Samordna queues, the floor not).
PER_PAGE = (_name("uvicorn", 2, "sqlite", FEW_PACE, FEW), _name("uvicorn", 2, "postgres", FEW_PACE, FEW))
if SMOKE:
    PER_PAGE = (_name("uvicorn", 1, "sqlite", PACE, USERS),)


def start_granian(database_url: str, workers: int) -> Server:
    """Samordna under granian, started as its own command line would (the same app factory)."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "samordna.app:create_app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server(argv, server_env(database_url), port, f"granian ({workers} w)").wait_ready(workers=workers)


def plan_meetings(url: str, slug: str) -> list[tuple[int, str]]:
    """A meeting of the coordination group and of the steering group a week ahead, and of each three weeks
    ahead, planned through Samordna's MeetingService and their agendas opened once (every item written), as
    a coordinator prepares a meeting hour. Returns their ids and bodies (the coordination group's members read
    only their own body's meetings; the coordinator every body's)."""
    from samordna.services import Services
    from samordna.settings import Settings

    services = Services.build(Settings(database_url=url, secret_key="bench-load-" + "x" * 40))
    try:
        actor = services.accounts.actor_for_token(token=Dataset.token(slug, "coordinator"))
        out = []
        for days in MEETING_DAYS:
            for level in ("coordination", "steering"):
                day = (date.today() + timedelta(days=days)).isoformat()
                meeting = services.meetings.plan(
                    actor=actor, slug=slug, data={"body": level, "day": day, "start": "09:00", "end": "11:00"}
                )
                services.meetings.agenda(actor=actor, meeting_id=meeting.id)
                out.append((int(meeting.id), level))
        return out
    finally:
        services.db.dispose()


def make_plan(ds: Dataset, url: str, folder: Path, meetings: list[tuple[int, str]]) -> Path:
    area = ds.areas[0]
    engine = create_engine(url)
    with engine.connect() as conn:
        measures = [
            list(r)
            for r in conn.execute(
                text("SELECT id, version FROM measure WHERE area_id = :a AND state = 'in_follow_up' ORDER BY id"),
                {"a": area.id},
            )
        ]
        every = [r[0] for r in conn.execute(text("SELECT id FROM measure WHERE area_id = :a"), {"a": area.id})]
    engine.dispose()
    plan = {
        "area": area.slug,
        "emails": [Dataset.email(area.slug, "coordinator"), Dataset.email(area.slug, "coordination")],
        "password": PASSWORD,
        "token": Dataset.token(area.slug, "coordinator"),
        "measures": measures,
        "all_measures": every,
        "meetings": meetings,
        "words": WORDS,
    }
    path = folder / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def log_in_users(url: str, plan_path: Path, users: int, watchers: int = 0) -> Path:
    """One session per locust user (and per stream watcher), logged in through /login like a browser; the cookies
    go into the plan."""
    import httpx

    from bench.common import login

    plan = json.loads(plan_path.read_text())

    def one(n: int) -> str:
        with httpx.Client(base_url=url, timeout=60) as client:
            login(client, plan["emails"][n % len(plan["emails"])], plan["password"])
            return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)

    # A few at once (each is an argon2 check in the server's password gate): 200 one by one take a minute.
    with ThreadPoolExecutor(LOGINS_AT_ONCE) as pool:
        cookies = list(pool.map(one, range(users + watchers)))
    out = plan_path.with_name(f"plan-{free_port()}.json")
    out.write_text(json.dumps({**plan, "cookies": cookies[:users], "watcher_cookies": cookies[users:]}))
    return out


def run_locust(
    url: str, mode: str, plan: Path, users: int, duration: int, out: Path, pace: float = 0.0, watchers: int = 0
) -> tuple[list[list[Any]], dict[str, Any]]:
    env = {
        **os.environ,
        "BENCH_MODE": mode,
        "BENCH_PLAN": str(plan),
        "BENCH_USERS": str(users),
        "BENCH_WATCHERS": str(watchers),
        "BENCH_OUT": str(out),
        "BENCH_PACE": str(pace),
        "PYTHONPATH": str(ROOT),
    }
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "-u",
        str(users + watchers),
        "-r",
        str(users + watchers),
        "-t",
        f"{duration}s",
        "--host",
        url,
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "ERROR",
        "--exit-code-on-error",
        "0",
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 120)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"locust failed ({done.returncode}): {done.stderr[-2000:]}")
    live_file = out.with_name(out.name + ".live")
    live = json.loads(live_file.read_text()) if live_file.exists() else {}
    return json.loads(out.read_text()), live


@dataclass(frozen=True)
class Result:
    times: tuple[float, ...]  # ms per request, sorted
    per_second: tuple[float, ...]
    throughput: float
    p50: float
    p95: float
    p99: float
    requests: int
    errors: int
    by_name: dict[str, list[float]]  # ms per request of each kind, sorted
    errors_by_name: dict[str, int]
    live: dict[str, Any]


def summarize(records: list[list[Any]], live: dict[str, Any] | None = None) -> Result:
    """Requests after the warm-up: per-second counts, percentiles, failures. The stream openings are left out
    of the throughput and percentiles (an opening waits for the stream's first bytes, not for a page), but their
    failures count."""
    empty = Result((0.0,), (0.0,), 0.0, 0, 0, 0, 0, 0, {}, {}, live or {})
    if not records:
        return empty
    setup_done = min(r[0] for r in records) + WARM_UP
    after = [r for r in records if r[0] > setup_done]
    work = [r for r in after if not r[1].startswith("live:")]
    if not work:
        return empty
    end = max(r[0] for r in work)
    seconds = max(end - setup_done, 1e-9)
    buckets = Counter(int(r[0] - setup_done) for r in work)
    full = [float(buckets.get(i, 0)) for i in range(int(seconds))] or [len(work) / seconds]
    times = sorted(r[2] for r in work)
    by_name: dict[str, list[float]] = {}
    for r in after:
        by_name.setdefault(r[1], []).append(r[2])
    return Result(
        times=tuple(times),
        per_second=tuple(full),
        throughput=len(work) / seconds,
        p50=percentile(times, 50),
        p95=percentile(times, 95),
        p99=percentile(times, 99),
        requests=len(work),
        errors=sum(1 for r in after if not r[3]),
        by_name={k: sorted(v) for k, v in by_name.items()},
        errors_by_name=dict(Counter(r[1] for r in after if not r[3])),
        live=live or {},
    )


def run_config(
    config: Config, n: int, plan: Path, folder: Path, base_sqlite: Path, pg: tuple[str, str] | None
) -> Result:
    """One configuration on a fresh copy of the data."""
    if config.engine == "postgres":
        assert pg is not None
        url = _clone_pg(pg[0], pg[1], f"samordna_bench_{n}")
    else:
        url = f"sqlite:///{sqlite_copy(base_sqlite, folder / f'run-{n}.sqlite3')}"
    try:
        if config.server == "floor":
            server = start_floor(Path(url.removeprefix("sqlite:///")), workers=config.workers)
        elif config.server == "granian":
            server = start_granian(url, config.workers)
        else:
            server = start_samordna(url, workers=config.workers)
        try:
            mode = "floor" if config.server == "floor" else "samordna"
            run_plan = plan if mode == "floor" else log_in_users(server.url, plan, config.users, WATCHERS)
            records, live = run_locust(
                server.url,
                mode,
                run_plan,
                config.users,
                config.duration or DURATION_NOW[0],
                folder / f"out-{n}.json",
                config.pace,
                WATCHERS,
            )
        finally:
            server.stop()
    finally:
        if config.engine == "postgres":
            assert pg is not None
            drop_postgres(pg[0], url)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    for kind, answer in (live.get("failures") or {}).items():  # what was refused, once per kind (stderr)
        print(f"bench.load: {config.name}: {kind}: {answer}", file=sys.stderr)
    return summarize(records, live)


DURATION_NOW = [DURATION]  # the run's duration (run() sets it)


def run(duration: int = DURATION, users: int = USERS, only: list[str] | None = None) -> list[Row]:
    DURATION_NOW[0] = duration
    configs = [c for c in CONFIGS if not only or any(o.lower() in c.name.lower() for o in only)]
    if users != USERS:  # --users: the clients of the capacity runs and of the first paced ones
        configs = [
            Config(_name(c.server, c.workers, c.engine, c.pace, users), c.engine, c.server, c.workers, c.pace, users)
            if c.users == USERS
            else c
            for c in configs
        ]
    results: dict[str, Result] = {}
    notes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="samordna-bench-load-") as tmp:
        folder = Path(tmp)
        base_sqlite = folder / "base.sqlite3"
        ds = generate(f"sqlite:///{base_sqlite}", SIZES)
        meetings = plan_meetings(f"sqlite:///{base_sqlite}", ds.areas[0].slug)
        plan = make_plan(ds, f"sqlite:///{base_sqlite}", folder, meetings)
        pg_base = postgres_base_url() if any(c.engine == "postgres" for c in configs) else None
        pg_template = None
        if pg_base:
            pg_template = _fresh_pg(pg_base, "samordna_bench_template")
            generate(pg_template, SIZES)
            if plan_meetings(pg_template, ds.areas[0].slug) != meetings:
                raise RuntimeError("the PostgreSQL copy's meetings got other ids than SQLite's")
        try:
            for n, config in enumerate(configs):
                if config.engine == "postgres" and not (pg_base and pg_template):
                    notes[config.name] = "skipped: no PostgreSQL reachable"
                    continue
                pg = (pg_base, pg_template) if pg_base and pg_template else None
                results[config.name] = run_config(config, n, plan, folder, base_sqlite, pg)
        finally:
            if pg_base and pg_template:
                drop_postgres(pg_base, pg_template)
    return rows_of(configs, results, notes, duration)


def _floor_of(config: Config, configs: list[Config], results: dict[str, Result]) -> Result | None:
    for c in configs:
        if c.server == "floor" and (c.workers, c.pace, c.users) == (config.workers, config.pace, config.users):
            return results.get(c.name)
    return None


def _errors(r: Result) -> str:
    if not r.errors:
        return f"0 errors of {r.requests:,}".replace(",", " ")
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(r.errors_by_name.items()))
    return f"{r.errors} errors of {r.requests:,} ({kinds})".replace(",", " ")


def _live(r: Result) -> str:
    if not r.live:
        return ""
    return f"; streams: {r.live.get('opened', 0)} opened, {r.live.get('events', 0)} events received"


def rows_of(configs: list[Config], results: dict[str, Result], notes: dict[str, str], duration: int) -> list[Row]:
    rows = []
    for config in configs:
        if config.name not in results:
            rows.append(Row(NAME, config.name, "req/s", (0.0,), notes.get(config.name, "")))
            continue
        r, floor = results[config.name], _floor_of(config, configs, results)
        if config.pace:
            # Paced: the load is about users / (pace + latency) requests a second; what counts is the wait.
            rows.append(
                Row(
                    NAME,
                    config.name,
                    "ms/request",
                    r.times,
                    f"p95 {r.p95:.0f} / p99 {r.p99:.0f} ms; {r.throughput:.0f} req/s; {_errors(r)}"
                    + f"; {config.users} clients, think time {config.pace / 2:g}–{config.pace * 3 / 2:g} s"
                    + _live(r),
                    ratio=(r.p95 / floor.p95) if floor and floor.p95 else None,
                    lower_is_better=True,
                )
            )
        else:
            rows.append(
                Row(
                    NAME,
                    config.name,
                    "req/s",
                    r.per_second,
                    f"p50 {r.p50:.0f} / p95 {r.p95:.0f} / p99 {r.p99:.0f} ms; {_errors(r)}; "
                    f"{config.users} clients without pause, {duration} s; "
                    f"{r.throughput / config.workers:.0f} req/s per worker" + _live(r),
                    ratio=(floor.throughput / r.throughput) if floor and r.throughput else None,
                )
            )
    # Per page, like for like: each kind of request's time in Samordna's run against the floor's at equal workers.
    for config in configs:
        if config.name not in PER_PAGE or config.name not in results:
            continue
        r, floor = results[config.name], _floor_of(config, configs, results)
        if floor is None:
            continue
        for kind, times in sorted(r.by_name.items()):
            base = floor.by_name.get(kind)
            if not base:
                continue
            p50, f50 = percentile(times, 50), percentile(base, 50)
            rows.append(
                Row(
                    NAME,
                    f"  {kind} ({config.name})",
                    "ms p50",
                    tuple(times),
                    f"floor p50 {f50:.1f} ms; {len(times)} requests, {r.errors_by_name.get(kind, 0)} errors",
                    ratio=p50 / f50 if f50 else None,
                    lower_is_better=True,
                )
            )
    return rows


def _fresh_pg(base: str, name: str) -> str:
    from bench.data import fresh_postgres

    return fresh_postgres(base, name)


def _clone_pg(base: str, template: str, name: str) -> str:
    """A copy of the template database (CREATE DATABASE ... TEMPLATE: a file-level copy, seconds)."""
    from sqlalchemy.engine import make_url

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=DURATION)
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--only", nargs="*", help="configurations whose name contains one of these words")
    args = parser.parse_args(argv)
    print_table(run(args.duration, args.users, args.only))


if __name__ == "__main__":
    main()
