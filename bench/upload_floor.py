"""The upload benchmark's floor: a bare ASGI function whose receive loop writes the request body straight to a
file, served by uvicorn exactly as `samordna serve` serves Samordna (same server, same worker count, same
client). It is what any upload must pay: the bytes off the socket through the HTTP server into a file on the
same disk — no framework, no authentication, no multipart parsing, no checks, no database.

`uvicorn bench.upload_floor:create --factory` with BENCH_UPLOAD_DIR naming the folder it writes into.
Routes: /healthz · POST anything (201, `{"size": n}`).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any


def create() -> Any:
    folder = Path(os.environ["BENCH_UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        status, payload = 404, b"not found"
        if scope["path"] == "/healthz":
            status, payload = 200, b"ok"
        elif scope["method"] == "POST":
            size = 0
            with open(folder / f"upload-{uuid.uuid4().hex}", "wb") as out:
                while True:
                    message = await receive()
                    chunk = message.get("body", b"")
                    out.write(chunk)
                    size += len(chunk)
                    if not message.get("more_body"):
                        break
            status, payload = 201, json.dumps({"size": size}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app
