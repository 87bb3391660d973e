"""The base of every pydantic model in ecrm: its validator is built on first use, not at import.

A function imports every model its routes or records might need, and pydantic builds each one
as its class is defined (a schema, then a validator and a serializer): milliseconds per model,
and an `EmailStr` field imports email_validator. Deferred, a cold start pays only for the models
its event uses (issue 15 point 7); validation, serialization and JSON schemas are unchanged.
tests/unit/test_models.py keeps every model on this base.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
