"""A campaign's A/B test as marketers write it (`AbTestIn`, strict) and as the API shows it
(`AbTestOut`: the definition, the decision, the results per variant). The sender reads the
stored test without pydantic (`ecrm.campaigns.ab`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from ecrm.contacts.forms import Slug
from ecrm.platform.models import Model

VariantId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,16}$")]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class VariantIn(Model):
    model_config = ConfigDict(extra="forbid")

    id: VariantId = Field(description="A, B... (letters and digits, unique in the campaign)")
    subject: Annotated[str, StringConstraints(min_length=1, max_length=250)] | None = Field(
        default=None, description="Replaces the template's subject (same template language)"
    )
    template_id: Slug | None = Field(default=None, description="Another template to send")
    sender_name: (
        Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\r\n<>]+$")]
        | None
    ) = Field(default=None, description="Replaces the sender's display name")


class AbTestIn(Model):
    model_config = ConfigDict(extra="forbid")

    variants: list[VariantIn] = Field(min_length=2, max_length=5)
    test_percent: Percent = Field(
        description="Share of the audience that gets a variant, split evenly (e.g. 20)"
    )
    holdout_percent: Percent = Field(
        default=0, description="Share that gets nothing, to measure the lift (e.g. 5)"
    )
    metric: Literal["opens", "clicks", "click_to_open"]
    wait_hours: float = Field(
        ge=0.25, le=168, allow_inf_nan=False, description="From the start to the decision"
    )

    @model_validator(mode="after")
    def _consistent(self) -> AbTestIn:
        ids = [v.id for v in self.variants]
        if len(set(ids)) != len(ids):
            raise ValueError("variant ids must be unique")
        if self.test_percent <= 0:
            raise ValueError("test_percent must be more than 0")
        if self.test_percent + self.holdout_percent > 100:
            raise ValueError("test_percent and holdout_percent add up to more than 100")
        return self


class VariantResult(Model):
    id: str
    recipients: int = Field(
        default=0,
        description="The variant's test recipients so far: mailed, or skipped (suppressed,"
        " unsubscribed, over the frequency cap) or failed; counted with its mails, once its"
        " test batch is done",
    )
    sent: int
    delivered: int
    opened: int
    clicked: int
    unsubscribed: int
    bounced: int = 0
    complained: int = 0
    rate: float = Field(description="The test's metric: per mail sent (click-to-open: per open)")
    versus_leader: str = Field(
        default="",
        description="Against the best rate, in plain words (the `summary`'s test, this variant"
        " against the leader)",
    )


class Decision(Model):
    winner: str
    decided_by: Literal["tick", "marketer"]
    decided_at: str
    figures: dict[str, float] = Field(description="Each variant's metric when it was decided")


class AbTestOut(AbTestIn):
    decide_at: str | None = Field(default=None, description="When the wait ends")
    holdout: int = Field(default=0, description="Recipients held out so far (sent nothing)")
    decision: Decision | None = None
    results: list[VariantResult] = Field(default_factory=list)
    summary: str = Field(default="", description="The leader against the runner-up, in plain words")
