"""Fit rules compiled to predicates over a contact's view (profile fields, `email`, `status`,
`topics`): text compares case-insensitively, numbers as numbers, missing fields never match."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ecrm.scoring.rules import Contains, EmailDomain, Equals, FitRule, InSet, NumberRange

Predicate = Callable[[Mapping[str, Any]], bool]


def _text(value: Any) -> str:
    return str(value).strip().casefold()


def _email_domain(rule: EmailDomain, free_mail: frozenset[str]) -> Predicate:
    want_free = rule.domain == "free_mail"

    def test(c: Mapping[str, Any]) -> bool:
        email = c.get("email")
        if not isinstance(email, str) or "@" not in email:
            return False
        return (email.rsplit("@", 1)[1].lower() in free_mail) == want_free

    return test


def _equals(rule: Equals) -> Predicate:
    name, wanted = rule.field, rule.value
    if isinstance(wanted, str):
        folded = _text(wanted)
        return lambda c: name in c and _text(c[name]) == folded
    return lambda c: c.get(name) == wanted


def _contains(rule: Contains) -> Predicate:
    name, part = rule.field, _text(rule.value)

    def test(c: Mapping[str, Any]) -> bool:
        value = c.get(name)
        if isinstance(value, list | set | tuple | frozenset):
            return any(_text(v) == part for v in value)
        return value is not None and part in _text(value)

    return test


def _in_set(rule: InSet) -> Predicate:
    name = rule.field
    members = frozenset(_text(v) if isinstance(v, str) else v for v in rule.values)

    def test(c: Mapping[str, Any]) -> bool:
        value = c.get(name)
        return value is not None and (_text(value) if isinstance(value, str) else value) in members

    return test


def _in_range(rule: NumberRange) -> Predicate:
    name, low, high = rule.field, rule.min, rule.max

    def test(c: Mapping[str, Any]) -> bool:
        try:
            number = float(c[name])
        except (KeyError, TypeError, ValueError):
            return False
        return (low is None or number >= low) and (high is None or number <= high)

    return test


def predicate(rule: FitRule, free_mail: frozenset[str]) -> Predicate:
    if isinstance(rule, EmailDomain):
        return _email_domain(rule, free_mail)
    if isinstance(rule, Equals):
        return _equals(rule)
    if isinstance(rule, Contains):
        return _contains(rule)
    if isinstance(rule, InSet):
        return _in_set(rule)
    return _in_range(rule)
