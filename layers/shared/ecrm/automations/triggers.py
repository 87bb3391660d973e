"""From the table's stream to due runs: which stored rules an event fires (`schedule`).

A stored rule was validated when a marketer saved it (`rules`, pydantic); here it is read back
as it is, as a plain frozen `Rule`, so the stream consumer imports no pydantic (a cold start's
largest part, issue 15 point 7). tests/unit/test_after_send_rules.py checks that every valid
rule reads back to what its model says. Rules live in one small partition (`AUTOMATIONS`),
read with one Query and cached for `DEFINITION_CACHE_SECONDS` (an edit takes effect within
that time). A matching rule writes one run item per contact and rule with
`attribute_not_exists`: a rule fires at most once per contact, however often its event recurs
or the stream redelivers it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aws_lambda_powertools import Logger

from ecrm.automations import counts
from ecrm.platform import clock, definitions, keys, store

logger = Logger(service="mailing", child=True)

Trigger = Literal["form_submitted", "confirmed", "stage_reached", "topic_added", "custom_event"]
# Journeys only (`ecrm.journeys.model.JourneyWhen`): rules refuse it, `schedule` never fires it.
ScoreTrigger = Literal["score_crossed", "campaign_opened", "campaign_clicked"]
SCORE_CROSSED = "score_crossed"
# A campaign's unique-engagement marker (`ecrm.mail.events`: once per recipient, never a
# scanner's) by its counter: the journeys' event it stands for.
CAMPAIGN_ENGAGED = {"opened": "campaign_opened", "clicked": "campaign_clicked"}
STAGE_CHANGED = "stage_changed"  # scoring's interaction (`to_stage`)
CUSTOM_EVENT = "custom_event"  # POST /events (ecrm.events.recording), by its `name`


@dataclass(frozen=True, slots=True)
class When:
    event: Trigger | ScoreTrigger
    form_id: str | None = None  # form_submitted: only this form
    stage: str | None = None  # stage_reached: the stage
    topic: str | None = None  # topic_added: the topic
    name: str | None = None  # custom_event: the event's name


@dataclass(frozen=True, slots=True)
class JourneyWhen(When):
    """A journey's entry, goal or awaited event: a rule's `When` and what only journeys have
    (kept off rules, whose answers show every field of theirs)."""

    at_least: float | None = None  # score_crossed: the value crossed upwards
    campaign_id: str | None = None  # campaign_opened, campaign_clicked: only this campaign


@dataclass(frozen=True, slots=True)
class Sender:
    email: str
    name: str
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """A stored rule, as saved (`rules.Automation`), read without validating it again."""

    id: str
    name: str
    when: When
    template_id: str
    topic: str
    sender: Sender
    delay_minutes: int
    enabled: bool
    version: int
    created_at: str
    updated_at: str
    migrated_to: str | None = None  # the journey it became: the stream fires that instead
    migrated_at: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Rule:
        when, sender = item["when"], item["sender"]
        return cls(
            id=item["id"],
            name=item["name"],
            when=When(
                when["event"],
                when.get("form_id"),
                when.get("stage"),
                when.get("topic"),
                when.get("name"),
            ),
            template_id=item["template_id"],
            topic=item["topic"],
            sender=Sender(sender["email"], sender["name"], sender.get("reply_to")),
            delay_minutes=int(item.get("delay_minutes", 0)),
            enabled=bool(item.get("enabled", True)),
            version=int(item["version"]),
            created_at=item["created_at"],
            updated_at=item["updated_at"],
            migrated_to=item.get("migrated_to"),
            migrated_at=item.get("migrated_at"),
        )


@dataclass(frozen=True, slots=True)
class Rules:
    """The rules that fire, and when they were read (`time.monotonic()` once the read was
    done): the journeys the same event enters are read no earlier (`entry.on_event`), so a
    rule seen migrated always has its journey seen live (the switch-over loses no one)."""

    read_at: float
    firing: list[Rule]


class _Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: tuple[float, Rules] | None = None

    def rules(self, fresh_since: float | None = None) -> Rules:
        with self._lock:
            if self._rules and definitions.still_fresh(self._rules[0], fresh_since):
                return self._rules[1]
        started = time.monotonic()
        # Strongly consistent: a migration committed before this read is seen by it.
        stored = store.query_all(keys.AUTOMATIONS, sk_prefix="AUTOMATION#", consistent=True)
        found = Rules(
            time.monotonic(),
            [rule for rule in map(Rule.from_item, stored) if rule.enabled and not rule.migrated_to],
        )
        with self._lock:
            self._rules = (started, found)
        return found

    def forget(self) -> None:
        with self._lock:
            self._rules = None


_cache = _Cache()


def forget_cached() -> None:
    _cache.forget()


def current(*, fresh_since: float | None = None) -> Rules:
    """The rules that fire now (cached `DEFINITION_CACHE_SECONDS`; migrated ones never); with
    `fresh_since` (a `time.monotonic()`, a stream batch's start), a read begun after it serves
    even once the cache time is over: one read a batch where nothing is cached."""
    return _cache.rules(fresh_since)


@dataclass(frozen=True)
class Happened:
    event: Trigger | ScoreTrigger
    contact_id: str
    ref: str  # the interaction or membership that fired it (kept on the run, for tracing)
    form_id: str | None = None
    stage: str | None = None
    topic: str | None = None
    name: str | None = None
    score_from: float | None = None  # score_crossed: the score before this write, and after
    score_to: float | None = None
    campaign_id: str | None = None  # campaign_opened, campaign_clicked


def happened(new: Mapping[str, Any], old: Mapping[str, Any] | None) -> Happened | None:
    """The trigger event a stream record stands for, if any."""
    kind = new.get("type")
    if kind in ("form_submitted", "confirmed", STAGE_CHANGED) and new.get("contact_id"):
        contact_id, ref = str(new["contact_id"]), str(new.get("event_id", ""))
        if kind == STAGE_CHANGED:
            return Happened("stage_reached", contact_id, ref, stage=str(new.get("to_stage")))
        form_id = str(new["form_id"]) if new.get("form_id") else None
        return Happened(kind, contact_id, ref, form_id=form_id)
    if kind == CUSTOM_EVENT and new.get("contact_id") and new.get("name"):
        contact_id, ref = str(new["contact_id"]), str(new.get("event_id", ""))
        return Happened("custom_event", contact_id, ref, name=str(new["name"]))
    if kind == "topic_membership" and new.get("gsi1pk") and not (old or {}).get("gsi1pk"):
        contact_id = keys.contact_id_of(str(new["pk"]))
        return Happened("topic_added", contact_id, str(new["sk"]), topic=str(new.get("topic")))
    return _journeys_only(kind, new, old)


def _journeys_only(
    kind: Any, new: Mapping[str, Any], old: Mapping[str, Any] | None
) -> Happened | None:
    """The events only journeys have (rules refuse them): a score's rise, a campaign's
    first human open or click by a recipient."""
    if kind == "score" and new.get("contact_id"):
        return _score_rose(new, old)
    return _campaign_engaged(new) if kind == "engagement" else None


def _campaign_engaged(new: Mapping[str, Any]) -> Happened | None:
    """A recipient's first human open or click of a campaign (its marker, written once)."""
    found = keys.campaign_engagement_of(str(new.get("pk", "")), str(new.get("sk", "")))
    if found is None or found[1] not in CAMPAIGN_ENGAGED:
        return None
    campaign_id, kind, contact_id = found
    if contact_id.startswith("k."):  # an erased recipient's pseudonym: no one to enter
        return None
    event = CAMPAIGN_ENGAGED[kind]
    ref = str(new["sk"])
    return Happened(event, contact_id, ref, campaign_id=campaign_id)  # type: ignore[arg-type]


def _score_rose(new: Mapping[str, Any], old: Mapping[str, Any] | None) -> Happened | None:
    """A score item's write that raised the score: from the old image's score *as of the new
    one's time* (decay lowered it meanwhile; a contact whose score decayed below a value and
    rises over it again crossed it) to the new image's score. Both rounded to cents, as shown
    and as stages compare. A write that does not raise it crosses nothing upwards, so a value
    crossed fires on that one write, never again while the score stays above."""
    after = round(float(new.get("score") or 0), 2)
    before = 0.0  # no score item yet: nothing scored
    if old and old.get("type") == "score":
        at = new.get("as_of")
        before = round(_total(old, float(at) if at is not None else None), 2)
    if after <= before:
        return None
    ref = f"score-v{new.get('version', '')}"
    return Happened("score_crossed", str(new["contact_id"]), ref, score_from=before, score_to=after)


def _total(image: Mapping[str, Any], at: float | None) -> float:
    """A score item's total at `at` (`ecrm.scoring.engine.Score.total`, without its import)."""
    as_of, half_life = image.get("as_of"), image.get("half_life")
    lag = at - float(as_of) if at is not None and as_of is not None else 0.0
    # No half-life: nothing decays (as `engine.decayed`); penalties never do.
    fade = math.exp(-math.log(2) * lag / float(half_life)) if half_life and lag > 0 else 1.0
    engagement = 0.0
    for points in (float(p) for p in (image.get("engagement") or {}).values()):
        engagement += points * fade if points > 0 else points
    return sum(float(p) for p in (image.get("fit") or {}).values()) + engagement


def fires(rule: Rule, event: Happened) -> bool:
    return matches(rule.when, event)


def matches(when: When, event: Happened) -> bool:
    """Whether an event is the one `when` names (automation triggers, journey entries, goals)."""
    if when.event != event.event:
        return False
    if when.event == "form_submitted" and when.form_id:
        return when.form_id == event.form_id
    if when.event == "stage_reached":
        return when.stage == event.stage
    if when.event == "topic_added":
        return when.topic == event.topic
    if when.event == CUSTOM_EVENT:
        return when.name == event.name
    return _journey_matches(when, event)


def _journey_matches(when: When, event: Happened) -> bool:
    if not isinstance(when, JourneyWhen):
        return when.event != SCORE_CROSSED  # only a journey's `when` has the value
    if when.event == SCORE_CROSSED:
        return _crossed(when, event)
    return when.campaign_id in (None, event.campaign_id)  # campaign_*: any, or this one


def _crossed(when: JourneyWhen, event: Happened) -> bool:
    if when.at_least is None or event.score_from is None or event.score_to is None:
        return False
    return event.score_from < when.at_least <= event.score_to


def schedule(event: Happened, *, now: float | None = None, rules: Rules | None = None) -> list[str]:
    """Write a due run for each enabled rule this event fires and the contact has not had yet;
    returns the ids of the rules scheduled now."""
    now = clock.now() if now is None else now
    scheduled = []
    for rule in (rules or _cache.rules()).firing:
        if fires(rule, event) and _schedule_one(rule, event, now):
            scheduled.append(rule.id)
    return scheduled


def _schedule_one(rule: Rule, event: Happened, now: float) -> bool:
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
    # The journey this rule becomes has no run for the contact: a process that has not seen
    # the migration yet fires the rule, one that has enters the journey, never both
    # (`ecrm.journeys.entry` checks this run the other way round).
    journey_run = keys.journey_run(event.contact_id, keys.migrated_journey_id(rule.id))
    try:
        store.transact(
            [
                store.Put(run, condition="attribute_not_exists(pk)"),
                counts.add(rule.id, event.contact_id, "triggered"),
                store.Check(journey_run, "attribute_not_exists(pk)"),
            ]
        )
    except store.TransactionCancelled:
        return False  # fired for this contact before (at most once), or its journey did
    logger.info("automation scheduled", extra={"automation_id": rule.id, "due_at": due_at})
    return True
