"""What customers may see and edit about themselves in the preference center: profile fields,
interests (the psychographic fields and choices the company defines) and the topics on offer.

One definition item (`keys.profile_schema()`), seeded by `ecrm serve` from
`local/demo_profile.json` when there is none, or written by a marketer; cached like form
definitions (`DEFINITION_CACHE_SECONDS`). A change is guarded by the definition's version in the
same transaction, so a stale cache is never acted on. Values live on the contact as `f_<name>`,
the same attributes forms write.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from ecrm.contacts import profile_view
from ecrm.contacts.forms import RESERVED_FIELDS, Consent, FieldType, FormField, Slug
from ecrm.platform import keys, store
from ecrm.platform.models import Model
from ecrm.platform.settings import settings


class Topic(Model):
    model_config = ConfigDict(extra="forbid")

    id: Slug
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=500)] = ""


class ProfileSchema(Model):
    model_config = ConfigDict(extra="forbid")

    profile: list[FormField] = Field(default_factory=list, max_length=30)
    interests: list[FormField] = Field(default_factory=list, max_length=30)
    topics: list[Topic] = Field(default_factory=list, max_length=30)
    # Shown beside the topics: joining one from the preference center is consent to it.
    consent: Consent | None = None
    version: int = Field(default=0, ge=0)  # 0: nothing stored yet

    @model_validator(mode="after")
    def _names_are_unique_and_editable(self) -> Self:
        names = [f.name for f in self.profile + self.interests]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique across profile and interests")
        if clash := RESERVED_FIELDS.intersection(names):
            raise ValueError(f"reserved field names: {sorted(clash)}")
        if any(f.type is FieldType.EMAIL for f in self.profile + self.interests):
            raise ValueError("the address is changed with re-verification, not as a field")
        topic_ids = [t.id for t in self.topics]
        if len(set(topic_ids)) != len(topic_ids):
            raise ValueError("topic ids must be unique")
        if self.topics and self.consent is None:
            raise ValueError("topics on offer need the consent text shown beside them")
        return self

    def field(self, section: str, name: str) -> FormField | None:
        fields = self.profile if section == "profile" else self.interests
        return next((f for f in fields if f.name == name), None)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"version"})

    def to_item(self) -> dict[str, Any]:
        return {**keys.profile_schema(), "type": "profile_schema", **self.model_dump(mode="json")}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ProfileSchema:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


_cache: tuple[float, ProfileSchema] | None = None
_lock = threading.Lock()


def load(*, fresh: bool = False) -> ProfileSchema:
    """The current definition (an empty one, version 0, when none was stored)."""
    global _cache  # noqa: PLW0603 - a one-entry cache shared by the threads of one process
    with _lock:
        cached = _cache
    if cached and not fresh and time.monotonic() - cached[0] < settings().definition_cache_seconds:
        return cached[1]
    item = store.get(keys.profile_schema(), consistent=fresh)
    schema = ProfileSchema.from_item(item) if item else ProfileSchema()
    with _lock:
        _cache = (time.monotonic(), schema)
    return schema


def save(schema: ProfileSchema) -> ProfileSchema:
    """Store a definition; its version goes up by one on every save."""
    current = store.get(keys.profile_schema())
    version = int(current["version"]) + 1 if current else 1
    saved = schema.model_copy(update={"version": version})
    condition = "attribute_not_exists(pk)" if current is None else "version = :seen"
    values = {":seen": current["version"]} if current else {}
    store.write(store.Put(saved.to_item(), condition=condition, values=values))
    forget_cached()
    return saved


def version_check(schema: ProfileSchema) -> store.Check:
    """A transaction guard: the definition a change was validated against is still current."""
    if schema.version == 0:
        return store.Check(keys.profile_schema(), "attribute_not_exists(pk)")
    return store.Check(keys.profile_schema(), "version = :v", values={":v": schema.version})


def forget_cached() -> None:
    global _cache  # noqa: PLW0603
    with _lock:
        _cache = None
    profile_view.forget_cached()
