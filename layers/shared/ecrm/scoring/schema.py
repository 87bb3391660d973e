"""The scoring ruleset as marketers write it (`PUT /admin/scoring`): validated here (pydantic),
every problem named by its path, then stored and read back as `rules.Ruleset` (plain values,
no validation: the functions that score never import this module). What each rule means is
said in `rules`."""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal, Self

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from ecrm.events.payload import NAME_PATTERN
from ecrm.platform.errors import InvalidInput
from ecrm.platform.models import Model, said
from ecrm.scoring import rules
from ecrm.scoring.rules import DEFAULT_HALF_LIFE_DAYS, InteractionType

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$")]
StageName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
FormId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Points = Annotated[float, Field(ge=-1000, le=1000, allow_inf_nan=False)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
EventName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class _Strict(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Equals(_Strict):
    kind: Literal["equals"]
    id: RuleId
    field: FieldName
    value: Text | float | bool
    points: Points


class Contains(_Strict):
    """Substring of a text field, or an element of a list field (both case-insensitive)."""

    kind: Literal["contains"]
    id: RuleId
    field: FieldName
    value: Text
    points: Points


class InSet(_Strict):
    kind: Literal["in"]
    id: RuleId
    field: FieldName
    values: list[Text | float] = Field(min_length=1, max_length=200)
    points: Points


class NumberRange(_Strict):
    """`min <= value <= max`; either bound may be left out."""

    kind: Literal["range"]
    id: RuleId
    field: FieldName
    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)
    points: Points

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class EmailDomain(_Strict):
    """The email's domain is a free-mail provider (`free_mail`) or anything else (`company`)."""

    kind: Literal["email_domain"]
    id: RuleId
    domain: Literal["free_mail", "company"]
    points: Points


FitRule = Annotated[
    Equals | Contains | InSet | NumberRange | EmailDomain, Field(discriminator="kind")
]


class Cap(_Strict):
    """At most `count` scored events of the rule per fixed UTC window (`day` starts 00:00)."""

    count: int = Field(ge=1, le=10_000)
    per: Literal["hour", "day", "week"]


class EngagementRule(_Strict):
    id: RuleId
    on: InteractionType
    points: Points
    # form_submitted only: points per form id instead of `points` (same sign as `points`).
    per_form: dict[FormId, Points] = Field(default_factory=dict, max_length=200)
    cap: Cap | None = None
    # custom_event only, and required there: the name of the event that scores (`purchased`).
    event: EventName | None = None

    @model_validator(mode="after")
    def _weights(self) -> Self:
        if (self.on == "custom_event") != (self.event is not None):
            raise ValueError("a custom_event rule names its event (`event`); no other rule does")
        if self.per_form and self.on != "form_submitted":
            raise ValueError("per_form weights are for form_submitted rules")
        if any(w * self.points < 0 for w in self.per_form.values()):
            raise ValueError("per_form weights must have the sign of points (decay depends on it)")
        return self


class Stage(_Strict):
    name: StageName
    at_least: float | None = Field(default=None, allow_inf_nan=False)


class Decay(_Strict):
    """Positive engagement points halve every `half_life_days`; None: they never decay."""

    half_life_days: float | None = Field(default=DEFAULT_HALF_LIFE_DAYS, gt=0, le=3650)


class Ruleset(_Strict):
    version: int = Field(default=0, ge=0)  # assigned when saved
    fit: list[FitRule] = Field(default_factory=list, max_length=100)
    engagement: list[EngagementRule] = Field(default_factory=list, max_length=100)
    decay: Decay = Decay()
    stages: list[Stage] = Field(min_length=1, max_length=10)
    demote: bool = False  # may a contact move down a stage when its score falls?
    updated_at: str | None = None
    updated_by: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [rule.id for rule in [*self.fit, *self.engagement]]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        names = [stage.name for stage in self.stages]
        if len(names) != len(set(names)):
            raise ValueError("stage names must be unique")
        first, *rest = self.stages
        if first.at_least is not None or any(stage.at_least is None for stage in rest):
            raise ValueError("the first stage has no at_least; every later stage has one")
        bounds = [stage.at_least for stage in rest]
        if any(b is None or a is None or b <= a for a, b in itertools.pairwise(bounds)):
            raise ValueError("stage thresholds must increase")
        return self


def validate(data: Any) -> rules.Ruleset:
    """A ruleset from a marketer's JSON (version 0 until saved), or `InvalidInput` naming every
    problem by its path."""
    if not isinstance(data, dict):
        raise InvalidInput("The ruleset must be a JSON object.")
    try:
        model = Ruleset.model_validate({**data, "version": 0})
    except ValidationError as error:
        fields = {
            ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
            or "ruleset": said(e)
            for e in error.errors()
        }
        raise InvalidInput("The ruleset needs attention.", fields) from None
    return rules.Ruleset.from_item(model.model_dump(mode="json"))


def edited_version(data: Any) -> int | None:
    """The `version` a marketer's edit was based on, if the body says (None: save regardless)."""
    found = data.get("version") if isinstance(data, dict) else None
    if found is None:
        return None
    if isinstance(found, bool) or not isinstance(found, int) or found < 0:
        raise InvalidInput("The ruleset needs attention.", {"version": "A version number."})
    return found
