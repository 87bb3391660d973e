"""Later joiners of a segment entry (`{"segment": id, "joiners": true}`), from the stream
(AutomationsFunction, `on_change`): a contact who joins the segment after the version was
published enters it within seconds.

**Joining** is a change that makes a contact a member who was not one just before: the stream
record's old image evaluated against the new one, both at the same moment, with the segments'
own definition of a member (`ecrm.segments.conditions.member`: mailable for the segment's
topic, every condition holding). Membership is two parts, the contact item's (status, topics,
fields, interests, activity times, custom events' `ev_<name>`) and the score item's (stage,
score), so a record of one item makes a member only by turning its own part from false to
true, the other part holding. Hence, per record:

- the filter passes every change of a contact item (it does for the date index; only a
  subscribed contact is a member, so the others' records join nobody: the images say so) and
  every score write (it passes them for `score_crossed` already);
  a topic's membership item needs nothing of its own: its change is written with the contact's
  `topics` in one transaction, and the contact's record carries it;
- no live version with joiners: nothing is read (the live journeys are cached);
- the record's own part evaluated on the old and the new image (no read): anything but false
  then true, and the contact did not join through this record (an unrelated change of a member,
  a redelivery's twin, a member who stays one);
- only then the other item is read, once per record (GetItem, strongly consistent, so of two
  changes of one contact in a row the second's record sees the first), and only when the
  segment has a condition on it (a stage or score condition for a contact record; a score
  record needs the contact anyway: a segment without such a condition is never joined by one);
- a contact who joined is entered (`entry.enter`: the run's conditional Put keeps one active
  run and the re-entry rule; a redelivered record enters nobody twice).

Why a change, not "is a member after a change": it is what joining means (and what the
marketer's re-entry rule counts: `again_after` enters again someone who left and came back,
not someone who stayed in and opened a mail), and it makes a member's every other change cost
nothing. What it cannot see: membership that changes with time alone (an activity window
passing, a score decaying into a `max`), a segment's conditions edited, a record that was
lost or came while the version was unknown to this process (`DEFINITION_CACHE_SECONDS`):
the daily pass catches those (`joiners_pass`).

The segments themselves are cached per process like the journeys (`DEFINITION_CACHE_SECONDS`):
an edit applies to later changes within that time."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ecrm.journeys import entry, graph
from ecrm.platform import clock, definitions, keys, store

if TYPE_CHECKING:
    from ecrm.segments.conditions import SegmentView

CONTACT, SCORE = "contact", "score"
_UNREAD: Any = object()


def concerns(new: Mapping[str, Any]) -> bool:
    """Whether a stream record's item can make a contact join a segment."""
    return new.get("type") in (CONTACT, SCORE) and str(new.get("pk", "")).startswith("CONTACT#")


class Change:
    """A record of a contact's contact item or score item; the contact's other item read at
    most once (`other`)."""

    def __init__(self, new: Mapping[str, Any], old: Mapping[str, Any] | None) -> None:
        self.kind = str(new["type"])
        # As the table's reads give them (the stream's images hold Decimals): `store.plain`.
        self.new: Mapping[str, Any] = store.plain(new)
        self.old: Mapping[str, Any] | None = (
            store.plain(old) if old and old.get("type") == self.kind else None
        )
        self.contact_id = keys.contact_id_of(str(new["pk"]))
        self._other: Any = _UNREAD

    def other(self) -> Mapping[str, Any] | None:
        if self._other is _UNREAD:
            contact_id = self.contact_id
            key = keys.score(contact_id) if self.kind == CONTACT else keys.contact(contact_id)
            self._other = store.get(key)
        return self._other  # type: ignore[no-any-return]

    def joined(self, segment: SegmentView, now: float) -> bool:
        """Not a member before this record and one after it, at `now`."""
        # Imported here: the stream's consumer meets a live joiners' journey rarely, its cold
        # start never (`on_change` returns before any of this without one).
        from ecrm.segments.conditions import holds_on_contact, holds_on_score  # noqa: PLC0415

        if self.kind == CONTACT:
            if not holds_on_contact(segment, self.new, now) or holds_on_contact(
                segment, self.old, now
            ):
                return False
            return not segment.needs_score or holds_on_score(segment, self.other(), now)
        if not segment.needs_score:
            return False
        if not holds_on_score(segment, self.new, now) or holds_on_score(segment, self.old, now):
            return False
        return holds_on_contact(segment, self.other(), now)


def on_change(
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    *,
    now: float | None = None,
    record_id: str | None = None,
    fresh_since: float | None = None,
) -> list[str]:
    """Enter the record's contact into each live journey whose segment they joined through it
    (joiners on); returns those journeys. `fresh_since`: a read of the live journeys since then
    serves (the batch's start: one Query a batch where none is cached, as locally)."""
    if not concerns(new):
        return []
    live = [v for v in graph.live_journeys(fresh_since=fresh_since) if v.segment and v.joiners]
    if not live:
        return []
    now = clock.now() if now is None else now
    change, entered = Change(new, old), []
    for v in live:
        segment = _segment(str(v.segment))
        if segment is None or not change.joined(segment, now):
            continue
        if entry.enter(v, entry.segment_event(change.contact_id, segment.id), now, record_id):
            entered.append(v.journey_id)
    return entered


_lock = threading.Lock()
_segments: dict[str, tuple[float, SegmentView | None]] = {}


def _segment(segment_id: str) -> SegmentView | None:
    """A stored segment (None: deleted), cached `DEFINITION_CACHE_SECONDS`."""
    with _lock:
        cached = _segments.get(segment_id)
    if cached and definitions.still_fresh(cached[0]):
        return cached[1]
    started = time.monotonic()
    item = store.get(keys.segment(segment_id))
    from ecrm.segments.conditions import SegmentView  # noqa: PLC0415 - see `Change.joined`

    found = SegmentView.from_item(item) if item else None
    with _lock:
        _segments[segment_id] = (started, found)
    return found


def forget_cached() -> None:
    with _lock:
        _segments.clear()
