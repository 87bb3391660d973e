"""Lambda event filtering (the EventBridge pattern syntax of `FilterCriteria`), so the local
pumps drop exactly the records that the deployed event source mapping would drop.

A pattern is an object; each key must match (AND). A leaf is a list of alternatives (OR):
literals (type-sensitive: "1" is not 1) or one-key operator objects: prefix, suffix,
equals-ignore-case, wildcard, anything-but, numeric, exists, cidr. `$or` takes a list of
patterns. An event value that is an array matches when any element does.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Json = Any


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()

_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def matches_any(patterns: Iterable[Mapping[str, Json]], event: Json) -> bool:
    """Lambda ORs a mapping's filters; no filter at all lets everything through."""
    patterns = list(patterns)
    return not patterns or any(matches(pattern, event) for pattern in patterns)


def matches(pattern: Mapping[str, Json], event: Json) -> bool:
    for key, rule in pattern.items():
        if key == "$or":
            if not any(matches(alternative, event) for alternative in rule):
                return False
            continue
        value = event.get(key, MISSING) if isinstance(event, dict) else MISSING
        if isinstance(rule, dict):
            # A nested pattern over an absent object can still hold (e.g. `exists: false`).
            if not matches(rule, value if isinstance(value, dict) else {}):
                return False
        elif isinstance(rule, list):
            if not _leaf_matches(rule, value):
                return False
        else:
            raise ValueError(f"pattern value for {key!r} must be an object or an array")
    return True


def _leaf_matches(rules: list[Json], value: Json) -> bool:
    values = value if isinstance(value, list) else [value]
    if not values:
        values = [MISSING]
    return any(_rule_matches(rule, v) for rule in rules for v in values)


def _rule_matches(rule: Json, value: Json) -> bool:
    if not isinstance(rule, dict):
        return value is not MISSING and _equal(rule, value)
    if len(rule) != 1:
        raise ValueError(f"an operator object has one key: {rule!r}")
    ((name, argument),) = rule.items()
    if name == "exists":
        return (value is not MISSING) == bool(argument)
    if value is MISSING:
        return False
    return _operator(name)(argument, value)


def _operator(name: str) -> Callable[[Json, Json], bool]:
    operators: dict[str, Callable[[Json, Json], bool]] = {
        "prefix": lambda arg, value: _affix(arg, value, str.startswith),
        "suffix": lambda arg, value: _affix(arg, value, str.endswith),
        "equals-ignore-case": lambda arg, value: (
            isinstance(value, str) and value.casefold() == str(arg).casefold()
        ),
        "wildcard": _wildcard,
        "anything-but": _anything_but,
        "numeric": _numeric,
        "cidr": _cidr,
    }
    if name not in operators:
        raise ValueError(f"unsupported filter operator {name!r}")
    return operators[name]


def _equal(expected: Json, value: Json) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and expected == value
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return type(expected) is type(value) and bool(expected == value)


def _affix(argument: Json, value: Json, test: Callable[[str, str], bool]) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(argument, dict):  # {"prefix": {"equals-ignore-case": "abc"}}
        return test(value.casefold(), str(argument["equals-ignore-case"]).casefold())
    return test(value, str(argument))


def _wildcard(argument: Json, value: Json) -> bool:
    if not isinstance(value, str):
        return False
    regex = ".*".join(re.escape(part) for part in str(argument).split("*"))
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _anything_but(argument: Json, value: Json) -> bool:
    if isinstance(argument, dict):  # anything-but a prefix / suffix / case-insensitive value
        return not _rule_matches(argument, value)
    excluded = argument if isinstance(argument, list) else [argument]
    return not any(_equal(item, value) for item in excluded)


def _numeric(argument: Json, value: Json) -> bool:
    # Numbers only: DynamoDB's "N" values are JSON strings, and Lambda compares them as such.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    pairs = zip(argument[::2], argument[1::2], strict=True)
    return all(_NUMERIC[op](float(value), float(bound)) for op, bound in pairs)


def _cidr(argument: Json, value: Json) -> bool:
    try:
        return ipaddress.ip_address(str(value)) in ipaddress.ip_network(str(argument))
    except ValueError:
        return False
