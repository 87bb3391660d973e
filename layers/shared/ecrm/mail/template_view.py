"""A mail template as the campaign sender reads it: plain frozen values, no pydantic, and its
parts compiled by Jinja once per process (`compiled`).

A template is checked once, when a marketer saves it (`templates`, pydantic and Jinja); the copy
a started campaign keeps (its CONTENT item) is read back here as it is
(`TemplateView.from_item`), so the sender's cold start imports no pydantic (issue 15 point 7).
Jinja (`personalisation`) is imported with the first part compiled, not at import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from ecrm.mail import render_limits
from ecrm.mail.outbound import RenderedMail
from ecrm.platform import keys, listing, store
from ecrm.platform.errors import NotFound

if TYPE_CHECKING:
    from jinja2 import Template

KIND = "template"  # the templates' listing (`ecrm.platform.listing`)
VERSION_DAYS = 365  # how long an earlier version stays readable (then DynamoDB's TTL removes it)


def page(limit: int, cursor: str | None) -> tuple[list[store.Item], str | None]:
    """A page of templates as saved, read without pydantic (the admin list, `GET
    /admin/templates`, answers their summaries)."""
    return listing.page(KIND, limit=limit, cursor=cursor)


class Parts(Protocol):
    """What rendering needs of a template: a stored one (`TemplateView`) or a model."""

    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...
    @property
    def contact_fields(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class TemplateView:
    id: str
    subject: str
    text: str
    html: str
    contact_fields: tuple[str, ...]
    version: int

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> TemplateView:
        """A template as saved (checked then), read without checking it again."""
        return cls(
            id=item["id"],
            subject=item["subject"],
            text=item["text"],
            html=item["html"],
            contact_fields=tuple(item.get("contact_fields") or ()),
            version=int(item["version"]),
        )


def load(template_id: str) -> TemplateView:
    """The current template as saved, without pydantic (a journey's send step)."""
    item = store.get(keys.mail_template(template_id))
    if item is None:
        raise NotFound("No such template.")
    return TemplateView.from_item(item)


@dataclass(frozen=True)
class Compiled:
    subject: Template
    text: Template
    html: Template
    contact_fields: tuple[str, ...]

    def render(self, context: Mapping[str, Any]) -> RenderedMail:
        """RenderTooLarge as soon as a part passes its budget (`ecrm.mail.render_limits`)."""
        return RenderedMail(
            subject=render_limits.render(self.subject, context, "subject"),
            text=render_limits.render(self.text, context, "text"),
            html=render_limits.render(self.html, context, "html"),
        )


@lru_cache(maxsize=64)
def compile_parts(subject: str, text: str, html: str, fields: tuple[str, ...]) -> Compiled:
    """Jinja compiles each part once per process (campaigns render thousands of times)."""
    from ecrm.mail import personalisation  # noqa: PLC0415 - Jinja: see the module docstring

    plain, marked_up = personalisation.environment(False), personalisation.environment(True)
    return Compiled(
        plain.from_string(subject),
        plain.from_string(text),
        marked_up.from_string(html),
        fields,
    )


def compiled(template: Parts) -> Compiled:
    return compile_parts(
        template.subject, template.text, template.html, tuple(template.contact_fields)
    )
