"""The forms admin API's own body and answers (pydantic), beside `ecrm.contacts.forms.Form`.

Imported by the route that reads a definition's body (`PUT`), or when the OpenAPI document is
built (`ecrm.web.plain.lazy` in `forms_api`): listing forms imports no pydantic (issue 15 point
7). The class names are the OpenAPI schemas' names.
"""

from __future__ import annotations

from pydantic import Field

from ecrm.contacts.forms import Form, Slug
from ecrm.platform.models import Model


class FormPut(Form):
    """A definition as `GET` returns it; `id` and `version` are optional here."""

    id: Slug | None = Field(default=None, description="If given, the id in the path")  # type: ignore[assignment]
    version: int | None = Field(  # type: ignore[assignment]
        default=None, ge=1, description="The version you edited (409 if it changed since)"
    )


class FormSummary(Model):
    id: str
    title: str
    topics: list[str]
    double_opt_in: bool
    version: int


class FormPage(Model):
    items: list[FormSummary]
    next_cursor: str | None = None
