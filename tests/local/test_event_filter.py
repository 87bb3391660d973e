"""Lambda event filtering, as the local pumps apply the template's FilterCriteria."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.event_filter import matches, matches_any
from local.template import Template

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aws"


def stream_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((FIXTURES / "dynamodb_stream.json").read_text())[
        "Records"
    ]
    return records


def test_exact_values_in_an_array_are_alternatives() -> None:
    insert, modify = stream_records()
    pattern = {"eventName": ["INSERT", "REMOVE"]}
    assert matches(pattern, insert)
    assert not matches(pattern, modify)


def test_nested_objects_must_all_match() -> None:
    insert, _ = stream_records()
    assert matches({"dynamodb": {"NewImage": {"Message": {"S": ["New item!"]}}}}, insert)
    assert not matches({"dynamodb": {"NewImage": {"Message": {"S": ["other"]}}}}, insert)
    assert not matches(
        {"eventName": ["INSERT"], "dynamodb": {"Keys": {"Id": {"N": ["999"]}}}}, insert
    )


def test_literals_are_type_sensitive() -> None:
    assert matches({"a": [True]}, {"a": True})
    assert not matches({"a": [1]}, {"a": True})
    assert not matches({"a": ["1"]}, {"a": 1})
    assert matches({"a": [1]}, {"a": 1.0})
    assert matches({"a": [None]}, {"a": None})
    assert not matches({"a": [None]}, {})


def test_prefix_suffix_and_case() -> None:
    event = {"type": "form_submitted"}
    assert matches({"type": [{"prefix": "form_"}]}, event)
    assert not matches({"type": [{"prefix": "mail_"}]}, event)
    assert matches({"type": [{"suffix": "_submitted"}]}, event)
    assert matches({"type": [{"equals-ignore-case": "FORM_SUBMITTED"}]}, event)
    assert matches({"type": [{"prefix": {"equals-ignore-case": "FORM"}}]}, event)
    assert matches({"type": [{"wildcard": "form_*ted"}]}, event)
    assert not matches({"type": [{"prefix": "form"}]}, {"type": 5})


def test_anything_but() -> None:
    assert matches({"s": [{"anything-but": ["a", "b"]}]}, {"s": "c"})
    assert not matches({"s": [{"anything-but": ["a", "b"]}]}, {"s": "a"})
    assert not matches({"s": [{"anything-but": "a"}]}, {"s": "a"})
    assert matches({"s": [{"anything-but": {"prefix": "tmp"}}]}, {"s": "keep"})
    assert not matches({"s": [{"anything-but": {"prefix": "tmp"}}]}, {"s": "tmp1"})
    assert not matches({"s": [{"anything-but": ["a"]}]}, {}), "absent is not 'anything but'"


def test_exists() -> None:
    assert matches({"a": [{"exists": True}]}, {"a": "x"})
    assert not matches({"a": [{"exists": True}]}, {})
    assert matches({"a": [{"exists": False}]}, {})
    assert not matches({"a": [{"exists": False}]}, {"a": "x"})
    # Inside an absent object, a nested `exists: false` still holds.
    assert matches({"dynamodb": {"OldImage": [{"exists": False}]}}, {})
    assert matches({"dynamodb": {"OldImage": [{"exists": False}]}}, {"dynamodb": {}})


def test_numeric_ranges_compare_numbers_only() -> None:
    assert matches({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 5})
    assert not matches({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 0})
    assert matches({"n": [{"numeric": ["=", 3]}]}, {"n": 3.0})
    # DynamoDB "N" values are strings in the record: numeric rules do not apply to them.
    assert not matches({"n": [{"numeric": [">", 0]}]}, {"n": "7"})
    assert not matches({"n": [{"numeric": [">", 0]}]}, {"n": True})


def test_array_values_match_when_any_element_does() -> None:
    assert matches({"tags": ["b"]}, {"tags": ["a", "b"]})
    assert not matches({"tags": ["c"]}, {"tags": ["a", "b"]})


def test_cidr_and_or() -> None:
    assert matches({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.7"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.7"})
    pattern = {"$or": [{"a": ["x"]}, {"b": ["y"]}]}
    assert matches(pattern, {"b": "y"})
    assert not matches(pattern, {"a": "y"})


def test_several_filters_are_or_ed_and_none_lets_everything_through() -> None:
    insert, modify = stream_records()
    filters = [{"eventName": ["MODIFY"]}, {"eventName": ["REMOVE"]}]
    assert matches_any(filters, modify)
    assert not matches_any(filters, insert)
    assert matches_any([], insert)


def test_unknown_operator_is_an_error_not_a_silent_miss() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        matches({"a": [{"regex": ".*"}]}, {"a": "x"})


def test_the_templates_pending_submission_filter() -> None:
    """The product template's own filter: only inserts of submissions awaiting confirmation."""
    template = Template.load()
    patterns = [
        pattern
        for function in template.functions()
        for source in function.stream_sources
        for pattern in source.filter_patterns
        if "form_submitted" in json.dumps(pattern)
    ]
    assert patterns, "the template has a filtered stream source"
    record = {
        "eventName": "INSERT",
        "dynamodb": {
            "NewImage": {
                "type": {"S": "form_submitted"},
                "confirmation_required": {"BOOL": True},
            }
        },
    }
    assert matches_any(patterns, record)
    record["eventName"] = "MODIFY"
    assert not matches_any(patterns, record)
