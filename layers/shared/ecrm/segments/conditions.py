"""A segment as the campaign sender and the contacts export read it: plain frozen values, no
pydantic, `holds`, the evaluation of one condition on one contact (what each kind means:
`definitions`), and `member`, whether a contact is in the segment (mailable for its topic, every
condition holding), in its two parts: what the contact item decides and what the score item
does (`holds_on_contact`, `holds_on_score`).

A segment is validated once, when a marketer saves it (`definitions`, pydantic); what is stored,
and the copy a started campaign keeps, is read back here as it is (`SegmentView.from_item`), so
the sender's cold start imports no pydantic (issue 15 point 7).
tests/unit/test_definitions_read_back.py checks that every valid segment reads back to what its
model says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from ecrm.contacts.records import EVENT_PREFIX, FIELD_PREFIX, ContactStatus
from ecrm.platform import keys, store
from ecrm.platform.errors import NotFound


@dataclass(frozen=True, slots=True)
class FieldCondition:
    field: str
    op: Literal["eq", "ne", "in", "not_in", "contains", "starts_with", "exists", "missing"]
    value: str | list[str] | None = None
    kind: Literal["field"] = "field"


@dataclass(frozen=True, slots=True)
class InterestCondition:
    any_of: tuple[str, ...]
    field: str = "interests"
    kind: Literal["interest"] = "interest"


@dataclass(frozen=True, slots=True)
class TopicCondition:
    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    kind: Literal["topic"] = "topic"


@dataclass(frozen=True, slots=True)
class StatusCondition:
    in_: tuple[str, ...]
    kind: Literal["status"] = "status"


@dataclass(frozen=True, slots=True)
class StageCondition:
    in_: tuple[str, ...]
    kind: Literal["stage"] = "stage"


@dataclass(frozen=True, slots=True)
class ScoreCondition:
    min: float | None = None
    max: float | None = None
    kind: Literal["score"] = "score"


@dataclass(frozen=True, slots=True)
class ActivityCondition:
    within_days: int
    event: Literal["engaged", "any", "custom"] = "any"
    active: bool = True
    kind: Literal["activity"] = "activity"
    name: str | None = None  # `custom`: the custom event's name (`POST /events`)

    @property
    def attributes(self) -> tuple[str, ...]:
        """What it reads of the contact item."""
        if self.event == "custom":
            return (EVENT_PREFIX + str(self.name),)
        return (
            ("last_engaged_at",) if self.event == "engaged" else ("last_engaged_at", "updated_at")
        )


Condition = (
    FieldCondition
    | InterestCondition
    | TopicCondition
    | StatusCondition
    | StageCondition
    | ScoreCondition
    | ActivityCondition
)


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


def condition(data: Mapping[str, Any]) -> Condition:  # noqa: PLR0911 - one return per kind
    """A stored condition (`by_alias`: `in`), as validated when its segment was saved."""
    match data.get("kind"):
        case "field":
            value = data.get("value")
            return FieldCondition(data["field"], data["op"], value)
        case "interest":
            return InterestCondition(tuple(data["any_of"]), data.get("field", "interests"))
        case "topic":
            return TopicCondition(tuple(data.get("all_of", ())), tuple(data.get("none_of", ())))
        case "status":
            return StatusCondition(tuple(data["in"]))
        case "stage":
            return StageCondition(tuple(data["in"]))
        case "score":
            return ScoreCondition(_optional(data.get("min")), _optional(data.get("max")))
    return ActivityCondition(
        int(data["within_days"]),
        data.get("event", "any"),
        bool(data.get("active", True)),
        name=data.get("name"),
    )


class Stored(Protocol):
    """A segment model (`definitions.Segment`): what it stores is what is read here."""

    def to_item(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class SegmentView:
    id: str
    name: str
    topic: str
    conditions: tuple[Condition, ...]
    version: int

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> SegmentView:
        return cls(
            id=item["id"],
            name=item["name"],
            topic=item["topic"],
            conditions=tuple(condition(c) for c in item.get("conditions") or ()),
            version=int(item["version"]),
        )

    @classmethod
    def of(cls, segment: SegmentView | Stored) -> SegmentView:
        """The admin API passes the model it validated; the sender, a view already."""
        return segment if isinstance(segment, SegmentView) else cls.from_item(segment.to_item())

    @property
    def needs_score(self) -> bool:
        return any(isinstance(c, StageCondition | ScoreCondition) for c in self.conditions)


def load(segment_id: str) -> SegmentView:
    """A stored segment, read back as it is (the contacts export's, `definitions.load`'s
    values without validating them again)."""
    item = store.get(keys.segment(segment_id))
    if item is None:
        raise NotFound("No such segment.")
    return SegmentView.from_item(item)


_FIELD_OPS: dict[str, Any] = {
    "exists": lambda value, wanted: value not in (None, "", []),
    "missing": lambda value, wanted: value in (None, "", []),
    "eq": lambda value, wanted: value == wanted,
    "ne": lambda value, wanted: value != wanted,
    "in": lambda value, wanted: isinstance(wanted, list) and value in wanted,
    "not_in": lambda value, wanted: isinstance(wanted, list) and value not in wanted,
    "contains": lambda value, wanted: (
        isinstance(wanted, str) and isinstance(value, str | list) and wanted in value
    ),
    "starts_with": lambda value, wanted: (
        isinstance(value, str) and isinstance(wanted, str) and value.startswith(wanted)
    ),
}


def _field(condition: FieldCondition, contact: Mapping[str, Any]) -> bool:
    return bool(
        _FIELD_OPS[condition.op](contact.get(FIELD_PREFIX + condition.field), condition.value)
    )


def _active(condition: ActivityCondition, contact: Mapping[str, Any], now: float) -> bool:
    names = condition.attributes
    latest = max((str(contact[n]) for n in names if contact.get(n)), default=None)
    recent = False
    if latest:
        at = datetime.fromisoformat(latest.replace("Z", "+00:00")).timestamp()
        recent = now - at <= condition.within_days * 86400
    return recent == condition.active


def _score(score_item: Mapping[str, Any] | None, now: float) -> float | None:
    if not score_item:
        return None
    from ecrm.scoring.ledger import score_from_item  # noqa: PLC0415 - only score conditions

    return float(score_from_item(score_item).total(now))


def holds(  # noqa: PLR0911 - one return per kind reads best
    condition: Condition,
    contact: Mapping[str, Any],
    score_item: Mapping[str, Any] | None,
    now: float,
) -> bool:
    if isinstance(condition, FieldCondition):
        return _field(condition, contact)
    if isinstance(condition, InterestCondition):
        held = contact.get(FIELD_PREFIX + condition.field) or []
        held = [held] if isinstance(held, str) else held
        return any(choice in held for choice in condition.any_of)
    if isinstance(condition, TopicCondition):
        topics = set(contact.get("topics") or [])
        return set(condition.all_of) <= topics and not topics & set(condition.none_of)
    if isinstance(condition, StatusCondition):
        return contact.get("status") in condition.in_
    if isinstance(condition, StageCondition):
        return score_item is not None and score_item.get("stage") in condition.in_
    if isinstance(condition, ScoreCondition):
        score = _score(score_item, now)
        low = condition.min if condition.min is not None else float("-inf")
        high = condition.max if condition.max is not None else float("inf")
        return score is not None and low <= score <= high
    return _active(condition, contact, now)


def _on_score(condition: Condition) -> bool:
    return isinstance(condition, StageCondition | ScoreCondition)


def holds_on_contact(segment: SegmentView, contact: Mapping[str, Any] | None, now: float) -> bool:
    """The part of membership the contact item decides: mailable for the segment's topic
    (`sendable`) and every condition that reads the contact (all but stage and score)."""
    if contact is None or not sendable(contact, segment.topic):
        return False
    return all(holds(c, contact, None, now) for c in segment.conditions if not _on_score(c))


def holds_on_score(segment: SegmentView, score_item: Mapping[str, Any] | None, now: float) -> bool:
    """The part the score item decides: every stage and score condition (None: no score)."""
    return all(holds(c, {}, score_item, now) for c in segment.conditions if _on_score(c))


def member(
    segment: SegmentView,
    contact: Mapping[str, Any] | None,
    score_item: Mapping[str, Any] | None,
    now: float,
) -> bool:
    """Whether the contact is in the segment at `now`: the one definition an audience page,
    a journey's joiners (`ecrm.journeys.joiners`) and its daily pass evaluate. Membership is
    the two parts (`holds_on_contact`, `holds_on_score`), so a change of one item that turns
    its part from false to true is the only way a change of that item makes a member."""
    return holds_on_contact(segment, contact, now) and holds_on_score(segment, score_item, now)


def sendable(contact: Mapping[str, Any] | None, topic: str) -> bool:
    """Mailable for this topic right now (the audience rule, checked again at send time)."""
    return (
        contact is not None
        and contact.get("type") == "contact"
        and contact.get("status") == ContactStatus.SUBSCRIBED
        and topic in (contact.get("topics") or [])
        and bool(contact.get("email"))
    )
