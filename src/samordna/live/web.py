"""The live stream of an area: `GET /areas/{slug}/stream`, Server-Sent Events for the open boards and measure pages
(DESIGN.md §15). HTTP in, events out; no SQL here. The LiveService decides who hears what.

The stream needs the session (without one: the log-in redirect every page gives) and membership of the area (404
otherwise, as every page of an area). It subscribes to the area's channel first and says `ready`, then sends what
a reconnecting page missed (`Last-Event-ID`, or `since` on the first connection): every change it may see, each
as an event `measure` whose SSE id is the measure event's id, or one `refresh` when too much was missed. Then the
changes as they are committed. When nothing has happened for a heartbeat, it sends a comment (proxies close idle
connections) after checking that the session still lives; once it does not, it sends `session-ended` and closes.

Server-Sent Events keep their connection open: uvicorn waits for every open stream when told to stop, so `samordna
serve` gives it --timeout-graceful-shutdown (samordna.cli).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from anyio.to_thread import run_sync
from litestar import Request, get
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage

from samordna.accounts.web import page_for
from samordna.live.channels import channel_of
from samordna.live.service import Listener, LiveService
from samordna.measures.changes import MeasureChanged
from samordna.settings import Settings
from samordna.web.session import cookie_key, session_is_fresh

RETRY_MS = 3000  # how long a browser waits before it reconnects a dropped stream
READY = "ready"
MEASURE = "measure"
REFRESH = "refresh"
ENDED = "session-ended"


def _last_seen(request: Request) -> int | None:
    """The last event the page got: the browser's `Last-Event-ID` on a reconnect, or `since` on the first."""
    raw = request.headers.get("last-event-id") or request.query_params.get("since") or ""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def message(change: MeasureChanged) -> ServerSentEventMessage:
    """What a page is told of a change: which measure, what happened, who did it. Nothing of its text."""
    data = {
        "measure": change.measure_id,
        "ref": change.ref,
        "kind": change.kind,
        "from": change.from_state,
        "to": change.to_state,
        "version": change.version,
        "actor": change.actor_name,
    }
    return ServerSentEventMessage(data=json.dumps(data, ensure_ascii=False), event=MEASURE, id=change.event_id)


class Stream:
    """One open stream: its listener, its subscription, and the checks of its session."""

    def __init__(
        self,
        request: Request,
        live: LiveService,
        channels: ChannelsPlugin,
        listener: Listener,
        *,
        heartbeat: float,
        session_id: str | None,
        after: int | None,
        lifetime: float = 1800.0,
    ) -> None:
        self.request = request
        self.live = live
        self.channels = channels
        self.listener = listener
        self.heartbeat = heartbeat
        self.session_id = session_id
        self.after = after
        self.lifetime = lifetime

    async def session_alive(self) -> bool:
        if not self.session_id:
            return False
        store = self.request.app.stores.get("sessions")
        raw = await store.get(self.session_id)
        if raw is None:
            return False
        session: dict[str, Any] = json.loads(raw)
        if not session_is_fresh(session):
            return False
        return await run_sync(self.live.still_open, self.listener, session)

    async def events(self) -> AsyncIterator[ServerSentEventMessage]:
        async with self.channels.start_subscription([channel_of(self.listener.area_id)]) as subscriber:
            # Once listening (the headers went out before): `ready`, the sign that from now on nothing committed
            # is missed, and the retry time.
            yield ServerSentEventMessage(data="{}", event=READY, retry=RETRY_MS)
            sent: set[int] = set()
            if self.after is not None:
                missed = await run_sync(lambda: self.live.missed(self.listener, after_id=self.after))
                if missed is None:
                    yield ServerSentEventMessage(data="{}", event=REFRESH)
                else:
                    for change in missed:
                        sent.add(change.event_id)
                        yield message(change)
            incoming = subscriber.iter_events()
            pending = asyncio.ensure_future(anext(incoming))
            ends = asyncio.get_running_loop().time() + self.lifetime
            try:
                while True:
                    left = ends - asyncio.get_running_loop().time()
                    if left <= 0:  # the browser reconnects (with Last-Event-ID once an event came) and reads on
                        return
                    done, _ = await asyncio.wait({pending}, timeout=min(self.heartbeat, left))
                    if not done:
                        if asyncio.get_running_loop().time() >= ends:
                            return
                        if not await self.session_alive():
                            yield ServerSentEventMessage(data="{}", event=ENDED)
                            return
                        yield ServerSentEventMessage(data=None, comment="")
                        continue
                    try:
                        raw = pending.result()
                    except StopAsyncIteration:  # the channels are shutting down
                        return
                    pending = asyncio.ensure_future(anext(incoming))
                    change = MeasureChanged.from_json(json.loads(raw))
                    if change.event_id in sent or not self.live.visible(self.listener, change):
                        continue
                    yield message(change)
            finally:
                pending.cancel()


@get("/areas/{slug:str}/stream", sync_to_thread=True, include_in_schema=False)
def area_stream(
    request: Request,
    live: NamedDependency[LiveService],
    channels: NamedDependency[ChannelsPlugin],
    settings: NamedDependency[Settings],
    slug: FromPath[str],
) -> ServerSentEvent:
    """The area's committed changes that this member may see, as they happen (see the module's docstring)."""
    page = page_for(request, slug)  # the log-in redirect without a session; 404 outside the member's areas
    listener = live.listener(actor=page.actor, slug=slug)
    stream = Stream(
        request,
        live,
        channels,
        listener,
        heartbeat=settings.live_heartbeat_seconds,
        lifetime=settings.live_stream_seconds,
        session_id=request.cookies.get(cookie_key(settings.secure_cookies)),
        after=_last_seen(request),
    )
    # X-Accel-Buffering: nginx passes the events on as they come instead of collecting them.
    return ServerSentEvent(stream.events(), headers={"X-Accel-Buffering": "no"})


HANDLERS = [area_stream]
