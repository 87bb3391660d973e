"""A `wait_until` step's moment: the next time the contact's wall clock shows the step's time
of day, in the contact's zone as every local-time send reads it (`ecrm.mail.zones.zone_of`:
their own `time_zone`, else their country's, else the account's zone of the send policy, else
UTC). Daylight saving as quiet hours and local-time campaigns (`quiet_hours.instants`): a time
the clocks skip is the jump itself, a time they repeat is its first pass, and a day is a wall
clock day (23 or 25 hours across a change)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ecrm.mail import quiet_hours, send_policy_view, zones


def minute_of(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def next_moment(now: float, minute: int, zone: Any) -> float:
    """The first instant after `now` at which the clock in `zone` shows `minute` of a day."""
    today = datetime.fromtimestamp(now, zone).date()
    for ahead in range(3):
        for instant in quiet_hours.instants(today + timedelta(days=ahead), minute, zone):
            if instant > now:
                return instant
    raise AssertionError("a time of day comes round within two days")


def moment(contact: Mapping[str, Any] | None, step: Mapping[str, Any], now: float) -> float:
    """When a wait at this `wait_until` step ends for this contact (its zone fields)."""
    zone = zones.zone_of(contact, send_policy_view.current().zone)
    return next_moment(now, minute_of(str(step["time"])), zone)
