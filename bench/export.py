"""Exports of the measure list over real HTTP: wall time and the server's memory, against a floor.

Samordna runs as `samordna serve` (1 worker) on bench.data's database; the client, logged in as the
coordinator, GETs the whole list of an area as a file and reads the answer as it streams in (counting bytes,
keeping none). Cases, each run RUNS times:

- /areas/omrade-3/measures.xlsx?events=0: 100 000 measures × 16 columns as typed cells;
- the floor for it: a separate process that reads the same rows with raw `sqlite3` (one cursor, streamed,
  the same joins, order and local times) and writes the same cells with XlsxWriter in the same
  `constant_memory` mode — what any implementation must pay for that file, without HTTP, SQLAlchemy,
  keyset chunks, views or labels looked up;
- /areas/omrade-3/measures.csv: the same 100 000 rows as CSV, streamed;
- /areas/omrade-2/measures.xlsx: 10 000 measures with their events on the second sheet (some 67 000), and
  …/measures-events.csv for the same area.

Memory: the server process's peak resident set (VmHWM) during each export, after resetting it
(/proc/PID/clear_refs, as root) — its growth over the idle server is what the export held; the same for
the floor's process over its own start. Where clear_refs cannot be written, VmRSS is sampled every 20 ms.
The resident set is what the machine pays, C allocations (XlsxWriter's buffers, SQLite's cache) included,
which tracemalloc would not see; tracemalloc would also slow the export down several times.

Prints figures only; asserts nothing. `python -m bench.export [--runs N]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.common import ROOT, Peak, Row, Server, login, smoke, start_samordna, time_ratio
from bench.data import PASSWORD, SCALING_SIZES, Dataset, shared_sqlite

NAME = "export"
RUNS = smoke(2, 1)
BIG, MID = "omrade-3", "omrade-2"  # 100 000 and 10 000 measures


# ---------------------------------------------------------------- the floor

FLOOR = r"""
import json, sqlite3, sys, time
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo
import xlsxwriter

def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])

db, area_id, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
labels = json.loads(sys.argv[4])
tz, utc = ZoneInfo("Europe/Oslo"), timezone.utc
try:
    Path("/proc/self/clear_refs").write_text("5")
except OSError:
    pass
start_rss = status("VmRSS")
started = time.perf_counter()
conn = sqlite3.connect(db)
book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
ws = book.add_worksheet("Tiltak")
head = book.add_format({"bold": True, "bottom": 1})
dfmt = book.add_format({"num_format": "dd.mm.yyyy"})
tfmt = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
ws.freeze_panes(1, 0)
for i, h in enumerate(labels["headings"]):
    ws.write_string(0, i, h, head)
rows = conn.execute(
    "SELECT m.ref, m.title, m.state, u.name, "
    "(SELECT group_concat(name, ', ') FROM (SELECT u2.name FROM measure_unit mu JOIN unit u2 ON u2.id = mu.unit_id "
    " WHERE mu.measure_id = m.id ORDER BY u2.name)), "
    "g.title, m.arena, m.target_group, m.age_from, m.age_to, m.created_at, m.due_date, m.next_follow_up_at, "
    "m.last_health, m.evaluation_effect, m.updated_at "
    "FROM measure m LEFT JOIN unit u ON u.id = m.responsible_unit_id LEFT JOIN goal g ON g.id = m.goal_id "
    "WHERE m.area_id = ? ORDER BY m.updated_at DESC, m.id DESC",
    (area_id,),
)
def local(text):
    return datetime.fromisoformat(text).replace(tzinfo=utc).astimezone(tz).replace(tzinfo=None, microsecond=0)
states, healths, effects, arenas = labels["states"], labels["healths"], labels["effects"], labels["arenas"]
n = 1
for (ref, title, state, unit, part, goal, arena, target, a0, a1, created, due, follow, health, effect,
     updated) in rows:
    ws.write_string(n, 0, ref)
    ws.write_string(n, 1, title)
    ws.write_string(n, 2, states.get(state, state))
    if unit: ws.write_string(n, 3, unit)
    if part: ws.write_string(n, 4, part)
    if goal: ws.write_string(n, 5, goal)
    ws.write_string(n, 6, arenas.get(arena, arena))
    ws.write_string(n, 7, target)
    if a0 is not None: ws.write_number(n, 8, a0)
    if a1 is not None: ws.write_number(n, 9, a1)
    ws.write_datetime(n, 10, local(created).date(), dfmt)
    if due: ws.write_datetime(n, 11, date.fromisoformat(due), dfmt)
    if follow: ws.write_datetime(n, 12, date.fromisoformat(follow), dfmt)
    if health: ws.write_string(n, 13, healths.get(health, health))
    if effect: ws.write_string(n, 14, effects.get(effect, effect))
    ws.write_datetime(n, 15, local(updated), tfmt)
    n += 1
ws.autofilter(0, 0, n - 1, 15)
book.close()
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "rows": n - 1, "start_rss": start_rss, "peak": status("VmHWM"),
                  "bytes": Path(out).stat().st_size}))
"""


def floor_labels() -> dict:
    """The same words Samordna writes (bokmål), looked up once, handed to the floor's process."""
    from samordna.domain.vocabulary import ARENA_LABELS
    from samordna.measures.export_web import Words, measure_columns
    from samordna.settings import Settings
    from samordna.workflow import load_workflow

    wf = load_workflow(Settings().workflows_dir / "measure.toml")
    w = Words.of(wf, "nb", None)
    return {
        "headings": [c.heading for c in measure_columns(w)],
        "states": w.states,
        "healths": w.healths,
        "effects": w.effects,
        "arenas": {k: v["nb"] for k, v in ARENA_LABELS.items()},
    }


def run_floor(db: Path, area_id: int, labels: dict, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", FLOOR, str(db), str(area_id), str(out), json.dumps(labels)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    out.unlink(missing_ok=True)
    return json.loads(proc.stdout)


# ---------------------------------------------------------------- Samordna


def download(client: httpx.Client, server: Server, path: str) -> tuple[float, int, int, int]:
    """(seconds, bytes, idle RSS KiB, peak RSS KiB) for one export read to its end."""
    with Peak(server.proc.pid) as peak:
        started = time.perf_counter()
        size = 0
        with client.stream("GET", path) as r:
            if r.status_code != 200:
                raise RuntimeError(f"GET {path}: {r.status_code}")
            for part in r.iter_bytes():
                size += len(part)
        seconds = time.perf_counter() - started
    return seconds, size, peak.start_rss, peak.peak


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def run(runs: int = RUNS) -> list[Row]:
    path_db, ds = shared_sqlite(SCALING_SIZES)
    big, mid = ds.area(BIG), ds.area(MID)
    cases = [
        ("xlsx", f"/areas/{BIG}/measures.xlsx?events=0", f"XLSX, {big.measures // 1000}k measures (no events sheet)"),
        ("csv", f"/areas/{BIG}/measures.csv", f"CSV, {big.measures // 1000}k measures"),
        ("xlsx-events", f"/areas/{MID}/measures.xlsx", f"XLSX, {mid.measures // 1000}k measures + events sheet"),
        ("events-csv", f"/areas/{MID}/measures-events.csv", f"events CSV, {mid.measures // 1000}k measures"),
    ]
    results: dict[str, list[tuple[float, int, int, int]]] = {key: [] for key, _p, _l in cases}
    floor: list[dict] = []
    labels = floor_labels()
    with start_samordna(f"sqlite:///{path_db}") as app, httpx.Client(base_url=app.url, timeout=600) as client:
        login(client, Dataset.email(BIG, "coordinator"), PASSWORD)
        client.get(f"/areas/{BIG}/measures")  # warm: the list's code paths and the file's pages
        for _ in range(runs):  # rounds alternate the cases and the floor
            for key, path, _label in cases:
                if key == "xlsx-events" or key == "events-csv":
                    client.cookies.clear()
                    login(client, Dataset.email(MID, "coordinator"), PASSWORD)
                elif key == "xlsx":
                    client.cookies.clear()
                    login(client, Dataset.email(BIG, "coordinator"), PASSWORD)
                results[key].append(download(client, app, path))
                if key == "xlsx":
                    floor.append(run_floor(path_db, big.id, labels, Path(f"/tmp/samordna-bench-floor-{app.port}.xlsx")))
    med = statistics.median
    floor_s = [f["seconds"] for f in floor]
    rows = []
    for key, _path, label in cases:
        found = results[key]
        seconds = [f[0] for f in found]
        growth = [f[3] - f[2] for f in found]
        size = found[-1][1]
        note = (
            f"{size / 1e6:.1f} MB; server RSS {mib(found[-1][2])} idle, +{mib(med(growth))} at peak "
            f"(runs: {', '.join('+' + mib(g) for g in growth)})"
        )
        ratio = time_ratio(med(seconds), med(floor_s), lower_is_better=True) if key == "xlsx" else None
        rows.append(Row(NAME, f"samordna: {label}", "s", tuple(seconds), note, ratio=ratio, lower_is_better=True))
        if key == "xlsx":
            fgrowth = [f["peak"] - f["start_rss"] for f in floor]
            rows.append(
                Row(
                    NAME,
                    "floor: raw sqlite3 + XlsxWriter constant_memory, same cells",
                    "s",
                    tuple(floor_s),
                    f"{floor[-1]['bytes'] / 1e6:.1f} MB; own process, RSS +{mib(med(fgrowth))} at peak; no HTTP",
                    ratio=1.0,
                    lower_is_better=True,
                )
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    print_table(run(args.runs))


if __name__ == "__main__":
    main()
