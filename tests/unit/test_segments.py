"""Segment conditions, evaluated on a contact item (and its score item for stage and score)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from ecrm.segments.conditions import condition as stored
from ecrm.segments.conditions import holds as holds_stored
from ecrm.segments.conditions import sendable
from ecrm.segments.definitions import Condition

NOW = time.time()
CONTACT: dict[str, Any] = {
    "type": "contact",
    "email": "ann@example.org",
    "status": "subscribed",
    "topics": ["newsletter", "events"],
    "f_company": "Acme Ltd",
    "f_country": "NL",
    "f_interests": ["guides", "events"],
    "updated_at": "2020-01-01T00:00:00.000Z",
    "last_engaged_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(NOW - 3 * 86400)),
    "ev_purchased": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(NOW - 5 * 86400)),
}
SCORE = {
    "stage": "mql",
    "ruleset_version": 1,
    "version": 3,
    "fit": {"company": 20.0},
    "engagement": {"opened": 10.0},
    "half_life": None,
    "as_of": NOW,
}
conditions = TypeAdapter(Condition)


def holds(model: Any, contact: dict[str, Any], score: dict[str, Any] | None, now: float) -> bool:
    """A validated condition, as stored and read back by the sender, evaluated."""
    return holds_stored(
        stored(conditions.dump_python(model, mode="json", by_alias=True)), contact, score, now
    )


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"kind": "field", "field": "company", "op": "eq", "value": "Acme Ltd"}, True),
        ({"kind": "field", "field": "company", "op": "ne", "value": "Acme Ltd"}, False),
        ({"kind": "field", "field": "country", "op": "in", "value": ["NL", "BE"]}, True),
        ({"kind": "field", "field": "country", "op": "not_in", "value": ["NL"]}, False),
        ({"kind": "field", "field": "company", "op": "contains", "value": "cme"}, True),
        ({"kind": "field", "field": "company", "op": "starts_with", "value": "Acme"}, True),
        ({"kind": "field", "field": "phone", "op": "exists"}, False),
        ({"kind": "field", "field": "phone", "op": "missing"}, True),
        ({"kind": "interest", "any_of": ["guides"]}, True),
        ({"kind": "interest", "any_of": ["product news"]}, False),
        ({"kind": "topic", "all_of": ["events"], "none_of": ["partners"]}, True),
        ({"kind": "topic", "none_of": ["events"]}, False),
        ({"kind": "status", "in": ["subscribed"]}, True),
        ({"kind": "status", "in": ["pending"]}, False),
        ({"kind": "stage", "in": ["mql", "sql"]}, True),
        ({"kind": "stage", "in": ["customer"]}, False),
        ({"kind": "score", "min": 25, "max": 40}, True),
        ({"kind": "score", "min": 31}, False),
        ({"kind": "activity", "event": "engaged", "within_days": 7}, True),
        ({"kind": "activity", "event": "engaged", "within_days": 2}, False),
        ({"kind": "activity", "event": "engaged", "within_days": 2, "active": False}, True),
        ({"kind": "activity", "event": "custom", "name": "purchased", "within_days": 7}, True),
        ({"kind": "activity", "event": "custom", "name": "purchased", "within_days": 4}, False),
        ({"kind": "activity", "event": "custom", "name": "viewed", "within_days": 7}, False),
        ({"kind": "activity", "event": "custom", "name": "x", "within_days": 7, "active": 0}, True),
    ],
)
def test_each_condition_kind(condition: dict[str, Any], expected: bool) -> None:
    assert holds(conditions.validate_python(condition), CONTACT, SCORE, NOW) is expected


def test_stage_and_score_conditions_do_not_hold_without_a_score() -> None:
    for condition in ({"kind": "stage", "in": ["mql"]}, {"kind": "score", "min": 0}):
        assert holds(conditions.validate_python(condition), CONTACT, None, NOW) is False


@pytest.mark.parametrize(
    "condition",
    [
        {"kind": "field", "field": "Company!", "op": "eq", "value": "x"},
        {"kind": "field", "field": "company", "op": "regex", "value": ".*"},
        {"kind": "status", "in": ["vip"]},
        {"kind": "activity", "within_days": 0},
        {"kind": "activity", "event": "custom", "within_days": 7},
        {"kind": "activity", "event": "engaged", "name": "purchased", "within_days": 7},
        {"kind": "activity", "event": "custom", "name": "x#y", "within_days": 7},
        {"kind": "interest", "any_of": []},
    ],
)
def test_malformed_conditions_are_refused(condition: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        conditions.validate_python(condition)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, True),
        ({"status": "unsubscribed"}, False),
        ({"topics": ["events"]}, False),
        ({"type": "contact_alias"}, False),
        ({"email": ""}, False),
    ],
)
def test_who_may_be_mailed_for_a_topic(change: dict[str, Any], expected: bool) -> None:
    assert sendable({**CONTACT, **change}, "newsletter") is expected
