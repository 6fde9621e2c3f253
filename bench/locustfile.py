"""Locust users for bench.load (run by it as `locust -f bench/locustfile.py --headless ...`; never imported by
bench.run, since locust patches the standard library with gevent).

Each user is a member of the coordination level (coordinator or coordination group, alternating) with
a session of its own (bench.load logs every user in through /login before the run) who, without pause
(or, with BENCH_PACE=S, a think time of 0.5·S to 1.5·S seconds, at random, after every answer, like
a person clicking through a meeting hour), picks a task by these weights (of 100):
  boards 47: coordination 31 · execution 10 · steering 6
  board partials 12: «Vis flere» in a column 6 · a card's action form (htmx) 6
  measure page 16 · measure list 6 · a search in the list 4
  meetings 7: the area's meetings 2 · a meeting's page (agenda) 2 · its projector view 3
  (the coordination group's agenda in the generated 10 000-measure area holds some 4 150 items, the steering
  group's some 290: the heaviest pages of the mix, opened about as often as in a meeting, not once a second)
  API 7: paging the area's measures 3 (up to PAGES pages, following the `Link: rel="next"` cursor) ·
         a transition 4 (report_status, bearer token)
  log-in 1: GET /login, POST /login with its CSRF token; the user goes on with the new session
Beside them, WATCHERS more users (bench.load adds them to -u) each hold the area's live stream open for
5–15 s, count the events it sends, close it and open another: the pages' live updates while others act.
Transitions go to measures of the user's own slice of the area's running measures, with the version
the previous answer gave, so no request is refused as stale. Against the floor (BENCH_MODE=floor) there
are no sessions: the `x-bench-member` header names the user instead (its log-in still checks the password).

Environment: BENCH_MODE (samordna|floor), BENCH_PLAN (JSON: area, emails, token, measures, cookies,
meetings, words), BENCH_USERS (how many users share the measures), BENCH_WATCHERS (stream holders),
BENCH_OUT (where every request's time is written; the streams' counts go to BENCH_OUT + ".live"),
BENCH_PACE (a user's mean think time in seconds; 0: no pause).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import socket
import time
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import gevent
from locust import FastHttpUser, User, between, constant, events, task

PLAN = json.loads(open(os.environ["BENCH_PLAN"], encoding="utf-8").read())
MODE = os.environ.get("BENCH_MODE", "samordna")
USERS = int(os.environ.get("BENCH_USERS", "50"))
WATCHERS = int(os.environ.get("BENCH_WATCHERS", "0"))
PACE = float(os.environ.get("BENCH_PACE", "0"))
PAGES = 3  # API pages followed per paging task
PAGE_LIMIT = 50
_numbers = itertools.count()
_watchers = itertools.count()
SHOWN = re.compile(rb'name="shown" value="(\d+)"')
NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
HTMX = {"HX-Request": "true"}
RECORD: list[tuple[float, str, float, bool]] = []  # (finished at, name, ms, ok) of every request
FAILURES: dict[str, str] = {}  # a failure's kind and status -> its first answer (bench.load shows them)
LIVE = {"opened": 0, "events": 0, "bytes": 0, "seconds": 0.0}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kw):  # type: ignore[no-untyped-def]
    RECORD.append((time.time(), name, response_time, exception is None))
    if exception is not None:
        FAILURES.setdefault(f"{name}: {str(exception)[:3]}", str(exception)[:300])


@events.quitting.add_listener
def _dump(environment, **kw):  # type: ignore[no-untyped-def]
    with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as f:
        json.dump(RECORD, f)
    with open(os.environ["BENCH_OUT"] + ".live", "w", encoding="utf-8") as f:
        json.dump({**LIVE, "failures": FAILURES}, f)


def _set_cookies(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The cookies a response sets (name -> value), from every Set-Cookie header."""
    out: dict[str, str] = {}
    for key, value in response.headers.items() if hasattr(response.headers, "items") else ():
        if key.lower() == "set-cookie":
            jar: SimpleCookie = SimpleCookie()
            jar.load(value)
            out.update({k: m.value for k, m in jar.items()})
    return out


class Member(FastHttpUser):
    wait_time = between(PACE / 2, PACE * 3 / 2) if PACE else constant(0)
    weight = 1

    def on_start(self) -> None:
        n = next(_numbers)
        self.email = PLAN["emails"][n % len(PLAN["emails"])]
        self.rng = random.Random(n)
        self.mine = [list(p) for p in PLAN["measures"][n::USERS]]  # [id, version]
        self.slug = PLAN["area"]
        self.base = f"/areas/{self.slug}/boards"
        # Logged in before the run (bench.load): the session cookie of this user's own session.
        self.headers = {"x-bench-member": self.email} if MODE == "floor" else {"Cookie": PLAN["cookies"][n]}
        self.api = {"Authorization": f"Bearer {PLAN['token']}"}
        self.shown = ""
        # The meetings this user may read: the coordinator every body's, the coordination group its own.
        coordinator = "coordinator@" in self.email
        self.meetings = [m for m, level in PLAN["meetings"] if coordinator or level == "coordination"]

    def get(self, path: str, name: str, **headers: str) -> None:
        with self.client.get(path, headers={**self.headers, **headers}, name=name, catch_response=True) as r:
            if r.status_code == 200:
                r.success()
            else:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")

    @task(31)
    def coordination_board(self) -> None:
        r = self.client.get(f"{self.base}/coordination", headers=self.headers, name="board: coordination")
        if not self.shown:
            # «Vis flere» sends the ids already shown; use what this page showed.
            self.shown = "&".join(f"shown={i.decode()}" for i in SHOWN.findall(r.content or b"")[:120])

    @task(10)
    def execution_board(self) -> None:
        self.get(f"{self.base}/execution", "board: execution")

    @task(6)
    def steering_board(self) -> None:
        self.get(f"{self.base}/steering", "board: steering")

    @task(6)
    def more_cards(self) -> None:
        state = self.rng.choice(("need_identified", "in_follow_up", "initiated"))
        self.get(f"{self.base}/coordination/columns/{state}?{self.shown}", "partial: Vis flere", **HTMX)

    @task(6)
    def action_form(self) -> None:
        if not self.mine:
            return
        measure_id, _version = self.rng.choice(self.mine)
        self.get(f"{self.base}/coordination/cards/{measure_id}/actions/report_status", "partial: action form", **HTMX)

    @task(16)
    def measure_page(self) -> None:
        # Mostly the running measures a meeting talks about, now and then any measure of the area.
        if self.mine and self.rng.random() < 0.7:
            measure_id = self.rng.choice(self.mine)[0]
        else:
            measure_id = self.rng.choice(PLAN["all_measures"])
        self.get(f"/measures/{measure_id}", "measure page")

    @task(6)
    def measure_list(self) -> None:
        self.get(f"/areas/{self.slug}/measures", "list: measures")

    @task(4)
    def search(self) -> None:
        self.get(f"/areas/{self.slug}/measures?q={self.rng.choice(PLAN['words'])}", "list: search")

    @task(2)
    def meetings(self) -> None:
        self.get(f"/areas/{self.slug}/meetings", "meetings: list")

    @task(2)
    def meeting_page(self) -> None:
        self.get(f"/meetings/{self.rng.choice(self.meetings)}", "meetings: agenda")

    @task(3)
    def projector(self) -> None:
        meeting = self.rng.choice(self.meetings)
        self.get(f"/meetings/{meeting}/live?item={self.rng.randint(1, 8)}", "meetings: projector")

    @task(3)
    def api_paging(self) -> None:
        url: str | None = f"/api/v1/areas/{self.slug}/measures?limit={PAGE_LIMIT}"
        for _ in range(PAGES):
            assert url is not None
            with self.client.get(url, headers=self.api, name="api: measures page", catch_response=True) as r:
                if r.status_code != 200:
                    r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
                    return
                found = NEXT.search(r.headers.get("Link") or r.headers.get("link") or "")
                if len(r.json()) > PAGE_LIMIT:
                    r.failure("more rows than the limit")
                    return
                r.success()
            url = found.group(1) if found else None
            if url is None:
                return

    @task(4)
    def transition(self) -> None:
        if not self.mine:
            return
        pair = self.rng.choice(self.mine)
        body = {
            "trigger": "report_status",
            "version": pair[1],
            "data": {"health": self.rng.choice(("on_track", "at_risk", "off_track")), "note": "Last-test."},
        }
        with self.client.post(
            f"/api/v1/measures/{pair[0]}/transitions",
            json=body,
            headers=self.api,
            name="api: transition",
            catch_response=True,
        ) as r:
            if r.status_code == 200:
                pair[1] = r.json()["version"]
                r.success()
            else:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")

    @task(1)
    def log_in(self) -> None:
        """Log in like a browser (the form's CSRF cookie, then the form; 303) and go on with the new session."""
        self.client.cookiejar.clear()  # a browser that has no session: only the form's cookie
        with self.client.get("/login", name="login: form", catch_response=True) as r:
            csrf = {k: v for k, v in _set_cookies(r).items() if k.endswith("csrftoken")}
            if r.status_code != 200 or not csrf:
                r.failure(f"{r.status_code}: no CSRF cookie")
                return
            r.success()
        name, token = next(iter(csrf.items()))
        self.client.cookiejar.clear()
        with self.client.post(
            "/login",
            data=f"email={self.email.replace('@', '%40')}&password={PLAN['password']}&_csrf_token={token}",
            headers={"Cookie": f"{name}={token}", "Content-Type": "application/x-www-form-urlencoded"},
            name="login: post",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            session = {k: v for k, v in _set_cookies(r).items() if not k.endswith("csrftoken")}
            if r.status_code != 303 or not session:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
                return
            r.success()
        self.client.cookiejar.clear()
        if MODE != "floor":
            self.headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in session.items())}


class Watcher(User):
    """Holds the area's live stream open for 5–15 s on a socket of its own (as a browser's EventSource), counts
    its events, closes it and opens another. The opening (until the answer's headers) is recorded as a request."""

    fixed_count = WATCHERS
    wait_time = constant(0)

    def on_start(self) -> None:
        n = next(_watchers)
        self.rng = random.Random(10_000 + n)
        email = PLAN["emails"][n % len(PLAN["emails"])]
        cookies = PLAN.get("watcher_cookies") or [""]
        self.auth = f"x-bench-member: {email}" if MODE == "floor" else f"Cookie: {cookies[n % len(cookies)]}"
        url = urlsplit(self.host)
        self.address = (url.hostname, url.port)

    @task
    def hold_stream(self) -> None:
        hold = self.rng.uniform(5, 15)
        started = time.monotonic()
        name = "live: stream opened"
        request = (
            f"GET /areas/{PLAN['area']}/stream HTTP/1.1\r\nHost: {self.address[0]}\r\n{self.auth}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        )
        sock = socket.create_connection(self.address, timeout=30)
        try:
            sock.sendall(request.encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                head += chunk
            elapsed = (time.monotonic() - started) * 1000
            status = head.split(b" ", 2)[1] if head.startswith(b"HTTP/") else b"---"
            failed = None if status == b"200" else Exception(f"{status.decode()}: {head[:200]!r}")
            events.request.fire(
                request_type="GET", name=name, response_time=elapsed, response_length=0, exception=failed
            )
            if failed:
                gevent.sleep(1)
                return
            LIVE["opened"] += 1
            body = head.split(b"\r\n\r\n", 1)[1]
            LIVE["events"] += body.count(b"event: measure")
            deadline = started + hold
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                LIVE["bytes"] += len(chunk)
                LIVE["events"] += chunk.count(b"event: measure")
        finally:
            sock.close()
            LIVE["seconds"] += time.monotonic() - started


if not WATCHERS:
    # locust spawns a User class whose fixed_count is 0 by weight, as any other: without watchers, no such class.
    del Watcher
