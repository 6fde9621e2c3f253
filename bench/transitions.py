"""Transitions per second: over HTTP (the JSON API of `samordna serve`) and through the service, each
against a floor doing the same writes in raw SQL, measured in the same run.

On a fresh migrated SQLite file, N measures are taken to `in_follow_up` through the service; a copy made
with the online backup API serves the floors. Every round fires `report_status` once at each measure:

- http: `POST /api/v1/measures/{id}/transitions` with a bearer token, one request after another on a
  kept-alive connection, against `samordna serve` (1 worker);
- http floor: the same request against bench.floor_app (bare ASGI under uvicorn): read the measure,
  UPDATE ... WHERE id=? AND version=?, INSERT event, INSERT status_report, COMMIT, answer the JSON;
- service: `Samordna.record_transition` in-process (load, role and data checks, the versioned UPDATE,
  a status report and an event, and the measure as a view);
- floor: the same writes in raw `sqlite3` in-process (UPDATE, INSERT event, INSERT status_report).

Every variant uses the same pragmas (WAL, synchronous=FULL, BEGIN IMMEDIATE), so every commit waits
for the disk; the kinds alternate round by round, so a slow spell of the disk hits them alike.

Prints figures only; asserts nothing. `python -m bench.transitions [--measures N] [--repeats R]`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import Row, smoke, start_floor, start_samordna, time_ratio

NAME = "transitions"
MEASURES = smoke(200, 10)
REPEATS = smoke(5, 1)
EMAIL = "koordinator@bench.no"


# ---------------------------------------------------------------- set-up


def _setup(path: Path, measures: int) -> tuple[Any, Any, list[list[int]], float, str]:
    """A migrated SQLite file with one area, a coordinator and `measures` measures in in_follow_up.

    Returns (services, coordinator actor, [[measure id, version], ...], seconds the set-up writes took,
    the coordinator's API token).
    """
    from samordna.accounts.repository import create_token, load_actor
    from samordna.organisation import repository as org
    from samordna.services import Services
    from samordna.settings import Settings
    from samordna.store.migrate import upgrade
    from samordna.store.models import Goal

    url = f"sqlite:///{path}"
    upgrade(url)
    samordna = Services.build(Settings(database_url=url, secret_key="bench-" + "x" * 32))
    with samordna.db.write() as s:
        area = org.add_area(s, slug="bench", name="Benk kommune")
        unit = org.add_unit(s, area=area, name="Ungdomsskolene")
        user = org.add_user(s, email=EMAIL, name="Koordinator", password=None)
        org.add_member(s, area=area, user=user, role="coordinator", unit_name=None)
        goal = Goal(area_id=area.id, title="Færre unge i rus", period_from=2025, period_to=2028)
        s.add(goal)
        s.flush()
        actor = load_actor(s, user)
        unit_id, goal_id = unit.id, goal.id
        token = create_token(s, user_id=user.id, name="bench")

    due = (samordna.clock.today() + timedelta(days=90)).isoformat()
    path_steps = [
        ("initiate", {"goal_id": goal_id, "plan": "Plan.", "success_criteria": "Færre hendelser."}),
        ("assign", {"responsible_unit_id": unit_id, "order_text": "Gjør det.", "due_date": due, "follow_up_days": 14}),
        ("start", {}),
    ]
    need = {
        "title": "Natteravner",
        "need_description": "Uro i sentrum.",
        "knowledge_source": "Ungdata",
        "target_group": "Ungdom 14–18 år",
        "arena": "nightlife",
    }
    started = time.perf_counter()
    ids: list[list[int]] = []
    for _ in range(measures):
        m = samordna.measures.register_need(actor=actor, slug="bench", data=need)
        for trigger, data in path_steps:
            m = samordna.measures.record_transition(
                actor=actor, measure_id=m.id, trigger=trigger, version=m.version, data=data
            )
        ids.append([m.id, m.version])
    return samordna, actor, ids, time.perf_counter() - started, token


# ---------------------------------------------------------------- the service


def _service_round(samordna: Any, actor: Any, ids: list[list[int]], health: str) -> float:
    started = time.perf_counter()
    for pair in ids:
        view = samordna.measures.record_transition(
            actor=actor,
            measure_id=pair[0],
            trigger="report_status",
            version=pair[1],
            data={"health": health, "note": "Jevn fremdrift."},
        )
        pair[1] = view.version
    return time.perf_counter() - started


def _http_round(client: httpx.Client, ids: list[list[int]], health: str) -> float:
    started = time.perf_counter()
    for pair in ids:
        r = client.post(
            f"/api/v1/measures/{pair[0]}/transitions",
            json={
                "trigger": "report_status",
                "version": pair[1],
                "data": {"health": health, "note": "Jevn fremdrift."},
            },
        )
        if r.status_code != 200:
            raise RuntimeError(f"transition of measure {pair[0]}: {r.status_code} {r.text[:300]}")
        pair[1] = r.json()["version"]
    return time.perf_counter() - started


# ---------------------------------------------------------------- the floor


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _floor_round(conn: sqlite3.Connection, user_id: int, ids: list[list[int]], health: str) -> float:
    next_follow_up = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    started = time.perf_counter()
    for pair in ids:
        measure_id, version = pair
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "UPDATE measure SET last_health = ?, next_follow_up_at = ?, version = version + 1,"
                " updated_at = ?, updated_by_id = ? WHERE id = ? AND version = ?",
                (health, next_follow_up, now, user_id, measure_id, version),
            )
            if cur.rowcount != 1:
                raise RuntimeError(f"stale version for measure {measure_id}")
            changes = json.dumps({"last_health": [None, health]}, ensure_ascii=False)
            conn.execute(
                "INSERT INTO event (measure_id, at, actor_id, trigger, from_state, to_state, comment,"
                " changes, data, version) VALUES (?, ?, ?, 'report_status', 'in_follow_up', 'in_follow_up',"
                " NULL, ?, ?, ?)",
                (measure_id, now, user_id, changes, json.dumps({"note": "Jevn fremdrift."}), version + 1),
            )
            conn.execute(
                "INSERT INTO status_report (measure_id, author_id, at, health, note) VALUES (?, ?, ?, ?, ?)",
                (measure_id, user_id, now, health, "Jevn fremdrift."),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        pair[1] = version + 1
    return time.perf_counter() - started


# ---------------------------------------------------------------- run


def run(measures: int = MEASURES, repeats: int = REPEATS) -> list[Row]:
    healths = ["on_track", "at_risk", "off_track"]
    with tempfile.TemporaryDirectory(prefix="samordna-bench-") as tmp:
        service_db = Path(tmp) / "service.sqlite3"
        floor_db = Path(tmp) / "floor.sqlite3"
        samordna, actor, ids, setup_seconds, token = _setup(service_db, measures)
        with sqlite3.connect(service_db) as src, sqlite3.connect(floor_db) as dst:
            src.backup(dst)  # the floor starts from the very same rows
        src.close()
        dst.close()
        floor_ids = [list(p) for p in ids]

        conn = _connect(floor_db)
        kinds = ("http", "http_floor", "service", "floor")
        rates: dict[str, list[float]] = {k: [] for k in kinds}
        app = start_samordna(f"sqlite:///{service_db}")
        floor_app = start_floor(floor_db)
        try:
            with (
                httpx.Client(base_url=app.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c_app,
                httpx.Client(base_url=floor_app.url, headers={"x-bench-member": EMAIL}, timeout=60) as c_floor,
            ):
                rounds = {
                    "http": lambda n, h: _http_round(c_app, ids[:n], h),
                    "http_floor": lambda n, h: _http_round(c_floor, floor_ids[:n], h),
                    "service": lambda n, h: _service_round(samordna, actor, ids[:n], h),
                    "floor": lambda n, h: _floor_round(conn, actor.user_id, floor_ids[:n], h),
                }
                warm = max(1, measures // 10)
                for kind in kinds:
                    rounds[kind](warm, "on_track")
                # Alternate the kinds, so a slow spell of the disk or the machine hits them alike.
                for i in range(repeats):
                    for kind in kinds:
                        rates[kind].append(measures / rounds[kind](measures, healths[i % 3]))
        finally:
            app.stop()
            floor_app.stop()
            conn.close()
            samordna.db.dispose()

    def ratio(kind: str, floor: str) -> float:
        return time_ratio(
            Row("", "", "", tuple(rates[kind])).median,
            Row("", "", "", tuple(rates[floor])).median,
            lower_is_better=False,
        )

    setup_writes = measures * 4
    return [
        Row(
            NAME,
            "http: POST /api/v1/measures/{id}/transitions",
            "tx/s",
            tuple(rates["http"]),
            f"serve 1 worker, bearer token; {measures} measures × {repeats}",
            ratio=ratio("http", "http_floor"),
        ),
        Row(
            NAME,
            "http floor: bare ASGI + raw sqlite3",
            "tx/s",
            tuple(rates["http_floor"]),
            "read + UPDATE + 2 INSERT, uvicorn 1 worker",
            ratio=1.0,
        ),
        Row(
            NAME,
            "service: record_transition(report_status)",
            "tx/s",
            tuple(rates["service"]),
            "in-process",
            ratio=ratio("service", "floor"),
        ),
        Row(
            NAME,
            "floor: raw sqlite3, same writes",
            "tx/s",
            tuple(rates["floor"]),
            "UPDATE + 2 INSERT, BEGIN IMMEDIATE",
            ratio=1.0,
        ),
        Row(
            NAME,
            "set-up: create + initiate/assign/start",
            "writes/s",
            (setup_writes / setup_seconds,),
            f"{setup_writes} service writes, one pass",
        ),
    ]


def ratio_line(rows: list[Row]) -> str:
    by = {r.case.split(":")[0]: r for r in rows}
    http, http_floor, service, floor = by["http"], by["http floor"], by["service"], by["floor"]
    return (
        f"per transition: http {1000 / http.median:.2f} ms (floor {1000 / http_floor.median:.2f} ms), "
        f"service {1000 / service.median:.2f} ms (floor {1000 / floor.median:.2f} ms); "
        f"overhead over the floor: http {1000 / http.median - 1000 / http_floor.median:.2f} ms, "
        f"service {1000 / service.median - 1000 / floor.median:.2f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measures", type=int, default=MEASURES)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    rows = run(args.measures, args.repeats)
    print_table(rows)
    print(ratio_line(rows))


if __name__ == "__main__":
    main()
