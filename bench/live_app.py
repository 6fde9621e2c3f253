"""Samordna as `samordna serve` builds it (samordna.app:create_app, settings from the environment), plus one more
listener of committed measure changes that notes when each change committed: the live benchmark's clock starts there.

The listener is added before the app's own (the live boards' Publisher of the in-memory backend, added at
start-up), so it runs first, in the thread that committed, right after the commit (on PostgreSQL the NOTIFY left
with the COMMIT itself, samordna.live.channels.notify_in: the clock starts a moment after it): one line
`event_id measure_id version time.time()` appended to the file BENCH_LIVE_COMMITS (each worker appends its own
lines). Nothing else differs from an installation.

`uvicorn bench.live_app:create --factory` (with the options `samordna serve` gives uvicorn; see bench.live).
"""

from __future__ import annotations

import os
import time
from typing import Any


def create() -> Any:
    from samordna.app import create_app
    from samordna.measures.changes import MeasureChanged
    from samordna.services import Services
    from samordna.settings import Settings

    settings = Settings.from_env()
    services = Services.build(settings)
    out = open(os.environ["BENCH_LIVE_COMMITS"], "a", buffering=1, encoding="ascii")  # noqa: SIM115 — the process's

    def committed(change: MeasureChanged) -> None:
        out.write(f"{change.event_id} {change.measure_id} {change.version} {time.time():.6f}\n")

    services.measures.changes.listen(committed)
    return create_app(settings, services=services)
