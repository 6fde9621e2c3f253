"""Time as the application sees it: aware UTC instants and the local date in the area's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """`value` with UTC as its zone when the database gave it back naive (SQLite stores no zone)."""
    if value is None or value.tzinfo:
        return value
    return value.replace(tzinfo=UTC)


class Clock:
    """The one source of «now» for services: tests and the demo move it by replacing `source`."""

    def __init__(self, timezone: str = "Europe/Oslo", source: Callable[[], datetime] | None = None) -> None:
        self.tz = ZoneInfo(timezone)
        self.source: Callable[[], datetime] = source or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.source()

    def today(self) -> date:
        return self.source().astimezone(self.tz).date()

    def year_span(self, year: int) -> tuple[datetime, datetime]:
        """The local calendar year as UTC instants: [1 January 00:00, the next 1 January 00:00)."""
        return (
            datetime(year, 1, 1, tzinfo=self.tz).astimezone(UTC),
            datetime(year + 1, 1, 1, tzinfo=self.tz).astimezone(UTC),
        )
