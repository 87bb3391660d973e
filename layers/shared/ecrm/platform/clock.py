"""Time, in the two shapes the table stores: sortable ISO strings and epoch seconds (TTL)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    return time.time()


def iso(at: float) -> str:
    """Millisecond ISO-8601 in UTC; sorts lexically in time order (used inside sort keys)."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch(at: str) -> float:
    """Epoch seconds of an ISO-8601 time (`iso`'s, or any with an offset or `Z`)."""
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
