"""The marketer API's own bodies and answers (pydantic), beside the domain's models.

Imported by the routes that read or answer one (`ecrm.web.plain.lazy` in each router), or when
the OpenAPI document is built: listing templates, the event a start serves, imports no pydantic
(issue 15 point 7, docs/design/platform.md "Cold start"). The class names are the OpenAPI
schemas' names.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Generic, TypeVar

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from ecrm.campaigns.local_time import LocalTime
from ecrm.contacts.forms import Slug
from ecrm.mail.send_policy import Clock
from ecrm.mail.send_policy_view import minutes
from ecrm.mail.senders import SenderIn
from ecrm.mail.templates import MailTemplateIn
from ecrm.platform.errors import InvalidInput
from ecrm.platform.models import Email, Model
from ecrm.segments.definitions import Condition, SegmentIn

Item = TypeVar("Item")


class Page(Model, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = None


# --- templates ---------------------------------------------------------------------------


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


TemplatePage = Page[TemplateSummary]  # what `GET /admin/templates` answers


class PreviewRequest(Model):
    model_config = ConfigDict(extra="forbid")

    contact_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,64}$")] | None = Field(
        default=None, description="Render for this contact (default: an address only)"
    )
    draft: MailTemplateIn | None = Field(
        default=None,
        description="Render these unsaved parts instead (checked as a save is; nothing stored)",
    )


class Preview(Model):
    subject: str
    text: str
    html: str


# --- test sends (campaigns and templates) ----------------------------------------------------


class TestSend(Model):
    model_config = ConfigDict(extra="forbid")

    to: list[Email] = Field(min_length=1, max_length=5)
    contact_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,64}$")] | None = Field(
        default=None, description="Personalise as this contact (default: an address only)"
    )


class TemplateTestSend(TestSend):
    sender: SenderIn | None = Field(
        default=None, description="From (default: the stack's own sender; else its domain only)"
    )
    topic: Slug | None = Field(
        default=None, description="Whose unsubscribe link it carries (default: the first topic)"
    )


class TestSent(Model):
    message_ids: list[str]


# --- segments ------------------------------------------------------------------------------


class SegmentCreate(SegmentIn):
    id: Slug


class SegmentUpdate(SegmentIn):
    version: int | None = Field(default=None, ge=1, description="The version you edited")


class Member(Model):
    contact_id: str
    email: str


class SegmentCount(Model):
    candidates: int = Field(description="Members of the segment's topic that were read")
    members: int = Field(description="Of those, who match and may be mailed now")
    complete: bool = Field(description="False: the preview stopped early (a very large topic)")
    queries: int = Field(description="Index Query calls it made (no Scan)")
    items_read: int = Field(
        description="Items it looked up: a contact per candidate (and its score item when a"
        " condition needs one), two suppression keys per match"
    )
    sample: list[Member] = Field(description="The first members found (at most `sample`)")


class SegmentDraft(Model):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(max_length=200)] = ""
    topic: Slug = Field(description="Candidates are this topic's members")
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    sample: int = Field(default=10, ge=0, le=20, description="How many members to show")


# --- campaigns -----------------------------------------------------------------------------


class LinkClicks(Model):
    link: str = Field(
        description="The link as the template writes it (no query), `unsubscribe`, or"
        " `personalised` (links the template builds per recipient, counted together)"
    )
    clicks: int = Field(description="Clicks by people (link scanners left out)")


class CampaignLinks(Model):
    items: list[LinkClicks]


class WinnerPick(Model):
    model_config = ConfigDict(extra="forbid")

    variant: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,16}$")] = Field(
        description="The variant to send to the rest of the audience"
    )


class ScheduleRequest(Model):
    """`at` a moment, or `local_time` on the day `on`: each recipient at that time of their own
    zone (docs/design/sending-policy.md, "Send at a local time")."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = Field(
        default=None, description="When to start sending (with a time zone); or `local_time`"
    )
    local_time: Clock | None = Field(
        default=None, description="Each recipient at this time of their own zone (with `on`)"
    )
    on: date | None = Field(default=None, description="The day of `local_time`, YYYY-MM-DD")

    def local(self) -> LocalTime | None:
        """The local time asked for (None: `at`); InvalidInput unless exactly one is given."""
        if self.at is not None and (self.local_time or self.on):
            problems = {f: "not with `at`" for f in ("local_time", "on") if getattr(self, f)}
            raise InvalidInput("Give either `at` or `local_time` with `on`.", problems)
        if self.at is not None:
            return None
        if self.local_time is None or self.on is None:
            missing = {f: "Field required" for f in ("local_time", "on") if not getattr(self, f)}
            if len(missing) == 2:
                missing = {"at": "Field required (or `local_time` with `on`)"}
            raise InvalidInput("Give either `at` or `local_time` with `on`.", missing)
        return LocalTime(minutes(self.local_time), self.on)
