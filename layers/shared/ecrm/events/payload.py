"""A `POST /events` body read into plain, bounded `Event`s, or refused (422) naming each problem
by its path (`events.3.properties.plan`), before anything is read from or written to the table.

The body is one event (an object) or a batch (`{"events": [...]}`, up to `MAX_EVENTS`). An
event names the contact by `email` (normalised as a form submission reads it) or by
`contact_id`, exactly one; `name` matches `NAME_PATTERN`; `id` (optional) makes a retry of it
count once; `occurred_at` (optional) is when the source saw it, within the last 30 days;
`properties` is a flat map of at most `MAX_PROPERTIES` names to a text (at most `MAX_TEXT`
characters, no control characters), a number (finite, at most 1e15 either way, floats rounded
to 6 places: a number DynamoDB cannot hold would fail the write) or a boolean. Anything else,
an unknown field included, is a 422: a source learns of a typo at once instead of losing data.
Depth and size are bounded before parsing (`ecrm.web.http.read_fields`: 4 levels, 16 KiB).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecrm.platform import clock, normalise
from ecrm.platform.errors import InvalidInput

MAX_EVENTS = 25  # a transaction holds 100 writes: marker, interaction and contact per event
MAX_PROPERTIES = 20
MAX_TEXT = 256
MAX_NUMBER = 1e15
MAX_AGE_SECONDS = 30 * 86400
MAX_AHEAD_SECONDS = 300  # clocks differ
NAME_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"
_NAME = re.compile(NAME_PATTERN.rstrip("$") + r"\Z")
_PROPERTY = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
_CONTACT_ID = re.compile(r"[a-z2-7]{24}\Z")  # keys.contact_id_for: base32, lower-case
_FIELDS = frozenset({"name", "email", "contact_id", "id", "occurred_at", "properties"})

Value = str | int | float | bool


@dataclass(frozen=True)
class Event:
    name: str
    email: str | None  # normalised
    contact_id: str | None
    client_id: str | None  # the source's own id of the event (`id`)
    occurred_at: str | None  # as the table stores times (`clock.iso`)
    properties: dict[str, Value] = field(default_factory=dict)


def read(body: Mapping[str, Any], *, now: float | None = None) -> list[Event]:
    """The events of a body (`http.read_fields`' object), or `InvalidInput` naming each problem."""
    now = clock.now() if now is None else now
    problems: dict[str, str] = {}
    if "events" in body:
        extra = sorted(set(body) - {"events"})
        problems |= {name: "A batch holds `events` only." for name in extra}
        raw = body["events"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_EVENTS:
            problems["events"] = f"A list of 1 to {MAX_EVENTS} events."
            raw = []
        items, prefixes = raw, [f"events.{i}." for i in range(len(raw))]
    else:
        items, prefixes = [body], [""]
    found: list[Event] = []
    for item, prefix in zip(items, prefixes, strict=True):
        event = _event(item, prefix, problems, now)
        if event is not None:
            found.append(event)
    if problems:
        raise InvalidInput("Some events need attention.", problems)
    return found


def _event(raw: Any, at: str, problems: dict[str, str], now: float) -> Event | None:
    if not isinstance(raw, Mapping):
        problems[at.rstrip(".") or "request"] = "An event is an object."
        return None
    mine: dict[str, str] = {}
    for name in sorted(set(raw) - _FIELDS):
        mine[at + str(name)[:64]] = "Not a field of an event."
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        mine[at + "name"] = "Lower-case letters, digits, `_`, `.` or `-`, starting with a letter."
    email, contact_id = _identity(raw, at, mine)
    client_id = raw.get("id")
    if client_id is not None and not (isinstance(client_id, str) and _CLIENT_ID.match(client_id)):
        mine[at + "id"] = "1 to 128 letters, digits, `.`, `_`, `:` or `-`."
        client_id = None
    occurred_at = _occurred_at(raw.get("occurred_at"), at, mine, now)
    properties = _properties(raw.get("properties"), at + "properties", mine)
    problems |= mine
    if mine:
        return None
    return Event(str(name), email, contact_id, client_id, occurred_at, properties)


def _identity(raw: Mapping[str, Any], at: str, problems: dict[str, str]) -> tuple[Any, Any]:
    email, contact_id = raw.get("email"), raw.get("contact_id")
    if (email is None) == (contact_id is None):
        problems[at + "email"] = "Name the contact by `email` or by `contact_id` (one of them)."
        return None, None
    if contact_id is not None:
        if not (isinstance(contact_id, str) and _CONTACT_ID.match(contact_id)):
            problems[at + "contact_id"] = "A contact id: 24 letters a-z and digits 2-7."
        return None, contact_id
    if not isinstance(email, str) or len(email) > 320:
        problems[at + "email"] = "An email address (at most 320 characters)."
        return None, None
    try:
        return normalise.email(email), None
    except normalise.NotNormalisable as error:
        problems[at + "email"] = str(error)[:200]
        return None, None


def _occurred_at(raw: Any, at: str, problems: dict[str, str], now: float) -> str | None:
    if raw is None:
        return None
    moment = None
    if isinstance(raw, str) and len(raw) <= 40:
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
            moment = when.timestamp() if when.tzinfo else None
        except (ValueError, OverflowError):  # year 1 in UTC+14 is before year 1 in UTC
            moment = None
    if moment is None:
        problems[at + "occurred_at"] = "An ISO 8601 time with its zone (2026-05-01T10:30:00Z)."
        return None
    if not now - MAX_AGE_SECONDS <= moment <= now + MAX_AHEAD_SECONDS:
        problems[at + "occurred_at"] = "Within the last 30 days (and not in the future)."
        return None
    return clock.iso(moment)


def _properties(raw: Any, at: str, problems: dict[str, str]) -> dict[str, Value]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or len(raw) > MAX_PROPERTIES:
        problems[at] = f"An object of at most {MAX_PROPERTIES} properties."
        return {}
    found: dict[str, Value] = {}
    for name, value in raw.items():
        where = f"{at}.{str(name)[:40]}"
        if not _PROPERTY.match(name):
            problems[where] = "A property name: lower-case letters, digits and `_`, at most 40."
            continue
        problem, kept = _value(value)
        if problem:
            problems[where] = problem
        else:
            found[name] = kept
    return found


def _value(value: Any) -> tuple[str | None, Value]:
    """(the problem or None, the value as stored)."""
    if isinstance(value, bool):
        return None, value
    if isinstance(value, int | float):
        if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_NUMBER:
            return "A number of at most 1e15 either way.", 0
        return None, round(value, 6) if isinstance(value, float) else value
    if not isinstance(value, str):
        return "A text, a number or true/false (no lists, objects or null).", ""
    problem = None
    if len(value) > MAX_TEXT:
        problem = f"A text of at most {MAX_TEXT} characters."
    elif any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in value):
        problem = "A text without control characters."
    return problem, value
