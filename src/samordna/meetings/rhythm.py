"""A year of meeting dates from a rhythm («2nd Tuesday of every month except July»), with Norwegian public
holidays skipped or moved to the next working day. Pure Python: no SQL, no HTTP.

Public holidays come from the `holidays` library, asked for one year with `expand=False`: a lookup must
not quietly add the next year's holidays (a date of 2028 would otherwise be «in» the holidays of 2027).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

from samordna.i18n import gettext as _
from samordna.meetings.views import PlannedDate, SkippedDate

LAST = 5  # `nth` for «the last» weekday of the month
ON_HOLIDAY = ("skip", "move")  # a rhythm date on a public holiday: left out, or the next working day


@dataclass(frozen=True)
class Rhythm:
    weekday: int  # 0 = Monday … 6 = Sunday
    nth: int  # 1–4, or LAST
    skip_months: frozenset[int] = frozenset()
    on_holiday: str = "skip"


def public_holidays(year: int) -> dict[date, str]:
    """Norway's public holidays of `year` (names in Norwegian), and of the first days of the next (a date
    moved past New Year's Eve)."""
    found: dict[date, str] = {}
    for y in (year, year + 1):
        found.update(holidays.Norway(years=y, language="no", expand=False).items())
    return found


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The `nth` (1–4, or LAST) `weekday` of the month."""
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    return days[-1] if nth == LAST else days[nth - 1]


def plan_dates(year: int, rhythm: Rhythm) -> tuple[list[PlannedDate], list[SkippedDate]]:
    """The rhythm's dates in `year`, and those left out with why (in the current language)."""
    off = public_holidays(year)
    planned: list[PlannedDate] = []
    skipped: list[SkippedDate] = []
    for month in range(1, 13):
        day = nth_weekday(year, month, rhythm.weekday, rhythm.nth)
        if month in rhythm.skip_months:
            skipped.append(SkippedDate(day, _("Måneden er unntatt i rytmen.")))
            continue
        if day not in off:
            planned.append(PlannedDate(day))
            continue
        if rhythm.on_holiday == "move":
            moved = day + timedelta(days=1)
            while moved.weekday() >= 5 or moved in off:
                moved += timedelta(days=1)
            planned.append(PlannedDate(moved, moved_from=day, holiday=off[day]))
        else:
            skipped.append(SkippedDate(day, _("Helligdag: {name}.").format(name=off[day])))
    return planned, skipped
