"""What the benchmarks share: the result row, real server processes on 127.0.0.1, logging in, timing.

Servers run as separate processes exactly as an installation runs them (`samordna serve`, or granian
with the same factory), so a figure includes HTTP parsing, the middleware and the event loop. Only
loopback addresses are used.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# The table is the output: no request lines, no migration steps (Litestar's logging config, set up when
# a benchmark builds the app in-process, would otherwise let them through).
for _name in ("httpx", "alembic", "transitions"):
    logging.getLogger(_name).setLevel(logging.WARNING)

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# SAMORDNA_BENCH_SMOKE=1: every benchmark at its tiniest meaningful size, one round (tests/bench/test_smoke.py
# runs them all so a refactor cannot break `make bench` unnoticed). The figures then mean nothing.
SMOKE = os.environ.get("SAMORDNA_BENCH_SMOKE", "") == "1"
SECRET = "bench-secret-" + "x" * 40
START_TIMEOUT = 60.0


def smoke(full: Any, tiny: Any) -> Any:
    """`full` for a real run, `tiny` under SAMORDNA_BENCH_SMOKE=1 (read when a module is imported)."""
    return tiny if SMOKE else full


@dataclass(frozen=True)
class Row:
    """One line of the table. `ratio`: how many times the floor's time per operation (1.0 = as fast)."""

    benchmark: str
    case: str
    unit: str
    samples: tuple[float, ...]
    note: str = ""
    ratio: float | None = None
    lower_is_better: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def spread(self) -> str:
        """min–max for a handful of runs, p10–p90 for many samples."""
        s = sorted(self.samples)
        if len(s) == 1:
            return ""
        if len(s) < 10:
            return f"{fmt(s[0])}–{fmt(s[-1])}"
        return f"{fmt(percentile(s, 10))}–{fmt(percentile(s, 90))} p10–p90"


def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}".replace(",", " ")
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def percentile(sorted_values: Sequence[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def time_ratio(value: float, floor: float, *, lower_is_better: bool) -> float:
    """How many times the floor's time per operation `value` stands for."""
    return value / floor if lower_is_better else floor / value


TABLE_HEADER = ("benchmark", "case", "median", "spread", "unit", "n", "× floor", "note")


def markdown_table(rows: Sequence[Row]) -> str:
    """The same table as print_table, as Markdown (for the README)."""
    lines = ["| " + " | ".join(TABLE_HEADER) + " |", "|---|---|---:|---|---|---:|---:|---|"]
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        cells = (r.benchmark, r.case, fmt(r.median), r.spread(), r.unit, str(len(r.samples)), ratio, r.note)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def print_table(rows: Sequence[Row]) -> None:
    header = TABLE_HEADER
    lines = [header]
    for r in rows:
        lines.append(
            (
                r.benchmark,
                r.case,
                fmt(r.median),
                r.spread(),
                r.unit,
                str(len(r.samples)),
                f"{r.ratio:.2f}" if r.ratio is not None else "",
                r.note,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = {2, 5, 6}
    for k, line in enumerate(lines):
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        print("  ".join(cells).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))


# ---------------------------------------------------------------- memory


def proc_status(pid: int, key: str) -> int:
    """A /proc/PID/status figure in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class Peak:
    """The peak resident set of a process over a stretch of time (KiB): VmHWM after resetting it, or the
    largest VmRSS sampled every 20 ms where the reset is not allowed."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.sampled = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            self.reset = True
        except OSError:
            self.reset = False

    def __enter__(self) -> Peak:
        self.start_rss = proc_status(self.pid, "VmRSS")
        if not self.reset:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sampled = max(self.sampled, proc_status(self.pid, "VmRSS"))
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = proc_status(self.pid, "VmHWM") if self.reset else self.sampled


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """A server process on 127.0.0.1; stop() sends SIGTERM, then SIGKILL to its process group."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int, label: str) -> None:
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.label = label
        self._log = tempfile.NamedTemporaryFile(prefix="samordna-bench-server-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, path: str = "/healthz", workers: int = 1) -> Server:
        """Wait until `path` answers 200; a server that never does is stopped before the error is raised
        (nobody holds it yet to stop it)."""
        try:
            return self._wait_ready(path, workers)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, path: str, workers: int) -> Server:
        deadline = time.monotonic() + START_TIMEOUT
        ok = 0
        with httpx.Client(timeout=5) as c:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.label} exited with {self.proc.returncode}: {self.log_tail()}")
                try:
                    if c.get(self.url + path).status_code == 200:
                        ok += 1
                        # More workers: let each one finish start-up before timing starts.
                        if ok >= 10 * workers:
                            break
                        continue
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.label} did not answer {path} in {START_TIMEOUT} s: {self.log_tail()}")
                time.sleep(0.1)
        if workers > 1:
            time.sleep(1.0)
        return self

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server has used so far: its own process and its workers.

        Unlike wall-clock time it does not grow while the machine is busy with something else, so a ratio
        of CPU times stays steady on a shared, noisy machine (Linux /proc; clock ticks of 10 ms)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self._tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def _tree(self) -> list[int]:
        """The server's pid and its descendants' (uvicorn's or granian's worker processes)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo += children.get(pid, [])
        return out

    def log_tail(self, n: int = 3000) -> str:
        try:
            return Path(self._log.name).read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # start_new_session: group id = the server's pid
                self.proc.wait(timeout=5)
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


_DATA_DIR: Any = None


def bench_data_dir() -> Path:
    """A data directory of this run's own (removed when it ends): a server started at the project's default,
    var/data, would sweep away every file there that the benchmark's database does not name."""
    global _DATA_DIR
    if _DATA_DIR is None:
        _DATA_DIR = tempfile.TemporaryDirectory(prefix="samordna-bench-files-")
    return Path(_DATA_DIR.name)


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMORDNA_", "GRANIAN_"))}
    env.update(
        SAMORDNA_DATABASE_URL=database_url,
        SAMORDNA_SECRET_KEY=SECRET,
        SAMORDNA_DATA_DIR=str(bench_data_dir()),
        PYTHONPATH=os.pathsep.join((str(ROOT / "src"), str(ROOT))),
    )
    env.update(extra)
    return env


def start_samordna(database_url: str, *, workers: int = 1, server: str = "uvicorn", **env: str) -> Server:
    """The application as an installation runs it: `samordna serve` (uvicorn or granian)."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "samordna",
        "serve",
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
    if server != "uvicorn":
        argv += ["--server", server]
    return Server(argv, server_env(database_url, **env), port, f"samordna serve ({server}, {workers} w)").wait_ready(
        workers=workers
    )


def start_uvicorn(target: str, workers: int, env: dict[str, str], label: str, *options: str) -> Server:
    """An ASGI app factory (`module:function`) under uvicorn on a free port, without access log; `options` added."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        *options,
    ]
    return Server(argv, env, port, label).wait_ready(workers=workers)


def start_floor(sqlite_path: Path, *, workers: int = 1) -> Server:
    """The floor: bench.floor_app (bare ASGI, raw sqlite3, the same templates) under uvicorn."""
    env = server_env(f"sqlite:///{sqlite_path}", BENCH_FLOOR_DB=str(sqlite_path))
    return start_uvicorn("bench.floor_app:create", workers, env, "floor (uvicorn)")


def login(client: httpx.Client, email: str, password: str) -> None:
    """Log in like a browser: the CSRF cookie from GET /login, then the form (303 on success)."""
    client.get("/login")
    token = next(c.value for c in client.cookies.jar if c.name.endswith("csrftoken"))
    r = client.post("/login", data={"email": email, "password": password, "_csrf_token": token}, follow_redirects=False)
    if r.status_code != 303:
        raise RuntimeError(f"log-in as {email} failed: {r.status_code} {r.text[:300]}")


def timed_gets(client: httpx.Client, paths: Sequence[str], headers: dict[str, str] | None = None) -> list[float]:
    """Milliseconds per GET, one after another on a kept-alive connection; every answer must be 200."""
    out = []
    for path in paths:
        started = time.perf_counter()
        r = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if r.status_code != 200:
            raise RuntimeError(f"GET {path}: {r.status_code} {r.text[:300]}")
        out.append(elapsed)
    return out


def main_with_rounds(doc: str, run: Any, ratio_line: Any, rounds: int, argv: list[str] | None = None) -> None:
    """`python -m bench.X [--rounds R]` for a benchmark module with run(rounds) and ratio_line(rows)."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=rounds)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.rounds)
    print_table(rows)
    print(ratio_line(rows))
    print(f"({time.perf_counter() - started:.0f} s)")
