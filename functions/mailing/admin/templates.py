"""`/admin/templates`: create, update, read, list, preview and test-send mail templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ecrm.mail import template_view
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.plain import lazy
from ecrm.web.router import Response, Router, content_types
from mailing.admin.params import Cursor, Limit, TemplateId, Version

# The templates' models and this API's (pydantic): imported by the routes that read or write
# one template, not to list them (the list reads them plainly), so listing imports no pydantic.
if TYPE_CHECKING:
    from ecrm.mail import templates
    from mailing.admin import models
else:
    templates = lazy("ecrm.mail.templates")
    models = lazy("mailing.admin.models")

router = Router()


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    """`models.TemplateSummary`'s fields, in its order (its JSON, `ecrm.web.plain`)."""

    documented_by: ClassVar[str] = "mailing.admin.models:TemplateSummary"
    id: str
    name: str
    subject: str
    version: int
    updated_at: str

    @classmethod
    def of(cls, item: dict[str, Any]) -> TemplateSummary:
        """A template as saved (checked then)."""
        return cls(
            id=str(item["id"]),
            name=str(item["name"]),
            subject=str(item["subject"]),
            version=int(item["version"]),
            updated_at=str(item["updated_at"]),
        )


@dataclass(frozen=True, slots=True)
class TemplatePage:
    documented_by: ClassVar[str] = "mailing.admin.models:TemplatePage"
    items: list[TemplateSummary]
    next_cursor: str | None = None


@router.post(
    "/admin/templates",
    summary="Create a mail template (checked: variables, sandbox, size)",
    responses=admin(409, 415, 422, ok={201: "Created"}),
)
def create_template(body: models.TemplateCreate) -> Response[templates.MailTemplate]:
    fields = templates.MailTemplateIn.model_validate(body.model_dump(exclude={"id"}))
    template = templates.create(body.id, fields)
    return Response(201, content_types.APPLICATION_JSON, template)


@router.get("/admin/templates", summary="Mail templates, by id", responses=admin())
def list_templates(limit: Limit = 50, cursor: Cursor = None) -> TemplatePage:
    found, next_cursor = template_view.page(limit, cursor)
    return TemplatePage([TemplateSummary.of(i) for i in found], next_cursor)


@router.get(
    "/admin/templates/<template_id>",
    summary="One mail template, or one of its earlier versions",
    description=(
        "`?version=N` reads an earlier version: each version saved over is kept"
        f" {template_view.VERSION_DAYS} days (404 after, or for a deleted template's)."
    ),
    responses=admin(404),
)
def get_template(template_id: TemplateId, version: Version = None) -> templates.MailTemplate:
    if version is None:
        return templates.load(template_id)
    return templates.load_version(template_id, version)


@router.put(
    "/admin/templates/<template_id>",
    summary="Change a mail template (checked again)",
    responses=admin(404, 409, 415, 422),
)
def update_template(template_id: TemplateId, body: models.TemplateUpdate) -> templates.MailTemplate:
    fields = templates.MailTemplateIn.model_validate(body.model_dump(exclude={"version"}))
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
def preview_template(template_id: TemplateId, body: models.PreviewRequest) -> models.Preview:
    rendered = templates.preview_for(template_id, body.contact_id, body.draft)
    return models.Preview(subject=rendered.subject, text=rendered.text, html=rendered.html)


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
def test_template(template_id: TemplateId, body: models.TemplateTestSend) -> models.TestSent:
    from ecrm.campaigns import proofs  # noqa: PLC0415 - MIME and SES for this route only

    sender = body.sender.model_dump() if body.sender else None
    marketer = http.marketer(router.current_event)
    return models.TestSent(
        message_ids=proofs.send_template(
            template_id,
            list(body.to),
            marketer,
            sender=sender,
            topic=body.topic,
            contact_id=body.contact_id,
        )
    )
