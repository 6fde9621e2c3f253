"""Streamed answers whose parts come from blocking work (database reads, a file): each part made in a worker
thread, so the event loop never waits on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")
_DONE = object()


async def in_thread(items: Iterator[T]) -> AsyncIterator[T]:
    """The parts of `items` (a generator that blocks: it reads a database or a file), each `next()` run in a
    worker thread. When the stream ends early — the client went away, or sending failed — the generator is
    closed in a worker thread too (shielded from the cancellation), so its transaction or file is let go at
    once rather than whenever it is collected.

    Unlike Litestar's own wrapper for a plain iterator, an error inside `items` is not taken for its end (it
    turns a ValueError into one): the answer breaks off, so a cut-off file is never mistaken for a whole one."""
    try:
        while True:
            item = await anyio.to_thread.run_sync(next, items, _DONE)
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(close)
