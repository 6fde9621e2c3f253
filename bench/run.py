"""Run every benchmark in bench/ and print one table: `python -m bench.run` from the repository root.

A benchmark is a module here with `run() -> list[Row]` (rows with `benchmark`, `case`, `unit`,
`samples`, `note`) and optionally `ratio_line(rows) -> str`, printed under the table.
"""

from __future__ import annotations

import importlib
import pkgutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
SKIP = {"run", "__init__"}


def benchmarks() -> list[Any]:
    names = sorted(m.name for m in pkgutil.iter_modules([str(BENCH_DIR)]) if m.name not in SKIP)
    modules = [importlib.import_module(f"bench.{name}") for name in names]
    return [m for m in modules if callable(getattr(m, "run", None))]


def print_table(rows: list[Any]) -> None:
    header = ("benchmark", "case", "median", "min", "max", "unit", "n", "note")
    lines = [header]
    for r in rows:
        lines.append((
            r.benchmark, r.case, f"{statistics.median(r.samples):,.0f}", f"{min(r.samples):,.0f}",
            f"{max(r.samples):,.0f}", r.unit, str(len(r.samples)), r.note,
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = {2, 3, 4, 6}
    for k, line in enumerate(lines):
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        print("  ".join(cells).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main() -> int:
    import platform
    import sqlite3

    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}")
    all_rows: list[Any] = []
    notes: list[str] = []
    started = time.perf_counter()
    for module in benchmarks():
        rows = module.run()
        all_rows.extend(rows)
        if hasattr(module, "ratio_line"):
            notes.append(f"{module.NAME}: {module.ratio_line(rows)}")
    print()
    print_table(all_rows)
    print()
    for note in notes:
        print(note)
    print(f"(all benchmarks: {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH_DIR.parent))
    raise SystemExit(main())
