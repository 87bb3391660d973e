"""What customers may see and edit about themselves in the preference center: profile fields,
interests (the psychographic fields and choices the company defines) and the topics on offer.

One definition item (`keys.profile_schema()`), seeded by `ecrm serve` from
`local/demo_profile.json` when there is none, or written with `ecrm profile put`: validated here
(pydantic) when saved, read back without pydantic by `profile_view` (what every function that
uses the schema reads, cached). Values live on the contact as `f_<name>`, the same attributes
forms write.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from ecrm.contacts import profile_view
from ecrm.contacts.forms import RESERVED_FIELDS, Consent, FieldType, FormField, Slug
from ecrm.platform import keys, store
from ecrm.platform.models import Model


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

    def to_item(self) -> dict[str, Any]:
        return {**keys.profile_schema(), "type": "profile_schema", **self.model_dump(mode="json")}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ProfileSchema:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


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


def forget_cached() -> None:
    profile_view.forget_cached()
