"""Forms are data: a definition in the table says which fields a form has and what a
submission means (topics, consent, double opt-in, where to go next). Marketers replace a
definition version by version (`replace`, the admin forms API) and list them (`page`): this is
the definition as written, validated (pydantic). The functions that serve a form (Capture, the
import worker) read it back without pydantic: `form_view`, which also holds the names every
form reserves and the field types."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, HttpUrl, StringConstraints, model_validator

from ecrm.contacts.form_store import cache_seconds, forget_cached, version_check
from ecrm.contacts.form_view import (
    CONSENT_FIELD,
    HONEYPOT_FIELD,
    KIND,
    RENDERED_AT_FIELD,
    RESERVED_FIELDS,
    TRACKING_FIELDS,
    FieldType,
)
from ecrm.platform import definitions, keys, listing, store
from ecrm.platform.errors import NotFound
from ecrm.platform.models import Model

__all__ = [  # the read side's names too: what every form reserves, the field types
    "CONSENT_FIELD",
    "HONEYPOT_FIELD",
    "KIND",
    "RENDERED_AT_FIELD",
    "RESERVED_FIELDS",
    "TRACKING_FIELDS",
    "Consent",
    "FieldName",
    "FieldType",
    "Form",
    "FormField",
    "Slug",
    "cache_seconds",
    "forget_cached",
    "load",
    "page",
    "replace",
    "save",
    "version_check",
]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class FormField(Model):
    model_config = ConfigDict(extra="forbid")

    name: FieldName
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    type: FieldType = FieldType.TEXT
    required: bool = False
    max_length: int = Field(default=200, ge=1, le=5000)
    choices: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None = None

    @model_validator(mode="after")
    def _choices_match_type(self) -> Self:
        has_choices = self.type in {FieldType.CHOICE, FieldType.MULTI_CHOICE}
        if has_choices != bool(self.choices):
            raise ValueError("choice fields need choices, and only they have them")
        return self


class Consent(Model):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


class Form(Model):
    model_config = ConfigDict(extra="forbid")

    id: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    fields: list[FormField] = Field(min_length=1, max_length=50)
    consent: Consent | None = None
    topics: list[Slug] = Field(default_factory=list, max_length=20)
    double_opt_in: bool = True
    redirect_url: HttpUrl | None = None
    # The site the form is on: the plain form's thank-you and problem pages link back to it
    # (else to the first allowed origin). Never taken from a request: no open redirect.
    site_url: HttpUrl | None = None
    allowed_origins: list[Annotated[str, StringConstraints(pattern=r"^https?://[^/\s]+$")]] = Field(
        default_factory=list
    )
    submit_label: str = "Subscribe"
    thank_you: str = "Thank you!"
    version: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _one_email_field(self) -> Self:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique")
        if clash := RESERVED_FIELDS.intersection(names):
            raise ValueError(f"reserved field names: {sorted(clash)}")
        emails = [f for f in self.fields if f.type is FieldType.EMAIL]
        if len(emails) != 1 or emails[0].name != "email" or not emails[0].required:
            raise ValueError("a form has exactly one required email field, named 'email'")
        return self

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)

    def public(self) -> dict[str, Any]:
        """What a page needs to render the form (no origins, nothing internal)."""
        return self.model_dump(mode="json", exclude={"allowed_origins"})

    def to_item(self) -> dict[str, Any]:
        return {
            **keys.form(self.id),
            **keys.listing(KIND, self.id),
            "type": "form",
            **self.model_dump(mode="json"),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Form:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


def load(form_id: str, *, fresh: bool = False) -> Form:
    """The stored definition as its model reads it (the admin API); the functions that serve
    forms read `form_store.load` (cached, no pydantic)."""
    item = store.get(keys.form(form_id), consistent=fresh)
    if item is None:
        raise NotFound("No such form.")
    return Form.from_item(item)


def save(form: Form) -> Form:
    """Store a definition; the version goes up by one on every save of an existing form."""
    current = store.get(keys.form(form.id))
    version = int(current["version"]) + 1 if current else 1
    saved = form.model_copy(update={"version": version})
    condition = "attribute_not_exists(pk)" if current is None else "version = :seen"
    values = {":seen": current["version"]} if current else {}
    store.write(store.Put(saved.to_item(), condition=condition, values=values))
    forget_cached(form.id)
    return saved


def replace(form: Form, expected_version: int | None = None) -> tuple[Form, bool]:
    """Make `form` the definition under its id: created as version 1, or saved as the next
    version over the one just read (a concurrent save in between is a Conflict). The same
    definition again writes nothing, so pushing one file twice makes one version. Returns the
    stored form and whether it was written."""
    current = store.get(keys.form(form.id), consistent=True)
    if current is None:
        created = form.model_copy(update={"version": 1})
        definitions.put_new(created.to_item(), KIND, form.id)
        return created, True
    stored = Form.from_item(current)
    definitions.check_expected(KIND, stored.version, expected_version)
    if _definition(stored) == _definition(form):
        return stored, False
    saved = form.model_copy(update={"version": stored.version + 1})
    definitions.put_next(saved.to_item(), KIND, stored.version)
    forget_cached(form.id)  # this process at once; the others within cache_seconds()
    return saved, True


def _definition(form: Form) -> dict[str, Any]:
    return form.model_dump(mode="json", exclude={"version"})


def page(limit: int, cursor: str | None) -> tuple[list[Form], str | None]:
    """Forms by id. A form stored before forms were listed appears once it is saved again."""
    items, next_cursor = listing.page(KIND, limit=limit, cursor=cursor)
    return [Form.from_item(item) for item in items], next_cursor
