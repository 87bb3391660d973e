"""Settings: read from the environment on first use, never at import time.

A frozen dataclass, not a pydantic model: every function reads its settings on its first event,
and importing pydantic and building a model cost ~90 ms of each cold start (issue 15 point 7).
Each field names its variable and its bounds; a wrong value fails the first read with pydantic's
wording, every problem listed:

    2 validation errors for Settings
    TABLE_NAME
      Field required
    RATE_LIMIT_PER_IP
      Input should be greater than or equal to 1
"""

from __future__ import annotations

import contextlib
import operator
import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from typing import Any


def _env(
    name: str,
    default: Any = MISSING,
    *,
    min_length: int | None = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
) -> Any:
    bounds = {"min_length": min_length, "ge": ge, "gt": gt, "le": le}
    return field(default=default, metadata={"env": name, **bounds})


@dataclass(frozen=True)
class Settings:
    table_name: str = _env("TABLE_NAME", min_length=3)
    # Name of the SSM SecureString holding the token signing key (ecrm.platform.tokens reads it).
    token_key_parameter: str = _env("TOKEN_KEY_PARAMETER", min_length=1)
    # Name of the SSM SecureString keying what outlives an erasure (ecrm.platform.pseudonyms).
    pseudonym_key_parameter: str | None = _env("PSEUDONYM_KEY_PARAMETER", None)
    stage: str = _env("STAGE", "dev")
    public_base_url: str = _env("PUBLIC_BASE_URL", "http://127.0.0.1:3000")
    transactional_sender: str = _env("TRANSACTIONAL_SENDER", "hello@example.com")
    transactional_sender_name: str = _env("TRANSACTIONAL_SENDER_NAME", "ecrm")
    configuration_set: str | None = _env("CONFIGURATION_SET", None)
    # Submissions allowed per window before a 429 (per client IP and per email address).
    rate_limit_per_ip: int = _env("RATE_LIMIT_PER_IP", 20, ge=1)
    rate_limit_per_email: int = _env("RATE_LIMIT_PER_EMAIL", 5, ge=1)
    rate_window_seconds: int = _env("RATE_WINDOW_SECONDS", 600, ge=1)
    # A payload repeated within this many seconds is answered as a retry of the first one.
    duplicate_window_seconds: int = _env("DUPLICATE_WINDOW_SECONDS", 300, ge=1)
    confirm_token_ttl_seconds: int = _env("CONFIRM_TOKEN_TTL_SECONDS", 7 * 24 * 3600)
    # Submissions that arrive faster than this after the form was rendered are bots.
    min_fill_seconds: float = _env("MIN_FILL_SECONDS", 2.0, ge=0)
    max_body_bytes: int = _env("MAX_BODY_BYTES", 16_384, ge=1024)
    # Self-service: magic links live 15 minutes and work once; sessions are short bearer tokens.
    sign_in_token_ttl_seconds: int = _env("SIGN_IN_TOKEN_TTL_SECONDS", 900, ge=60)
    session_ttl_seconds: int = _env("SESSION_TTL_SECONDS", 1800, ge=60)
    email_change_token_ttl_seconds: int = _env("EMAIL_CHANGE_TOKEN_TTL_SECONDS", 24 * 3600, ge=300)
    # Sign-in links asked for per window (RATE_WINDOW_SECONDS), per client IP and per address.
    sign_in_links_per_ip: int = _env("SIGN_IN_LINKS_PER_IP", 10, ge=1)
    sign_in_links_per_email: int = _env("SIGN_IN_LINKS_PER_EMAIL", 3, ge=1)
    # Address-change mails (to the new address) per window, per account and per target address.
    email_changes_per_account: int = _env("EMAIL_CHANGES_PER_ACCOUNT", 3, ge=1)
    email_changes_per_address: int = _env("EMAIL_CHANGES_PER_ADDRESS", 3, ge=1)
    # Custom events (`POST /events`) per event source key per window (RATE_WINDOW_SECONDS); a
    # batch of n counts n, so at least a full batch (ecrm.events.payload.MAX_EVENTS).
    events_per_key: int = _env("EVENTS_PER_KEY", 6000, ge=25)
    # Campaign test mails per marketer per hour (a request of n addresses counts n).
    test_mails_per_hour: int = _env("TEST_MAILS_PER_HOUR", 50, ge=5)
    # An open or click this soon after SES accepted the mail is a link scanner, not a person.
    scanner_window_seconds: float = _env("SCANNER_WINDOW_SECONDS", 10.0, ge=0)
    # A campaign pauses itself on its complaint or bounce rate only once this many mails were
    # delivered (complaints) or sent (bounces): one early complaint is not a rate.
    auto_pause_min_sample: int = _env("AUTO_PAUSE_MIN_SAMPLE", 500, ge=1)
    # How long a function trusts its copy of a definition marketers edit (forms, the profile
    # schema, automation rules): a change is live everywhere within this time. `ecrm serve`
    # sets 0, so locally a change is live at once.
    definition_cache_seconds: float = _env("DEFINITION_CACHE_SECONDS", 60.0, ge=0)
    # Lead scoring: the re-score job's queue, how long a function trusts its cached ruleset,
    # and how many contacts one re-score step reads from the stage index.
    rescore_queue_url: str | None = _env("RESCORE_QUEUE_URL", None)
    ruleset_cache_seconds: float = _env("RULESET_CACHE_SECONDS", 30.0, ge=0)
    rescore_page_size: int = _env("RESCORE_PAGE_SIZE", 50, ge=1, le=500)

    # Campaigns: the fan-out queue, the domain campaign senders must use (and the `mailto:`
    # unsubscribe address's), and pacing. Campaigns use SEND_RATE_SHARE of the account's SES max
    # send rate (GetAccount), or of MAX_SEND_RATE when set (a cap, and the local stand-in). A
    # ledger item left `sending` this long by a crashed worker is resolved (see campaigns docs).
    campaign_queue_url: str | None = _env("CAMPAIGN_QUEUE_URL", None)
    sending_domain: str = _env("SENDING_DOMAIN", "example.com", min_length=3)
    max_send_rate: float | None = _env("MAX_SEND_RATE", None, gt=0)
    send_rate_share: float = _env("SEND_RATE_SHARE", 0.97, gt=0, le=1)
    stale_sending_seconds: int = _env("STALE_SENDING_SECONDS", 900, ge=1)

    # Journeys: the queue the schedule tick hands due runs to (ecrm.journeys.steps_queue).
    journey_queue_url: str | None = _env("JOURNEY_QUEUE_URL", None)

    # Bulk contacts import: the upload bucket, the worker's queue, how long an upload URL lives.
    import_bucket: str | None = _env("IMPORT_BUCKET", None)
    import_queue_url: str | None = _env("IMPORT_QUEUE_URL", None)
    import_upload_url_seconds: int = _env(
        "IMPORT_UPLOAD_URL_SECONDS", 3600, ge=60, le=7 * 24 * 3600
    )

    # Webhooks out (ecrm.webhooks): the SSM SecureString each endpoint's signing secret is
    # derived from, and the deliveries' queue (the fan-out sends to it, the worker delays its
    # retries on it).
    webhook_key_parameter: str | None = _env("WEBHOOK_KEY_PARAMETER", None)
    webhook_queue_url: str | None = _env("WEBHOOK_QUEUE_URL", None)

    # The console's user pool (the Team screen's invitations, roles, disabling).
    user_pool_id: str | None = _env("USER_POOL_ID", None)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """The settings `environ` names (the rest default); ValueError lists every problem."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for spec in fields(cls):
            name = spec.metadata["env"]
            if name not in environ:
                if spec.default is MISSING:
                    problems.append(f"{name}\n  Field required")
                continue
            try:
                values[spec.name] = _read(str(spec.type), environ[name], spec.metadata)
            except ValueError as problem:
                problems.append(f"{name}\n  {problem}")
        if problems:
            count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''}"
            raise ValueError("\n".join([f"{count} for {cls.__name__}", *problems]))
        return cls(**values)


_BOUNDS = {
    "ge": (operator.ge, "greater than or equal to"),
    "gt": (operator.gt, "greater than"),
    "le": (operator.le, "less than or equal to"),
}


def _number(kind: str, text: str) -> float:
    """An int or a float from its text, as pydantic reads one (`5.0` is the int 5)."""
    try:
        return float(text) if kind == "float" else int(text)
    except ValueError:
        pass
    if kind == "int":
        with contextlib.suppress(ValueError):
            if (value := float(text)).is_integer():
                return int(value)
        raise ValueError("Input should be a valid integer, unable to parse string as an integer")
    raise ValueError("Input should be a valid number, unable to parse string as a number")


def _read(kind: str, text: str, bounds: Mapping[str, Any]) -> Any:
    if kind.removesuffix(" | None") == "str":
        least = bounds["min_length"]
        if least is not None and len(text) < least:
            raise ValueError(f"String should have at least {least} character{'s' * (least > 1)}")
        return text
    value = _number(kind.removesuffix(" | None"), text)
    for name, (holds, words) in _BOUNDS.items():
        if bounds[name] is not None and not holds(value, bounds[name]):
            raise ValueError(f"Input should be {words} {bounds[name]}")
    return value


@cache
def settings() -> Settings:
    return Settings.from_environ(os.environ)
