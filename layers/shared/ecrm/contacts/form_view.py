"""A form definition as the functions that serve it read it: plain frozen values, no pydantic.

A definition is validated once, when it is saved (`forms`, pydantic, the admin forms API); what
is stored is read back here as it is (`FormView.from_item`), so Capture's and the import
worker's cold starts import no pydantic (issue 15 point 7).
tests/unit/test_definitions_read_back.py checks that every valid form reads back to what its
model says. Reading one from the table is `form_store`'s: this module imports nothing that
reaches AWS, so the `ecrm` command line (CSV checks of an import, `ecrm.imports.rows`) starts
without boto3.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

# Names a submission may carry besides the form's own fields; never stored as profile data.
TRACKING_FIELDS = frozenset(
    {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "referrer", "page"}
)
HONEYPOT_FIELD = "_hp"
RENDERED_AT_FIELD = "_ts"
CONSENT_FIELD = "consent"
KIND = "form"  # the forms' listing (`ecrm.platform.listing`)
RESERVED_FIELDS = TRACKING_FIELDS | {HONEYPOT_FIELD, RENDERED_AT_FIELD, CONSENT_FIELD, "topics"}


class FieldType(StrEnum):
    EMAIL = "email"
    TEXT = "text"
    TEXTAREA = "textarea"
    NAME = "name"
    PHONE = "phone"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    CHECKBOX = "checkbox"
    DATE = "date"  # a day, stored as YYYY-MM-DD (`normalise.date`): birthdays, renewals


class FieldSpec(Protocol):
    """What reading a value needs of a field: a form's, or the profile schema's."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> FieldType: ...
    @property
    def required(self) -> bool: ...
    @property
    def max_length(self) -> int: ...
    @property
    def choices(self) -> Sequence[str] | None: ...


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    max_length: int = 200
    choices: tuple[str, ...] | None = None

    @classmethod
    def from_item(cls, data: Mapping[str, Any]) -> FieldView:
        choices = data.get("choices")
        return cls(
            name=data["name"],
            label=data["label"],
            type=FieldType(data.get("type", FieldType.TEXT)),
            required=bool(data.get("required", False)),
            max_length=int(data.get("max_length", 200)),
            choices=None if choices is None else tuple(choices),
        )

    def to_json(self) -> dict[str, Any]:
        choices = None if self.choices is None else list(self.choices)
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type.value,
            "required": self.required,
            "max_length": self.max_length,
            "choices": choices,
        }


@dataclass(frozen=True, slots=True)
class ConsentView:
    text: str
    version: str

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class FormView:
    id: str
    title: str
    fields: tuple[FieldView, ...]
    consent: ConsentView | None = None
    topics: tuple[str, ...] = ()
    double_opt_in: bool = True
    redirect_url: str | None = None
    # The site the form is on: the plain form's thank-you and problem pages link back to it
    # (else to the first allowed origin). Never taken from a request: no open redirect.
    site_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    submit_label: str = "Subscribe"
    thank_you: str = "Thank you!"
    version: int = 1

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> FormView:
        """A stored definition (validated when saved), read without validating it again; what
        the table does not hold (a null, a field added since) is the model's default."""
        consent = item.get("consent")
        return cls(
            id=item["id"],
            title=item["title"],
            fields=tuple(FieldView.from_item(f) for f in item["fields"]),
            consent=ConsentView(consent["text"], consent["version"]) if consent else None,
            topics=tuple(item.get("topics") or ()),
            double_opt_in=bool(item.get("double_opt_in", True)),
            redirect_url=item.get("redirect_url"),
            site_url=item.get("site_url"),
            allowed_origins=tuple(item.get("allowed_origins") or ()),
            submit_label=item.get("submit_label", "Subscribe"),
            thank_you=item.get("thank_you", "Thank you!"),
            version=int(item.get("version", 1)),
        )

    def field(self, name: str) -> FieldView | None:
        return next((f for f in self.fields if f.name == name), None)

    def label_of(self, name: str) -> str:
        """What a person reads for a submitted name: the field's label, never a raw name of
        ours (a name the form does not have is shown as sent, escaped by the page)."""
        if found := self.field(name):
            return found.label
        return {CONSENT_FIELD: "Consent", RENDERED_AT_FIELD: "Form"}.get(name, name)

    def site(self) -> str | None:
        """Where "back to the site" goes: `site_url`, else the first allowed origin."""
        if self.site_url:
            return self.site_url
        return f"{self.allowed_origins[0]}/" if self.allowed_origins else None

    def public(self) -> dict[str, Any]:
        """What a page needs to render the form (no origins, nothing internal)."""
        consent = self.consent
        return {
            "id": self.id,
            "title": self.title,
            "fields": [f.to_json() for f in self.fields],
            "consent": {"text": consent.text, "version": consent.version} if consent else None,
            "topics": list(self.topics),
            "double_opt_in": self.double_opt_in,
            "redirect_url": self.redirect_url,
            "site_url": self.site_url,
            "submit_label": self.submit_label,
            "thank_you": self.thank_you,
            "version": self.version,
        }
