"""Reading a preference-center change (the body of `PATCH /account`) against the profile schema
and the contact as stored: every value validated and normalised, every problem named at once
(422), and only what actually differs kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecrm.contacts import records, submission
from ecrm.contacts.profile_view import ProfileView
from ecrm.contacts.records import FIELD_PREFIX, ContactStatus
from ecrm.contacts.submission import Value
from ecrm.platform import normalise
from ecrm.platform.errors import InvalidInput

SECTIONS = ("profile", "interests")
ALLOWED = frozenset({*SECTIONS, "topics", "email", "subscribed"})


@dataclass
class Changes:
    values: dict[str, Value] = field(default_factory=dict)  # field name -> new value
    removed: list[str] = field(default_factory=list)  # field names emptied
    interest_names: set[str] = field(default_factory=set)  # which of the names are interests
    topics: set[str] | None = None  # the new set of topics, when it changes
    joined: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    unsubscribe_all: bool = False
    new_email: str | None = None
    cancel_email_change: bool = False

    def fields(self) -> list[str]:
        return sorted([*self.values, *self.removed])

    def __bool__(self) -> bool:
        return bool(
            self.fields()
            or self.topics is not None
            or self.unsubscribe_all
            or self.new_email
            or self.cancel_email_change
        )


@dataclass
class _Reader:
    schema: ProfileView
    contact: Mapping[str, Any]
    changes: Changes = field(default_factory=Changes)
    errors: dict[str, str] = field(default_factory=dict)

    def fields(self, section: str, raw: Any) -> None:
        if not isinstance(raw, Mapping):
            self.errors[section] = "Expected an object of fields."
            return
        for name, value in raw.items():
            self._field(section, str(name), value)

    def _field(self, section: str, name: str, value: Any) -> None:
        label = f"{section}.{name[:64]}"
        spec = self.schema.field(section, name)
        if spec is None:
            self.errors[label] = "This field cannot be changed here."
            return
        try:
            read = None if value is None else submission.read_value(value, spec)
        except ValueError as error:
            self.errors[label] = str(error)
            return
        if section == "interests":
            self.changes.interest_names.add(name)
        if read is None or (spec.required and read is False):
            if spec.required:
                self.errors[label] = "This field is required."
            elif FIELD_PREFIX + name in self.contact:
                self.changes.removed.append(name)
        elif self.contact.get(FIELD_PREFIX + name) != read:
            self.changes.values[name] = read

    def topics(self, raw: Any) -> None:
        if not isinstance(raw, Mapping):
            self.errors["topics"] = "Expected an object of topic ids and true or false."
            return
        now = records.active_topics(self.contact)
        wanted = set(now)
        for topic, on in raw.items():
            label = f"topics.{str(topic)[:64]}"
            if not isinstance(on, bool):
                self.errors[label] = "Expected true or false."
            elif on and topic not in now and self.schema.topic(topic) is None:
                self.errors[label] = "There is no such topic."
            elif on:
                wanted.add(topic)
            else:
                wanted.discard(topic)
        if wanted != now:
            self.changes.topics = wanted
            self.changes.joined = sorted(wanted - now)
            self.changes.left = sorted(now - wanted)

    def email(self, raw: Any) -> None:
        try:
            email = normalise.email(raw if isinstance(raw, str) else "")
        except normalise.NotNormalisable as error:
            self.errors["email"] = str(error)
            return
        if email != self.contact.get("email"):
            if email != self.contact.get("pending_email"):
                self.changes.new_email = email
        elif self.contact.get("pending_email"):
            self.changes.cancel_email_change = True  # back to the current address

    def subscribed(self, raw: Any) -> None:
        if raw is not False:
            self.errors["subscribed"] = (
                "Only false (unsubscribe from everything); tick topics to subscribe."
            )
        elif self.changes.joined:
            self.errors["subscribed"] = "Unsubscribing from everything cannot also join topics."
        elif self.contact.get("status") != ContactStatus.UNSUBSCRIBED:
            self.changes.unsubscribe_all = True
            self.changes.topics, self.changes.joined, self.changes.left = None, [], []


def read(schema: ProfileView, raw: Mapping[str, Any], contact: Mapping[str, Any]) -> Changes:
    """What the body changes; InvalidInput naming every field that needs attention."""
    reader = _Reader(schema, contact)
    for name in sorted(set(raw) - ALLOWED):
        reader.errors[name[:64]] = "Unknown field."
    for section in SECTIONS:
        if raw.get(section) is not None:
            reader.fields(section, raw[section])
    if raw.get("topics") is not None:
        reader.topics(raw["topics"])
    if raw.get("email") is not None:
        reader.email(raw["email"])
    if "subscribed" in raw:
        reader.subscribed(raw["subscribed"])
    if reader.errors:
        raise InvalidInput("Some fields need attention.", fields=reader.errors)
    return reader.changes
