"""Exporting contacts page by page: a segment's members, or every member of a topic.

Never a Scan: candidates come from the topic's shards of the sparse topic index (`gsi1`,
`TOPIC#<topic>#<shard>`, keys only), one Query page at a time, and their contact items from
one BatchGetItem per page, so an export reads about one contact item per contact exported (a
segment with conditions also reads the members it then leaves out). The cursor names the shard
and the last index entry handed out, so a page stops exactly where its limit is reached and
the next one starts right after it.

A segment's export lists the people a campaign to it would mail: like a send
(`ecrm.campaigns.recipients`), it leaves out suppressed addresses (their suppression items come
in the same BatchGetItem). A topic's export lists every member, whatever their status.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from ecrm.contacts import profile_view
from ecrm.contacts.records import profile_of
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import InvalidInput, MalformedRequest
from ecrm.segments import conditions
from ecrm.segments.conditions import SegmentView

_SYSTEM_COLUMNS = ["status", "topics", "created_at", "contact_id"]
_MAX_READS_PER_PAGE = 5  # index Queries per page: a narrow segment answers short pages


@dataclass(frozen=True)
class ExportPage:
    columns: list[str]
    contacts: list[dict[str, Any]]
    next_cursor: str | None


def page(
    *, segment_id: str | None, topic: str | None, limit: int, cursor: str | None
) -> ExportPage:
    if (segment_id is None) == (topic is None):
        problem = "Name a segment or a topic (one of them)."
        raise InvalidInput(problem, fields={"segment": problem})
    segment = conditions.load(segment_id) if segment_id else None
    topic = segment.topic if segment else str(topic)
    shard, start = _decode(cursor, topic) if cursor else (0, None)
    now = clock.now()
    found: list[dict[str, Any]] = []
    for _ in range(_MAX_READS_PER_PAGE):
        if shard >= keys.TOPIC_SHARDS or len(found) >= limit:
            break
        entries, last = store.query(
            keys.topic_partition(topic, shard), index="gsi1", limit=limit - len(found), start=start
        )
        ids = [keys.contact_id_of(e["gsi1sk"]) for e in entries]
        wanted = [keys.contact(i) for i in ids]
        if segment and segment.needs_score:
            wanted += [keys.score(i) for i in ids]
        items = store.batch_get(wanted, consistent=False)
        if segment:
            items |= _suppressions(items.values())
        for contact_id in ids:
            contact = items.get(_key(keys.contact(contact_id)))
            score_item = items.get(_key(keys.score(contact_id)))
            if _wanted(segment, topic, contact, score_item, now) and not (
                segment and _key(keys.suppression(str(contact["email"]))) in items  # type: ignore[index]
            ):
                found.append(contact)  # type: ignore[arg-type]
        if last:
            start = last
        else:
            shard, start = shard + 1, None
    next_cursor = _encode(shard, start) if shard < keys.TOPIC_SHARDS else None
    return ExportPage(export_columns(), [row(c) for c in found], next_cursor)


def _suppressions(items: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """The suppression items of the contacts read (keys only)."""
    addresses = {str(i["email"]) for i in items if i.get("type") == "contact" and i.get("email")}
    wanted = [keys.suppression(a) for a in sorted(addresses)]
    return store.batch_get(wanted, consistent=False, attributes=["pk"]) if wanted else {}


def _key(key: dict[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]


def _wanted(
    segment: SegmentView | None,
    topic: str,
    contact: dict[str, Any] | None,
    score_item: dict[str, Any] | None,
    now: float,
) -> bool:
    if contact is None or contact.get("type") != "contact":
        return False
    if segment is None:
        return True  # a topic's export: every member, whatever their status
    return conditions.sendable(contact, topic) and all(
        conditions.holds(c, contact, score_item, now) for c in segment.conditions
    )


def export_columns() -> list[str]:
    """`email`, the profile schema's fields (profile, then interests), then system columns."""
    schema = profile_view.load()
    return ["email", *(f.name for f in schema.profile + schema.interests), *_SYSTEM_COLUMNS]


def row(contact: dict[str, Any]) -> dict[str, Any]:
    return {
        "email": contact.get("email"),
        **profile_of(contact),
        "status": contact.get("status"),
        "topics": sorted(contact.get("topics") or []),
        "created_at": contact.get("created_at"),
        "contact_id": contact.get("contact_id"),
    }


def _encode(shard: int, start: dict[str, Any] | None) -> str:
    raw = json.dumps({"shard": shard, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str, topic: str) -> tuple[int, dict[str, Any] | None]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error) as error:
        raise MalformedRequest("The cursor is not valid.") from error
    if not isinstance(value, dict) or set(value) != {"shard", "start"}:
        raise MalformedRequest("The cursor is not valid.")
    shard, start = value["shard"], value["start"]
    if not isinstance(shard, int) or not 0 <= shard < keys.TOPIC_SHARDS:
        raise MalformedRequest("The cursor is not valid.")
    if start is None:
        return shard, None
    names = {"pk", "sk", "gsi1pk", "gsi1sk"}
    valid = (
        isinstance(start, dict)
        and set(start) == names
        and all(isinstance(v, dict) and set(v) == {"S"} for v in start.values())
        and start["gsi1pk"]["S"] == keys.topic_partition(topic, shard)
    )
    if not valid:
        raise MalformedRequest("The cursor is not valid.")
    return shard, dict(start)
