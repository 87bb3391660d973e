"""Listing a marketer's objects (templates, segments, campaigns) without a Scan: each carries a
`keys.listing(kind, sort)` entry in the keys-only `gsi1`; a page is one Query of that partition
and one BatchGetItem of the items it names. The cursor is the page's LastEvaluatedKey, opaque
to clients (base64url JSON) and checked on the way back in."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ecrm.platform import keys, store
from ecrm.platform.errors import MalformedRequest


def page(
    kind: str, *, limit: int = 50, cursor: str | None = None, newest_first: bool = False
) -> tuple[list[store.Item], str | None]:
    partition = keys.listing_partition(kind)
    start = _decode(cursor, partition) if cursor else None
    entries, last = store.query(
        partition, index="gsi1", limit=limit, start=start, newest_first=newest_first
    )
    found = store.batch_get([{"pk": e["pk"], "sk": e["sk"]} for e in entries])
    items = [found[(e["pk"], e["sk"])] for e in entries if (e["pk"], e["sk"]) in found]
    return items, _encode(last) if last else None


def _encode(last: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(last, separators=(",", ":")).encode()).decode()


def _decode(cursor: str, partition: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error) as error:
        raise MalformedRequest("The cursor is not valid.") from error
    names = {"pk", "sk", "gsi1pk", "gsi1sk"}
    valid = (
        isinstance(value, dict)
        and set(value) == names
        and all(isinstance(v, dict) and set(v) == {"S"} for v in value.values())
        and value["gsi1pk"]["S"] == partition
    )
    if not valid:
        raise MalformedRequest("The cursor is not valid.")
    return dict(value)
