"""The scoring ruleset as the engine reads it: plain frozen values, no validation.

A ruleset is validated once, when a marketer saves it (`schema`, pydantic, 422 naming each
field); what is stored, and the shipped default, is read back here as it is (`Ruleset.from_item`),
so a function that scores imports no pydantic (a cold start's largest part, issue 15 point 7).
tests/unit/test_scoring_rules.py checks that every valid ruleset reads back to what its model
says. Fit rules look at the contact (profile fields, `email`, `status`, `topics`); engagement
rules give points per interaction type, optionally weighted per form and capped per period; a
custom event (`POST /events`) scores by its name (`on: custom_event`, `event: <name>`).
Positive engagement points decay (half-life); penalties do not, so decay never raises a score.
Stages are thresholds on the total, in increasing order; the first is where everyone starts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

# Interaction types the engine understands (written by capture, confirmation, mailing and
# self-service; see docs/design/scoring.md). `stage_changed` is scoring's own and never scored.
InteractionType = Literal[
    "form_submitted",
    "confirmed",
    "email_delivered",
    "email_opened",
    "email_clicked",
    "email_bounced",
    "email_complained",
    "preferences_updated",
    "signed_in",
    "unsubscribed",
    "custom_event",  # POST /events (ecrm.events): a rule names the event (`event`)
]
PERIOD_SECONDS = {"hour": 3600, "day": 86400, "week": 7 * 86400}
DEFAULT_HALF_LIFE_DAYS = 30.0

Data = Mapping[str, Any]


def _number(value: Any) -> Any:
    """A number the model reads as `float` (the table gives back 5 for 5.0); text and booleans
    stay what they are."""
    return value if isinstance(value, str | bool) else float(value)


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclasses.dataclass(frozen=True, slots=True)
class Equals:
    kind: Literal["equals"]
    id: str
    field: str
    value: str | float | bool
    points: float


@dataclasses.dataclass(frozen=True, slots=True)
class Contains:
    """Substring of a text field, or an element of a list field (both case-insensitive)."""

    kind: Literal["contains"]
    id: str
    field: str
    value: str
    points: float


@dataclasses.dataclass(frozen=True, slots=True)
class InSet:
    kind: Literal["in"]
    id: str
    field: str
    values: tuple[str | float, ...]
    points: float


@dataclasses.dataclass(frozen=True, slots=True)
class NumberRange:
    """`min <= value <= max`; either bound may be left out."""

    kind: Literal["range"]
    id: str
    field: str
    min: float | None
    max: float | None
    points: float


@dataclasses.dataclass(frozen=True, slots=True)
class EmailDomain:
    """The email's domain is a free-mail provider (`free_mail`) or anything else (`company`)."""

    kind: Literal["email_domain"]
    id: str
    domain: Literal["free_mail", "company"]
    points: float


FitRule = Equals | Contains | InSet | NumberRange | EmailDomain


def _fit_rule(data: Data) -> FitRule:
    common = {"id": data["id"], "points": float(data["points"])}
    match data["kind"]:
        case "equals":
            return Equals("equals", field=data["field"], value=_number(data["value"]), **common)
        case "contains":
            return Contains("contains", field=data["field"], value=data["value"], **common)
        case "in":
            values = tuple(_number(v) for v in data["values"])
            return InSet("in", field=data["field"], values=values, **common)
        case "range":
            low, high = _optional(data.get("min")), _optional(data.get("max"))
            return NumberRange("range", field=data["field"], min=low, max=high, **common)
    return EmailDomain("email_domain", domain=data["domain"], **common)


@dataclasses.dataclass(frozen=True, slots=True)
class Cap:
    """At most `count` scored events of the rule per fixed UTC window (`day` starts 00:00)."""

    count: int
    per: Literal["hour", "day", "week"]

    @property
    def seconds(self) -> int:
        return PERIOD_SECONDS[self.per]


@dataclasses.dataclass(frozen=True, slots=True)
class EngagementRule:
    id: str
    on: InteractionType
    points: float
    # form_submitted only: points per form id instead of `points` (same sign as `points`).
    per_form: Mapping[str, float]
    cap: Cap | None
    event: str | None = None  # custom_event only: the event's name (`purchased`)

    @classmethod
    def from_item(cls, data: Data) -> EngagementRule:
        cap = data.get("cap")
        return cls(
            id=data["id"],
            on=data["on"],
            points=float(data["points"]),
            per_form={form: float(w) for form, w in (data.get("per_form") or {}).items()},
            cap=Cap(int(cap["count"]), cap["per"]) if cap else None,
            event=data.get("event"),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Stage:
    name: str
    at_least: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class Decay:
    """Positive engagement points halve every `half_life_days`; None: they never decay."""

    half_life_days: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class Ruleset:
    version: int
    fit: tuple[FitRule, ...]
    engagement: tuple[EngagementRule, ...]
    decay: Decay
    stages: tuple[Stage, ...]
    demote: bool  # may a contact move down a stage when its score falls?
    updated_at: str | None = None
    updated_by: str | None = None

    @classmethod
    def from_item(cls, data: Data) -> Ruleset:
        """A ruleset validated when it was saved (or shipped), read without validating again.
        A `decay` stored without a half-life is one that never decays (the table keeps no
        null); a ruleset without `decay` has the default half-life."""
        decay = data.get("decay", {"half_life_days": DEFAULT_HALF_LIFE_DAYS})
        return cls(
            version=int(data.get("version", 0)),
            fit=tuple(_fit_rule(rule) for rule in data.get("fit", ())),
            engagement=tuple(EngagementRule.from_item(rule) for rule in data.get("engagement", ())),
            decay=Decay(_optional(decay.get("half_life_days"))),
            stages=tuple(Stage(s["name"], _optional(s.get("at_least"))) for s in data["stages"]),
            demote=bool(data.get("demote", False)),
            updated_at=data.get("updated_at"),
            updated_by=data.get("updated_by"),
        )

    def stage_names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def to_item(self) -> dict[str, Any]:
        """As stored and answered: JSON values, absent instead of null."""
        item: dict[str, Any] = _json(self)
        return item


def _json(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        pairs = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
        return {name: _json(v) for name, v in pairs if v is not None}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    return value


@cache
def default_ruleset() -> Ruleset:
    """What scores contacts until a marketer saves a ruleset (version 0)."""
    text = resources.files("ecrm.scoring").joinpath("default_ruleset.json").read_text("utf-8")
    return Ruleset.from_item(json.loads(text))


@cache
def free_mail_domains() -> frozenset[str]:
    text = resources.files("ecrm.scoring").joinpath("free_mail_domains.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )
