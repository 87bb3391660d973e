"""`/admin/templates`: create, update, read, list, preview and test-send mail templates."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from ecrm.contacts.forms import Slug
from ecrm.mail import templates
from ecrm.mail.senders import SenderIn
from ecrm.mail.templates import MailTemplate, MailTemplateIn
from ecrm.platform.models import Model
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.router import Response, Router, content_types
from mailing.admin.campaigns import TestSend, TestSent
from mailing.admin.params import Cursor, Limit, Page, TemplateId, Version

router = Router()


class TemplateCreate(MailTemplateIn):
    id: Slug


class TemplateUpdate(MailTemplateIn):
    version: int | None = Field(
        default=None, ge=1, description="The version you edited (409 if it changed since)"
    )


class TemplateSummary(Model):
    id: str
    name: str
    subject: str
    version: int
    updated_at: str


class PreviewRequest(Model):
    model_config = ConfigDict(extra="forbid")

    contact_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,64}$")] | None = Field(
        default=None, description="Render for this contact (default: an address only)"
    )
    draft: MailTemplateIn | None = Field(
        default=None,
        description="Render these unsaved parts instead (checked as a save is; nothing stored)",
    )


class TemplateTestSend(TestSend):
    sender: SenderIn | None = Field(
        default=None, description="From (default: the stack's own sender; else its domain only)"
    )
    topic: Slug | None = Field(
        default=None, description="Whose unsubscribe link it carries (default: the first topic)"
    )


class Preview(Model):
    subject: str
    text: str
    html: str


@router.post(
    "/admin/templates",
    summary="Create a mail template (checked: variables, sandbox, size)",
    responses=admin(409, 415, 422, ok={201: "Created"}),
)
def create_template(body: TemplateCreate) -> Response[MailTemplate]:
    fields = MailTemplateIn.model_validate(body.model_dump(exclude={"id"}))
    template = templates.create(body.id, fields)
    return Response(201, content_types.APPLICATION_JSON, template)


@router.get("/admin/templates", summary="Mail templates, by id", responses=admin())
def list_templates(limit: Limit = 50, cursor: Cursor = None) -> Page[TemplateSummary]:
    found, next_cursor = templates.page(limit, cursor)
    items = [TemplateSummary.model_validate(t.model_dump()) for t in found]
    return Page[TemplateSummary](items=items, next_cursor=next_cursor)


@router.get(
    "/admin/templates/<template_id>",
    summary="One mail template, or one of its earlier versions",
    description=(
        "`?version=N` reads an earlier version: each version saved over is kept"
        f" {templates.VERSION_DAYS} days (404 after, or for a deleted template's)."
    ),
    responses=admin(404),
)
def get_template(template_id: TemplateId, version: Version = None) -> MailTemplate:
    if version is None:
        return templates.load(template_id)
    return templates.load_version(template_id, version)


@router.put(
    "/admin/templates/<template_id>",
    summary="Change a mail template (checked again)",
    responses=admin(404, 409, 415, 422),
)
def update_template(template_id: TemplateId, body: TemplateUpdate) -> MailTemplate:
    fields = MailTemplateIn.model_validate(body.model_dump(exclude={"version"}))
    return templates.update(template_id, fields, body.version)


@router.delete(
    "/admin/templates/<template_id>",
    summary="Delete a mail template nothing uses",
    responses=admin(404, 409, ok={204: "Deleted"}),
)
def delete_template(template_id: TemplateId) -> Response[None]:
    templates.delete(template_id)
    return Response(204)


@router.post(
    "/admin/templates/<template_id>/preview",
    summary="The template (or an unsaved draft of it) rendered for one contact, as sent",
    responses=admin(404, 415, 422),
)
def preview_template(template_id: TemplateId, body: PreviewRequest) -> Preview:
    rendered = templates.preview_for(template_id, body.contact_id, body.draft)
    return Preview(subject=rendered.subject, text=rendered.text, html=rendered.html)


@router.post(
    "/admin/templates/<template_id>/test",
    summary="Send the saved template to a few addresses now, with no campaign ([Test] subject)",
    description=(
        "As a campaign's test send: addresses that are suppressed or whose contact unsubscribed"
        " or left the topic are refused (422, `to.<index>`, nothing sent), and the same"
        " `TEST_MAILS_PER_HOUR` per marketer bounds both routes (429 with `Retry-After`)."
    ),
    responses=admin(404, 415, 422, 429),
)
def test_template(template_id: TemplateId, body: TemplateTestSend) -> TestSent:
    from ecrm.campaigns import proofs  # noqa: PLC0415 - MIME and SES for this route only

    sender = body.sender.model_dump() if body.sender else None
    marketer = http.marketer(router.current_event)
    return TestSent(
        message_ids=proofs.send_template(
            template_id,
            list(body.to),
            marketer,
            sender=sender,
            topic=body.topic,
            contact_id=body.contact_id,
        )
    )
