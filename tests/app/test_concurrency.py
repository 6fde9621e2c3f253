"""Concurrent writers against a real `samordna serve` process (uvicorn, one or more workers).

Many clients fire the same transition with the same version at one measure, released together: the
version check in the UPDATE must let exactly one through and answer every other with 409 and the
current version, and the audit trail must grow by exactly one event. Concurrent registrations must
each get their own ref (the per-area counter must not hand out a number twice).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from samordna.services import Services
from samordna.settings import Settings
from tests.conftest import PG_URL, drop_postgres, free_port, fresh_postgres_url, skip_or_fail
from tests.factories import NEED, World, build_world

pytestmark = pytest.mark.slow

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@dataclass
class Server:
    url: str
    database_url: str
    token: str  # the area coordinator's API token
    world: World  # services over the same database, for setting up and checking


def _run_cli(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "samordna", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn stops its workers), then SIGKILL to the process group if it hangs."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # start_new_session: the group id is the server's pid
        proc.wait(timeout=5)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Any]:
    """`start_server(engine, workers)`: a fresh migrated database, a world in it, and the server."""
    cleanups: list[Any] = []

    def start(engine: str, workers: int) -> Server:
        if engine == "postgres":
            if not PG_URL:
                skip_or_fail("PostgreSQL not configured: set SAMORDNA_TEST_POSTGRES_URL")
            database_url = fresh_postgres_url(PG_URL)
            cleanups.append(lambda: drop_postgres(database_url, PG_URL))
        else:
            database_url = f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
        env = {
            **os.environ,
            "SAMORDNA_DATABASE_URL": database_url,
            "SAMORDNA_SECRET_KEY": "concurrency-test-" + "x" * 32,
        }
        _run_cli(["migrate"], env)

        samordna = Services.build(Settings(database_url=database_url, secret_key=env["SAMORDNA_SECRET_KEY"]))
        cleanups.append(samordna.db.dispose)
        world = build_world(samordna)

        port = free_port()
        log_path = tmp_path / f"server-{port}.log"
        log = log_path.open("wb")
        cleanups.append(log.close)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "samordna",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        cleanups.append(lambda: _stop(proc))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {_tail(log_path)}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer /healthz in {START_TIMEOUT} s")
            time.sleep(0.1)
        if workers > 1:
            _wait_for_workers(url, workers)
        return Server(url=url, database_url=database_url, token=world.tokens["coordinator"], world=world)

    yield start
    for cleanup in reversed(cleanups):
        cleanup()


def _wait_for_workers(url: str, workers: int) -> None:
    """Give every worker a moment to finish start-up, so the first burst does not meet a half-started one."""
    deadline = time.monotonic() + START_TIMEOUT
    ok = 0
    while ok < 10 * workers and time.monotonic() < deadline:
        try:
            ok += httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            time.sleep(0.1)


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def burst(url: str, token: str, n: int, method: str, path: str, body: dict[str, Any]) -> list[httpx.Response]:
    """`n` clients, each on its own warmed-up connection, send the same request at the same moment."""
    barrier = threading.Barrier(n, timeout=60)
    results: list[httpx.Response | BaseException | None] = [None] * n

    def client(i: int) -> None:
        try:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
                c.get("/healthz").raise_for_status()  # open the connection before the start line
                barrier.wait()
                results[i] = c.request(method, path, json=body)
        except BaseException as exc:  # reported below, with the others
            results[i] = exc

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    errors = [r for r in results if not isinstance(r, httpx.Response)]
    assert not errors, errors[:3]
    return results  # type: ignore[return-value]


def _count(server: Server, sql: str, **params: Any) -> int:
    with server.world.samordna.db.read() as s:
        return s.execute(text(sql), params).scalar_one()


CASES = [
    pytest.param("sqlite", 1, 20, id="sqlite-1worker-20"),
    pytest.param("sqlite", 2, 50, id="sqlite-2workers-50"),
    pytest.param("postgres", 1, 20, id="postgres-1worker-20"),
    pytest.param("postgres", 2, 50, id="postgres-2workers-50"),
]


@pytest.mark.parametrize(("engine", "workers", "requests"), CASES)
def test_same_version_transitions_let_exactly_one_through(
    start_server: Any, engine: str, workers: int, requests: int
) -> None:
    """`report_status` keeps the measure in its state, so every loser is refused by the version check."""
    server: Server = start_server(engine, workers)
    world = server.world
    measure = world.advance(world.register(), "in_follow_up")
    version = measure.version
    count = "SELECT count(*) FROM {} WHERE measure_id = :m"
    events_before = _count(server, count.format("event"), m=measure.id)
    assert events_before == version

    body = {"trigger": "report_status", "version": version, "data": {"health": "at_risk", "note": "Samtidig."}}
    responses = burst(server.url, server.token, requests, "POST", f"/api/v1/measures/{measure.id}/transitions", body)

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (requests - 1), (codes, [r.text for r in responses if r.status_code >= 500][:2])
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert (winner["state"], winner["version"], winner["last_health"]) == ("in_follow_up", version + 1, "at_risk")
    for r in responses:
        if r.status_code == 409:
            assert (r.json()["current_version"], r.json()["state"]) == (version + 1, "in_follow_up"), r.text

    auth = {"Authorization": f"Bearer {server.token}"}
    events = httpx.get(f"{server.url}/api/v1/measures/{measure.id}/events", headers=auth, timeout=30).json()
    assert [e["version"] for e in events] == list(range(1, version + 2))
    assert events[-1]["trigger"] == "report_status"
    assert _count(server, count.format("event"), m=measure.id) == events_before + 1
    assert _count(server, count.format("status_report"), m=measure.id) == 1
    assert _count(server, "SELECT version FROM measure WHERE id = :m", m=measure.id) == version + 1


@pytest.mark.parametrize(
    ("engine", "workers"),
    [pytest.param("sqlite", 2, id="sqlite-2workers"), pytest.param("postgres", 2, id="postgres-2workers")],
)
def test_concurrent_registrations_get_distinct_refs(start_server: Any, engine: str, workers: int) -> None:
    server: Server = start_server(engine, workers)
    n = 10
    responses = burst(server.url, server.token, n, "POST", "/api/v1/areas/alfa/measures", NEED)
    assert [r.status_code for r in responses] == [201] * n, [r.text for r in responses if r.status_code != 201][:2]
    refs = sorted(r.json()["ref"] for r in responses)
    assert len(set(refs)) == n, refs
    # The counter starts at 1 in a fresh area: the refs are exactly 001..010, no gap, no repeat.
    assert [ref.rsplit("-", 1)[1] for ref in refs] == [f"{i:03d}" for i in range(1, n + 1)], refs
    assert _count(server, "SELECT count(*) FROM measure") == n
    assert _count(server, "SELECT count(*) FROM event WHERE trigger = 'create'") == n
