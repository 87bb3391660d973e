"""The account's send policy as marketers edit it (`/admin/settings/sending`): a frequency cap
and quiet hours for marketing mail, both off until turned on. One item (`keys.send_policy`),
validated here (pydantic) and versioned like other definitions: a PUT naming a version that
moved on is 409, and nothing is written on any refusal. Senders read it back without pydantic
(`send_policy_view`); docs/design/sending-policy.md explains each policy to a marketer.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from ecrm.mail import send_policy_view
from ecrm.platform import clock, definitions, keys, store
from ecrm.platform.errors import Conflict
from ecrm.platform.models import Model

NOUN = "send policy"
MAX_MAILS, MAX_PERIOD_DAYS = 50, 90
# An IANA name: letters, digits and `_+-` in at most three parts (no dots: no path tricks).
ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]{0,29}(/[A-Za-z0-9_+-]{1,30}){0,2}$"

Clock = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    Field(description="Local wall-clock time, HH:MM (24 h)"),
]
Zone = Annotated[
    str,
    StringConstraints(max_length=64, pattern=ZONE_PATTERN),
    Field(description="An IANA time zone, e.g. Europe/Paris"),
]


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    import zoneinfo  # noqa: PLC0415 - saving the policy only

    return frozenset(zoneinfo.available_timezones())


class FrequencyCapIn(Model):
    """At most `max_mails` marketing mails per contact in any `period_days` days (rolling)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=False, strict=True)
    max_mails: int = Field(default=3, ge=1, le=MAX_MAILS, strict=True)
    period_days: int = Field(default=7, ge=1, le=MAX_PERIOD_DAYS, strict=True)


class QuietHoursIn(Model):
    """No marketing mail from `start` to `end` local time (the contact's zone, else
    `time_zone`); `start` after `end` crosses midnight (21:00 to 08:00)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=False, strict=True)
    start: Clock = "21:00"
    end: Clock = "08:00"
    time_zone: Zone = Field(default="UTC", description="For contacts without a zone of their own")

    @field_validator("time_zone")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in known_zones():
            raise ValueError("not a known IANA time zone (e.g. Europe/Paris, America/New_York)")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("start and end must differ")
        return self


class SendPolicyIn(Model):
    model_config = ConfigDict(extra="forbid")

    frequency_cap: FrequencyCapIn = Field(default_factory=FrequencyCapIn)
    quiet_hours: QuietHoursIn = Field(default_factory=QuietHoursIn)
    version: int | None = Field(
        default=None,
        ge=0,
        le=2**31,
        strict=True,
        description="The version you edited (409 if it moved on)",
    )


class SendPolicy(Model):
    frequency_cap: FrequencyCapIn
    quiet_hours: QuietHoursIn
    version: int = Field(description="0: never saved (both policies off)")
    updated_at: str | None = None
    updated_by: str | None = None


def _from_item(item: dict[str, Any] | None) -> SendPolicy:
    if not item:
        return SendPolicy(frequency_cap=FrequencyCapIn(), quiet_hours=QuietHoursIn(), version=0)
    return SendPolicy.model_validate(
        {k: v for k, v in item.items() if k in SendPolicy.model_fields}
    )


def load() -> SendPolicy:
    return _from_item(store.get(keys.send_policy()))


def save(body: SendPolicyIn, marketer: str | None) -> SendPolicy:
    """Replace the policy (the version read, or none yet); Conflict if it moved on."""
    current = load()
    definitions.check_expected(NOUN, current.version, body.version)
    saved = SendPolicy(
        frequency_cap=body.frequency_cap,
        quiet_hours=body.quiet_hours,
        version=current.version + 1,
        updated_at=clock.iso(clock.now()),
        updated_by=marketer,
    )
    item = {**keys.send_policy(), "type": "send_policy", **saved.model_dump()}
    if current.version == 0:
        try:
            store.write(store.Put(item, condition="attribute_not_exists(pk)"))
        except store.ConditionFailed:
            raise Conflict(f"The {NOUN} changed meanwhile; reload and edit again.") from None
    else:
        definitions.put_next(item, NOUN, current.version)
    send_policy_view.forget_cached()
    return saved
