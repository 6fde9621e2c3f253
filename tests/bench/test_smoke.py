"""Every benchmark `make bench` runs, at its tiniest size (SAMORDNA_BENCH_SMOKE=1: tiny data, one round), so a
refactor cannot break the benchmarks unnoticed. No timing is asserted: only that each module's `run()` gives
rows with every field filled and counted no errors.

The modules are found as bench.run finds them (`bench.run.names()`), so a new benchmark is covered the day it
is added. Each runs in a process of its own, as `make bench` runs it: the sizes are read when a module is
imported, and a benchmark's servers, threads and caches die with it. A benchmark that uses PostgreSQL when
it answers (a module with `POSTGRES = True`) runs where SAMORDNA_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from bench import run as bench_run
from tests.conftest import PG_URL, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300  # seconds for one module; a smoke run takes a few

# In the child: run one module, print its rows as JSON on the last line.
CHILD = """
import dataclasses, json, sys
sys.path.insert(0, {root!r})
from bench import common, run
assert common.SMOKE, "SAMORDNA_BENCH_SMOKE did not reach bench.common"
[module] = run.benchmarks([{name!r}])
rows = module.run()
line = module.ratio_line(rows) if hasattr(module, "ratio_line") else ""
print(json.dumps({{"name": module.NAME, "rows": [dataclasses.asdict(r) for r in rows], "line": line}}))
"""

ERRORS = re.compile(r"\b(\d+) errors?\b")


def benchmark_names() -> list[str]:
    """bench.run's modules that define `run()` (helpers beside them, such as a floor app, have none), found
    without importing them."""
    return [
        name
        for name in bench_run.names()
        if re.search(r"^def run\(", (ROOT / "bench" / f"{name}.py").read_text(encoding="utf-8"), re.M)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", benchmark_names())
def test_the_benchmark_runs_at_its_smallest(name: str) -> None:
    source = (ROOT / "bench" / f"{name}.py").read_text(encoding="utf-8")
    if re.search(r"^POSTGRES = True", source, re.M) and not PG_URL:
        skip_or_fail(f"bench.{name} uses PostgreSQL: set SAMORDNA_TEST_POSTGRES_URL")
    if re.search(r"\blocust\b", source) and find_spec("locust") is None:
        skip_or_fail(f"bench.{name} runs locust, which is not installed (make install-dev brings it)")
    env = {**os.environ, "SAMORDNA_BENCH_SMOKE": "1", "PYTHONPATH": os.pathsep.join((str(ROOT / "src"), str(ROOT)))}
    env.pop("SAMORDNA_BENCH_CACHE", None)  # never a full-size file kept by an earlier real run
    if PG_URL:
        env["SAMORDNA_TEST_POSTGRES_URL"] = PG_URL
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT), name=name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"bench.{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rows = result["rows"]
    assert rows, f"bench.{name} gave no rows"
    for row in rows:
        where = f"bench.{name}: {row}"
        assert row["benchmark"] == result["name"], where
        assert row["case"] and row["unit"], where
        assert row["samples"], where
        assert all(isinstance(x, int | float) and math.isfinite(x) for x in row["samples"]), where
        assert row["ratio"] is None or math.isfinite(row["ratio"]), where
        assert "skipped" not in row["note"], where
        assert all(int(n) == 0 for n in ERRORS.findall(row["note"])), where
    assert isinstance(result["line"], str)
