"""The schedule tick: every item that must happen at a time carries a `keys.due(at, key)` entry
in `gsi1` (`DUE#<hour>` / `<at>#<pk>#<sk>`, sparse: the entry leaves the index when done).
Each tick (EventBridge, every minute; `ecrm serve` runs the same function on a timer) Queries
the minutes from its watermark up to now (one Query per hour they span: its sort key between
the first minute and the last), never Scans (but once, after an upgrade from the index by
minute: `ecrm.due_legacy`), and hands each entry that is due to the owner of its key:

- `CAMPAIGN#<id>` / `DUE`: `ecrm.campaigns.states.start_due` (start a scheduled campaign, or
  finish a fan-out that a crash interrupted);
- `CAMPAIGN#<id>` / `WAIT#<batch>`: `ecrm.campaigns.waits.release` (a batch held for quiet
  hours goes back to the campaign queue);
- `CAMPAIGN#<id>` / `AB#DECIDE`: `ecrm.campaigns.ab_winner.decide_due` (an A/B test's wait
  ended: choose the winner, release the batches holding the rest);
- `CONTACT#<id>` / `AUTOMATION#<rule>`: `ecrm.automations.runs.run`;
- `CONTACT#<id>` / `JOURNEY#<journey>`: handed to the journey queue (`ecrm.journeys.
  steps_queue`), whose consumers run `ecrm.journeys.engine.advance` (a run's wait ended, or its
  next send is due) many at once. Runs due in the next two minutes are sent ahead, each with
  `DelaySeconds` until its moment (`_Ahead`): 10,000 runs due in one minute are on their way
  before it starts, whenever in its minute EventBridge runs the tick. Without a journey queue
  (unit tests), the tick advances due runs itself, in turn;
- `JOURNEYS` / `JDAILY#<journey>`: `ecrm.journeys.joiners_pass.run_due` (a segment entry's
  daily pass for later joiners: its pages go to the journey queue);
- `JOURNEYS` / `JDATES#<journey>`: `ecrm.journeys.date_entry.run_day` (a date entry's day: its
  pages of contacts queued, then the next day due).

The watermark (`keys.schedule_watermark`) trails now by two minutes, so an entry that reached
the (eventually consistent) index late is still read; handlers are idempotent, and an entry
whose handler failed keeps the watermark from passing its minute, so it is tried again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from ecrm import due_legacy
from ecrm.journeys import steps_queue
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy

logger = Logger(service="mailing", child=True)

LOOKBACK = timedelta(hours=1)  # where a first tick starts
MAX_MINUTES = 24 * 60  # per tick: a long outage is caught up over several ticks
TRAIL = timedelta(minutes=2)
AHEAD = timedelta(minutes=2)  # journey runs sent this far ahead (SQS delays reach 15 minutes)

Handler = Callable[[Mapping[str, str]], None]


def _campaign(key: Mapping[str, str]) -> None:
    from ecrm.campaigns import states  # noqa: PLC0415 - each tick imports only what is due

    states.start_due(key)


def _campaign_wait(key: Mapping[str, str]) -> None:
    from ecrm.campaigns import waits  # noqa: PLC0415

    waits.release(key)


def _ab_decision(key: Mapping[str, str]) -> None:
    from ecrm.campaigns import ab_winner  # noqa: PLC0415

    ab_winner.decide_due(key)


def _automation(key: Mapping[str, str]) -> None:
    from ecrm.automations import runs  # noqa: PLC0415

    runs.run(key)


def _journey(key: Mapping[str, str]) -> None:
    from ecrm.journeys import engine  # noqa: PLC0415

    engine.advance(key)


def _joiners_pass(key: Mapping[str, str]) -> None:
    from ecrm.journeys import joiners_pass  # noqa: PLC0415

    joiners_pass.run_due(key)


def _journey_dates(key: Mapping[str, str]) -> None:
    from ecrm.journeys import date_entry  # noqa: PLC0415

    date_entry.run_day(key)


def _campaign_owner(key: Mapping[str, str]) -> Handler | None:
    if key["sk"] == "DUE":
        return _campaign
    if key == keys.campaign_ab_decision(key["pk"][9:]):
        return _ab_decision
    if key["sk"].startswith(keys.CAMPAIGN_WAITS):
        return _campaign_wait
    return None


def handler_for(key: Mapping[str, str]) -> Handler | None:
    if key["pk"].startswith("CAMPAIGN#"):
        return _campaign_owner(key)
    if key["sk"].startswith("AUTOMATION#"):
        return _automation
    if key["pk"].startswith("CONTACT#") and key["sk"].startswith(keys.JOURNEY_RUN):
        return _journey
    if key["pk"] == keys.JOURNEYS and key["sk"].startswith(keys.JOURNEY_DAILY):
        return _joiners_pass
    if key["pk"] == keys.JOURNEYS and key["sk"].startswith(keys.JOURNEY_DATES):
        return _journey_dates
    return None


@dataclass
class TickResult:
    minutes: int = 0
    handled: int = 0
    failed: int = 0
    watermark: str | None = None
    kinds: dict[str, int] = field(default_factory=dict)
    # The earliest moment an entry this tick read, and left, needs a tick (epoch seconds): its
    # due time, or a journey run's moment to be sent ahead. None: none read waits.
    next_due: float | None = None

    def waits_for(self, moment: float) -> None:
        if self.next_due is None or moment < self.next_due:
            self.next_due = moment


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _iso(at: datetime) -> str:
    return clock.iso(at.timestamp())


@dataclass
class _Ahead:
    """Journey runs are sent ahead: each tick sends the runs due up to `until` (now +
    AHEAD_SECONDS) with their delays, except those up to `since` (the previous tick's `until`,
    kept on the watermark item): they are on their way. A run due by now is sent whatever its
    moment (written after the tick that read its minute, or not moved yet: twice then, and it
    moves once). EventBridge runs a minute's tick anywhere within that minute, so ticks can be
    almost two minutes apart: the horizon covers the next tick's."""

    since: str | None
    until: str
    ok: bool = True


def tick(now: float | None = None) -> TickResult:
    moment = datetime.fromtimestamp(clock.now() if now is None else now, UTC)
    now_iso = _iso(moment)
    mark = store.get(keys.schedule_watermark())
    first = (
        datetime.fromisoformat(str(mark["minute"]).replace("Z", "+00:00"))
        if mark
        else _minute(moment - LOOKBACK)
    )
    legacy = due_legacy.Legacy.of(mark, moment)
    ahead = (
        _Ahead(mark.get("horizon") if mark else None, _iso(moment + AHEAD))
        if steps_queue.configured()
        else None
    )
    result = TickResult()
    reading = _Reading(now_iso, result, ahead, legacy)
    last = min(_minute(moment), first + timedelta(minutes=MAX_MINUTES - 1))
    # the first minute the next tick must read again: one left unread, or one that failed
    again = last + timedelta(minutes=1) if last < _minute(moment) else None
    if first <= last:
        result.minutes = int((last - first).total_seconds()) // 60 + 1
        failed = _run_span(first, last, reading)
        if failed is not None:
            again = failed if again is None else min(again, failed)
    if ahead is not None:  # only journey runs there
        _run_span(max(first, last + timedelta(minutes=1)), _minute(moment + AHEAD), reading)
    legacy.look(now_iso)
    target = _minute(moment - TRAIL)
    if again is not None:
        target = min(target, again)
    horizon = (ahead.until if ahead.ok else ahead.since) if ahead else None
    mark_minute = _iso(max(target, first))
    layout = legacy.watermark_fields(mark_minute)
    if (
        target > first
        or (ahead is not None and horizon != ahead.since)
        or any(mark is None or mark.get(name) != value for name, value in layout.items())
    ):
        item = {**keys.schedule_watermark(), "type": "watermark", "minute": mark_minute, **layout}
        store.write(store.Put({**item, **({"horizon": horizon} if horizon else {})}))
        result.watermark = mark_minute
    return result


@dataclass
class _Reading:
    """What the entries a tick reads are handled against."""

    now_iso: str
    result: TickResult
    ahead: _Ahead | None
    legacy: due_legacy.Legacy


def _run_span(first: datetime, last: datetime, reading: _Reading) -> datetime | None:
    """Handle the due entries of the minutes `first`..`last`: one Query (and its pages) per
    hour, and per minute of the old layout while it lasts. Returns the earliest minute an
    entry of which failed (None: none did)."""
    failed: str | None = None
    hour = first.replace(minute=0)
    while hour <= last:
        low, high = max(first, hour), min(last, hour + timedelta(minutes=59))
        span = (_iso(low)[:16], _iso(high)[:16] + "~")  # "~" sorts after a minute's seconds
        found = _run_entries(keys.due_hour(_iso(low)), span, reading)
        failed = min(filter(None, (failed, found)), default=None)
        for minute_iso in reading.legacy.minutes(low, high):
            found = _run_entries(keys.due_minute(minute_iso), None, reading)
            failed = min(filter(None, (failed, found)), default=None)
        hour += timedelta(hours=1)
    return None if failed is None else _minute(datetime.fromisoformat(failed[:16] + "+00:00"))


def _run_entries(partition: str, span: tuple[str, str] | None, reading: _Reading) -> str | None:
    """Handle the due entries of one index partition (within `span`); returns the earliest due
    time of an entry that failed (None: none did)."""
    failed: list[str] = []
    start: Mapping[str, Any] | None = None
    while True:
        entries, start = store.query(partition, index="gsi1", start=start, sk_between=span)
        to_queue: list[tuple[Mapping[str, Any], int, str]] = []  # key, delay, due time
        for entry in entries:
            at = str(entry["gsi1sk"]).split("#", 1)[0]
            key = {"pk": str(entry["pk"]), "sk": str(entry["sk"])}
            if reading.ahead is not None and handler_for(key) is _journey:
                _send_ahead(at, key, reading.ahead, reading, to_queue)
            elif at <= reading.now_iso:
                if not _handle(key, reading.result):
                    failed.append(at)
            else:  # due later
                reading.result.waits_for(clock.epoch(at))
        if not _hand_over([(key, delay) for key, delay, _ in to_queue], reading.result):
            failed.extend(at for _, _, at in to_queue)
            if reading.ahead is not None:
                reading.ahead.ok = False
        if not start:
            return min(failed, default=None)


def _send_ahead(
    at: str,
    key: Mapping[str, str],
    ahead: _Ahead,
    reading: _Reading,
    to_queue: list[tuple[Mapping[str, Any], int, str]],
) -> None:
    """A journey run goes to the journey queue when due, or when due before the horizon."""
    if at <= reading.now_iso or (ahead.since or "") < at <= ahead.until:
        delay = steps_queue.delay_for(clock.epoch(at), clock.epoch(reading.now_iso))
        to_queue.append((key, delay, at))
    elif at > ahead.until:  # a later tick sends it ahead
        reading.result.waits_for(clock.epoch(at) - AHEAD.total_seconds())


def _handle(key: Mapping[str, str], result: TickResult) -> bool:
    """Hand a due entry to its owner; False when that failed."""
    handler = handler_for(key)
    if handler is None:
        logger.warning("due entry without an owner", extra={"sk": key["sk"][:20]})
        return True
    try:
        handler(key)
    except Exception:
        logger.exception("due entry failed", extra={"sk": key["sk"][:20]})
        result.failed += 1
        return False
    result.handled += 1
    kind = handler.__name__.strip("_")
    result.kinds[kind] = result.kinds.get(kind, 0) + 1
    return True


def _hand_over(entries: list[tuple[Mapping[str, Any], int]], result: TickResult) -> bool:
    """Send a page's journey runs to the journey queue; False when the queue refused them
    (the minute is read again: runs already sent are sent twice, and move once)."""
    if not entries:
        return True
    try:
        steps_queue.send(entries)
    except Busy:
        logger.exception("journey runs not queued", extra={"count": len(entries)})
        result.failed += len(entries)
        return False
    result.handled += len(entries)
    result.kinds["journey_queued"] = result.kinds.get("journey_queued", 0) + len(entries)
    return True
