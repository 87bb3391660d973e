"""Segments: who among a topic's members a campaign goes to.

A segment names one topic and a list of conditions (all must hold). This module is the
segment as marketers write it (its pydantic models, storing, deleting); `conditions` is the
stored segment read back without pydantic and `holds`, the evaluation of its conditions on one
contact; resolving a segment into its members is `ecrm.segments.audience`.

Conditions (kind: what it reads, when it holds):

- `field`: a profile field (`f_<field>`): `eq`, `ne`, `in`, `not_in`, `contains`,
  `starts_with`, `exists`, `missing`;
- `interest`: an interest field (a list, default `interests`) holding any of `any_of`;
- `topic`: the contact's `topics` has all of `all_of` and none of `none_of`;
- `status`: the contact's `status` is one of `in` (the audience also requires `subscribed`);
- `stage`: the score item's `stage` (lead scoring) is one of `in`;
- `score`: the score item, decayed to now, is within `min`..`max`;
- `activity`: `last_engaged_at` (opens, clicks; `engaged`) or also `updated_at` (forms,
  preferences; `any`), or when the contact last did the custom event `name` (`custom`:
  `ev_<name>` on the contact, `ecrm.events.recording`) within `within_days` (or, with
  `active: false`, not).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ecrm.contacts.forms import FieldName, Slug
from ecrm.contacts.records import ContactStatus
from ecrm.events.payload import NAME_PATTERN
from ecrm.platform import clock, definition_holds, definitions, keys, listing, store
from ecrm.platform.errors import NotFound
from ecrm.platform.models import Model

KIND = "segment"
Value = Annotated[str, StringConstraints(max_length=200)]
EventName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
#: A score bound as DynamoDB can store it: finite, within what any score reaches, and rounded
#: (1.8e-237 underflowed DynamoDB's number range and answered 500).
ScoreBound = Annotated[
    float,
    Field(ge=-1e9, le=1e9, allow_inf_nan=False),
    AfterValidator(lambda bound: round(bound, 6)),
]


class _Condition(Model):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FieldCondition(_Condition):
    kind: Literal["field"] = "field"
    field: FieldName
    op: Literal["eq", "ne", "in", "not_in", "contains", "starts_with", "exists", "missing"]
    value: Value | list[Value] | None = None


class InterestCondition(_Condition):
    kind: Literal["interest"] = "interest"
    field: FieldName = "interests"
    any_of: list[Value] = Field(min_length=1, max_length=50)


class TopicCondition(_Condition):
    kind: Literal["topic"] = "topic"
    all_of: list[Slug] = Field(default_factory=list, max_length=20)
    none_of: list[Slug] = Field(default_factory=list, max_length=20)


class StatusCondition(_Condition):
    kind: Literal["status"] = "status"
    in_: list[ContactStatus] = Field(alias="in", min_length=1)


class StageCondition(_Condition):
    kind: Literal["stage"] = "stage"
    in_: list[Slug] = Field(alias="in", min_length=1, max_length=20)


class ScoreCondition(_Condition):
    kind: Literal["score"] = "score"
    min: ScoreBound | None = None
    max: ScoreBound | None = None

    @model_validator(mode="after")
    def _a_range(self) -> ScoreCondition:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max: no score is in this range")
        return self


class ActivityCondition(_Condition):
    kind: Literal["activity"] = "activity"
    event: Literal["engaged", "any", "custom"] = "any"
    within_days: int = Field(ge=1, le=3650)
    active: bool = True
    name: EventName | None = Field(default=None, description="`custom`: the event's name")

    @model_validator(mode="after")
    def _named(self) -> ActivityCondition:
        if (self.event == "custom") != (self.name is not None):
            raise ValueError("a custom event's activity names the event (`name`); no other does")
        return self


Condition = Annotated[
    FieldCondition
    | InterestCondition
    | TopicCondition
    | StatusCondition
    | StageCondition
    | ScoreCondition
    | ActivityCondition,
    Field(discriminator="kind"),
]


class SegmentIn(Model):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    topic: Slug = Field(description="Candidates are this topic's members")
    conditions: list[Condition] = Field(default_factory=list, max_length=20)


class Segment(Model):
    id: Slug
    name: str
    topic: Slug
    conditions: list[Condition]
    version: int
    created_at: str
    updated_at: str

    @property
    def needs_score(self) -> bool:
        return any(isinstance(c, StageCondition | ScoreCondition) for c in self.conditions)

    def to_item(self) -> dict[str, Any]:
        return {
            **keys.segment(self.id),
            **keys.listing(KIND, self.id),
            "type": "segment",
            **self.model_dump(mode="json", by_alias=True),
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Segment:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


# --- storage --------------------------------------------------------------------------------


def create(segment_id: str, body: SegmentIn) -> Segment:
    at = clock.iso(clock.now())
    segment = Segment(
        id=segment_id,
        name=body.name,
        topic=body.topic,
        conditions=body.conditions,
        version=1,
        created_at=at,
        updated_at=at,
    )
    definitions.put_new(segment.to_item(), "segment", segment_id)
    return segment


def update(segment_id: str, body: SegmentIn, expected_version: int | None) -> Segment:
    current = load(segment_id)
    definitions.check_expected("segment", current.version, expected_version)
    segment = current.model_copy(
        update={
            "name": body.name,
            "topic": body.topic,
            "conditions": body.conditions,
            "version": current.version + 1,
            "updated_at": clock.iso(clock.now()),
        }
    )
    definitions.put_next(segment.to_item(), "segment", current.version)
    return segment


def delete(segment_id: str) -> None:
    """InUse (409) while a draft or scheduled campaign uses it."""
    definition_holds.delete(keys.segment(segment_id), "segment")


def load(segment_id: str) -> Segment:
    item = store.get(keys.segment(segment_id))
    if item is None:
        raise NotFound("No such segment.")
    return Segment.from_item(item)


def page(limit: int, cursor: str | None) -> tuple[list[Segment], str | None]:
    items, next_cursor = listing.page(KIND, limit=limit, cursor=cursor)
    return [Segment.from_item(i) for i in items], next_cursor
