"""Settings: one pydantic model read from the environment on first use, never at import time."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    token_secret_arn: str = Field(alias="TOKEN_SECRET_ARN", min_length=1)
    stage: str = Field(default="dev", alias="STAGE")
    public_base_url: str = Field(default="http://127.0.0.1:3000", alias="PUBLIC_BASE_URL")
    transactional_sender: str = Field(default="hello@example.com", alias="TRANSACTIONAL_SENDER")
    transactional_sender_name: str = Field(default="ecrm", alias="TRANSACTIONAL_SENDER_NAME")
    configuration_set: str | None = Field(default=None, alias="CONFIGURATION_SET")
    # Submissions allowed per window before a 429 (per client IP and per email address).
    rate_limit_per_ip: int = Field(default=20, alias="RATE_LIMIT_PER_IP", ge=1)
    rate_limit_per_email: int = Field(default=5, alias="RATE_LIMIT_PER_EMAIL", ge=1)
    rate_window_seconds: int = Field(default=600, alias="RATE_WINDOW_SECONDS", ge=1)
    # A payload repeated within this many seconds is answered as a retry of the first one.
    duplicate_window_seconds: int = Field(default=300, alias="DUPLICATE_WINDOW_SECONDS", ge=1)
    confirm_token_ttl_seconds: int = Field(default=7 * 24 * 3600, alias="CONFIRM_TOKEN_TTL_SECONDS")
    # Submissions that arrive faster than this after the form was rendered are bots.
    min_fill_seconds: float = Field(default=2.0, alias="MIN_FILL_SECONDS", ge=0)
    max_body_bytes: int = Field(default=16_384, alias="MAX_BODY_BYTES", ge=1024)


@cache
def settings() -> Settings:
    return Settings.model_validate(os.environ)
