"""Run every benchmark in bench/ and print one table: `python -m bench.run` (or `make bench`) from the repository root.

A benchmark is a module here with `run() -> list[Row]` (bench.common.Row: `benchmark`, `case`, `unit`,
`samples`, `note`, `ratio` against the floor measured in the same run) and optionally
`ratio_line(rows) -> str`, printed under the table. ORDER runs the cheap and shared set-up first;
modules not named there run after, alphabetically. `python -m bench.run board scaling` runs only those.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
# Helpers, not benchmarks; locustfile must never be imported here (locust patches the standard library).
SKIP = {"run", "__init__", "common", "floor_app", "upload_floor", "locustfile", "live_app", "live_floor"}
ORDER = ["data", "board", "agenda", "remind", "scaling", "transitions", "live", "load"]


def names(only: list[str] | None = None) -> list[str]:
    """The benchmark modules' names in the order they run, without importing them."""
    found = sorted(m.name for m in pkgutil.iter_modules([str(BENCH_DIR)]) if m.name not in SKIP)
    found = [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]
    return [n for n in found if n in only] if only else found


def benchmarks(only: list[str] | None = None) -> list[Any]:
    modules = [importlib.import_module(f"bench.{name}") for name in names(only)]
    return [m for m in modules if callable(getattr(m, "run", None))]


def print_table(rows: list[Any]) -> None:
    from bench.common import print_table as table

    table(rows)


def main(argv: list[str] | None = None) -> int:
    import os
    import platform
    import sqlite3

    only = list(sys.argv[1:] if argv is None else argv)
    markdown = None
    if "--markdown" in only:  # --markdown PATH: the table also as Markdown, for the README
        i = only.index("--markdown")
        markdown = Path(only[i + 1])
        del only[i : i + 2]
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, "
        f"{os.cpu_count()} cores"
    )
    all_rows: list[Any] = []
    notes: list[str] = []
    started = time.perf_counter()
    failed: list[str] = []
    for module in benchmarks(only):
        t0 = time.perf_counter()
        try:
            rows = module.run()
        except Exception:  # one broken benchmark must not throw away the others' figures
            import traceback

            traceback.print_exc()
            failed.append(module.NAME)
            print(f"  {module.NAME}: FAILED after {time.perf_counter() - t0:.0f} s", flush=True)
            continue
        print(f"  {module.NAME}: {time.perf_counter() - t0:.0f} s", flush=True)
        all_rows.extend(rows)
        if hasattr(module, "ratio_line"):
            notes.append(f"{module.NAME}: {module.ratio_line(rows)}")
    print()
    print_table(all_rows)
    print()
    print("× floor: the floor's time per operation is 1.00; 2.00 takes twice as long. Spread: min–max over the")
    print("runs, or p10–p90 over many samples.")
    for note in notes:
        print(note)
    print(f"(all benchmarks: {time.perf_counter() - started:.1f} s)")
    if markdown is not None:
        from bench.common import markdown_table

        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(markdown_table(all_rows) + "\n" + "\n".join(f"- {n}" for n in notes) + "\n", "utf-8")
        print(f"(the table as Markdown: {markdown})")
    if failed:
        print(f"FAILED: {', '.join(failed)} (traceback above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH_DIR.parent))
    raise SystemExit(main())
