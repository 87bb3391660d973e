"""The base of every pydantic model in ecrm, and its email address type.

`Model`: its validator is built on first use, not at import. A function imports every model its
routes or records might need, and pydantic builds each one as its class is defined (a schema,
then a validator and a serializer): milliseconds per model. Deferred, a cold start pays only for
the models its event uses (issue 15 point 7); validation, serialization and JSON schemas are
unchanged. tests/unit/test_models.py keeps every model on this base.

`said`: a validation problem in the model's own words (pydantic puts "Value error, " before
what a validator raised; an API answer and the console show the words alone).

`Email`: pydantic's `EmailStr` (same answers, errors and JSON schema), except that a plain
address (`normalise.plain_address`) is read without email_validator: `EmailStr` imports it as
soon as a model using it is built, 20-40 ms of a cold start.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema
from pydantic_core import ErrorDetails

from ecrm.platform import normalise


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)


def said(problem: ErrorDetails) -> str:
    error = problem.get("ctx", {}).get("error")
    if problem["type"] == "value_error" and isinstance(error, ValueError):
        return str(error)
    return problem["msg"]


def _email(value: str) -> str:
    if (plain := normalise.plain_address(value)) is not None:
        return plain
    from pydantic.networks import validate_email  # noqa: PLC0415 - imports email_validator

    return validate_email(value)[1]


Email = Annotated[
    str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})
]
