"""Pages at 1 000 and 100 000 measures, in process: server time per request (the TestClient's wall clock,
no network) for the three boards, the measure list, the steering board with six columns asked at 500, and
SQL statements per page. Prints figures only. `python -m bench.wholearea [--rounds R] [--per-round N] [DB]`.
A given DB (a copy of bench.data's generated file) is migrated first, so a file made before a migration works."""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any
from urllib.parse import urlencode

from bench.common import login
from bench.data import PASSWORD, Dataset, shared_sqlite

SIZES = (1_000, 100_000)
STATES = ("need_identified", "initiated", "assigned", "in_follow_up", "paused", "under_evaluation")


def pages(slug: str) -> dict[str, str]:
    return {
        "steering": f"/areas/{slug}/boards/steering",
        "coordination": f"/areas/{slug}/boards/coordination",
        "execution": f"/areas/{slug}/boards/execution",
        "list": f"/areas/{slug}/measures",
        "coord 6x500": f"/areas/{slug}/boards/coordination?" + urlencode({f"limit_{s}": 500 for s in STATES}),
    }


def main(rounds: int = 5, per_round: int = 10, path: str | None = None) -> None:
    from litestar.testing import TestClient
    from sqlalchemy import event

    from samordna.app import create_app
    from samordna.services import Services
    from samordna.settings import Settings
    from samordna.store.migrate import upgrade

    db_path, ds = shared_sqlite(SIZES)
    url = f"sqlite:///{path or db_path}"
    upgrade(url)
    settings = Settings(database_url=url, secret_key="bench-wholearea-" + "x" * 32)
    samordna = Services.build(settings)
    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("BEGIN", "UPDATE web_session")):
            seen.append(statement)

    with TestClient(create_app(settings, services=samordna), base_url="http://127.0.0.1") as client:
        results: dict[tuple[str, int], tuple[list[float], int, int]] = {}
        for area in ds.areas:
            client.cookies.clear()
            login(client, Dataset.email(area.slug, "coordinator"), PASSWORD)
            for name, p in pages(area.slug).items():
                for _ in range(3):
                    r = client.get(p)
                    assert r.status_code == 200, (p, r.status_code)
                event.listen(samordna.db.engine, "before_cursor_execute", on_execute)
                seen.clear()
                r = client.get(p)
                event.remove(samordna.db.engine, "before_cursor_execute", on_execute)
                per_round_ms = []
                for _ in range(rounds):
                    t = time.perf_counter()
                    for _ in range(per_round):
                        client.get(p)
                    per_round_ms.append((time.perf_counter() - t) * 1000 / per_round)
                results[(name, area.measures)] = (per_round_ms, len(seen), len(r.content))
    print(f"{'page':14} {'size':>7} {'median ms':>9} {'min-max ms':>15} {'SQL':>4} {'bytes':>9}")
    for (name, size), (ms, n, size_b) in results.items():
        print(f"{name:14} {size:>7} {statistics.median(ms):9.1f} {min(ms):7.1f}-{max(ms):<7.1f} {n:4} {size_b:9}")
    for name in pages("x"):
        small, big = results[(name, SIZES[0])][0], results[(name, SIZES[1])][0]
        print(f"ratio {name:14} {statistics.median(big) / statistics.median(small):.2f}")
    samordna.db.dispose()


if __name__ == "__main__":
    main(path=sys.argv[1] if len(sys.argv) > 1 else None)
