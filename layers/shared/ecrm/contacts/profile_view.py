"""The profile schema as the functions that use it read it: plain frozen values, no pydantic.

The definition is validated once, when it is saved (`profile_schema`, pydantic); what is stored
is read back here as it is (`ProfileView.from_item`), so the preference center's function, the
contacts admin and the campaign sender import no pydantic for it (issue 15 point 7).
tests/unit/test_definitions_read_back.py checks that every valid schema reads back to what its
model says. Cached like form definitions (`DEFINITION_CACHE_SECONDS`); a change is guarded by
the definition's version in the same transaction (`version_check`), so a stale cache is never
acted on; `profile_schema.save` forgets the cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecrm.contacts.form_view import ConsentView, FieldView
from ecrm.platform import keys, store
from ecrm.platform.settings import settings


@dataclass(frozen=True, slots=True)
class TopicView:
    id: str
    label: str
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "description": self.description}


@dataclass(frozen=True, slots=True)
class ProfileView:
    profile: tuple[FieldView, ...] = ()
    interests: tuple[FieldView, ...] = ()
    topics: tuple[TopicView, ...] = ()
    consent: ConsentView | None = None
    version: int = 0  # 0: nothing stored yet

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ProfileView:
        """A stored definition (validated when saved), read without validating it again; what
        the table does not hold (a null, a section added since) is the model's default."""
        consent = item.get("consent")
        return cls(
            profile=tuple(FieldView.from_item(f) for f in item.get("profile") or ()),
            interests=tuple(FieldView.from_item(f) for f in item.get("interests") or ()),
            topics=tuple(
                TopicView(t["id"], t["label"], t.get("description", ""))
                for t in item.get("topics") or ()
            ),
            consent=ConsentView(consent["text"], consent["version"]) if consent else None,
            version=int(item.get("version", 0)),
        )

    def field(self, section: str, name: str) -> FieldView | None:
        fields = self.profile if section == "profile" else self.interests
        return next((f for f in fields if f.name == name), None)

    def topic(self, topic_id: str) -> TopicView | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def public(self) -> dict[str, Any]:
        """What the preference center shows: the definition without its version."""
        consent = self.consent
        return {
            "profile": [f.to_json() for f in self.profile],
            "interests": [f.to_json() for f in self.interests],
            "topics": [t.to_json() for t in self.topics],
            "consent": {"text": consent.text, "version": consent.version} if consent else None,
        }

    def to_json(self) -> dict[str, Any]:
        """The definition as a marketer reads it (`GET /admin/profile-schema`)."""
        return {**self.public(), "version": self.version}


_cache: tuple[float, ProfileView] | None = None
_lock = threading.Lock()


def load(*, fresh: bool = False) -> ProfileView:
    """The current definition (an empty one, version 0, when none was stored)."""
    global _cache  # noqa: PLW0603 - a one-entry cache shared by the threads of one process
    with _lock:
        cached = _cache
    if cached and not fresh and time.monotonic() - cached[0] < settings().definition_cache_seconds:
        return cached[1]
    item = store.get(keys.profile_schema(), consistent=fresh)
    schema = ProfileView.from_item(item) if item else ProfileView()
    with _lock:
        _cache = (time.monotonic(), schema)
    return schema


def topic_label(topic: str) -> str:
    """The topic's label in the profile schema, else its id (a campaign's List-Id label)."""
    found = load().topic(topic)
    return found.label if found else topic


def version_check(schema: ProfileView) -> store.Check:
    """A transaction guard: the definition a change was validated against is still current."""
    if schema.version == 0:
        return store.Check(keys.profile_schema(), "attribute_not_exists(pk)")
    return store.Check(keys.profile_schema(), "version = :v", values={":v": schema.version})


def forget_cached() -> None:
    global _cache  # noqa: PLW0603
    with _lock:
        _cache = None
