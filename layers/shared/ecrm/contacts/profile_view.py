"""The profile schema's topics as a campaign's mail names them (its List-Id's label): read from
the stored definition as it is, without pydantic (`profile_schema` validates it when saved), so
the campaign sender's cold start imports none (issue 15 point 7). Cached like the definition
itself (`DEFINITION_CACHE_SECONDS`); `profile_schema.forget_cached` forgets this too."""

from __future__ import annotations

import threading
import time

from ecrm.platform import keys, store
from ecrm.platform.settings import settings

_cache: tuple[float, dict[str, str]] | None = None
_lock = threading.Lock()


def topic_label(topic: str) -> str:
    """The topic's label in the profile schema, else its id."""
    return _labels().get(topic, topic)


def _labels() -> dict[str, str]:
    global _cache  # noqa: PLW0603 - a one-entry cache shared by the threads of one process
    with _lock:
        cached = _cache
    if cached and time.monotonic() - cached[0] < settings().definition_cache_seconds:
        return cached[1]
    item = store.get(keys.profile_schema(), consistent=False)
    labels = {str(t["id"]): str(t["label"]) for t in (item or {}).get("topics") or ()}
    with _lock:
        _cache = (time.monotonic(), labels)
    return labels


def forget_cached() -> None:
    global _cache  # noqa: PLW0603
    with _lock:
        _cache = None
