"""Due entries of the minute layout: the due index was partitioned by minute
(`keys.due_minute`) before it was by hour (`keys.due_hour`). A deployment upgraded from then
may hold entries due at any later time (a campaign scheduled for next month); the tick reads
their minutes' partitions as well until none can be left, then by hour only.

The watermark item carries the state. A new deployment's first tick finds no watermark and
writes `due_layout: hour`: nothing old to read. An upgraded one finds a watermark without it:

1. Its ticks read each minute's own partition beside the hour's (the old cost: a Query a
   minute) while they look for the latest minute an old entry is due.
2. From `SCAN_DELAY` after the first such tick (by then no function of the old code can still
   write one: a Lambda invocation lasts 15 minutes at most), each tick Scans up to
   `PAGES_PER_TICK` pages of the index's keys (a cursor on the watermark) and keeps the latest
   minute of an entry with a minute partition (`legacy_latest`).
3. Once the Scan is done, only minutes up to `legacy_latest` are read the old way; when the
   watermark has passed it, the layout is `hour` and the state is dropped.

Entries are never moved: each is read where it was written, so no tick can miss one that
another moved meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy

logger = Logger(service="mailing", child=True)

SCAN_DELAY = timedelta(minutes=15)
PAGES_PER_TICK = 10
SCAN_PAGE = 2_000  # index keys a page (a 1 MB page holds about 5,000)
HOUR = "hour"
_MINUTE_PARTITION = len(keys.due_minute("2024-05-01T10:31"))
_STATE = ("legacy_scan_after", "legacy_cursor", "legacy_latest", "legacy_scanned")


@dataclass
class Legacy:
    """What of the minute layout a tick reads, and the state its watermark keeps."""

    state: dict[str, Any] = field(default_factory=dict)  # empty: the hour layout only

    @classmethod
    def of(cls, mark: Mapping[str, Any] | None, moment: datetime) -> Legacy:
        if mark is None or mark.get("due_layout") == HOUR:
            return cls()
        state = {name: mark[name] for name in _STATE if name in mark}
        state.setdefault("legacy_scan_after", clock.iso((moment + SCAN_DELAY).timestamp()))
        return cls(state)

    def minutes(self, first: datetime, last: datetime) -> Iterator[str]:
        """The minutes of `first`..`last` whose own partitions the tick reads too (ISO times)."""
        if not self.state:
            return
        latest = self.state.get("legacy_latest")
        if self.state.get("legacy_scanned"):
            if latest is None:
                return
            last = min(last, datetime.fromisoformat(latest + "+00:00"))
        minute = first
        while minute <= last:
            yield clock.iso(minute.timestamp())
            minute += timedelta(minutes=1)

    def look(self, now_iso: str) -> None:
        """A tick's part of the Scan for the latest minute an old entry is due."""
        if not self.state or self.state.get("legacy_scanned"):
            return
        if now_iso < self.state["legacy_scan_after"]:
            return
        start = self.state.get("legacy_cursor")
        for _ in range(PAGES_PER_TICK):
            try:
                entries, start = store.scan_index("gsi1", start, SCAN_PAGE)
            except Busy:  # the next tick goes on from the last page read
                logger.warning("due index scan throttled")
                break
            for entry in entries:
                partition = str(entry.get("gsi1pk", ""))
                if partition.startswith("DUE#") and len(partition) == _MINUTE_PARTITION:
                    minute = str(entry["gsi1sk"])[:16]
                    self.state["legacy_latest"] = max(self.state.get("legacy_latest", ""), minute)
            if not start:
                self.state.pop("legacy_cursor", None)
                self.state["legacy_scanned"] = True
                return
            self.state["legacy_cursor"] = start

    def watermark_fields(self, watermark_minute: str) -> dict[str, Any]:
        """What the watermark item carries after a tick that leaves it at `watermark_minute`."""
        latest = self.state.get("legacy_latest")
        if not self.state or (
            self.state.get("legacy_scanned") and (latest is None or latest < watermark_minute[:16])
        ):
            return {"due_layout": HOUR}
        return dict(self.state)
