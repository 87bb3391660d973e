"""The ruleset as marketers write it: validated on save, every problem named by its path; and
as the engine reads it back: the very values its model says, without pydantic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecrm.platform import store
from ecrm.platform.errors import InvalidInput
from ecrm.scoring import rules, schema

STAGES = [{"name": "subscriber"}, {"name": "lead", "at_least": 20}]


def problems(data: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        schema.validate(data)
    return raised.value.fields


def test_the_shipped_default_is_valid_and_knows_free_mail():
    default = rules.default_ruleset()
    assert default.version == 0 and default.stage_names()[0] == "subscriber"
    assert {"gmail.com", "outlook.com"} <= rules.free_mail_domains()


def test_a_valid_ruleset_is_read_with_the_version_reset():
    ruleset = schema.validate(
        {
            "version": 99,
            "fit": [
                {
                    "kind": "in",
                    "id": "dach",
                    "field": "country",
                    "values": ["de", "at"],
                    "points": 5,
                }
            ],
            "engagement": [
                {
                    "id": "opens",
                    "on": "email_opened",
                    "points": 1,
                    "cap": {"count": 3, "per": "day"},
                }
            ],
            "stages": STAGES,
        }
    )
    assert ruleset.version == 0 and ruleset.engagement[0].cap is not None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"stages": []}, "stages"),
        ({"stages": [{"name": "a", "at_least": 1}]}, "ruleset"),
        (
            {"stages": [{"name": "a"}, {"name": "b", "at_least": 5}, {"name": "c", "at_least": 5}]},
            "ruleset",
        ),
        (
            {"stages": STAGES, "engagement": [{"id": "x", "on": "teleported", "points": 1}]},
            "engagement.0.on",
        ),
        (
            {"stages": STAGES, "engagement": [{"id": "x", "on": "email_opened", "points": 1e9}]},
            "engagement.0.points",
        ),
        (
            {
                "stages": STAGES,
                "engagement": [
                    {
                        "id": "x",
                        "on": "email_opened",
                        "points": 1,
                        "cap": {"count": 0, "per": "day"},
                    }
                ],
            },
            "engagement.0.cap.count",
        ),
        (
            {
                "stages": STAGES,
                "engagement": [{"id": "x", "on": "confirmed", "points": 1, "per_form": {"f": 2}}],
            },
            "engagement.0",
        ),
        (
            {
                "stages": STAGES,
                "engagement": [
                    {"id": "x", "on": "form_submitted", "points": 1, "per_form": {"f": -2}}
                ],
            },
            "engagement.0",
        ),
        (
            {
                "stages": STAGES,
                "fit": [
                    {"kind": "range", "id": "r", "field": "n", "min": 5, "max": 1, "points": 1}
                ],
            },
            "fit.0.range",
        ),
        (
            {"stages": STAGES, "fit": [{"kind": "regex", "id": "r", "field": "n", "points": 1}]},
            "fit.0",
        ),
        ({"stages": STAGES, "surprise": True}, "surprise"),
        (
            {
                "stages": STAGES,
                "fit": [{"kind": "email_domain", "id": "a", "domain": "company", "points": 1}],
                "engagement": [{"id": "a", "on": "confirmed", "points": 1}],
            },
            "ruleset",
        ),
    ],
)
def test_invalid_rulesets_are_refused_with_the_field_named(data: dict[str, Any], field: str):
    assert field in problems(data)


def test_a_ruleset_must_be_an_object():
    with pytest.raises(InvalidInput):
        schema.validate([1, 2])


EXAMPLES = Path(__file__).parents[2] / "examples"
VALID = [
    json.loads((EXAMPLES / "scoring.json").read_text()),
    {
        "fit": [
            {"kind": "equals", "id": "de", "field": "country", "value": "DE", "points": 5},
            {"kind": "equals", "id": "seats", "field": "seats", "value": 10, "points": 1.5},
            {"kind": "equals", "id": "vip", "field": "vip", "value": True, "points": 3},
            {"kind": "contains", "id": "cto", "field": "title", "value": "CTO", "points": 4},
            {"kind": "in", "id": "dach", "field": "country", "values": ["de", 7], "points": 2},
            {"kind": "range", "id": "big", "field": "seats", "min": 50, "points": 8},
            {"kind": "range", "id": "mid", "field": "seats", "min": 5, "max": 49.5, "points": 2},
            {"kind": "email_domain", "id": "free", "domain": "free_mail", "points": -5},
        ],
        "engagement": [
            {"id": "f", "on": "form_submitted", "points": 1, "per_form": {"demo": 30, "x": 0.5}},
            {"id": "o", "on": "email_opened", "points": 1, "cap": {"count": 3, "per": "week"}},
            {"id": "buy", "on": "custom_event", "event": "order.paid", "points": 20},
        ],
        "decay": {"half_life_days": None},
        "stages": [
            {"name": "new"},
            {"name": "warm", "at_least": 10},
            {"name": "hot", "at_least": 99.5},
        ],
        "demote": True,
    },
    {"stages": STAGES, "decay": {"half_life_days": 7.5}},
    {"stages": [{"name": "only"}]},
]


@pytest.mark.parametrize("data", [rules.default_ruleset().to_item(), *VALID])
def test_a_saved_ruleset_reads_back_as_its_model_says(data: dict[str, Any]) -> None:
    """What `rulesets.save` stores (the model's JSON, through the table's numbers) is read back
    without pydantic to the same values, of the same types, and answered the same."""
    model = schema.Ruleset.model_validate({**data, "version": 3, "updated_by": "ann"})
    stored = model.model_dump(mode="json", exclude_none=True)
    through_table = store.deserialize(store.serialize({"ruleset": stored}))["ruleset"]
    read = rules.Ruleset.from_item(through_table)
    assert json.dumps(read.to_item()) == json.dumps(stored)
    assert read == rules.Ruleset.from_item(model.model_dump(mode="json"))
    assert (read.version, read.updated_by) == (3, "ann")
    assert read.decay.half_life_days == model.decay.half_life_days


def test_a_ruleset_that_never_decays_is_read_back_so() -> None:
    """`half_life_days: null` is stored as `decay: {}` (the table keeps no null); read back it
    never decays, not the default 30 days (the model's own reading, before the read side)."""
    data = {"stages": STAGES, "decay": {"half_life_days": None}}
    stored = store.deserialize(store.serialize({"ruleset": schema.validate(data).to_item()}))
    assert stored["ruleset"]["decay"] == {}
    assert rules.Ruleset.from_item(stored["ruleset"]).decay.half_life_days is None


def test_a_validated_ruleset_is_the_read_side_value() -> None:
    [data, *_] = VALID
    validated = schema.validate(data)
    assert isinstance(validated, rules.Ruleset) and validated.version == 0
    assert validated.to_item() == schema.Ruleset.model_validate(data).model_dump(
        mode="json", exclude_none=True
    )
