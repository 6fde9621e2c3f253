"""Log-in bursts: 200 log-ins fired at once at `samordna serve` (1 worker, then 2) while the coordination board
is read alongside, against a floor of the same 200 argon2 checks in a plain thread pool.

The start of a meeting: 200 people press «Logg inn» within a second. Each log-in is an argon2id check with
OWASP's parameters (m=19 MiB, t=2, p=1), which runs in the password gate (samordna.accounts.gate): at most
`login_slots` at once per process (the cores), the rest waiting in the event loop. Meanwhile two browsers
that are already logged in read the coordination board of the 10 000-measure area, one request after
another. Reported per server:

- each log-in's wall time (from the POST to its answer; the log-in page was fetched before), and how the
  200 were answered (303, 503 when no slot came free within SAMORDNA_LOGIN_WAIT, 429 from the throttle);
- the board's time per page during the burst against the same board without a burst (the ratio: how much
  the log-ins slow the board down);
- the peak resident memory of the server's processes during the burst (argon2 holds 19 MiB per check
  running; the slots bound it).

The floor: the same 200 `PasswordHasher.verify` calls on the same hash in a plain ThreadPoolExecutor with as
many threads as the server process has slots, in this process, all submitted at once: each call's time from
submission to its end (no HTTP, no database, no throttle rows, no session). A log-in cannot finish sooner
than its check would there. Rounds alternate; every log-in uses its own user.

`python -m bench.login [--rounds R] [--users N]`. Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import Row, Server, fmt, login, percentile, proc_status, smoke, start_samordna, time_ratio
from bench.data import PASSWORD, SCALING_SIZES, Dataset, shared_sqlite, sqlite_copy

NAME = "login"
ROUNDS = smoke(3, 1)
USERS = smoke(200, 6)
BOARD_READERS = 2
BOARD_ALONE_SECONDS = smoke(3.0, 0.3)
AREA = "omrade-2"  # the 10 000-measure area of SCALING_SIZES
WORKERS = (1, 2)


def burst_email(i: int) -> str:
    return f"deltaker{i:03d}@benk.no"


def add_users(path: Path, area_id: int, n: int) -> None:
    """n more members of the area (role «coordination»), every one with PASSWORD's hash: each check still costs
    a whole argon2 run."""
    from sqlalchemy import create_engine, text

    from samordna.accounts.repository import hash_password

    engine = create_engine(f"sqlite:///{path}")
    hashed = hash_password(PASSWORD)
    with engine.begin() as conn:
        for i in range(n):
            uid = conn.execute(
                text(
                    "INSERT INTO user_account (email, name, password_hash, active, language, created_at) "
                    "VALUES (:e, :n, :h, 1, NULL, CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"e": burst_email(i), "n": f"Deltaker {i}", "h": hashed},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO membership (user_id, area_id, role, unit_id, active) "
                    "VALUES (:u, :a, 'coordination', NULL, 1)"
                ),
                {"u": uid, "a": area_id},
            )
    engine.dispose()


# ---------------------------------------------------------------- the board readers


class BoardReaders:
    """Browsers already logged in, each reading the board one request after another until stopped; every
    request's start (perf_counter) and milliseconds."""

    def __init__(self, url: str, email: str, path: str, n: int = BOARD_READERS) -> None:
        self.path = path
        self.clients = []
        for _ in range(n):
            client = httpx.Client(base_url=url, timeout=120)
            login(client, email, PASSWORD)
            client.get(path)  # warm
            self.clients.append(client)
        self.samples: list[tuple[float, float]] = []
        self.errors = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _read(self, client: httpx.Client) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            r = client.get(self.path)
            ms = (time.perf_counter() - started) * 1000
            with self._lock:
                if r.status_code == 200:
                    self.samples.append((started, ms))
                else:
                    self.errors += 1

    def start(self) -> None:
        self._stop.clear()
        self.samples = []
        self._threads = [threading.Thread(target=self._read, args=(c,), daemon=True) for c in self.clients]
        for t in self._threads:
            t.start()

    def stop(self) -> list[tuple[float, float]]:
        self._stop.set()
        for t in self._threads:
            t.join()
        return self.samples

    def close(self) -> None:
        for c in self.clients:
            c.close()


# ---------------------------------------------------------------- one burst


@dataclass
class Burst:
    login_ms: list[float] = field(default_factory=list)
    statuses: dict[int | str, int] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)  # per burst: from the first POST to the last answer
    board_during: list[float] = field(default_factory=list)
    board_alone: list[float] = field(default_factory=list)
    peak_mib: float = 0.0
    idle_mib: float = 0.0  # before the first burst
    errors: int = 0


def peak_rss_mib(server: Server, during: Any) -> float:
    """The sum of the server's processes' peak resident memory (VmHWM after a reset) over `during()`."""
    from bench.common import Peak

    peaks = [Peak(pid) for pid in server._tree()]
    for p in peaks:
        p.__enter__()
    try:
        during()
    finally:
        for p in peaks:
            p.__exit__()
    return sum(p.peak for p in peaks) / 1024


def one_burst(server: Server, readers: BoardReaders, users: range, out: Burst) -> None:
    url = server.url
    # Board alone, for the ratio.
    readers.start()
    time.sleep(BOARD_ALONE_SECONDS)
    out.board_alone += [ms for _, ms in readers.stop()]
    # Every browser has its log-in page (and its CSRF cookie) before the meeting starts.
    # Each POST then opens a new connection, as a browser does after the server's keep-alive timeout (5 s): the
    # server may close an idle kept-alive connection just as a request goes out on it.
    clients = []
    for i in users:
        with httpx.Client(base_url=url, timeout=300) as page:
            page.get("/login")
            token = next(k.value for k in page.cookies.jar if k.name.endswith("csrftoken"))
            c = httpx.Client(base_url=url, timeout=300, follow_redirects=False, cookies=page.cookies)
        clients.append((c, {"email": burst_email(i), "password": PASSWORD, "_csrf_token": token}))
    go = threading.Barrier(len(clients) + 1)
    ends: list[float] = []

    def one(client: httpx.Client, form: dict[str, str]) -> tuple[int | str, float]:
        go.wait()
        started = time.perf_counter()
        status: int | str
        try:
            status = client.post("/login", data=form).status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__  # no answer: ConnectError, ReadError, ...
        ended = time.perf_counter()
        ends.append(ended)
        return status, (ended - started) * 1000

    def fire() -> None:
        readers.start()
        time.sleep(0.2)  # the readers are running when the burst comes
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            futures = [pool.submit(one, c, f) for c, f in clients]
            go.wait()
            t0 = time.perf_counter()
            results = [f.result() for f in futures]
        t1 = max(ends)
        board = readers.stop()
        # Every page that was being served at some moment of the burst (begun before its end, ended after its start).
        out.board_during += [ms for started, ms in board if started <= t1 and started + ms / 1000 >= t0]
        out.seconds.append(t1 - t0)
        for status, ms in results:
            out.statuses[status] = out.statuses.get(status, 0) + 1
            out.login_ms.append(ms)

    if not out.idle_mib:
        out.idle_mib = sum(proc_status(pid, "VmRSS") for pid in server._tree()) / 1024
    out.peak_mib = max(out.peak_mib, peak_rss_mib(server, fire))
    out.errors += readers.errors
    for c, _ in clients:
        c.close()


def serve_bursts(url: str, workers: int, rounds: int, n_users: int, area: str) -> Burst:
    out = Burst()
    with start_samordna(url, workers=workers) as server:
        path = f"/areas/{area}/boards/coordination"
        readers = BoardReaders(server.url, Dataset.email(area, "coordinator"), path)
        try:
            for _ in range(rounds):
                one_burst(server, readers, range(n_users), out)
        finally:
            readers.close()
    return out


# ---------------------------------------------------------------- the floor


def floor(n: int, threads: int) -> tuple[list[float], float]:
    """n verifications of one hash submitted at once to a pool of `threads`: each one's ms from submission to
    its end, and the seconds for all."""
    from samordna.accounts.repository import HASHER

    hashed = HASHER.hash(PASSWORD)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        HASHER.verify(hashed, PASSWORD)  # warm
        t0 = time.perf_counter()

        def one() -> float:
            HASHER.verify(hashed, PASSWORD)
            return (time.perf_counter() - t0) * 1000

        done = [f.result() for f in [pool.submit(one) for _ in range(n)]]
    return done, time.perf_counter() - t0


# ---------------------------------------------------------------- the table


def slots() -> int:
    from samordna.accounts.gate import default_slots

    return default_slots()


def run(rounds: int = ROUNDS, n_users: int = USERS) -> list[Row]:
    src, ds = shared_sqlite(SCALING_SIZES)
    area = ds.area(AREA)
    work = Path(src).with_name(f"login-{n_users}.sqlite3")
    sqlite_copy(src, work)
    add_users(work, area.id, n_users)
    url = f"sqlite:///{work}"
    n_slots = slots()
    floor_ms: list[float] = []
    floor_s: list[float] = []
    bursts: dict[int, Burst] = {}
    for workers in WORKERS:
        bursts[workers] = serve_bursts(url, workers, rounds, n_users, area.slug)
        f_ms, f_s = floor(n_users, n_slots)  # between the servers: the same machine's state, roughly
        floor_ms += f_ms
        floor_s.append(f_s)
    work.unlink(missing_ok=True)

    med = statistics.median
    rows = [
        Row(
            NAME,
            f"floor: {n_users} argon2 checks at once, plain pool of {n_slots} threads",
            "ms/log-in",
            tuple(floor_ms),
            f"all done in {fmt(med(floor_s))} s; p95 {fmt(percentile(sorted(floor_ms), 95))}, max "
            f"{fmt(max(floor_ms))} ms; no HTTP, no database",
            ratio=1.0,
            lower_is_better=True,
        )
    ]
    for workers, b in bursts.items():
        s = sorted(b.login_ms)
        answered = ", ".join(f"{code} ×{n}" for code, n in sorted(b.statuses.items(), key=lambda kv: str(kv[0])))
        # 303: in; 503: no slot came free in time (the design's answer to too many at once); anything else is an error.
        failed = sum(n for code, n in b.statuses.items() if code not in (303, 503))
        during, alone = sorted(b.board_during), sorted(b.board_alone)
        board_ratio = med(during) / med(alone) if during and alone else float("nan")
        rows += [
            Row(
                NAME,
                f"{workers} worker{'s' if workers > 1 else ''}: {n_users} log-ins at once, each",
                "ms/log-in",
                tuple(b.login_ms),
                f"p95 {fmt(percentile(s, 95))}, max {fmt(s[-1])} ms; "
                f"all in {'/'.join(fmt(x) for x in b.seconds)} s; {answered}; "
                f"{n_slots} slots/process; peak RSS {fmt(b.peak_mib)} MiB "
                f"({fmt(b.idle_mib)} before); {failed} errors",
                ratio=time_ratio(med(b.login_ms), med(floor_ms), lower_is_better=True),
                lower_is_better=True,
            ),
            Row(
                NAME,
                f"{workers} worker{'s' if workers > 1 else ''}: board during the burst",
                "ms/page",
                tuple(during) or (float("nan"),),
                f"p95 {fmt(percentile(during, 95))} ms; ×{board_ratio:.2f} the board alone (median); "
                f"{BOARD_READERS} readers; {b.errors} errors",
                lower_is_better=True,
            ),
            Row(
                NAME,
                f"{workers} worker{'s' if workers > 1 else ''}: board alone",
                "ms/page",
                tuple(alone) or (float("nan"),),
                f"p95 {fmt(percentile(alone, 95))} ms; {AREA} ({area.measures} measures)",
                lower_is_better=True,
            ),
        ]
    return rows


def ratio_line(rows: list[Row]) -> str:
    by_case = {r.case.split(":")[0]: r for r in rows if "log-ins at once" in r.case}
    parts = []
    for label, r in by_case.items():
        board = next(x for x in rows if x.case.startswith(label) and "during" in x.case)
        alone = next(x for x in rows if x.case.startswith(label) and "alone" in x.case)
        parts.append(
            f"{label}: log-in p50 {fmt(r.median)} ms ({r.ratio:.2f}× the floor); board p50 "
            f"{fmt(board.median)} ms during the burst, {fmt(alone.median)} ms alone"
        )
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--users", type=int, default=USERS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.rounds, args.users)
    print_table(rows)
    print(ratio_line(rows))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
