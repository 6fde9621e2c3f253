"""`samordna serve --scheduler`: the digest every morning at 07:00 (the installation's time zone), in-process.

An asyncio task in the server's event loop sleeps until the next 07:00, then runs the day's work in a worker
thread (never in the event loop): `NotificationService.scheduled_run`, which takes the database lock for the
day — so with several workers, or several machines on one PostgreSQL, one process runs it and the others find
the day done. After 07:00 the task also looks again every few minutes, which sends what is due for a retry
and lets a process started later in the day (or after the winner died: its lock runs out) do a day's run
that has not been done. Stopping the server cancels the task; a run under way finishes its thread first.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta

import anyio.to_thread

from samordna.domain.clock import Clock
from samordna.notifications.service import NotificationService, holder_name

log = logging.getLogger("samordna.scheduler")
RETRY_EVERY = timedelta(minutes=5)  # after 07:00: the day's run if not done yet, and the retries due


def seconds_until_next(now: datetime, clock: Clock, at: time = time(7, 0)) -> float:
    """Seconds from `now` to the next `at` (07:00) in the clock's zone (today's if still to come)."""
    local = now.astimezone(clock.tz)
    target = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)  # the same wall-clock hour tomorrow, also across a change of summer time
    # Subtracted in UTC: between two times of one zone Python would subtract wall-clock times.
    return max((target.astimezone(UTC) - now.astimezone(UTC)).total_seconds(), 0.0)


class Scheduler:
    def __init__(self, notifications: NotificationService) -> None:
        self.notifications = notifications
        self.clock = notifications.clock
        self.at = notifications.settings.remind_at
        self.holder = holder_name()
        self.task: asyncio.Task[None] | None = None
        self.runs = 0  # days this process ran (tests and the log)

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._loop(), name="samordna-scheduler")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
            self.task = None

    async def _loop(self) -> None:
        while True:
            now = self.clock.now()
            local = now.astimezone(self.clock.tz)
            if local.time() >= self.at:
                await self.tick()
                wait = min(RETRY_EVERY.total_seconds(), seconds_until_next(self.clock.now(), self.clock, self.at))
            else:
                wait = seconds_until_next(now, self.clock, self.at)
            await asyncio.sleep(max(wait, 1.0))

    async def tick(self) -> None:
        """One look: the day's run if this process wins it, then the sending that is due."""
        try:
            report = await anyio.to_thread.run_sync(self._work, abandon_on_cancel=False)
        except Exception:  # a failed run is logged; the loop goes on (the lock runs out, another try follows)
            log.exception("the reminder run failed")
            return
        if report is not None:
            self.runs += 1
            log.info("reminders for %s: %s mails, %s notifications", report.day, report.mails, report.notifications)

    def _work(self):  # type: ignore[no-untyped-def]
        if self.notifications.done_day() == self.clock.today():
            self.notifications.deliver()
            return None
        return self.notifications.scheduled_run(holder=self.holder)
