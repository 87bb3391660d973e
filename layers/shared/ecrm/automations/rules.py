"""Automated mailings: "when <event> then send <template> after <delay>", as marketers write
them (the admin API): validated here (pydantic), stored one item per rule in one small partition
(`AUTOMATIONS`), each holding its template (`definition_holds`).

Events come from the table's stream: a `form_submitted` or `confirmed` interaction, scoring's
`stage_changed` (trigger `stage_reached`), a topic membership entering the topic index
(trigger `topic_added`), or a custom event of `POST /events` by its name (`custom_event`);
`triggers` reads the stored rules back without pydantic and writes the due runs they fire,
which `ecrm.automations.runs` sends.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from ecrm.automations import counts, triggers
from ecrm.automations.triggers import Trigger
from ecrm.contacts.forms import Slug
from ecrm.events.payload import NAME_PATTERN
from ecrm.mail import templates
from ecrm.mail.senders import SenderIn
from ecrm.platform import clock, definition_holds, keys, store
from ecrm.platform.errors import Conflict, InvalidInput, NotFound
from ecrm.platform.models import Model

MAX_DELAY_MINUTES = 366 * 24 * 60


class When(Model):
    model_config = ConfigDict(extra="forbid")

    event: Trigger
    form_id: Slug | None = Field(default=None, description="form_submitted: only this form")
    stage: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="stage_reached: the stage (required)"
    )
    topic: Slug | None = Field(default=None, description="topic_added: the topic (required)")
    name: Annotated[str, StringConstraints(pattern=NAME_PATTERN)] | None = Field(
        default=None, description="custom_event: the event's name (required; POST /events)"
    )

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.event == "stage_reached" and not self.stage:
            raise ValueError("stage_reached needs the stage")
        if self.event == "topic_added" and not self.topic:
            raise ValueError("topic_added needs the topic")
        if (self.event == "custom_event") != (self.name is not None):
            raise ValueError("custom_event needs the event's name (`name`); no other event has one")
        return self


class AutomationIn(Model):
    """What a marketer writes. When a run is due the contact must be subscribed to `topic`
    (and not suppressed), else the run is skipped: a mail meant for after the double opt-in
    belongs on `confirmed`, not on `form_submitted`."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    when: When
    template_id: Slug
    topic: Slug = Field(description="The list the mail belongs to: audience, List-Id, unsubscribe")
    sender: SenderIn
    delay_minutes: int = Field(default=0, ge=0, le=MAX_DELAY_MINUTES)
    enabled: bool = True
    version: int | None = Field(
        default=None, ge=1, description="On update: the version you edited (409 if it moved on)"
    )


class Automation(AutomationIn):
    id: str
    version: int  # always known once stored
    created_at: str
    updated_at: str
    migrated_to: str | None = Field(
        default=None,
        description="The journey this rule became (POST .../migrate): the journey fires from"
        " then on, runs already due finish here, and the rule can no longer be changed",
    )
    migrated_at: str | None = None

    def to_item(self) -> dict[str, Any]:
        return {**keys.automation(self.id), "type": "automation", **self.model_dump()}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Automation:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


# --- managing rules ---------------------------------------------------------------------------


def _check_template(body: AutomationIn) -> None:
    try:
        templates.load(body.template_id)
    except NotFound:
        raise InvalidInput(
            "The automation needs attention.", {"template_id": "No such template."}
        ) from None


def create(body: AutomationIn) -> Automation:
    _check_template(body)
    at = clock.iso(clock.now())
    fields = body.model_dump(exclude={"version"})
    rule = Automation(
        id=f"au_{secrets.token_hex(6)}", version=1, created_at=at, updated_at=at, **fields
    )
    put = store.Put(rule.to_item(), condition="attribute_not_exists(pk)")
    _transact_holding(put, [*definition_holds.hold(keys.mail_template(rule.template_id))])
    forget_cached()
    return rule


def _transact_holding(put: store.Put, holds: list[store.Write]) -> None:
    """The rule and its hold on its template (`definition_holds`) in one transaction."""
    try:
        store.transact([put, *holds])
    except store.TransactionCancelled as cancelled:
        if cancelled.failed[0]:
            raise Conflict("The automation changed meanwhile; reload and edit again.") from None
        raise InvalidInput(
            "The automation needs attention.", {"template_id": "No such template."}
        ) from None


def update(automation_id: str, body: AutomationIn) -> Automation:
    current = load(automation_id)
    if current.migrated_to:
        raise Conflict(
            f"This automation became the journey {current.migrated_to}; edit the journey instead."
        )
    if body.version is not None and body.version != current.version:
        raise Conflict("The automation changed since you loaded it; reload and edit again.")
    _check_template(body)
    rule = Automation(
        **body.model_dump(exclude={"version"}),
        id=automation_id,
        version=current.version + 1,
        created_at=current.created_at,
        updated_at=clock.iso(clock.now()),
    )
    # A migration adds to the version: an edit read before it is refused (409).
    put = store.Put(rule.to_item(), condition="version = :seen", values={":seen": current.version})
    holds: list[store.Write] = []
    if rule.template_id != current.template_id:
        holds = [
            definition_holds.release(keys.mail_template(current.template_id)),
            *definition_holds.hold(keys.mail_template(rule.template_id)),
        ]
    _transact_holding(put, holds)
    forget_cached()
    return rule


def load(automation_id: str) -> Automation:
    item = store.get(keys.automation(automation_id))
    if item is None:
        raise NotFound("No such automation.")
    return Automation.from_item(item)


def all_rules() -> list[Automation]:
    return [
        Automation.from_item(i) for i in store.query_all(keys.AUTOMATIONS, sk_prefix="AUTOMATION#")
    ]


# A rule and what it did, as the admin list documents it: answered by `overview.counted_rules`,
# read without pydantic. (A docstring here would be the schema's description.)
class CountedAutomation(Automation):
    counts: counts.Counts


def forget_cached() -> None:
    """This process serves an edit at once (the stream consumers within their cache time)."""
    triggers.forget_cached()
