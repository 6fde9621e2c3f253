"""A backup taken while a real `samordna serve` process keeps writing (SQLite in WAL mode, PostgreSQL): by the
backup code in the test's process (so the moment it starts is exact) and by `samordna backup` in its own process
as cron runs it; each backup restored with `samordna restore` into a database of its own. Every write the server
acknowledged before the backup started is in it, nothing that was never acknowledged is, and what is in it is one
moment: the refs are 001…k without a gap, the area's counter says k, every measure has one event per version.

(A copy of the SQLite file instead of the backup API fails here: the writes still in the WAL are missing.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from samordna.transfer import backup as engines
from samordna.transfer.service import backup_database
from tests.app.test_concurrency import Server, start_server  # noqa: F401 (the fixture: a server over a fresh world)
from tests.conftest import PG_URL, drop_postgres, fresh_postgres_url, skip_or_fail
from tests.factories import NEED

pytestmark = pytest.mark.slow

BACKUPS = 3
TIMEOUT = 120.0


@dataclass
class Acknowledged:
    """What the server answered 2xx to, and when (monotonic seconds)."""

    refs: list[tuple[float, str]] = field(default_factory=list)
    versions: list[tuple[float, int]] = field(default_factory=list)  # the reported measure's version
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refs_before(self, moment: float) -> set[str]:
        with self.lock:
            return {ref for at, ref in self.refs if at < moment}

    def version_before(self, moment: float) -> int:
        with self.lock:
            return max((v for at, v in self.versions if at < moment), default=0)

    def count(self) -> int:
        with self.lock:
            return len(self.refs)


def register(url: str, token: str, acked: Acknowledged, stop: threading.Event) -> None:
    """New needs, one after another: a measure, its first event and the area's ref counter per write."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        while not stop.is_set():
            r = c.post("/api/v1/areas/alfa/measures", json=NEED)
            if r.status_code != 201:
                acked.errors.append(f"{r.status_code} {r.text[:200]}")
                return
            with acked.lock:
                acked.refs.append((time.monotonic(), r.json()["ref"]))


def report(url: str, token: str, measure_id: int, version: int, acked: Acknowledged, stop: threading.Event) -> None:
    """Status reports on one measure: an UPDATE of the measure, an event and a report per write."""
    body = {"trigger": "report_status", "data": {"health": "on_track", "note": "Under sikkerhetskopien."}}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        while not stop.is_set():
            r = c.post(f"/api/v1/measures/{measure_id}/transitions", json={**body, "version": version})
            if r.status_code != 200:
                acked.errors.append(f"{r.status_code} {r.text[:200]}")
                return
            version = r.json()["version"]
            with acked.lock:
                acked.versions.append((time.monotonic(), version))


def cli(url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAMORDNA_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "samordna", *argv], env=env, capture_output=True, text=True, timeout=TIMEOUT
    )


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {TIMEOUT} s for {what}")
        time.sleep(0.02)


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[Any]:
    made: list[str] = []

    def new(engine: str) -> str:
        url = fresh_postgres_url(PG_URL) if engine == "postgres" else f"sqlite:///{tmp_path / f'r{len(made)}.sqlite3'}"
        made.append(url)
        return url

    yield new
    for url in made:
        if url.startswith("postgresql"):
            drop_postgres(url, PG_URL)


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_a_backup_of_a_running_server_holds_every_acknowledged_write(
    start_server: Any,  # noqa: F811 (the fixture imported above)
    databases: Any,
    engine: str,
    tmp_path: Path,
) -> None:
    if engine == "postgres" and PG_URL and not all(shutil.which(t) for t in ("pg_dump", "pg_restore", "psql")):
        skip_or_fail("the PostgreSQL client tools are missing: apt-get install postgresql-client")
    server: Server = start_server(engine, 2)
    world = server.world
    reported = world.advance(world.register(title="Rapporteres under kopien"), "in_follow_up")
    acked, stop = Acknowledged(), threading.Event()
    threads = [
        threading.Thread(target=register, args=(server.url, server.token, acked, stop)),
        threading.Thread(target=register, args=(server.url, server.token, acked, stop)),
        threading.Thread(target=report, args=(server.url, server.token, reported.id, reported.version, acked, stop)),
    ]
    for t in threads:
        t.start()
    taken: list[tuple[Path, float]] = []
    try:
        wait_for(lambda: acked.count() >= 20 or acked.errors, "the first writes")
        for n in range(BACKUPS):
            file = tmp_path / f"natt-{n}.backup"
            started = time.monotonic()
            if n < BACKUPS - 1:
                # In this process, what `samordna backup` runs: the moment it starts is known to the millisecond,
                # so «acknowledged before» leaves a copy that misses the last writes no room.
                backup_database(url=server.database_url, path=file)
            else:  # the command itself, in its own process, as cron runs it
                done = cli(server.database_url, "backup", str(file))
                assert done.returncode == 0, done.stderr
            taken.append((file, started))
            count = acked.count()
            wait_for(lambda count=count: acked.count() >= count + 10 or acked.errors, "writes after the backup")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=TIMEOUT)
    assert not acked.errors, acked.errors[:3]
    all_refs = {ref for _at, ref in acked.refs}

    for file, started in taken:
        target = databases(engine)
        done = cli(target, "restore", str(file))
        assert done.returncode == 0, done.stderr
        assert "Integritetssjekk:" in done.stdout and ": ok." in done.stdout, done.stdout
        if engine == "sqlite":
            assert engines.integrity(engines.sqlite_path(target)) == []

        refs = {r for (r,) in rows(target, "SELECT ref FROM measure")}
        missing = acked.refs_before(started) - refs
        assert not missing, f"{len(missing)} acknowledged before the backup began are not in it: {sorted(missing)[:5]}"
        assert refs - {reported.ref} <= all_refs, "the backup holds a measure the server never acknowledged"
        # One moment: refs 001…k without a gap, the counter at k, one event per version of every measure.
        numbers = sorted(int(r.rsplit("-", 1)[1]) for r in refs)
        assert numbers == list(range(1, len(numbers) + 1))
        assert rows(target, "SELECT max(last) FROM ref_counter") == [(len(numbers),)]
        torn = rows(
            target,
            "SELECT m.ref, m.version, count(e.id) FROM measure m LEFT JOIN event e ON e.measure_id = m.id "
            "GROUP BY m.ref, m.version HAVING count(e.id) <> m.version",
        )
        assert torn == []
        (version,) = rows(target, f"SELECT version FROM measure WHERE ref = '{reported.ref}'")[0]
        assert version >= acked.version_before(started)
