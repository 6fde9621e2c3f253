"""Live boards under load: 200 open streams, what each costs in memory, and how long a change takes to reach them all.

Against a floor measured in the same run (bench.live_floor: a minimal Litestar app with the same Channels plugin and
backend, SSE streams and a POST that broadcasts the same payload; no sessions, no policy, no database but the LISTEN
connection), under uvicorn with the same options, on 127.0.0.1.

Set-up: one generated area (bench.data, AREA_MEASURES measures) in SQLite and in PostgreSQL, with SESSIONS more members
of the coordination role (they hear of every measure). Each of those users logs in once through /login; the streams
share their sessions, STREAMS / SESSIONS each — several tabs of one browser (a board, a meeting, measure pages):
Samordna allows it (nothing counts the streams of a session), and it saves an argon2 verification per stream.

Cases (each: server started, streams opened, rounds, server stopped; Samordna and its floor alternate):
- SQLite (the in-memory channels backend) and PostgreSQL (LISTEN/NOTIFY), one worker: memory per stream — the
  server's resident set (VmRSS, all its processes) after a warm-up, then after each of BATCHES batches of streams
  (every stream has said `ready`): one sample per batch, (RSS after − RSS before) / streams in the batch, the first
  batch apart (it also fills the thread pool that checks the sessions, and its database connections);
- fan-out latency: ROUNDS transitions (`report_status` through the JSON API with a bearer token; the floor: a POST
  of the same payload), one at a time, each waited for until every stream has it. The clock starts at the commit,
  on the server: Samordna runs as bench.live_app (samordna.app:create_app plus one listener of committed changes
  that writes time.time() right after the commit, before the app's own publisher runs); the floor answers its
  POST with time.time() taken just before its publish. It stops when the event's bytes reach the client's
  socket callback (time.time(), same machine, same clock). Per round: p50 and p95 over all streams, and the
  last stream's arrival. The client's own view — from the API's answer to the last arrival — is in the notes;
- PostgreSQL with 2 and 4 workers: the same streams spread over the workers by the kernel (the note gives the
  streams each worker holds, counted from /proc), each change committed on whichever worker took the API request:
  whether it reaches every stream on every worker, and how fast;
- mixed load (bench.load's locust workload, short: LOAD_USERS clients without pause for LOAD_SECONDS) against
  `samordna serve` on PostgreSQL with 1, 2 and 4 workers, and against bench.floor_app (bare ASGI, raw sqlite3) with
  the same worker counts: the throughput each worker count gives over one worker, Samordna's beside the floor's.

The client: raw asyncio sockets (asyncio.Protocol; one process, one event loop, no HTTP library on the streams),
so that on a 2-core machine the client costs as little as it can; its callbacks note the arrival time first.

Prints figures only; asserts nothing. `python -m bench.live [--streams N] [--rounds R] [--only sqlite postgres
workers load] [--small]`. SAMORDNA_BENCH_SMALL=1 (or --small) runs a few streams and rounds, 1 and 2 workers and no
mixed load, in seconds: for a smoke test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.common import HOST, SMOKE, Row, Server, free_port, login, percentile, server_env, start_uvicorn, time_ratio

NAME = "live"
STREAMS = 200
ROUNDS = 5
SESSIONS = 20
BATCHES = 5  # the first fills the thread pool and caches too: memory per stream is read from the others
WORKERS = (1, 2, 4)
AREA_MEASURES = 2_000
LOAD_USERS = 20
LOAD_SECONDS = 8
PARTS = ("sqlite", "postgres", "workers", "load")
SMALL = {
    "measures": 200,
    "streams": 12,
    "rounds": 2,
    "sessions": 3,
    "workers": (1, 2),
    "parts": ("sqlite", "postgres", "workers"),
}
WAIT = 20.0  # seconds a round waits for every stream before it counts what came
GRACEFUL = "2"  # uvicorn's --timeout-graceful-shutdown (samordna serve's default is 5)


POSTGRES = True  # tests/bench/test_smoke.py runs it where PostgreSQL is configured
if SMOKE:  # the suite's smoke run (SAMORDNA_BENCH_SMOKE=1): the small mode, one worker, no mixed load
    SMALL = {**SMALL, "streams": 6, "rounds": 1, "sessions": 2, "workers": (1,), "parts": ("sqlite", "postgres")}


def small_mode() -> bool:
    return SMOKE or os.environ.get("SAMORDNA_BENCH_SMALL", "") not in ("", "0")


# ---------------------------------------------------------------- set-up


@dataclass
class World:
    """A generated database, its coordinator's token, the streams' users and the measures to move."""

    url: str
    slug: str
    token: str
    emails: list[str]
    measures: list[list[int]]  # [id, version], kept up to date as the rounds move them
    cookies: list[str] = field(default_factory=list)


def prepare(url: str, sessions: int, measures: int = AREA_MEASURES) -> World:
    from bench.data import Dataset, _move_sequences, generate

    ds = generate(url, (measures,))
    area = ds.areas[0]
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        pw = conn.execute(
            text("SELECT password_hash FROM user_account WHERE email = :e"),
            {"e": Dataset.email(area.slug, "coordinator")},
        ).scalar_one()
        uid = conn.execute(text("SELECT max(id) FROM user_account")).scalar_one()
        mid = conn.execute(text("SELECT max(id) FROM membership")).scalar_one()
        emails = [f"tavle{i}@{area.slug}.benk.no" for i in range(sessions)]
        conn.execute(
            text(
                "INSERT INTO user_account (id, email, name, password_hash, active, created_at)"
                " VALUES (:id, :email, :name, :pw, true, :now)"
            ),
            [{"id": uid + 1 + i, "email": e, "name": f"Tavle {i}", "pw": pw, "now": now} for i, e in enumerate(emails)],
        )
        conn.execute(
            text(
                "INSERT INTO membership (id, user_id, area_id, role, unit_id, active)"
                " VALUES (:id, :uid, :area, 'coordination', NULL, true)"
            ),
            [{"id": mid + 1 + i, "uid": uid + 1 + i, "area": area.id} for i in range(sessions)],
        )
        _move_sequences(conn)
        measures = [
            [r[0], r[1]]
            for r in conn.execute(
                text(
                    "SELECT id, version FROM measure WHERE area_id = :a AND state = 'in_follow_up' ORDER BY id LIMIT 50"
                ),
                {"a": area.id},
            )
        ]
    engine.dispose()
    return World(url, area.slug, Dataset.token(area.slug, "coordinator"), emails, measures)


def log_in(world: World, base_url: str) -> None:
    """One session per user, through /login like a browser (the cookies go into the database's session store, so
    every server on the same database takes them)."""
    from bench.data import PASSWORD

    world.cookies = []
    for email in world.emails:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            login(client, email, PASSWORD)
            world.cookies.append("; ".join(f"{c.name}={c.value}" for c in client.cookies.jar))


# ---------------------------------------------------------------- servers


def _uvicorn(target: str, workers: int, env: dict[str, str], label: str) -> Server:
    """uvicorn with the options `samordna serve` gives it (samordna.cli.cmd_serve)."""
    return start_uvicorn(target, workers, env, label, "--no-proxy-headers", "--timeout-graceful-shutdown", GRACEFUL)


def start_app(url: str, workers: int, commits: Path) -> Server:
    return _uvicorn("bench.live_app:create", workers, server_env(url, BENCH_LIVE_COMMITS=str(commits)), "samordna")


def start_live_floor(url: str, workers: int) -> Server:
    backend = url if url.startswith("postgres") else "memory://"
    return _uvicorn("bench.live_floor:create", workers, server_env(url, BENCH_LIVE_DB=backend), "live floor")


def rss_kib(server: Server) -> int:
    from bench.common import proc_status

    total = 0
    for pid in server._tree():
        try:
            total += proc_status(pid, "VmRSS")
        except OSError:
            continue
    return total


def streams_per_worker(server: Server) -> list[int]:
    """Established connections to the server's port held by each of its processes (those holding any), from /proc."""
    inodes: set[str] = set()
    port_hex = f"{server.port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[1].rsplit(":", 1)[1] == port_hex and parts[3] == "01":
                inodes.add(parts[9])
    counts = []
    for pid in server._tree():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        n = 0
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                n += 1
        if n:
            counts.append(n)
    return sorted(counts, reverse=True)


# ---------------------------------------------------------------- the client


class Hub:
    """What the streams have seen: how many said `ready`, and per event id how many got it."""

    def __init__(self) -> None:
        self.ready = 0
        self.ready_target = 0
        self.ready_done = asyncio.Event()
        self.counts: dict[int, int] = {}
        self.target = 0
        self.done = asyncio.Event()
        self.failures: list[str] = []
        self.lost = 0

    def expect_ready(self, n: int) -> None:
        self.ready_target = n
        self.ready_done.clear()
        if self.ready >= n:
            self.ready_done.set()

    def on_ready(self) -> None:
        self.ready += 1
        if self.ready >= self.ready_target:
            self.ready_done.set()

    def arm(self, n: int) -> None:
        self.target = n
        self.done.clear()

    def on_event(self, event_id: int) -> None:
        n = self.counts.get(event_id, 0) + 1
        self.counts[event_id] = n
        if n >= self.target:
            self.done.set()

    def on_failure(self, what: str) -> None:
        self.failures.append(what)
        self.ready_done.set()
        self.done.set()


class StreamClient(asyncio.Protocol):
    """One SSE stream over a raw socket: notes when each event id's line arrives (time.time(), first thing)."""

    def __init__(self, request: bytes, hub: Hub) -> None:
        self.request = request
        self.hub = hub
        self.buf = b""
        self.status: int | None = None
        self.arrived: dict[int, float] = {}
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        lines = (self.buf + data).split(b"\n")
        self.buf = lines.pop()
        for line in lines:
            if line.startswith(b"id: "):
                event_id = int(line[4:])
                if event_id not in self.arrived:
                    self.arrived[event_id] = now
                    self.hub.on_event(event_id)
            elif line.startswith(b"event: ready"):
                self.hub.on_ready()
            elif self.status is None and line.startswith(b"HTTP/"):
                self.status = int(line.split()[1])
                if self.status != 200:
                    self.hub.on_failure(f"stream answered {self.status}")

    def connection_lost(self, exc: Exception | None) -> None:
        self.hub.lost += 1

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def stream_request(port: int, slug: str, cookie: str | None) -> bytes:
    lines = [
        f"GET /areas/{slug}/stream HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Accept: text/event-stream",
        "Cache-Control: no-cache",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Outcome:
    """One server's figures: memory per stream per batch, and per round the arrival times after the commit."""

    rss_before: int = 0
    rss_after: int = 0
    rss_first: int = 0  # after the first batch
    first_batch: float = 0.0  # KiB per stream of the first batch (thread pool and caches filling too)
    kib_per_stream: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p95: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)
    from_answer: list[float] = field(default_factory=list)  # API answer → last arrival, ms
    answer_ms: list[float] = field(default_factory=list)  # the API request itself
    delivered: list[int] = field(default_factory=list)
    per_worker: list[int] = field(default_factory=list)
    open_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def floor_change(k: int, measure: list[int]) -> dict[str, Any]:
    """What Samordna publishes for a status report (MeasureChanged.to_json), with an event id of the floor's own."""
    return {
        "event_id": 10_000_000 + k,
        "area_id": 1,
        "measure_id": measure[0],
        "ref": "SLT-2026-0042",
        "kind": "report_status",
        "from_state": "in_follow_up",
        "to_state": "in_follow_up",
        "version": measure[1] + 1,
        "units": [3, 7],
        "registered_by": 2,
        "actor_id": 2,
        "actor_name": "Coordinator 1",
        "meeting_id": None,
    }


async def drive(
    server: Server,
    world: World,
    *,
    floor: bool,
    streams: int,
    rounds: int,
    commits: Path | None,
    batches: int,
    counter: list[int],
) -> Outcome:
    """Open `streams` streams in `batches` batches (RSS after each), then `rounds` changes, one at a time."""
    loop = asyncio.get_running_loop()
    hub = Hub()
    out = Outcome()
    clients: list[StreamClient] = []
    headers = {} if floor else {"Authorization": f"Bearer {world.token}"}
    api = httpx.AsyncClient(base_url=server.url, timeout=60, headers=headers)
    pending: list[tuple[float, float, float | None, int]] = []  # answer sent, answer came, floor's stamp, event id

    async def change(k: int) -> tuple[float, float, float | None, int | None]:
        measure = world.measures[k % len(world.measures)]
        sent = time.time()
        if floor:
            body = floor_change(counter[0], measure)
            counter[0] += 1
            r = await api.post(f"/areas/{world.slug}/publish", json=body)
            came = time.time()
            r.raise_for_status()
            return sent, came, r.json()["at"], body["event_id"]
        r = await api.post(
            f"/api/v1/measures/{measure[0]}/transitions",
            json={"trigger": "report_status", "version": measure[1], "data": {"health": "on_track", "note": "Benk."}},
        )
        came = time.time()
        if r.status_code != 200:
            raise RuntimeError(f"transition of measure {measure[0]}: {r.status_code} {r.text[:300]}")
        measure[1] = r.json()["version"]
        return sent, came, None, None

    async def open_streams(n: int) -> None:
        for _ in range(n):
            cookie = None if floor else world.cookies[len(clients) % len(world.cookies)]
            request = stream_request(server.port, world.slug, cookie)
            _, proto = await loop.create_connection(lambda r=request: StreamClient(r, hub), HOST, server.port)
            clients.append(proto)
        hub.expect_ready(len(clients))
        await asyncio.wait_for(hub.ready_done.wait(), timeout=120)
        if hub.failures:
            raise RuntimeError(f"{server.label}: {hub.failures[:3]}")

    try:
        # Warm-up: a stream opened, a change heard, the stream closed — the first of each costs imports and caches.
        await open_streams(1)
        hub.arm(1)
        await change(0)
        await asyncio.wait_for(hub.done.wait(), timeout=WAIT)
        clients.pop().close()
        hub.ready -= 1
        seen = set(hub.counts)
        await asyncio.sleep(0.5)
        out.rss_before = before = rss_kib(server)
        per_batch = [streams // batches + (1 if b < streams % batches else 0) for b in range(batches)]
        started = time.perf_counter()
        for b, n in enumerate(per_batch):
            if not n:
                continue
            await open_streams(n)
            await asyncio.sleep(0.3)
            now = rss_kib(server)
            if b == 0:  # the first batch also fills the thread pool (and its database connections): apart
                out.first_batch = (now - before) / n
                out.rss_first = now
            else:
                out.kib_per_stream.append((now - before) / n)
            before = now
        out.open_seconds = time.perf_counter() - started
        out.rss_after = before
        await api.aclose()  # counted without the API's own kept-alive connection
        api = httpx.AsyncClient(base_url=server.url, timeout=60, headers=headers)
        await asyncio.sleep(0.2)
        out.per_worker = streams_per_worker(server)
        for k in range(1, rounds + 1):
            hub.arm(len(clients))
            sent, came, stamp, event_id = await change(k)
            try:
                await asyncio.wait_for(hub.done.wait(), timeout=WAIT)
            except TimeoutError:
                pass
            if event_id is None:  # Samordna: the event that reached the most streams in this round is the change's
                fresh = {e: n for e, n in hub.counts.items() if e not in seen}
                event_id = max(fresh, key=lambda e: fresh[e]) if fresh else -1
            seen |= set(hub.counts)
            pending.append((sent, came, stamp, event_id))  # type: ignore[arg-type]
            await asyncio.sleep(0.2)
        out.failures = hub.failures
    finally:
        for c in clients:
            c.close()
        await api.aclose()
        await asyncio.sleep(0.2)

    stamps: dict[int, float] = {}
    if commits is not None:
        for line in commits.read_text().splitlines():
            e, _m, _v, t = line.split()
            stamps[int(e)] = float(t)
    for sent, came, stamp, event_id in pending:
        commit = stamp if stamp is not None else stamps.get(event_id)
        got = sorted(c.arrived[event_id] for c in clients if event_id in c.arrived)
        out.delivered.append(len(got))
        out.answer_ms.append((came - sent) * 1000)
        if commit is None or not got:
            out.failures.append(f"event {event_id}: no commit time or no arrival")
            continue
        ms = [(t - commit) * 1000 for t in got]
        out.p50.append(percentile(ms, 50))
        out.p95.append(percentile(ms, 95))
        out.last.append(ms[-1])
        out.from_answer.append((got[-1] - came) * 1000)
    return out


def measure_pair(
    world: World, workers: int, streams: int, rounds: int, batches: int, folder: Path, counter: list[int]
) -> tuple[Outcome, Outcome]:
    """Samordna, then its floor, each in its own server on the same database."""
    commits = folder / f"commits-{free_port()}.txt"
    commits.touch()
    with start_app(world.url, workers, commits) as app:
        if not world.cookies:
            log_in(world, app.url)
        a = asyncio.run(
            drive(
                app,
                world,
                floor=False,
                streams=streams,
                rounds=rounds,
                commits=commits,
                batches=batches,
                counter=counter,
            )
        )
    with start_live_floor(world.url, workers) as fl:
        f = asyncio.run(
            drive(fl, world, floor=True, streams=streams, rounds=rounds, commits=None, batches=batches, counter=counter)
        )
    return a, f


# ---------------------------------------------------------------- mixed load (throughput by worker count)


def mixed_load(pg: World, sqlite_path: Path, workers: tuple[int, ...], seconds: int, users: int) -> list[Row]:
    """bench.load's workload against `samordna serve` (PostgreSQL) and bench.floor_app (SQLite), 1/2/4 workers."""
    from bench import load
    from bench.common import start_floor, start_samordna
    from bench.data import Dataset, sqlite_copy

    ds_pg = Dataset(pg.url, [_area_info(pg)])
    ds_sq = Dataset(f"sqlite:///{sqlite_path}", [_area_info(pg)])
    app_tp: dict[int, load.Result] = {}
    floor_tp: dict[int, load.Result] = {}
    slug = ds_pg.areas[0].slug
    # The mix opens meetings too (bench.load): plan the same ones on both sides before the first run.
    meetings_pg = load.plan_meetings(pg.url, slug)
    meetings_sq = load.plan_meetings(f"sqlite:///{sqlite_path}", slug)
    with tempfile.TemporaryDirectory(prefix="samordna-bench-live-load-") as tmp:
        folder = Path(tmp)
        for w in workers:
            plan = load.make_plan(ds_pg, pg.url, folder, meetings_pg)
            with start_samordna(pg.url, workers=w) as app:
                run_plan = load.log_in_users(app.url, plan, users)
                records, streams = load.run_locust(app.url, "samordna", run_plan, users, seconds, folder / f"a{w}.json")
            app_tp[w] = load.summarize(records, streams)
            if app_tp[w].errors:
                print(f"mixed load, {w} worker(s): errors {app_tp[w].errors_by_name}", flush=True)
            db = sqlite_copy(sqlite_path, folder / f"floor-{w}.sqlite3")
            plan = load.make_plan(ds_sq, f"sqlite:///{db}", folder, meetings_sq)
            with start_floor(db, workers=w) as fl:
                records, streams = load.run_locust(fl.url, "floor", plan, users, seconds, folder / f"f{w}.json")
            floor_tp[w] = load.summarize(records, streams)
    rows = []
    one_a, one_f = app_tp[workers[0]].throughput, floor_tp[workers[0]].throughput
    for w in workers:
        a, f = app_tp[w], floor_tp[w]
        rows.append(
            Row(
                NAME,
                f"mixed load, PostgreSQL, {w} worker{'s' if w > 1 else ''}",
                "req/s",
                a.per_second,
                f"{a.throughput / one_a:.2f}× one worker's; floor (raw sqlite3) {f.throughput:.0f} req/s, "
                f"{f.throughput / one_f:.2f}× its one worker's; {a.errors} errors of {a.requests}; "
                f"{users} clients, {seconds} s",
                ratio=f.throughput / a.throughput if a.throughput else None,
            )
        )
    return rows


def _area_info(world: World) -> Any:
    from bench.data import AreaInfo

    return AreaInfo(id=1, slug=world.slug, name="", measures=AREA_MEASURES, unit_ids=())


# ---------------------------------------------------------------- rows


def rows_for(label: str, a: Outcome, f: Outcome, streams: int, *, memory: bool) -> list[Row]:
    rows = []
    spread = f" ({'/'.join(map(str, a.per_worker))} per worker)" if len(a.per_worker) > 1 else ""
    case = f"{label}, {streams} streams{spread}"
    if memory:
        kib_a = statistics.median(a.kib_per_stream)
        kib_f = statistics.median(f.kib_per_stream)
        rows.append(
            Row(
                NAME,
                f"{case}: memory per stream",
                "KiB",
                tuple(a.kib_per_stream),
                f"floor {kib_f:.0f} KiB; {len(a.kib_per_stream)} batches after a first one ({a.first_batch:.0f} "
                f"KiB/stream, floor {f.first_batch:.0f}: the thread pool fills too); RSS "
                f"{a.rss_before / 1024:.0f} → {a.rss_after / 1024:.0f} MiB (floor {f.rss_before / 1024:.0f} → "
                f"{f.rss_after / 1024:.0f})",
                ratio=time_ratio(kib_a, kib_f, lower_is_better=True) if kib_f > 0 else None,
                lower_is_better=True,
            )
        )
    got = f"{min(a.delivered, default=0)}–{max(a.delivered, default=0)} of {streams} streams reached"
    if a.failures:
        got += f"; {a.failures[0]}"
    for what, av, fv, note in (
        ("commit → arrival, p50 of the streams", a.p50, f.p50, got),
        ("commit → arrival, p95 of the streams", a.p95, f.p95, ""),
        (
            "commit → arrival at the last stream",
            a.last,
            f.last,
            f"API answer {statistics.median(a.answer_ms):.0f} ms, its answer → last arrival "
            f"{statistics.median(a.from_answer):.0f} ms (client's clock)"
            if a.from_answer
            else "",
        ),
    ):
        if not av:
            rows.append(Row(NAME, f"{case}: {what}", "ms", (0.0,), "no arrivals: " + "; ".join(a.failures[:2])))
            continue
        floor_med = statistics.median(fv) if fv else None
        rows.append(
            Row(
                NAME,
                f"{case}: {what}",
                "ms",
                tuple(av),
                (f"floor {floor_med:.1f} ms; " if floor_med is not None else "") + note,
                ratio=time_ratio(statistics.median(av), floor_med, lower_is_better=True) if floor_med else None,
                lower_is_better=True,
            )
        )
    return rows


def run(
    streams: int | None = None,
    rounds: int | None = None,
    *,
    sessions: int | None = None,
    workers: tuple[int, ...] | None = None,
    parts: tuple[str, ...] | None = None,
    load_seconds: int = LOAD_SECONDS,
) -> list[Row]:
    from bench.data import drop_postgres, fresh_postgres, postgres_base_url

    small = SMALL if small_mode() else {}
    streams = streams or small.get("streams") or STREAMS  # type: ignore[assignment]
    rounds = rounds or small.get("rounds") or ROUNDS  # type: ignore[assignment]
    sessions = min(sessions or small.get("sessions") or SESSIONS, streams)  # type: ignore[type-var,assignment]
    workers = workers or small.get("workers") or WORKERS  # type: ignore[assignment]
    parts = parts or small.get("parts") or PARTS  # type: ignore[assignment]
    assert streams and rounds and sessions and workers and parts
    batches = min(BATCHES, max(2, streams // 2))
    size = int(small.get("measures") or AREA_MEASURES)  # type: ignore[call-overload]
    counter = [0]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="samordna-bench-live-") as tmp:
        folder = Path(tmp)
        sqlite_path = folder / "live.sqlite3"
        if "sqlite" in parts or "load" in parts:
            sq = prepare(f"sqlite:///{sqlite_path}", sessions, size)
            if "sqlite" in parts:
                a, f = measure_pair(sq, 1, streams, rounds, batches, folder, counter)
                rows += rows_for("SQLite, 1 worker", a, f, streams, memory=True)
        base = postgres_base_url() if {"postgres", "workers", "load"} & set(parts) else None
        if base is None:
            if {"postgres", "workers", "load"} & set(parts):
                rows.append(Row(NAME, "PostgreSQL", "", (0.0,), "skipped: no PostgreSQL reachable"))
            return rows
        pg_url = fresh_postgres(base, f"samordna_bench_live_{os.getpid()}")
        try:
            pg = prepare(pg_url, sessions, size)
            for w in workers:
                if (w == 1 and "postgres" not in parts) or (w > 1 and "workers" not in parts):
                    continue
                a, f = measure_pair(pg, w, streams, rounds, batches, folder, counter)
                label = f"PostgreSQL, {w} worker{'s' if w > 1 else ''}"
                rows += rows_for(label, a, f, streams, memory=w == 1)
            if "load" in parts and load_seconds > 0:
                rows += mixed_load(pg, sqlite_path, workers, load_seconds, LOAD_USERS)
        finally:
            drop_postgres(base, pg_url)
    return rows


def ratio_line(rows: list[Row]) -> str:
    return (
        "memory per stream: Samordna's KiB over the floor's (same Channels backend, no session, policy or DB); "
        "latency: from the commit on the server to the event at the client; mixed load: × floor is the floor's "
        "req/s over Samordna's with the same worker count."
    )


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--sessions", type=int, default=None)
    parser.add_argument("--workers", type=int, nargs="*", default=None)
    parser.add_argument("--only", nargs="*", choices=PARTS, default=None)
    parser.add_argument("--load-seconds", type=int, default=LOAD_SECONDS)
    parser.add_argument("--small", action="store_true", help="a few streams and rounds (SAMORDNA_BENCH_SMALL=1)")
    args = parser.parse_args(argv)
    if args.small:
        os.environ["SAMORDNA_BENCH_SMALL"] = "1"
    started = time.perf_counter()
    rows = run(
        args.streams,
        args.rounds,
        sessions=args.sessions,
        workers=tuple(args.workers) if args.workers else None,
        parts=tuple(args.only) if args.only else None,
        load_seconds=args.load_seconds,
    )
    print_table(rows)
    print(ratio_line(rows))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
