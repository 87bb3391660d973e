"""Keys of the machinery every capability shares: idempotency markers, rate counters, used
tokens, the listing index, definition holds, the due index and its watermark."""

from __future__ import annotations

from ecrm.platform.digests import digest as _digest


def idempotency(scope: str, key: str) -> dict[str, str]:
    return {"pk": f"IDEMPOTENCY#{_digest(scope, key).hex()}", "sk": "IDEMPOTENCY"}


def rate_counter(scope: str, subject: str, window: int) -> dict[str, str]:
    return {"pk": f"RATE#{scope}#{_digest(scope, subject).hex()[:32]}#{window}", "sk": "RATE"}


def used_token(token_id: str) -> dict[str, str]:
    return {"pk": f"TOKEN#{token_id}", "sk": "USED"}


def due_hour(at_iso: str) -> str:
    """The sparse due-time index partition of a moment: its hour, `DUE#2024-05-01T10`."""
    return f"DUE#{at_iso[:13]}"


def due_minute(at_iso: str) -> str:
    """The partition a moment's due entries had before the index was kept by hour
    (`DUE#2024-05-01T10:31`): read until none is left (`ecrm.due_legacy`)."""
    return f"DUE#{at_iso[:16]}"


def due(at_iso: str, key: dict[str, str]) -> dict[str, str]:
    """gsi1 entry that makes an item due at `at_iso` (the tick reads a span of minutes of an
    hour in one Query: the sort key starts with the moment)."""
    return {"gsi1pk": due_hour(at_iso), "gsi1sk": f"{at_iso}#{key['pk']}#{key['sk']}"}


def definition_holds(definition: dict[str, str]) -> dict[str, str]:
    """How many draft/scheduled campaigns and automations use a template or segment (beside
    the definition, so replacing the definition item leaves the count alone)."""
    return {"pk": definition["pk"], "sk": "HOLDS"}


def listing(kind: str, sort: str) -> dict[str, str]:
    """gsi1 entry that lists a marketer's objects of one kind (`LIST#campaign`, by `sort`)."""
    return {"gsi1pk": f"LIST#{kind}", "gsi1sk": sort}


def listing_partition(kind: str) -> str:
    return f"LIST#{kind}"


def schedule_watermark() -> dict[str, str]:
    """The last due-index minute the schedule tick has read completely."""
    return {"pk": "SCHEDULE#tick", "sk": "WATERMARK"}
