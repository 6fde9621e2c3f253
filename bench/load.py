"""A mixed workload from 50 concurrent clients on 127.0.0.1: throughput, p50/p95/p99 and errors.

locust (headless, the `bench` extra) runs bench/locustfile.py against a server for a bounded time:
about 80 % board page views, 15 % partial refreshes («Vis flere» in a column, a card's action form)
and 5 % transitions through the JSON API, each user logged in with its own session. Every
configuration gets a fresh copy of the same generated data (bench.data: an area of 10 000 measures
with histories beside one of 2 000). Two kinds of run:

- capacity: no think time — every client sends its next request as soon as the last one is answered,
  so the throughput is what the server can do. Latency is then mostly queueing: with 50 requests
  always in flight, the mean latency is 50 / throughput (Little's law), the floor's included;
- paced: every client thinks for 0.5–1.5 s (at random) after each answer — 50 people each clicking
  about once a second, far busier than a meeting — so the latency is what a user waits for an answer.

Configurations: the floor (bench.floor_app: bare ASGI, raw sqlite3, the same templates, uvicorn,
1 worker); Samordna under uvicorn and granian with 1 and 2 workers on SQLite, and 2 workers on
PostgreSQL when SAMORDNA_TEST_POSTGRES_URL or the local server on 127.0.0.1:5432 answers.

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
from dataclasses import dataclass
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
DURATION = smoke(20, 3)
SIZES = smoke((10_000, 2_000), (40, 20))
WARM_UP = smoke(2.0, 0.2)  # seconds at the start of a run left out (first requests of each worker fill its caches)


SMOKE_CONFIGS = (
    "capacity: floor, bare ASGI + raw sqlite3",
    "capacity: granian, 2 workers, PostgreSQL",
    "paced: uvicorn, 1 worker, SQLite",
)
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


CONFIGS = (
    Config("capacity: floor, bare ASGI + raw sqlite3", "sqlite", "floor", 1),
    Config("capacity: uvicorn, 1 worker, SQLite", "sqlite", "uvicorn", 1),
    Config("capacity: uvicorn, 2 workers, SQLite", "sqlite", "uvicorn", 2),
    Config("capacity: granian, 2 workers, SQLite", "sqlite", "granian", 2),
    Config("capacity: uvicorn, 2 workers, PostgreSQL", "postgres", "uvicorn", 2),
    Config("capacity: granian, 2 workers, PostgreSQL", "postgres", "granian", 2),
    Config("paced: floor, bare ASGI + raw sqlite3", "sqlite", "floor", 1, PACE),
    Config("paced: uvicorn, 1 worker, SQLite", "sqlite", "uvicorn", 1, PACE),
    Config("paced: uvicorn, 2 workers, SQLite", "sqlite", "uvicorn", 2, PACE),
    Config("paced: uvicorn, 2 workers, PostgreSQL", "postgres", "uvicorn", 2, PACE),
)
# Smoke (SAMORDNA_BENCH_SMOKE=1): one configuration per path through the code (the floor, uvicorn, granian with
# two workers on PostgreSQL, a paced run) rather than all ten.
if SMOKE:
    CONFIGS = tuple(c for c in CONFIGS if c.name in SMOKE_CONFIGS)


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


def make_plan(ds: Dataset, url: str, folder: Path) -> Path:
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
    engine.dispose()
    plan = {
        "area": area.slug,
        "emails": [Dataset.email(area.slug, "coordinator"), Dataset.email(area.slug, "coordination")],
        "password": PASSWORD,
        "token": Dataset.token(area.slug, "coordinator"),
        "measures": measures,
    }
    path = folder / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def log_in_users(url: str, plan_path: Path, users: int) -> Path:
    """One session per locust user, logged in through /login like a browser; the cookies go into the plan."""
    import httpx

    from bench.common import login

    plan = json.loads(plan_path.read_text())
    cookies = []
    for n in range(users):
        with httpx.Client(base_url=url, timeout=60) as client:
            login(client, plan["emails"][n % len(plan["emails"])], plan["password"])
            cookies.append("; ".join(f"{c.name}={c.value}" for c in client.cookies.jar))
    out = plan_path.with_name(f"plan-{free_port()}.json")
    out.write_text(json.dumps({**plan, "cookies": cookies}))
    return out


def run_locust(
    url: str, mode: str, plan: Path, users: int, duration: int, out: Path, pace: float = 0.0
) -> list[list[Any]]:
    env = {
        **os.environ,
        "BENCH_MODE": mode,
        "BENCH_PLAN": str(plan),
        "BENCH_USERS": str(users),
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
        str(users),
        "-r",
        str(users),
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
    return json.loads(out.read_text())


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
    by_name: dict[str, int]


def summarize(records: list[list[Any]]) -> Result:
    """Requests after the warm-up: per-second counts, percentiles, failures."""
    if not records:
        return Result((0.0,), (0.0,), 0.0, 0, 0, 0, 0, 0, {})
    setup_done = min(r[0] for r in records) + WARM_UP
    work = [r for r in records if r[0] > setup_done]
    if not work:
        return Result((0.0,), (0.0,), 0.0, 0, 0, 0, 0, 0, {})
    end = max(r[0] for r in work)
    seconds = max(end - setup_done, 1e-9)
    buckets = Counter(int(r[0] - setup_done) for r in work)
    full = [float(buckets.get(i, 0)) for i in range(int(seconds))] or [len(work) / seconds]
    times = sorted(r[2] for r in work)
    return Result(
        times=tuple(times),
        per_second=tuple(full),
        throughput=len(work) / seconds,
        p50=percentile(times, 50),
        p95=percentile(times, 95),
        p99=percentile(times, 99),
        requests=len(work),
        errors=sum(1 for r in work if not r[3]),
        by_name=dict(Counter(r[1] for r in work)),
    )


def run(duration: int = DURATION, users: int = USERS, only: list[str] | None = None) -> list[Row]:
    configs = [c for c in CONFIGS if not only or any(o.lower() in c.name.lower() for o in only)]
    results: dict[str, Result] = {}
    notes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="samordna-bench-load-") as tmp:
        folder = Path(tmp)
        base_sqlite = folder / "base.sqlite3"
        ds = generate(f"sqlite:///{base_sqlite}", SIZES)
        plan = make_plan(ds, f"sqlite:///{base_sqlite}", folder)
        pg_base = postgres_base_url() if any(c.engine == "postgres" for c in configs) else None
        pg_template = None
        if pg_base:
            pg_template = _fresh_pg(pg_base, "samordna_bench_template")
            generate(pg_template, SIZES)
        try:
            for n, config in enumerate(configs):
                if config.engine == "postgres":
                    if not pg_base or not pg_template:
                        notes[config.name] = "skipped: no PostgreSQL reachable"
                        continue
                    url = _clone_pg(pg_base, pg_template, f"samordna_bench_{n}")
                else:
                    url = f"sqlite:///{sqlite_copy(base_sqlite, folder / f'run-{n}.sqlite3')}"
                db_path = Path(url.removeprefix("sqlite:///")) if config.engine == "sqlite" else None
                if config.server == "floor":
                    assert db_path is not None
                    server = start_floor(db_path, workers=config.workers)
                elif config.server == "granian":
                    server = start_granian(url, config.workers)
                else:
                    server = start_samordna(url, workers=config.workers)
                try:
                    mode = "floor" if config.server == "floor" else "samordna"
                    run_plan = plan if mode == "floor" else log_in_users(server.url, plan, users)
                    records = run_locust(
                        server.url, mode, run_plan, users, duration, folder / f"out-{n}.json", config.pace
                    )
                finally:
                    server.stop()
                    if config.engine == "postgres":
                        drop_postgres(pg_base, url)  # type: ignore[arg-type]
                results[config.name] = summarize(records)
        finally:
            if pg_base and pg_template:
                drop_postgres(pg_base, pg_template)

    floors = {c.pace: results.get(c.name) for c in CONFIGS if c.server == "floor"}
    rows = []
    for config in configs:
        if config.name not in results:
            rows.append(Row(NAME, config.name, "req/s", (0.0,), notes.get(config.name, "")))
            continue
        r, floor = results[config.name], floors.get(config.pace)
        summary = (
            f"p50 {r.p50:.0f} / p95 {r.p95:.0f} / p99 {r.p99:.0f} ms; {r.errors} errors of {r.requests:,}".replace(
                ",", " "
            )
        )
        if config.pace:
            # Paced: the load is about users / (pace + latency) requests a second; what counts is the wait.
            rows.append(
                Row(
                    NAME,
                    config.name,
                    "ms/request",
                    r.times,
                    f"p95 {r.p95:.0f} / p99 {r.p99:.0f} ms; {r.throughput:.0f} req/s; {r.errors} errors of "
                    f"{r.requests:,}".replace(",", " ")
                    + f"; {users} clients, think time {config.pace / 2:g}–"
                    f"{config.pace * 3 / 2:g} s",
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
                    summary + f"; {users} clients without pause, {duration} s",
                    ratio=(floor.throughput / r.throughput) if floor and r.throughput else None,
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
