"""The calendar of a date entry (`{"date_field", "days", "every_year", "time"}`), plain values
and arithmetic only (no table, no clock): which contacts a day's run enters, and when a day's
run is due.

- A run for day `D` (the send policy's zone) enters the contacts whose date falls on
  `D - days`: `days` -7 enters a week before the date, 3 three days after, 0 on it.
- `every_year` (a birthday, an anniversary): the date's day of the year, in every year from the
  date's own (a date still to come enters nobody before it); a 29 February counts on 28
  February of the years without one. Otherwise (a renewal) the date itself, once.
- A day's run is due at `time` on `D`, in the zone (a time the clocks skip: the jump itself; a
  time they repeat: its first pass, as `wait_until`).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ecrm.journeys.local_wait import minute_of
from ecrm.mail import quiet_hours

LEAP_DAY = "02-29"


@dataclass(frozen=True)
class DateRule:
    field: str
    days: int
    every_year: bool
    time: str = "09:00"  # HH:MM, in the send policy's zone

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> DateRule | None:
        """A stored entry's rule (None: the entry is no date entry)."""
        if not entry.get("date_field"):
            return None
        return cls(
            field=str(entry["date_field"]),
            days=int(entry["days"]),
            every_year=bool(entry["every_year"]),
            time=str(entry.get("time") or "09:00"),
        )

    def target(self, day: date) -> date:
        """The date a run on `day` enters the contacts of."""
        return day - timedelta(days=self.days)

    def partitions(self, day: date) -> list[str]:
        """The days of the year (`MM-DD`) whose index partitions a run on `day` reads."""
        target = self.target(day)
        found = [target.strftime("%m-%d")]
        if self.every_year and found == ["02-28"] and not calendar.isleap(target.year):
            found.append(LEAP_DAY)
        return found

    def years(self, day: date) -> tuple[int | None, int | None]:
        """(the year the dates must be of, the last year they may be of): a one-off date is
        of the target's year; an anniversary of any year up to it."""
        year = self.target(day).year
        return (None, year) if self.every_year else (year, None)


def day_of(at: float, zone: ZoneInfo) -> date:
    """The day the clock in `zone` shows at `at`."""
    return datetime.fromtimestamp(at, zone).date()


def due_at(day: date, hh_mm: str, zone: ZoneInfo) -> float:
    """When the run for `day` is due: `hh_mm` on that day in `zone`."""
    return quiet_hours.instants(day, minute_of(hh_mm), zone)[0]


def first_day(now: float, hh_mm: str, zone: ZoneInfo) -> tuple[date, float]:
    """The first run of a version published at `now`: today's, due at its time, or at once when
    that is past (today's dates still enter: the re-entry rule keeps out whom an earlier
    version entered today)."""
    today = day_of(now, zone)
    return today, max(now, due_at(today, hh_mm, zone))


def next_day(day: date, hh_mm: str, zone: ZoneInfo, now: float) -> tuple[date, float]:
    """The run after `day`'s: the next day at its time, and never before `now` (a tick catching
    up after an outage writes it where it reads next)."""
    following = day + timedelta(days=1)
    return following, max(now, due_at(following, hh_mm, zone))
