"""Transitions fired concurrently: 10 and 50 requests in flight against one worker, on an area of 10 000 measures,
each against a floor doing the same work in the same run.

- samordna: `POST /api/v1/measures/{id}/transitions` (report_status) with a bearer token, against `samordna serve`
  (uvicorn, 1 worker): the token, the access check, the workflow, the versioned UPDATE, the event and the status
  report in one transaction, the measure as JSON;
- floor: the same request against bench.floor_app (bare ASGI under uvicorn, 1 worker): the token looked up by its
  SHA-256, the member's access, the read, UPDATE … WHERE id=? AND version=?, the event and the status report in one
  BEGIN IMMEDIATE transaction, the JSON answer.

Both serve a copy of the same generated SQLite file (bench.data, 10 000 measures, WAL, synchronous=FULL: every
commit waits for the disk). Each round fires one transition at each of `PER_ROUND` distinct measures in follow-up,
`inflight` at a time (an asyncio client keeping that many requests open), so no two requests race for one measure:
every answer must be 200. Rounds alternate samordna and floor so a slow spell of the machine hits both.

Reported per case: throughput (tx/s) and the server's CPU time per transition (read from /proc around the round;
it moves far less than wall time on a noisy machine), each as the median and min–max over rounds, and the ratio to
the floor measured at the same concurrency. The client runs on the same 2 cores: it takes CPU from both sides
alike, which is why the CPU figure is the steady one.

Prints figures only; asserts nothing. `python -m bench.inflight [--rounds R] [--measures N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import SMOKE, Row, Server, print_table, start_floor, start_samordna
from bench.data import Dataset, generate, sqlite_copy

NAME = "inflight"
MEASURES = 10_000
PER_ROUND = 1_000
ROUNDS = 3
INFLIGHT = (10, 50)
HEALTHS = ("on_track", "at_risk", "off_track")


def _in_follow_up(path: Path, area_id: int) -> dict[int, int]:
    """The area's measures in follow-up, id -> version (the only ones report_status may be fired at)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT id, version FROM measure WHERE area_id = ? AND state = 'in_follow_up' ORDER BY id", (area_id,)
        ).fetchall()
    conn.close()
    return dict(rows)


DROPPED: dict[str, int] = {}  # server kind -> requests whose connection broke (their measures left out after)


async def _round(
    url: str, token: str, versions: dict[int, int], ids: list[int], inflight: int, health: str
) -> tuple[float, int]:
    """Fire report_status at every id, `inflight` requests open at a time: (the seconds it took, how many were
    answered). A request whose connection breaks (seen twice from the floor at 50 in flight on a loaded machine)
    is not retried: it may have been committed, so its measure's version is unknown and the measure leaves the
    run (`versions` loses it); the caller counts it."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in ids:
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=inflight, max_keepalive_connections=inflight)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120, limits=limits
    ) as client:

        async def worker() -> None:
            while True:
                try:
                    measure_id = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                body = {
                    "trigger": "report_status",
                    "version": versions[measure_id],
                    "data": {"health": health, "note": "Jevn fremdrift."},
                }
                try:
                    r = await client.post(f"/api/v1/measures/{measure_id}/transitions", json=body)
                except httpx.TransportError:
                    versions.pop(measure_id, None)
                    continue
                if r.status_code != 200:
                    raise RuntimeError(f"transition of measure {measure_id}: {r.status_code} {r.text[:300]}")
                versions[measure_id] = r.json()["version"]

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(inflight)))
        return time.perf_counter() - started, sum(1 for i in ids if i in versions)


def _measured(
    server: Server, token: str, versions: dict[int, int], ids: list[int], inflight: int, health: str
) -> tuple[float, float]:
    ids = [i for i in ids if i in versions]  # not those whose connection broke in an earlier round
    cpu = server.cpu_seconds()
    wall, answered = asyncio.run(_round(server.url, token, versions, ids, inflight, health))
    if answered < len(ids):
        DROPPED[server.label] = DROPPED.get(server.label, 0) + len(ids) - answered
    return answered / wall, (server.cpu_seconds() - cpu) * 1000 / max(1, answered)


def run(rounds: int = ROUNDS, measures: int = MEASURES, per_round: int = PER_ROUND) -> list[Row]:
    if SMOKE:
        rounds, measures, per_round = 1, 300, 40
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="samordna-bench-inflight-") as tmp:
        app_db, floor_db = Path(tmp) / "app.sqlite3", Path(tmp) / "floor.sqlite3"
        ds = generate(f"sqlite:///{app_db}", [measures])
        area = ds.areas[0]
        sqlite_copy(app_db, floor_db)
        token = Dataset.token(area.slug, "coordinator")
        followed = _in_follow_up(app_db, area.id)
        ids = list(followed)[:per_round]
        if len(ids) < per_round:
            raise RuntimeError(f"only {len(ids)} measures in follow-up of {measures}: the round needs {per_round}")
        versions = {"samordna": dict(followed), "floor": dict(followed)}
        figures: dict[tuple[str, int], list[tuple[float, float]]] = {}
        app = start_samordna(f"sqlite:///{app_db}")
        floor = start_floor(floor_db)
        try:
            servers = {"samordna": app, "floor": floor}
            for kind, server in servers.items():  # warm-up: the first requests load code and fill caches
                _measured(server, token, versions[kind], ids[: max(10, per_round // 10)], 10, "on_track")
            for r in range(rounds):
                for inflight in INFLIGHT:
                    for kind, server in servers.items():
                        health = HEALTHS[r % len(HEALTHS)]
                        figures.setdefault((kind, inflight), []).append(
                            _measured(server, token, versions[kind], ids, inflight, health)
                        )
        finally:
            app.stop()
            floor.stop()

    for inflight in INFLIGHT:
        own, base = figures[("samordna", inflight)], figures[("floor", inflight)]
        rate, floor_rate = Row("", "", "", tuple(f[0] for f in own)), Row("", "", "", tuple(f[0] for f in base))
        cpu, floor_cpu = Row("", "", "", tuple(f[1] for f in own)), Row("", "", "", tuple(f[1] for f in base))
        size = f"{measures:,}".replace(",", " ")
        note = f"{per_round} × {rounds} rounds, 1 worker each, {size} measures"
        if DROPPED:
            note += "; broken connections: " + ", ".join(f"{k} {v}" for k, v in sorted(DROPPED.items()))
        rows += [
            Row(
                NAME,
                f"{inflight} in flight: samordna, throughput",
                "tx/s",
                rate.samples,
                note,
                ratio=floor_rate.median / rate.median,
            ),
            Row(NAME, f"{inflight} in flight: floor, throughput", "tx/s", floor_rate.samples, note, ratio=1.0),
            Row(
                NAME,
                f"{inflight} in flight: samordna, server CPU per transition",
                "ms",
                cpu.samples,
                note,
                ratio=cpu.median / floor_cpu.median,
                lower_is_better=True,
            ),
            Row(
                NAME,
                f"{inflight} in flight: floor, server CPU per transition",
                "ms",
                floor_cpu.samples,
                note,
                ratio=1.0,
                lower_is_better=True,
            ),
        ]
    return rows


def ratio_line(rows: list[Row]) -> str:
    parts = []
    for inflight in INFLIGHT:
        cpu = next(r for r in rows if r.case == f"{inflight} in flight: samordna, server CPU per transition")
        rate = next(r for r in rows if r.case == f"{inflight} in flight: samordna, throughput")
        parts.append(f"{inflight} in flight: CPU {cpu.ratio:.2f}× the floor's, time per transition {rate.ratio:.2f}×")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--measures", type=int, default=MEASURES)
    parser.add_argument("--per-round", type=int, default=PER_ROUND)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.rounds, args.measures, args.per_round)
    print_table(rows)
    print(ratio_line(rows))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
