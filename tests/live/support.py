"""A Server-Sent Events reader for the live tests: an httpx stream read line by line in a thread of its own, each
event parsed (id, event, data, comments) into a queue to wait on. No tests here."""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

import httpx

CLOSED = {"closed": True}


class SSE:
    """`SSE(base_url, "/areas/alfa/stream", cookies=..., headers=...)`: opens the stream at once."""

    def __init__(self, base_url: str, path: str, *, cookies: httpx.Cookies, headers: dict[str, str] | None = None):
        self.client = httpx.Client(base_url=base_url, cookies=cookies, timeout=httpx.Timeout(30, read=None))
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self.opened = threading.Event()
        self.status: int | None = None
        self.headers: httpx.Headers | None = None
        self.after: int | None = None  # measure events up to this id are passed over by `next`
        self._response: httpx.Response | None = None
        self.thread = threading.Thread(target=self._run, args=(path, headers or {}), daemon=True)
        self.thread.start()
        if not self.opened.wait(30):
            raise AssertionError("the stream did not answer")
        if self.status == 200:  # `ready` comes once the stream listens to its channel
            first = self.queue.get(timeout=30)
            assert first.get("event") == "ready", first

    def _run(self, path: str, headers: dict[str, str]) -> None:
        try:
            with self.client.stream("GET", path, headers=headers) as r:
                self._response = r
                self.status, self.headers = r.status_code, r.headers
                self.opened.set()
                event: dict[str, Any] = {}
                for line in r.iter_lines():
                    if line == "":
                        if event:
                            self.queue.put(event)
                        event = {}
                    elif line.startswith(":"):
                        self.queue.put({"comment": line[1:].strip()})
                    else:
                        name, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        event[name] = event[name] + "\n" + value if name == "data" and name in event else value
        except (httpx.HTTPError, RuntimeError):
            pass
        finally:
            self.opened.set()
            self.queue.put(CLOSED)

    def next(self, event: str = "measure", timeout: float = 15) -> dict[str, Any]:
        """The next event named `event` (comments and other events skipped); its data parsed as JSON."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {event!r} event within {timeout} s") from None
            if got is CLOSED:
                raise AssertionError(f"the stream closed before a {event!r} event")
            if got.get("event") == event:
                if event == "measure" and self.after is not None and int(got.get("id") or 0) <= self.after:
                    continue
                return {**got, "data": json.loads(got.get("data") or "null")}

    def until_closed(self, timeout: float = 15) -> list[dict[str, Any]]:
        """Every event up to the end of the stream."""
        seen = []
        while True:
            try:
                got = self.queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"the stream did not close within {timeout} s") from None
            if got is CLOSED:
                return seen
            seen.append(got)

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
        self.client.close()
        self.thread.join(timeout=10)
