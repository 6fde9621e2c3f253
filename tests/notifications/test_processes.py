"""Reminders across processes, as cron and the server run them: two `samordna remind` started at once send each
message once; `samordna serve --scheduler --workers 2` runs the day's digest in exactly one process (the
database lock), sends each message once, and stops cleanly. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from samordna.services import Services
from samordna.settings import Settings
from samordna.store.migrate import upgrade
from samordna.store.models import JobLock, OutboxMessage
from tests.conftest import PG_URL, drop_postgres, free_port, fresh_postgres_url, skip_or_fail
from tests.factories import build_world
from tests.notifications.conftest import BASE_URL, SmtpServer
from tests.notifications.test_digest import scenario

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
EVERYONE = 7


@pytest.fixture(params=["sqlite", "postgres"])
def installation(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Services, dict[str, str]]]:
    """A fresh migrated database with the test world and the scenario in it, and the environment of its
    commands (mail to a test server started by the test)."""
    if request.param == "postgres":
        if not PG_URL:
            skip_or_fail("PostgreSQL not configured: set SAMORDNA_TEST_POSTGRES_URL")
        url = fresh_postgres_url(PG_URL)
    else:
        url = f"sqlite:///{tmp_path / 'remind.sqlite3'}"
    upgrade(url)
    samordna = Services.build(Settings(database_url=url, secret_key="remind-" + "x" * 32))
    scenario(build_world(samordna))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SAMORDNA_")},
        "SAMORDNA_DATABASE_URL": url,
        "SAMORDNA_SECRET_KEY": "remind-" + "x" * 32,
        "SAMORDNA_BASE_URL": BASE_URL,
        "SAMORDNA_MAIL_FROM": "slt@alfa.kommune.no",
        "PYTHONPATH": os.pathsep.join((str(ROOT / "src"), str(ROOT))),
    }
    yield samordna, env
    samordna.db.dispose()
    if request.param == "postgres":
        drop_postgres(url, PG_URL)


def _outbox(samordna: Services) -> list[Any]:
    with samordna.db.read() as s:
        return list(s.execute(select(OutboxMessage.user_id, OutboxMessage.status, OutboxMessage.attempts)).all())


def test_two_remind_commands_at_once_send_each_message_once(
    installation: tuple[Services, dict[str, str]], smtp_server: SmtpServer
) -> None:
    samordna, env = installation
    env = {**env, "SAMORDNA_SMTP_URL": smtp_server.url()}
    day = samordna.clock.today().isoformat()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "samordna", "remind", "--date", day],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sorted(smtp_server.mailbox.recipients()) == sorted(set(smtp_server.mailbox.recipients()))
    assert len(smtp_server.mailbox.messages) == EVERYONE
    rows = _outbox(samordna)
    assert len(rows) == EVERYONE and {r[1] for r in rows} == {"sent"} and {r[2] for r in rows} == {1}
    said = " ".join(out for out, _err in outputs)
    assert "Sendt:" in said

    again = subprocess.run(
        [sys.executable, "-m", "samordna", "remind", "--date", day],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0 and "0 e-poster i utboksen" in again.stdout and "Sendt: 0" in again.stdout
    assert len(smtp_server.mailbox.messages) == EVERYONE

    shown = subprocess.run(
        [sys.executable, "-m", "samordna", "outbox"], env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0 and f"Utboksen: {EVERYONE} sendt" in shown.stdout


def test_a_dry_run_writes_and_sends_nothing(
    installation: tuple[Services, dict[str, str]], smtp_server: SmtpServer
) -> None:
    samordna, env = installation
    done = subprocess.run(
        [sys.executable, "-m", "samordna", "remind", "--dry-run"],
        env={**env, "SAMORDNA_SMTP_URL": smtp_server.url()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Tørrkjøring" in done.stdout and "executing@example.no: Samordna:" in done.stdout
    assert _outbox(samordna) == [] and smtp_server.mailbox.messages == []


def test_the_scheduler_in_two_workers_runs_the_day_once(
    installation: tuple[Services, dict[str, str]], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    samordna, env = installation
    # The reminder time is midnight, so this morning's run is due as soon as the server starts.
    env = {**env, "SAMORDNA_SMTP_URL": smtp_server.url(), "SAMORDNA_REMIND_AT": "00:00"}
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "samordna", "serve", "--scheduler", "--workers", "2", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(smtp_server.mailbox.messages) < EVERYONE and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        time.sleep(2.0)  # the other worker has had its look too
        assert len(smtp_server.mailbox.messages) == EVERYONE
        assert len(set(smtp_server.mailbox.recipients())) == EVERYONE
        with samordna.db.read() as s:
            lock = s.execute(select(JobLock)).scalar_one()
        assert lock.done_day == samordna.clock.today() and lock.holder is None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
            pytest.fail("the server did not stop on SIGTERM")
        log.close()
    assert proc.returncode == 0, (tmp_path / "serve.log").read_text()
