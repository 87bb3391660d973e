"""A campaign sent "at 09:00 local on 8 December": each recipient gets it when their own wall
clock shows that time on that day (their zone: `ecrm.mail.zones.zone_of`, the account's zone by
default), in waves, one per moment (a zone offset), each paced like any campaign send.

- **Scheduling** (`ecrm.campaigns.states.schedule_local`): the campaign starts at the earliest
  moment anywhere (the time on that day at UTC+14, `first`), or at once when that has passed;
  a day on which the time has passed everywhere (UTC-12, `last`) is refused.
- **Planning** (`ecrm.campaigns.plan`): each audience page reads its recipients' zone fields
  once (one BatchGetItem per 100) and orders them by their moment, so that each batch holds
  one wave (`waves`); a batch's message says when it may go (`not_before`), and the sender
  holds a batch that comes early (`ecrm.campaigns.waits`) until the schedule tick releases it
  at that moment: a wave's batches reach the queue together and share the send pace.
- **Sending** (`ecrm.campaigns.recipients`): each recipient's moment is judged again from the
  contact as it is then (a zone changed since planning holds them to the new moment; quiet
  hours still apply after it). A recipient whose moment has passed (the campaign was
  scheduled late, paused, or a zone moved earlier) is sent at once: a campaign is news of its
  day, and waiting a day more would keep it sending for another day.
- **Daylight saving**: the moment is the wall clock's (zoneinfo): a 02:30 that the clocks skip
  is the jump itself, a 01:30 they repeat is its first pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from typing import Any

from ecrm.mail import quiet_hours, zones
from ecrm.mail.send_policy_view import minutes
from ecrm.platform import keys, store

EARLIEST, LATEST = timedelta(hours=14), timedelta(hours=12)  # the world's zones: UTC+14..-12


@dataclass(frozen=True, slots=True)
class LocalTime:
    minute: int  # after local midnight
    on: date

    @classmethod
    def of(cls, campaign: Mapping[str, Any]) -> LocalTime | None:
        """The campaign's local time (its `local_time` item attribute), None for a plain one."""
        spec = campaign.get("local_time")
        if not isinstance(spec, Mapping):
            return None
        return cls(minutes(str(spec["time"])), date.fromisoformat(str(spec["on"])))

    def item(self) -> dict[str, str]:
        hh_mm = f"{self.minute // 60:02d}:{self.minute % 60:02d}"
        return {"time": hh_mm, "on": self.on.isoformat()}

    def _naive_utc(self) -> datetime:
        return datetime.combine(self.on, wall(self.minute // 60, self.minute % 60), UTC)

    def first(self) -> float:
        """The earliest moment anywhere (UTC+14)."""
        return (self._naive_utc() - EARLIEST).timestamp()

    def last(self) -> float:
        """The latest moment anywhere (UTC-12)."""
        return (self._naive_utc() + LATEST).timestamp()

    def at(self, tz: Any) -> float:
        """The moment in zone `tz` (the first, when the clocks go back over it)."""
        return quiet_hours.instants(self.on, self.minute, tz)[0]

    def moment_of(self, contact: Mapping[str, Any] | None, default_zone: str) -> float:
        return self.at(zones.zone_of(contact, default_zone))


def moments(spec: LocalTime, contact_ids: Sequence[str], default_zone: str) -> dict[str, float]:
    """Each recipient's moment, from their zone fields (one BatchGetItem per 100); a contact
    gone meanwhile gets the default zone's (the sender skips it anyway)."""
    wanted = [keys.contact(c) for c in dict.fromkeys(contact_ids)]
    found = store.batch_get(wanted, consistent=False, attributes=["pk", *zones.ATTRIBUTES])
    by_zone: dict[str, float] = {}
    result = {}
    for contact_id in contact_ids:
        key = keys.contact(contact_id)
        tz = zones.zone_of(found.get((key["pk"], key["sk"])), default_zone)
        result[contact_id] = by_zone.setdefault(tz.key, spec.at(tz))
    return result


Bounds = tuple[int, int, float | None]  # a batch: recipients [start, end), not before


def waves(
    recipients: list[Any], moment: Mapping[str, float], size: int
) -> tuple[list[Any], list[Bounds]]:
    """The page's recipients ordered by moment (stable), and its batches: each wave in equal
    parts of at most `size`, never two waves in one batch."""
    ordered = sorted(recipients, key=lambda r: moment[r[0]])
    bounds: list[Bounds] = []
    start = 0
    while start < len(ordered):
        at = moment[ordered[start][0]]
        end = start
        while end < len(ordered) and moment[ordered[end][0]] == at:
            end += 1
        count = end - start
        parts = -(-count // size)
        step = -(-count // parts)
        bounds += [(s, min(s + step, end), at) for s in range(start, end, step)]
        start = end
    return ordered, bounds
