"""Settings: one pydantic model read from the environment on first use, never at import time."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    # Name of the SSM SecureString holding the token signing key (ecrm.platform.tokens reads it).
    token_key_parameter: str = Field(alias="TOKEN_KEY_PARAMETER", min_length=1)
    # Name of the SSM SecureString keying what outlives an erasure (ecrm.platform.pseudonyms).
    pseudonym_key_parameter: str | None = Field(default=None, alias="PSEUDONYM_KEY_PARAMETER")
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
    # Self-service: magic links live 15 minutes and work once; sessions are short bearer tokens.
    sign_in_token_ttl_seconds: int = Field(default=900, alias="SIGN_IN_TOKEN_TTL_SECONDS", ge=60)
    session_ttl_seconds: int = Field(default=1800, alias="SESSION_TTL_SECONDS", ge=60)
    email_change_token_ttl_seconds: int = Field(
        default=24 * 3600, alias="EMAIL_CHANGE_TOKEN_TTL_SECONDS", ge=300
    )
    # Sign-in links asked for per window (RATE_WINDOW_SECONDS), per client IP and per address.
    sign_in_links_per_ip: int = Field(default=10, alias="SIGN_IN_LINKS_PER_IP", ge=1)
    sign_in_links_per_email: int = Field(default=3, alias="SIGN_IN_LINKS_PER_EMAIL", ge=1)
    # Address-change mails (to the new address) per window, per account and per target address.
    email_changes_per_account: int = Field(default=3, alias="EMAIL_CHANGES_PER_ACCOUNT", ge=1)
    email_changes_per_address: int = Field(default=3, alias="EMAIL_CHANGES_PER_ADDRESS", ge=1)
    # Campaign test mails per marketer per hour (a request of n addresses counts n).
    test_mails_per_hour: int = Field(default=50, alias="TEST_MAILS_PER_HOUR", ge=5)
    # An open or click this soon after SES accepted the mail is a link scanner, not a person.
    scanner_window_seconds: float = Field(default=10.0, alias="SCANNER_WINDOW_SECONDS", ge=0)
    # A campaign pauses itself on its complaint or bounce rate only once this many mails were
    # delivered (complaints) or sent (bounces): one early complaint is not a rate.
    auto_pause_min_sample: int = Field(default=500, alias="AUTO_PAUSE_MIN_SAMPLE", ge=1)
    # Lead scoring: the re-score job's queue, how long a function trusts its cached ruleset,
    # and how many contacts one re-score step reads from the stage index.
    rescore_queue_url: str | None = Field(default=None, alias="RESCORE_QUEUE_URL")
    ruleset_cache_seconds: float = Field(default=30.0, alias="RULESET_CACHE_SECONDS", ge=0)
    rescore_page_size: int = Field(default=50, alias="RESCORE_PAGE_SIZE", ge=1, le=500)

    # Campaigns: the fan-out queue, the domain campaign senders must use (and the `mailto:`
    # unsubscribe address's), and pacing. Campaigns use SEND_RATE_SHARE of the account's SES max
    # send rate (GetAccount), or of MAX_SEND_RATE when set (a cap, and the local stand-in). A
    # ledger item left `sending` this long by a crashed worker is resolved (see campaigns docs).
    campaign_queue_url: str | None = Field(default=None, alias="CAMPAIGN_QUEUE_URL")
    sending_domain: str = Field(default="example.com", alias="SENDING_DOMAIN", min_length=3)
    max_send_rate: float | None = Field(default=None, alias="MAX_SEND_RATE", gt=0)
    send_rate_share: float = Field(default=0.97, alias="SEND_RATE_SHARE", gt=0, le=1)
    stale_sending_seconds: int = Field(default=900, alias="STALE_SENDING_SECONDS", ge=1)

    # Bulk contacts import: the upload bucket, the worker's queue, how long an upload URL lives.
    import_bucket: str | None = Field(default=None, alias="IMPORT_BUCKET")
    import_queue_url: str | None = Field(default=None, alias="IMPORT_QUEUE_URL")
    import_upload_url_seconds: int = Field(
        default=3600, alias="IMPORT_UPLOAD_URL_SECONDS", ge=60, le=7 * 24 * 3600
    )


@cache
def settings() -> Settings:
    return Settings.model_validate(os.environ)
