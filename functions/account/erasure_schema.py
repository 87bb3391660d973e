"""The erasure route's body and answer as its OpenAPI document shows them (pydantic): read by
the router only for a body `contact_erasure.ErasureRequest` does not read plainly, so a start
that serves a valid erasure imports no pydantic (`ecrm.web.plain`)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ecrm.platform.models import Model

MAX_EMAIL = 320


class ErasureIn(Model):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(
        min_length=1,
        max_length=MAX_EMAIL,
        description="The contact's address, typed by the marketer to confirm",
    )


class Erased(Model):
    erased: bool
    items: int = Field(description="How many items went (the suppression and a record stay)")
