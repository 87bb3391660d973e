"""A segment's audience, resolved without a Scan: the candidates are the topic's members in the
sparse, sharded topic index (`gsi1`, `TOPIC#<topic>#<shard>`, 8 shards, one Query page at a
time), and membership (`conditions.member`) is evaluated on their contact items
read with BatchGetItem (plus their score items, only when a condition needs score or stage).
Reading costs one contact item per member of the topic, so a segment of N in a table of 10N
reads about N items (bench `mailing.audience`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecrm.contacts import suppression
from ecrm.contacts.records import FIELD_PREFIX
from ecrm.platform import clock, keys, store
from ecrm.segments.conditions import (
    ActivityCondition,
    FieldCondition,
    InterestCondition,
    SegmentView,
    Stored,
    member,
)

PAGE_SIZE = 500  # topic-index entries per Query (and per stored audience page)
# A shard's last entries, when no more than PAGE_SIZE / TAIL_SHARE of them follow a full page,
# join it (`members_page`): a small last page would make small batches, whose short send turn
# ends before the other workers are ready with their next batch (an idle gap in the pace).
TAIL_SHARE = 5


@dataclass(frozen=True)
class Member:
    contact_id: str
    email: str  # as planned ("" when the plan did not read the contact)
    # A member at `members_page`'s `since` too, on the items as they are now: False for one
    # whom time alone (an activity window, a score's decay) or a change since has put in.
    before: bool = False


@dataclass(frozen=True)
class Page:
    candidates: int  # topic members read from the index
    members: list[Member]  # those who match and may be mailed
    next_start: dict[str, Any] | None
    queries: int = 1  # index Query calls it took (`_entries`)


_CONTACT_ATTRIBUTES = ("type", "status", "topics", "email", "updated_at", "last_engaged_at")


def _attributes(segment: SegmentView) -> tuple[str, ...]:
    """What evaluating the segment reads of a contact (all of it when scores are involved)."""
    if segment.needs_score:
        return ()
    fields = [
        FIELD_PREFIX + c.field
        for c in segment.conditions
        if isinstance(c, FieldCondition | InterestCondition)
    ]
    events = [
        a for c in segment.conditions if isinstance(c, ActivityCondition) for a in c.attributes
    ]
    return tuple(dict.fromkeys((*_CONTACT_ATTRIBUTES, *fields, *events)))


def members_page(
    segment: SegmentView | Stored,
    shard: int,
    start: Mapping[str, Any] | None,
    *,
    now: float | None = None,
    check_contacts: bool | None = None,
    since: float | None = None,
) -> Page:
    """One Query page of a topic shard, evaluated: one Query (two after a full page, for its
    tail: `_entries`), one BatchGetItem per 100.

    Without conditions (and unless `check_contacts`), the page is the topic's members as the
    index has them, their contacts unread: whether each may be mailed is decided at send time
    anyway, so a plain topic campaign reads each contact once, not twice. With `since`, each
    member also says whether the same items made them one at that moment (`Member.before`)."""
    segment = SegmentView.of(segment)
    now = clock.now() if now is None else now
    entries, next_start, queries = _entries(keys.topic_partition(segment.topic, shard), start)
    ids = [keys.contact_id_of(e["gsi1sk"]) for e in entries]
    if not (segment.conditions if check_contacts is None else check_contacts):
        return Page(len(ids), [Member(i, "") for i in ids], next_start, queries)
    wanted: list[Mapping[str, str]] = [keys.contact(i) for i in ids]
    if segment.needs_score:
        wanted += [keys.score(i) for i in ids]
    found = store.batch_get(wanted, consistent=False, attributes=_attributes(segment))
    members = []
    for contact_id in ids:
        contact = found.get(_key(keys.contact(contact_id)))
        score_item = found.get(_key(keys.score(contact_id)))
        if member(segment, contact, score_item, now):
            before = since is not None and member(segment, contact, score_item, since)
            members.append(Member(contact_id, str(contact["email"]), before))  # type: ignore[index]
    return Page(len(ids), members, next_start, queries)


def _entries(
    partition: str, start: Mapping[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int]:
    """A page of the shard's index entries: one Query of `PAGE_SIZE`; after a full one, a
    second of at most `PAGE_SIZE // TAIL_SHARE + 1` tells whether the shard ends within that
    many entries, which then join this page (the shard's last). Otherwise that second read is
    dropped (the next page reads its entries again): up to a fifth more index reads, entries of
    about 100 bytes, against a last page of a few recipients in every shard."""
    entries, next_start = store.query(partition, index="gsi1", limit=PAGE_SIZE, start=start)
    tail = PAGE_SIZE // TAIL_SHARE
    if next_start is None or not tail:
        return entries, next_start, 1
    rest, after = store.query(partition, index="gsi1", limit=tail + 1, start=next_start)
    if after is None and len(rest) <= tail:
        return entries + rest, None, 2
    return entries, next_start, 2


def _key(key: Mapping[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]


def shard_pages(
    segment: SegmentView | Stored, shard: int, *, check_contacts: bool = True
) -> Iterator[Page]:
    start: Mapping[str, Any] | None = None
    while True:
        found = members_page(segment, shard, start, check_contacts=check_contacts)
        yield found
        if not found.next_start:
            return
        start = found.next_start


@dataclass(frozen=True)
class Count:
    candidates: int
    members: int
    complete: bool  # False when the preview stopped at `max_candidates`
    queries: int = 0  # index Query calls (one per page of a topic shard, two after a full one)
    items_read: int = 0  # items looked up: contacts, scores, suppression keys
    sample: tuple[Member, ...] = ()  # the first members found (shard order), at most `sample`


def count(segment: SegmentView | Stored, *, max_candidates: int = 20_000, sample: int = 0) -> Count:
    """The count preview: every shard, page by page, up to `max_candidates` topic members.
    `members` are those a campaign would mail now, so suppressed addresses are left out (the
    send leaves them out the same way, `ecrm.campaigns.recipients`). What it cost is counted
    too (`queries`, `items_read`: one contact per candidate, its score item when a condition
    needs it, two suppression keys per match), so the console can say what a count reads."""
    segment = SegmentView.of(segment)
    candidates = members = queries = items_read = 0
    found_sample: list[Member] = []
    per_candidate = 2 if segment.needs_score else 1
    for shard in range(keys.TOPIC_SHARDS):
        for found in shard_pages(segment, shard):
            queries += found.queries
            candidates += found.candidates
            suppressed = suppression.suppressed_among(m.email for m in found.members)
            items_read += found.candidates * per_candidate + 2 * len(found.members)
            mailable = [m for m in found.members if m.email not in suppressed]
            members += len(mailable)
            found_sample += mailable[: max(0, sample - len(found_sample))]
            if candidates >= max_candidates and (found.next_start or shard < keys.TOPIC_SHARDS - 1):
                return Count(candidates, members, False, queries, items_read, tuple(found_sample))
    return Count(candidates, members, True, queries, items_read, tuple(found_sample))


def all_members(
    segment: SegmentView | Stored, shards: Sequence[int] | None = None
) -> Iterator[Member]:
    for shard in shards if shards is not None else range(keys.TOPIC_SHARDS):
        for found in shard_pages(segment, shard):
            yield from found.members
