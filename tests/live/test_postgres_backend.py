"""The PostgreSQL channels backend itself (samordna.live.channels._PostgresBackend, Litestar's psycopg backend): a
NOTIFY published through one backend, with its own connections, is heard by the LISTEN of another, as between two
server processes; the longest message a change can make fits in a NOTIFY; one that does not is logged, and the
backend goes on publishing. A plain `pg_notify` (what a process without the app announces with,
samordna.live.channels.notify_in, in the write's transaction) is heard the same way, byte for byte."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from sqlalchemy import Engine, create_engine

from samordna.live.channels import NOTIFY_LIMIT, _PostgresBackend, channel_of, libpq_dsn, notify_in, payload_of
from samordna.measures.changes import MeasureChanged
from tests.conftest import PG_URL, run_async, skip_or_fail

CHANNEL = channel_of(987654)


@pytest.fixture
def pg_url() -> str:
    if not PG_URL:
        skip_or_fail("PostgreSQL not configured: set SAMORDNA_TEST_POSTGRES_URL")
    return PG_URL


def longest_change() -> MeasureChanged:
    """A change as long as the columns allow: a ref of 32, states and trigger of 40, an actor's name of 200
    characters of four bytes each in UTF-8, and 300 units with ids of nine digits."""
    return MeasureChanged(
        event_id=2**62,
        area_id=987654,
        measure_id=2**62,
        ref="R" * 32,
        kind="k" * 40,
        from_state="f" * 40,
        to_state="t" * 40,
        version=2**31,
        units=tuple(range(100_000_000, 100_000_300)),
        registered_by=2**31,
        actor_id=2**31,
        actor_name="Æ😀" * 100,
        meeting_id=2**31,
    )


def _notify_in_a_transaction(engine: Engine, change: MeasureChanged) -> None:
    with engine.begin() as conn:
        notify_in(conn, change)


async def _next(events: object, timeout: float = 5.0) -> tuple[str, bytes]:
    return await asyncio.wait_for(anext(events), timeout)  # type: ignore[call-overload]


def test_a_notify_from_one_backend_reaches_the_listener_of_another(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    change = longest_change()
    data = payload_of(change)
    assert len(data.encode()) < NOTIFY_LIMIT  # the longest message a change can make fits in a NOTIFY

    async def run() -> list[bytes]:
        publisher, listener = _PostgresBackend(libpq_dsn(pg_url)), _PostgresBackend(libpq_dsn(pg_url))
        await publisher.on_startup()
        await listener.on_startup()
        try:
            await listener.subscribe([CHANNEL])
            events = listener.stream_events()
            got = []
            await publisher.publish(b'{"first": "\xc3\xa6\xc3\xb8\xc3\xa5"}', [CHANNEL])
            got.append((await _next(events))[1])
            await publisher.publish(data.encode(), [CHANNEL])
            got.append((await _next(events))[1])
            with caplog.at_level(logging.ERROR, logger="samordna.live.channels"):
                await publisher.publish(b'"' + b"x" * NOTIFY_LIMIT + b'"', [CHANNEL])  # too long: logged, not raised
            await publisher.publish(b'{"after": true}', [CHANNEL])  # and the backend goes on
            got.append((await _next(events))[1])
            # What a process without the app says, straight through the database, is heard the same way.
            engine = create_engine(pg_url)
            try:
                await asyncio.to_thread(_notify_in_a_transaction, engine, change)
            finally:
                engine.dispose()
            got.append((await _next(events))[1])
            return got
        finally:
            await publisher.on_shutdown()
            await listener.on_shutdown()

    got = run_async(run)
    assert json.loads(got[0]) == {"first": "æøå"}
    assert MeasureChanged.from_json(json.loads(got[1])) == change
    assert json.loads(got[2]) == {"after": True}
    assert got[3] == got[1]
    assert any("NOTIFY failed" in r.getMessage() for r in caplog.records)
