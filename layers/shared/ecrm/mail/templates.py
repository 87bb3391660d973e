"""Mail templates: subject, HTML and text, written by marketers in a sandboxed Jinja dialect
(`ecrm.mail.personalisation`), checked against the contact schema when saved, size-capped, and
rendered for one contact as a preview exactly as a campaign would render them. A part renders
within its budget (`ecrm.mail.render_limits`) or not at all; a template whose preview for the
largest contact the schema allows would pass it is refused when saved.

Jinja (`personalisation`) is imported where a template is checked or rendered: the functions
that only store, list or load templates never load it (issue 15 point 7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from ecrm.contacts import profile_view
from ecrm.contacts.forms import FieldType, Slug
from ecrm.mail import links, render_limits
from ecrm.mail.outbound import RenderedMail
from ecrm.mail.template_view import KIND, VERSION_DAYS, compile_parts, compiled
from ecrm.platform import clock, definition_holds, definitions, keys, listing, store
from ecrm.platform.errors import Conflict, InvalidInput, NotFound
from ecrm.platform.models import Model

if TYPE_CHECKING:
    pass

MAX_HTML_BYTES = 100_000
MAX_TEXT_BYTES = 50_000


class MailTemplateIn(Model):
    """What a marketer writes. Without `text`, the text part is derived from the HTML."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    subject: Annotated[str, StringConstraints(min_length=1, max_length=250)]
    html: Annotated[str, StringConstraints(min_length=1, max_length=MAX_HTML_BYTES)]
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT_BYTES)] | None = None


class MailTemplate(Model):
    id: Slug
    name: str
    subject: str
    html: str
    text: str
    text_derived: bool
    contact_fields: list[str] = Field(description="Contact fields the template uses")
    version: int
    created_at: str
    updated_at: str

    def to_item(self) -> dict[str, Any]:
        return {
            **keys.mail_template(self.id),
            **keys.listing(KIND, self.id),
            "type": "mail_template",
            **self.model_dump(),
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> MailTemplate:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


def _checked(body: MailTemplateIn) -> tuple[str, bool, list[str]]:
    """(text, derived, contact fields) of a valid template; InvalidInput naming each part."""
    from ecrm.mail import personalisation  # noqa: PLC0415 - Jinja: see the module docstring

    problems: dict[str, str] = {}
    if len(body.html.encode()) > MAX_HTML_BYTES:
        problems["html"] = f"The HTML is larger than {MAX_HTML_BYTES} bytes."
    text = body.text if body.text is not None else personalisation.text_from_html(body.html)
    if len(text.encode()) > MAX_TEXT_BYTES:
        problems["text"] = f"The text is larger than {MAX_TEXT_BYTES} bytes."
    schema = profile_view.load()
    fields = [f.name for f in schema.profile + schema.interests]
    used: set[str] = set()
    for part, source in (("subject", body.subject), ("html", body.html), ("text", text)):
        if part in problems:
            continue
        try:
            found = personalisation.check(part, source, fields)
        except personalisation.TemplateProblem as problem:
            problems[part] = problem.message
            continue
        used |= found.contact_fields
        if part in {"html", "text"} and not found.unsubscribe_url:
            problems[part] = "Link {{ unsubscribe_url }} so every reader can unsubscribe."
    if not problems:
        problems = _too_large(body.subject, text, body.html, schema)
    if problems:
        raise InvalidInput("The template needs attention.", problems)
    return text, body.text is None, sorted(used)


def _too_large(
    subject: str, text: str, html: str, schema: profile_view.ProfileView
) -> dict[str, str]:
    """Problems of the parts whose preview for the largest contact the schema allows (every
    field at its longest, every choice ticked) fails or passes its budget."""
    from jinja2 import TemplateError  # noqa: PLC0415 - Jinja: see the module docstring

    from ecrm.mail import personalisation  # noqa: PLC0415 - Jinja: see the module docstring

    specs = schema.profile + schema.interests
    contact: dict[str, Any] = {"email": "x" * 64 + "@" + "x" * 185 + ".com"}
    for spec in specs:
        if spec.type is FieldType.MULTI_CHOICE:
            contact[f"f_{spec.name}"] = list(spec.choices or [])
        elif spec.type is FieldType.CHECKBOX:
            contact[f"f_{spec.name}"] = True
        elif spec.choices:
            contact[f"f_{spec.name}"] = max(spec.choices, key=len)
        elif spec.type is FieldType.DATE:
            contact[f"f_{spec.name}"] = "2000-12-31"  # stored as YYYY-MM-DD, whatever typed
        else:
            contact[f"f_{spec.name}"] = "x" * spec.max_length
    context = personalisation.render_context(
        contact,
        [s.name for s in specs],
        unsubscribe_url="https://" + "x" * 500,
        campaign={"name": "x" * 200, "topic": "x" * 64},
    )
    problems: dict[str, str] = {}
    compiled_parts = compile_parts(subject, text, html, ())
    for part, template in (
        ("subject", compiled_parts.subject),
        ("html", compiled_parts.html),
        ("text", compiled_parts.text),
    ):
        try:
            render_limits.render(template, context, part)
        except render_limits.RenderTooLarge as error:
            problems.update(error.fields)
        except (TemplateError, TypeError, ValueError) as error:
            problems[part] = f"It cannot be rendered: {error}"
    return problems


def _built(template_id: str, body: MailTemplateIn, version: int, at: str) -> MailTemplate:
    """`body` checked (`_checked`: InvalidInput naming each part) as a template."""
    text, derived, fields = _checked(body)
    return MailTemplate(
        id=template_id,
        name=body.name,
        subject=body.subject,
        html=body.html,
        text=text,
        text_derived=derived,
        contact_fields=fields,
        version=version,
        created_at=at,
        updated_at=at,
    )


def create(template_id: str, body: MailTemplateIn) -> MailTemplate:
    template = _built(template_id, body, 1, clock.iso(clock.now()))
    definitions.put_new(template.to_item(), "template", template_id)
    return template


def update(template_id: str, body: MailTemplateIn, expected_version: int | None) -> MailTemplate:
    current = load(template_id)
    definitions.check_expected("template", current.version, expected_version)
    template = _built(template_id, body, current.version + 1, clock.iso(clock.now()))
    template = template.model_copy(update={"created_at": current.created_at})
    kept = {
        **current.model_dump(),
        **keys.mail_template_version(template_id, current.version),
        "type": "mail_template_version",
        "expires_at": int(clock.now()) + VERSION_DAYS * 86400,
    }
    # The replaced version is kept in the same transaction: a conflict keeps nothing.
    try:
        store.transact(
            [
                store.Put(
                    template.to_item(),
                    condition="version = :seen",
                    values={":seen": current.version},
                ),
                store.Put(kept),
            ]
        )
    except store.TransactionCancelled:
        raise Conflict("The template changed meanwhile; reload and edit again.") from None
    return template


def delete(template_id: str) -> None:
    """InUse (409) while a draft or scheduled campaign or an automation uses it."""
    definition_holds.delete(keys.mail_template(template_id), "template")


def load(template_id: str) -> MailTemplate:
    item = store.get(keys.mail_template(template_id))
    if item is None:
        raise NotFound("No such template.")
    return MailTemplate.from_item(item)


def load_version(template_id: str, version: int) -> MailTemplate:
    """One version of a template: the current one or an earlier one, kept VERSION_DAYS. A
    deleted template's versions wait for their TTL, but a template made again under its id
    never reads them: it has saved over each version below its current one itself."""
    current = load(template_id)
    if version == current.version:
        return current
    item = None
    if version < current.version:
        item = store.get(keys.mail_template_version(template_id, version))
    if item is None:
        raise NotFound(
            f"No version {version} of this template (versions {current.version} and those"
            f" saved over in the last {VERSION_DAYS} days are kept)."
        )
    return MailTemplate.from_item(item)


def page(limit: int, cursor: str | None) -> tuple[list[MailTemplate], str | None]:
    items, next_cursor = listing.page(KIND, limit=limit, cursor=cursor)
    return [MailTemplate.from_item(i) for i in items], next_cursor


# --- rendering: `template_view` ---------------------------------------------------------


def preview(
    template: MailTemplate,
    contact: Mapping[str, Any],
    *,
    unsubscribe_url: str,
    campaign: Mapping[str, str] | None = None,
) -> RenderedMail:
    from ecrm.mail import personalisation  # noqa: PLC0415 - Jinja: see the module docstring

    context = personalisation.render_context(
        contact,
        template.contact_fields,
        unsubscribe_url=unsubscribe_url,
        campaign=campaign or {"name": "Preview", "topic": ""},
    )
    return compiled(template).render(context)


def preview_for(
    template_id: str, contact_id: str | None, draft: MailTemplateIn | None = None
) -> RenderedMail:
    """The template rendered for a stored contact (or, without one, for an address only), with
    a real unsubscribe link, exactly as a campaign would render it. With a `draft`, its parts
    instead, checked as a save checks them (InvalidInput naming the part and line) and never
    stored: the console's live preview, of a template not created yet too (nothing is read of
    `template_id` then: a draft is rendered from its own parts alone)."""
    from ecrm.platform import tokens  # noqa: PLC0415 - token keys only when previewing

    template = load(template_id) if draft is None else _built(template_id, draft, 0, "")
    contact: Mapping[str, Any] = {"email": "preview@example.com"}
    if contact_id:
        found = store.get(keys.contact(contact_id), consistent=False)
        if found is None:
            raise NotFound("No such contact.")
        contact = found
    token = tokens.issue("unsubscribe", contact_id or "preview", ref="")
    return preview(template, contact, unsubscribe_url=links.unsubscribe_url(token))
