"""The live benchmark's floor: a minimal Litestar app with the SAME Channels plugin as Samordna (samordna.live.channels:
the in-memory backend, or LISTEN/NOTIFY through the psycopg backend when BENCH_LIVE_DB names PostgreSQL; the same
backlog settings), serving Server-Sent Events and broadcasting on a POST. No sessions, no CSRF, no policy, no
database (but the LISTEN connection), no heartbeat, no replay: what any SSE fan-out through Litestar must pay.

`uvicorn bench.live_floor:create --factory` with BENCH_LIVE_DB (a database URL, or `memory://`).
Routes: /healthz · GET /areas/{slug}/stream (`ready`, then every message of the channel as an event `measure`
whose SSE id is the message's `event_id`) · POST /areas/{slug}/publish with a JSON change (MeasureChanged's
shape): published as is on the area's channel; answers `{"at": time.time() just before the publish}`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.response import ServerSentEvent, ServerSentEventMessage

from samordna.live.channels import channels_plugin

CHANNEL = "samordna_area_1"  # the floor serves one area: every slug maps to it


@get("/healthz", sync_to_thread=False)
def healthz() -> str:
    return "ok"


@get("/areas/{slug:str}/stream")
async def stream(channels: ChannelsPlugin, slug: str) -> ServerSentEvent:
    async def events() -> AsyncIterator[ServerSentEventMessage]:
        async with channels.start_subscription([CHANNEL]) as subscriber:
            yield ServerSentEventMessage(data="{}", event="ready", retry=3000)
            async for raw in subscriber.iter_events():
                change = json.loads(raw)
                yield ServerSentEventMessage(data=raw.decode(), event="measure", id=change["event_id"])

    return ServerSentEvent(events(), headers={"X-Accel-Buffering": "no"})


@post("/areas/{slug:str}/publish", status_code=200)
async def publish(request: Request, channels: ChannelsPlugin, slug: str) -> dict[str, Any]:
    body = await request.body()
    at = time.time()
    channels.publish(body.decode(), CHANNEL)
    return {"at": at}


def create() -> Litestar:
    return Litestar(
        route_handlers=[healthz, stream, publish],
        plugins=[channels_plugin(os.environ.get("BENCH_LIVE_DB", "memory://"))],
    )
