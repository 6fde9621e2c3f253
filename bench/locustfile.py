"""Locust users for bench.load (run by it as `locust -f bench/locustfile.py --headless ...`; never imported by
bench.run, since locust patches the standard library with gevent).

Each user is a member of the coordination level (coordinator or coordination group, alternating) with
a session of its own (bench.load logs every user in through /login before the run) who, without pause
(or, with BENCH_PACE=S, a think time of 0.5·S to 1.5·S seconds, at random, after every answer, like
a person clicking through the boards):
  60 %  the coordination board · 20 %  the execution board          (page views, 80 %)
   8 %  «Vis flere» in a column · 7 %  a card's action form (htmx)  (partial refreshes, 15 %)
   5 %  a transition through the JSON API (report_status, bearer token)
Transitions go to measures of the user's own slice of the area's running measures, with the version
the previous answer gave, so no request is refused as stale. Against the floor (BENCH_MODE=floor) there
are no sessions: the `x-bench-member` header names the user instead.

Environment: BENCH_MODE (samordna|floor), BENCH_PLAN (JSON: area, emails, token, measures, cookies),
BENCH_USERS (how many users share the measures), BENCH_OUT (where every request's time is written),
BENCH_PACE (a user's mean think time in seconds; 0: no pause).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

from locust import FastHttpUser, between, constant, events, task

PLAN = json.loads(open(os.environ["BENCH_PLAN"], encoding="utf-8").read())
MODE = os.environ.get("BENCH_MODE", "samordna")
USERS = int(os.environ.get("BENCH_USERS", "50"))
PACE = float(os.environ.get("BENCH_PACE", "0"))
_numbers = itertools.count()
SHOWN = re.compile(rb'name="shown" value="(\d+)"')
HTMX = {"HX-Request": "true"}
RECORD: list[tuple[float, str, float, bool]] = []  # (finished at, name, ms, ok) of every request


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kw):  # type: ignore[no-untyped-def]
    RECORD.append((time.time(), name, response_time, exception is None))


@events.quitting.add_listener
def _dump(environment, **kw):  # type: ignore[no-untyped-def]
    with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as f:
        json.dump(RECORD, f)


class Member(FastHttpUser):
    wait_time = between(PACE / 2, PACE * 3 / 2) if PACE else constant(0)

    def on_start(self) -> None:
        n = next(_numbers)
        self.email = PLAN["emails"][n % len(PLAN["emails"])]
        self.rng = random.Random(n)
        self.mine = [list(p) for p in PLAN["measures"][n::USERS]]  # [id, version]
        self.base = f"/areas/{PLAN['area']}/boards"
        # Logged in before the run (bench.load): the session cookie of this user's own session.
        self.headers = {"x-bench-member": self.email} if MODE == "floor" else {"Cookie": PLAN["cookies"][n]}
        self.api = {"Authorization": f"Bearer {PLAN['token']}", **self.headers}
        self.shown = ""

    @task(60)
    def coordination_board(self) -> None:
        r = self.client.get(f"{self.base}/coordination", headers=self.headers, name="board: coordination")
        if not self.shown:
            # «Vis flere» sends the ids already shown; use what this page showed.
            self.shown = "&".join(f"shown={i.decode()}" for i in SHOWN.findall(r.content or b"")[:120])

    @task(20)
    def execution_board(self) -> None:
        self.client.get(f"{self.base}/execution", headers=self.headers, name="board: execution")

    @task(8)
    def more_cards(self) -> None:
        state = self.rng.choice(("need_identified", "in_follow_up", "initiated"))
        self.client.get(
            f"{self.base}/coordination/columns/{state}?{self.shown}",
            headers={**HTMX, **self.headers},
            name="partial: Vis flere",
        )

    @task(7)
    def action_form(self) -> None:
        if not self.mine:
            return
        measure_id, _version = self.rng.choice(self.mine)
        self.client.get(
            f"{self.base}/coordination/cards/{measure_id}/actions/report_status",
            headers={**HTMX, **self.headers},
            name="partial: action form",
        )

    @task(5)
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
