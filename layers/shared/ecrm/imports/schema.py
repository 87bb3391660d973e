"""The announcement of an import (`POST /admin/imports`) as its OpenAPI document shows it and
as a doubtful body is validated (pydantic). A plainly valid body is read by
`jobs.ImportRequest.plain` without pydantic (`ecrm.web.plain`): the contacts admin's start
imports this module only for a body that needs the model's verdict."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from ecrm.contacts.forms import FieldName, Slug
from ecrm.imports.jobs import MAX_BYTES, MAX_COLUMNS, MAX_TOPICS
from ecrm.platform.models import Model

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Column = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ImportIn(Model):
    model_config = ConfigDict(extra="forbid")

    sha256: Sha256 = Field(description="SHA-256 of the file, hex: the import's identity")
    size: int = Field(ge=1, le=MAX_BYTES, description="The file's size in bytes")
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    topics: list[Slug] = Field(default_factory=list, max_length=MAX_TOPICS)
    consent_source: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Where these people consented (recorded on each consent record)"
    )
    mapping: dict[Column, FieldName | Annotated[str, StringConstraints(max_length=0)]] = Field(
        default_factory=dict,
        max_length=MAX_COLUMNS,
        description='Column -> field ("" ignores the column); unmapped columns named like a '
        "field fill it",
    )
