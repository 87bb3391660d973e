"""Quiet hours: no marketing mail while the recipient's local wall clock is in the window
(`send_policy_view.QuietHours`, e.g. 21:00 to 08:00); a send that would fall in it waits for
its end. Pure arithmetic on epoch seconds, here so that it is tested on its own (DST edges,
windows crossing midnight).

- **Whose clock**: the recipient's zone, `ecrm.mail.zones.zone_of` (their profile's
  `time_zone`, else their single-zone `country`, else the policy's default zone).
- **Wall-clock semantics**: quiet means the local clock shows a time in [start, end). When
  clocks go back, the repeated hour is quiet again if its wall time is in the window; when they
  go forward, the window ends at the first instant whose wall time is at or after `end` (an
  `end` inside the skipped hour ends at the jump).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as wall
from zoneinfo import ZoneInfo

from ecrm.mail.send_policy_view import QuietHours


def _minute_of(at: float, tz: ZoneInfo) -> float:
    local = datetime.fromtimestamp(at, tz)
    return local.hour * 60 + local.minute + local.second / 60


def in_window(minute: float, hours: QuietHours) -> bool:
    if hours.start < hours.end:
        return hours.start <= minute < hours.end
    return minute >= hours.start or minute < hours.end  # crosses midnight


def is_quiet(at: float, hours: QuietHours, tz: ZoneInfo) -> bool:
    return in_window(_minute_of(at, tz), hours)


def instants(day: date, minute: int, tz: ZoneInfo) -> list[float]:
    """Every epoch second at which the local clock first shows `day` at `minute`: two when the
    clocks go back over it, the jump itself when they skip it."""
    local = datetime.combine(day, wall(minute // 60, minute % 60))
    found = set()
    for fold in (0, 1):
        instant = local.replace(tzinfo=tz, fold=fold).timestamp()
        if datetime.fromtimestamp(instant, tz).replace(tzinfo=None) == local:
            found.add(instant)
    if not found:  # skipped: the first instant whose wall time is past it
        low = min(local.replace(tzinfo=tz, fold=f).timestamp() for f in (0, 1))
        high = max(local.replace(tzinfo=tz, fold=f).timestamp() for f in (0, 1))
        while high - low > 1:
            middle = (low + high) // 2
            shown = datetime.fromtimestamp(middle, tz).replace(tzinfo=None)
            low, high = (middle, high) if shown < local else (low, middle)
        found.add(high)
    return sorted(found)


def ends_at(at: float, hours: QuietHours, tz: ZoneInfo) -> float:
    """When a send at `at` may go: `at` itself outside quiet hours, else the window's end."""
    if not is_quiet(at, hours, tz):
        return at
    today = datetime.fromtimestamp(at, tz).date()
    candidates = [
        instant
        for offset in (-1, 0, 1, 2)
        for instant in instants(today + timedelta(days=offset), hours.end, tz)
        if instant > at and not is_quiet(instant, hours, tz)
    ]
    return min(candidates)


def release_time(at: float, hours: QuietHours | None, tz: ZoneInfo) -> float:
    """`ends_at`, or `at` when quiet hours are off."""
    return at if hours is None else ends_at(at, hours, tz)
