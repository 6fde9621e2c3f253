"""Litestar Channels for the live boards: one channel per area, the backend chosen from the database URL.

- SQLite (one process): Litestar's in-memory backend. A change committed in this process reaches the streams of
  this process, which is all there is.
- PostgreSQL: LISTEN/NOTIFY through Litestar's psycopg backend, so a change committed by any worker, on any
  machine, reaches every stream. No server to run beside the database. The backend keeps one connection per
  process to listen on (its `publish`, which opens a connection each time, is not how changes are said: see
  below); a NOTIFY carries less than 8000 bytes, hence messages of ids and names, never HTML
  (samordna.measures.changes).

How a change is said:
- On PostgreSQL, by `SELECT pg_notify(channel, payload)` inside the write's own transaction (`notify_in`, a
  transaction listener of MeasureService.changes that samordna.services attaches to every installation on
  PostgreSQL): PostgreSQL delivers it when, and only when, the transaction commits. So no crash between the
  COMMIT and a publish can lose an announcement, a write rolled back says nothing, a `samordna` command (the
  demo, any process without the web app) is heard by the boards like a request is, and no connection is opened
  per change. The payload is exactly what Litestar's backend would send (its NOTIFY takes the text as is, its
  listener hands the payload on as UTF-8 bytes), so the streams read both alike.
- In memory, by the plugin's `publish`, after the commit: a change is committed in whatever thread ran the
  write (a request's worker thread, a command); `publish` puts onto an asyncio queue, which only its own event
  loop may touch, so `Publisher` hands it over with call_soon_threadsafe.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.psycopg import PsycoPgChannelsBackend

from samordna.live import repository as repo
from samordna.measures.changes import MeasureChanged

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode
BACKLOG = 500  # messages a slow stream may fall behind by; then the oldest are dropped (a page can refresh)
NOTIFY_LIMIT = 8000  # bytes: PostgreSQL refuses a NOTIFY payload this long or longer


def channel_of(area_id: int) -> str:
    """The channel of an area's changes (a PostgreSQL identifier: LISTEN takes it as a name)."""
    return f"samordna_area_{int(area_id)}"


def is_postgres(database_url: str) -> bool:
    return database_url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def libpq_dsn(database_url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://…`) as psycopg takes it (`postgresql://…`)."""
    return "postgresql:" + database_url.split(":", 1)[1]


def announces_through_database(database_url: str, live_backend: str) -> bool:
    """Whether changes travel by PostgreSQL's NOTIFY (`notify_in`), or in this process's memory (`Publisher`)."""
    return live_backend == "auto" and is_postgres(database_url)


def payload_bytes(change: MeasureChanged) -> bytes:
    """The message of a change on its channel: its JSON as UTF-8 (samordna.live.web reads it back with
    from_json). msgspec encodes the dataclass as `to_json` gives it (its fields in order, `units` as a list), in
    a tenth of the time json.dumps takes over `to_json`'s asdict — once per write, in the writer's thread."""
    return _encode(change)


def payload_of(change: MeasureChanged) -> str:
    """`payload_bytes` as text (a NOTIFY's payload)."""
    return _encode(change).decode()


def notify_in(conn: Any, change: MeasureChanged) -> None:
    """NOTIFY the change's area channel inside the write transaction `conn` (a Session or Connection); PostgreSQL
    sends it on COMMIT. The longest change the columns allow fits (tests/live/test_postgres_backend); should one
    not, it goes without the actor's name, and failing that is logged and left to the pages' next reading, so
    the write itself never fails for its announcement."""
    payload = payload_of(change)
    if len(payload.encode()) >= NOTIFY_LIMIT:
        payload = payload_of(replace(change, actor_name=""))
    if len(payload.encode()) >= NOTIFY_LIMIT:
        log.error("measure change %s too long for a NOTIFY: not announced to the live boards", change.event_id)
        return
    repo.notify(conn, channel=channel_of(change.area_id), payload=payload)


class _PostgresBackend(PsycoPgChannelsBackend):
    """Litestar's psycopg backend with two changes.

    - A NOTIFY that fails is logged: in the plugin's publishing task, an exception would end the task, and every
      later change would stay in its queue unsaid.
    - A channel once listened to stays listened to. The plugin decides to UNLISTEN when a channel's last stream
      closes, outside the backend's lock: a stream of the same area opening meanwhile finds the channel still
      listened to, asks for nothing, and then the UNLISTEN leaves it deaf (seen in tests/live: a page reloaded
      got no event ever). An installation has a few areas; a LISTEN each costs nothing, and the plugin drops
      what no stream wants."""

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        return None

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        try:
            await super().publish(data, channels)
        except Exception:
            log.exception("NOTIFY failed: a change was not announced to the live boards")


class _MemoryBackend(MemoryChannelsBackend):
    """Litestar's in-memory backend; a channel once subscribed to stays so, for the same race as above (the
    plugin's unsubscribe awaits between deciding and doing)."""

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        return None


def backend_for(database_url: str) -> ChannelsBackend:
    if is_postgres(database_url):
        return _PostgresBackend(libpq_dsn(database_url))
    return _MemoryBackend()


def channels_plugin(database_url: str) -> ChannelsPlugin:
    return ChannelsPlugin(
        backend=backend_for(database_url),
        arbitrary_channels_allowed=True,  # one per area, as areas come
        subscriber_max_backlog=BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


class Publisher:
    """Listens to committed measure changes (MeasureService.changes) and publishes each on its area's channel,
    from whichever thread committed it. Says nothing until `start` names the app's event loop, nor after `stop`.
    For the in-memory backend: on PostgreSQL, `notify_in` says it in the write's transaction."""

    def __init__(self, plugin: ChannelsPlugin) -> None:
        self.plugin = plugin
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """From the thread that runs `loop` (the app's start-up)."""
        self.loop = loop
        self._loop_thread = threading.get_ident()

    def stop(self) -> None:
        self.loop = None

    def __call__(self, change: MeasureChanged) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        data = payload_bytes(change)
        channel = channel_of(change.area_id)
        # In the loop's own thread (an async handler's write), or handed over to it (a worker thread's); asked of
        # the thread, not of asyncio.get_running_loop, whose RuntimeError every worker thread would pay for.
        if threading.get_ident() == self._loop_thread:
            self.plugin.publish(data, channel)
        else:
            loop.call_soon_threadsafe(self.plugin.publish, data, channel)
