"""Storing marketer-edited definitions (templates, segments): created once under their id,
then replaced version by version, never over an edit the marketer has not seen; and how long a
function's copy of one may serve (`still_fresh`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ecrm.platform import store
from ecrm.platform.errors import Conflict
from ecrm.platform.settings import settings


def still_fresh(read_at: float, fresh_since: float | None = None) -> bool:
    """Whether a copy whose read began at `read_at` (`time.monotonic()`) may serve: for
    `DEFINITION_CACHE_SECONDS`, or, with `fresh_since` (a stream batch's start), when the read
    began after it, however short the cache time (one read a batch where nothing is cached)."""
    if time.monotonic() - read_at < settings().definition_cache_seconds:
        return True
    return fresh_since is not None and read_at >= fresh_since


def put_new(item: Mapping[str, Any], noun: str, definition_id: str) -> None:
    try:
        store.write(store.Put(dict(item), condition="attribute_not_exists(pk)"))
    except store.ConditionFailed:
        raise Conflict(f"A {noun} with id {definition_id!r} exists already.") from None


def check_expected(noun: str, current_version: int, expected_version: int | None) -> None:
    """The version the marketer edited (If-Match / body) must be the stored one."""
    if expected_version is not None and expected_version != current_version:
        raise Conflict(f"The {noun} changed since you loaded it; reload and edit again.")


def put_next(item: Mapping[str, Any], noun: str, seen_version: int) -> None:
    """Replace the version read a moment ago; a concurrent edit in between is a conflict."""
    try:
        store.write(
            store.Put(dict(item), condition="version = :seen", values={":seen": seen_version})
        )
    except store.ConditionFailed:
        raise Conflict(f"The {noun} changed meanwhile; reload and edit again.") from None
