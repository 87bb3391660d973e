"""The ruleset as marketers write it: validated on save, every problem named by its path."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.platform.errors import InvalidInput
from ecrm.scoring import rules

STAGES = [{"name": "subscriber"}, {"name": "lead", "at_least": 20}]


def problems(data: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        rules.validate(data)
    return raised.value.fields


def test_the_shipped_default_is_valid_and_knows_free_mail():
    default = rules.default_ruleset()
    assert default.version == 0 and default.stage_names()[0] == "subscriber"
    assert {"gmail.com", "outlook.com"} <= rules.free_mail_domains()


def test_a_valid_ruleset_is_read_with_the_version_reset():
    ruleset = rules.validate(
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
        rules.validate([1, 2])
