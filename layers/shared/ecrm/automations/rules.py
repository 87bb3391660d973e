"""Automated mailings: "when <event> then send <template> after <delay>", managed by marketers.

Events come from the table's stream: a `form_submitted` or `confirmed` interaction, scoring's
`stage_changed` (trigger `stage_reached`), or a topic membership entering the topic index
(trigger `topic_added`). A matching rule writes one run item per contact and rule,
`CONTACT#<id>` / `AUTOMATION#<rule id>`, with `attribute_not_exists`: a rule fires at most once
per contact, however often its event recurs or the stream redelivers it. The run carries a
due-time entry (`keys.due`) that the schedule tick reads; `ecrm.automations.runs` sends it.

Rules live in one small partition (`AUTOMATIONS`), read with one Query and cached for
`DEFINITION_CACHE_SECONDS` by the stream consumer (an edit takes effect within that time).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

from aws_lambda_powertools import Logger
from pydantic import ConfigDict, Field, StringConstraints, model_validator

from ecrm.automations import counts
from ecrm.contacts.forms import Slug
from ecrm.mail import templates
from ecrm.mail.senders import SenderIn
from ecrm.platform import clock, definition_holds, keys, store
from ecrm.platform.errors import Conflict, InvalidInput, NotFound
from ecrm.platform.models import Model
from ecrm.platform.settings import settings

logger = Logger(service="mailing", child=True)

Trigger = Literal["form_submitted", "confirmed", "stage_reached", "topic_added"]
MAX_DELAY_MINUTES = 366 * 24 * 60
STAGE_CHANGED = "stage_changed"  # scoring's interaction (`to_stage`)


class When(Model):
    model_config = ConfigDict(extra="forbid")

    event: Trigger
    form_id: Slug | None = Field(default=None, description="form_submitted: only this form")
    stage: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="stage_reached: the stage (required)"
    )
    topic: Slug | None = Field(default=None, description="topic_added: the topic (required)")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.event == "stage_reached" and not self.stage:
            raise ValueError("stage_reached needs the stage")
        if self.event == "topic_added" and not self.topic:
            raise ValueError("topic_added needs the topic")
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


class CountedAutomation(Automation):
    counts: counts.Counts


def all_rules_counted() -> list[CountedAutomation]:
    """Every rule with what it did: one Query of the partition holding rules and counters."""
    items = list(store.query_all(keys.AUTOMATIONS))
    found = counts.summed(i for i in items if str(i["sk"]).startswith(keys.AUTOMATION_COUNTS))
    return [
        CountedAutomation(
            **Automation.from_item(i).model_dump(), counts=found.get(str(i["id"]), counts.Counts())
        )
        for i in items
        if str(i["sk"]).startswith("AUTOMATION#")
    ]


class _Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: tuple[float, list[Automation]] | None = None

    def rules(self) -> list[Automation]:
        with self._lock:
            fresh_for = settings().definition_cache_seconds
            if self._rules and time.monotonic() - self._rules[0] < fresh_for:
                return self._rules[1]
        found = [rule for rule in all_rules() if rule.enabled]
        with self._lock:
            self._rules = (time.monotonic(), found)
        return found

    def forget(self) -> None:
        with self._lock:
            self._rules = None


_cache = _Cache()


def forget_cached() -> None:
    _cache.forget()


# --- from the stream: what happened, and which rules it fires -----------------------------------


@dataclass(frozen=True)
class Happened:
    event: Trigger
    contact_id: str
    ref: str  # the interaction or membership that fired it (kept on the run, for tracing)
    form_id: str | None = None
    stage: str | None = None
    topic: str | None = None


def happened(new: Mapping[str, Any], old: Mapping[str, Any] | None) -> Happened | None:
    """The trigger event a stream record stands for, if any."""
    kind = new.get("type")
    if kind in ("form_submitted", "confirmed", STAGE_CHANGED) and new.get("contact_id"):
        contact_id, ref = str(new["contact_id"]), str(new.get("event_id", ""))
        if kind == STAGE_CHANGED:
            return Happened("stage_reached", contact_id, ref, stage=str(new.get("to_stage")))
        form_id = str(new["form_id"]) if new.get("form_id") else None
        return Happened(kind, contact_id, ref, form_id=form_id)
    if kind == "topic_membership" and new.get("gsi1pk") and not (old or {}).get("gsi1pk"):
        contact_id = keys.contact_id_of(str(new["pk"]))
        return Happened("topic_added", contact_id, str(new["sk"]), topic=str(new.get("topic")))
    return None


def fires(rule: Automation, event: Happened) -> bool:
    when = rule.when
    if when.event != event.event:
        return False
    if when.event == "form_submitted" and when.form_id:
        return when.form_id == event.form_id
    if when.event == "stage_reached":
        return when.stage == event.stage
    if when.event == "topic_added":
        return when.topic == event.topic
    return True


def schedule(event: Happened, *, now: float | None = None) -> list[str]:
    """Write a due run for each enabled rule this event fires and the contact has not had yet;
    returns the ids of the rules scheduled now."""
    now = clock.now() if now is None else now
    scheduled = []
    for rule in _cache.rules():
        if fires(rule, event) and _schedule_one(rule, event, now):
            scheduled.append(rule.id)
    return scheduled


def _schedule_one(rule: Automation, event: Happened, now: float) -> bool:
    key = keys.automation_run(event.contact_id, rule.id)
    due_at = clock.iso(now + rule.delay_minutes * 60)
    run = {
        **key,
        **keys.due(due_at, key),
        "type": "automation_run",
        "automation_id": rule.id,
        "contact_id": event.contact_id,
        "trigger": event.event,
        "trigger_ref": event.ref,
        "state": "scheduled",
        "due_at": due_at,
        "created_at": clock.iso(now),
    }
    try:
        store.transact(
            [
                store.Put(run, condition="attribute_not_exists(pk)"),
                counts.add(rule.id, event.contact_id, "triggered"),
            ]
        )
    except store.TransactionCancelled:
        return False  # this rule fired for this contact before: at most once (and counted)
    logger.info("automation scheduled", extra={"automation_id": rule.id, "due_at": due_at})
    return True
