"""The team API's bodies and answers (pydantic): imported by the routes that read a body
(`ecrm.web.plain.lazy` in `team_admin`), or when the OpenAPI document is built; its answers are
plain dataclasses documented by these, so listing the team imports no pydantic (issue 15 point
7). The class names are the OpenAPI schemas' names."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ecrm.platform.models import Model


class TeamMember(Model):
    id: str = Field(description="Cognito's user name (a UUID)")
    email: str
    role: str | None = Field(
        description="admin, marketer or viewer; null: none (signs in, may call nothing)"
    )
    status: str = Field(description="invited (temporary password not yet changed), confirmed, ...")
    enabled: bool
    created_at: str
    you: bool = Field(description="The signed-in admin")


class TeamPage(Model):
    items: list[TeamMember]
    next_cursor: str | None = None


class InviteIn(Model):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320, description="The person's address: their user name")
    role: str = Field(max_length=20, description="admin, marketer or viewer")


class RoleIn(Model):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(max_length=20, description="admin, marketer or viewer")
