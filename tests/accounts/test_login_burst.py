"""Log-in bursts (issue 15): the argon2 checks run in the password gate's own threads, at most `login_slots` at
once per process; a log-in that cannot start within `login_wait_seconds` gets a Norwegian 503 with Retry-After
and its form back; the boards are served while log-ins queue.

Real HTTP (uvicorn in a thread), real threads and the real argon2: the only instrument is a counter around
the real `PasswordHasher.verify` call."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import httpx
import pytest

from samordna.accounts import repository
from samordna.services import Services
from samordna.settings import Settings
from tests.conftest import LiveServer, run_async
from tests.factories import World
from tests.security_support import audit, samordna_with
from tests.web_support import PASSWORD, WebClient

BUSY = "Mange logger inn akkurat nå. Vent noen sekunder og prøv igjen."
USERS = ("coordinator", "coordination", "steering", "viewer")


class CountingHasher:
    """The real hasher; its `verify` counts the calls running at once (and, while `hold` is clear, waits
    before it returns, so log-ins pile up behind it)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.calls = 0
        self.hold = threading.Event()
        self.hold.set()

    def verify(self, password_hash: str, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
        try:
            ok = self.real.verify(password_hash, password)
            self.hold.wait(timeout=30)
            return ok
        finally:
            with self.lock:
                self.running -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingHasher]:
    counting = CountingHasher(repository.HASHER)
    monkeypatch.setattr(repository, "HASHER", counting)
    yield counting
    counting.hold.set()


@pytest.fixture
def serve(samordna: Services, web_world: World) -> Iterator[Callable[..., LiveServer]]:
    """`serve(slots=, wait=)`: the app over the test world under uvicorn (in a thread), with that password gate."""
    started: list[LiveServer] = []

    def start(*, slots: int, wait: float) -> LiveServer:
        services = samordna_with(samordna, login_slots=slots, login_wait_seconds=wait, live_backend="memory")
        server = LiveServer(services, services.settings)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def log_in(url: str, who: str, **cookies: str) -> httpx.Response:
    """One browser's log-in: the CSRF cookie from GET /login, then the form."""
    with httpx.Client(base_url=url, timeout=60, follow_redirects=False, cookies=cookies) as client:
        client.get("/login")
        token = next(c.value for c in client.cookies.jar if c.name.endswith("csrftoken"))
        return client.post("/login", data={"email": f"{who}@example.no", "password": PASSWORD, "_csrf_token": token})


def burst(url: str, n: int) -> list[Any]:
    """n log-ins fired at once from n threads; the futures of their responses."""
    pool = ThreadPoolExecutor(max_workers=n)
    go = threading.Barrier(n)

    def one(i: int) -> httpx.Response:
        go.wait()
        return log_in(url, USERS[i % len(USERS)])

    futures = [pool.submit(one, i) for i in range(n)]
    pool.shutdown(wait=False)
    return futures


def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_no_more_checks_at_once_than_the_slots(serve, hasher: CountingHasher) -> None:
    server = serve(slots=2, wait=60)
    responses = [f.result(timeout=120) for f in burst(server.url, 24)]
    assert [r.status_code for r in responses] == [303] * 24
    assert hasher.calls == 24
    assert hasher.peak == 2  # never more than the slots, and the slots were used


def test_a_log_in_that_cannot_start_in_time_gets_503_and_its_form_back(
    serve, hasher: CountingHasher, samordna: Services
) -> None:
    server = serve(slots=1, wait=0.3)
    hasher.hold.clear()  # the first log-in keeps the only slot
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(log_in, server.url, "coordinator")
        wait_until(lambda: hasher.running == 1)
        started = time.monotonic()
        r = log_in(server.url, "viewer")
        waited = time.monotonic() - started
        assert r.status_code == 503
        assert r.headers["retry-after"] == "1"
        assert BUSY in r.text
        assert 'value="viewer@example.no"' in r.text  # the address typed comes back
        assert 0.3 <= waited < 5
        english = log_in(server.url, "viewer", samordna_lang="en")
        assert english.status_code == 503
        assert "Many people are logging in right now. Wait a few seconds and try again." in english.text
        hasher.hold.set()
        assert first.result(timeout=30).status_code == 303
    # The refused log-ins never ran: no attempt written (the throttle counts nothing), no password checked.
    assert hasher.calls == 1
    assert [e["subject"] for e in audit(samordna, "login_attempt")] == ["coordinator@example.no"]
    assert log_in(server.url, "viewer").status_code == 303  # and the next try gets in


def test_the_board_is_served_while_log_ins_queue(serve, hasher: CountingHasher) -> None:
    server = serve(slots=1, wait=60)
    board = WebClient.live(server.url).login("coordinator")  # logged in before the burst
    path = "/areas/alfa/boards/coordination"
    assert board.get(path).status_code == 200
    before = hasher.calls
    hasher.hold.clear()
    # More log-ins than the worker threads every page shares (anyio's 40): were they to hold one each while they
    # wait, the board would queue behind them.
    futures = burst(server.url, 50)
    try:
        wait_until(lambda: hasher.running == 1)
        time.sleep(0.5)  # the rest arrive and queue
        assert hasher.calls == before + 1
        started = time.monotonic()
        r = board.get(path)
        elapsed = time.monotonic() - started
        assert r.status_code == 200
        assert elapsed < 5
        assert hasher.running == 1 and hasher.calls == before + 1  # the log-ins were still queued meanwhile
    finally:
        hasher.hold.set()
    assert [f.result(timeout=120).status_code for f in futures] == [303] * 50
    assert hasher.peak == 1
    board.close()


def test_a_password_change_waits_for_the_same_slots(serve, hasher: CountingHasher) -> None:
    server = serve(slots=1, wait=0.3)
    me = WebClient.live(server.url).login("viewer")
    hasher.hold.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(log_in, server.url, "coordinator")
        wait_until(lambda: hasher.running == 1)
        form = {"current_password": PASSWORD, "new_password": "et helt nytt passord", "new_password_repeat": "x"}
        r = me.post("/account/password", {**form, "new_password_repeat": form["new_password"]})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert BUSY in r.text
        hasher.hold.set()
        assert first.result(timeout=30).status_code == 303
    me.close()


def test_the_gate_comes_from_the_environment() -> None:
    settings = Settings.from_env({"SAMORDNA_LOGIN_SLOTS": "3", "SAMORDNA_LOGIN_WAIT": "2.5"})
    assert (settings.login_slots, settings.login_wait_seconds) == (3, 2.5)
    assert (Settings.from_env({}).login_slots, Settings.from_env({}).login_wait_seconds) == (0, 10.0)
    for bad in ({"SAMORDNA_LOGIN_SLOTS": "-1"}, {"SAMORDNA_LOGIN_WAIT": "soon"}, {"SAMORDNA_LOGIN_WAIT": "900"}):
        with pytest.raises(ValueError):
            Settings.from_env(bad)


def test_zero_slots_means_the_cores(samordna: Services) -> None:
    from samordna.accounts.gate import default_slots

    services = Services.build(replace(samordna.settings, login_slots=0), db=samordna.db, clock=samordna.clock)
    assert services.passwords.slots == default_slots() >= 1


def test_a_job_whose_request_is_cancelled_while_it_waits_never_runs() -> None:
    from samordna.accounts.gate import PasswordGate

    gate = PasswordGate(slots=1, wait_seconds=30)
    release = threading.Event()
    ran: list[int] = []

    async def main() -> None:
        first = asyncio.create_task(gate.run(lambda: release.wait(10)))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(gate.run(lambda: ran.append(1)))
        await asyncio.sleep(0.05)
        second.cancel()  # the client went away
        with pytest.raises(asyncio.CancelledError):
            await second
        release.set()
        assert await first is True

    run_async(main)
    time.sleep(0.1)
    assert ran == []
    gate.close()
