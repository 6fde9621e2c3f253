"""The password gate: argon2 work (a log-in, a password change) in a small thread pool of its own, with a
bounded wait.

Each argon2id check with OWASP's parameters (m=19 MiB, t=2, p=1) takes about 25 ms of one core and 19 MiB
of memory while it runs. A burst of 200 log-ins at the start of a meeting would otherwise fill the worker
threads every page shares (anyio's default limiter, 40 threads): the boards would queue behind the log-ins,
and 40 checks at once would hold 760 MiB. Here at most `slots` (about the number of cores) run at once per
process, so memory stays at `slots` × 19 MiB, the other threads stay free for the pages, and a log-in that
cannot start within `wait_seconds` is answered at once (Busy, 503 with Retry-After) instead of waiting for
minutes. The whole log-in runs in a slot — its throttling rows, the check and its outcome — so the pending
attempts that the throttle counts as failures stay at most `slots` per process too.

The pool is made in the process that first uses it (after a server forks its workers) and its threads are
created as they are needed. The wait happens in the event loop, which costs nothing while it waits.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from samordna.domain.errors import Busy
from samordna.i18n import gettext as _

T = TypeVar("T")


def default_slots() -> int:
    """The cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class PasswordGate:
    """At most `slots` password jobs at once in this process; a job that cannot start within `wait_seconds`
    raises Busy (and never runs)."""

    def __init__(self, *, slots: int, wait_seconds: float) -> None:
        if slots < 1:
            raise ValueError("a password gate needs at least one slot")
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="samordna-password")
                self._pid = os.getpid()
            return self._pool

    @property
    def retry_after(self) -> int:
        """Seconds a refused browser is asked to wait (Retry-After)."""
        return max(1, math.ceil(self.wait_seconds))

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in one of the gate's threads (with this request's context: its language); its result or its
        exception. Raises Busy when no slot came free within `wait_seconds`. A request cancelled while waiting
        (the client left) takes its job out of the queue."""
        job = self._executor().submit(contextvars.copy_context().run, work)
        waiting = asyncio.wrap_future(job)  # cancelling this cancels the job if it has not started
        try:
            done, _pending = await asyncio.wait({waiting}, timeout=self.wait_seconds)
        except asyncio.CancelledError:
            job.cancel()  # the request was cancelled while its job waited: the job never runs
            raise
        if not done and job.cancel():  # still queued: it will never run
            raise Busy(
                _("Mange logger inn akkurat nå. Vent noen sekunder og prøv igjen."), retry_after=self.retry_after
            )
        return await waiting  # started in time: it runs to its end

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
