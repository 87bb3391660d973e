"""An automation rule becomes a journey of one send (issue 18, "Versions"): entry = the rule's
`when`, steps = a `wait` of `delay_minutes` (when not 0) then a `send` of its template, topic
and sender (kind `marketing`: a rule's runs had the same checks), re-entry `once`, published
as version 1; a disabled rule becomes a stopped journey (version 1 published, not live).

**One transaction** writes the journey (`keys.migrated_journey_id`: derived from the rule's
id), its version 1 and the rule's `migrated_to` mark, each conditional (the journey and the
version new, the rule at the version read and not migrated): killed before it, nothing
happened; after it, all of it did, and doing it again finds the mark and answers the same
journey. So running it twice, or again after a crash, yields exactly one journey per rule.

**The switch-over** (`ecrm.automations.triggers`, `ecrm.journeys.entry`): the stream fires
no migrated rule and enters its journey instead. Each side's write checks that the other's
run is absent for the contact (`AUTOMATION#<rule>` / `JOURNEY#<journey>`), so a stream
consumer that has not seen the migration yet and one that has never both mail a contact, and
a contact the rule fired for (before or during the switch-over) never enters the journey;
the consumer reads the live journeys after the rules (strongly consistent, in that order),
so a rule it sees migrated always has its journey seen live: no event is lost between them.
The rule's runs in flight finish on `ecrm.automations.runs` (the rule stays as it was,
enabled or not), its counters stay on it (`GET /admin/automations/{id}/counts`), and it
still holds its template (`definition_holds`), so the journey's template cannot go either.
"""

from __future__ import annotations

from typing import Any

from ecrm.automations import rules, triggers
from ecrm.journeys import definitions, graph
from ecrm.journeys.model import JourneyIn
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Conflict, InvalidInput, NotFound
from ecrm.platform.models import Model

WAIT_STEP, SEND_STEP = "delay", "send"
TRIES = 3  # the rule edited between the read and the write: read again


class Migrated(Model):
    automation_id: str
    journey_id: str
    migrated_at: str
    rule_enabled: bool  # True: the journey was published live; False: published and stopped
    already: bool  # True: migrated before this call (nothing written now)


def as_journey(rule: rules.Automation) -> JourneyIn:
    """The journey a rule is (every field of the rule is placed: tests/integration/journeys/
    test_migration.py fails when a field of the rule has no place here)."""
    send = {
        "id": SEND_STEP,
        "type": "send",
        "template_id": rule.template_id,
        "topic": rule.topic,
        "sender": rule.sender.model_dump(mode="json"),
        "kind": "marketing",
        "next": None,
    }
    steps: list[dict[str, Any]] = [send]
    if rule.delay_minutes:
        wait = {"id": WAIT_STEP, "type": "wait", "minutes": rule.delay_minutes, "next": SEND_STEP}
        steps.insert(0, wait)
    return JourneyIn.model_validate(
        {
            "name": rule.name,
            "entry": rule.when.model_dump(mode="json"),
            "reentry": {"mode": "once"},
            "start": steps[0]["id"],
            "steps": steps,
        }
    )


def migrate(automation_id: str) -> Migrated:
    """Make the rule its journey (idempotent: a migrated rule answers its journey again)."""
    for _ in range(TRIES):
        item = store.get(keys.automation(automation_id))
        if item is None:
            raise NotFound("No such automation.")
        rule = rules.Automation.from_item(item)
        if rule.migrated_to:
            return _answer(rule, str(rule.migrated_at), already=True)
        at = clock.iso(clock.now())
        try:
            store.transact(_writes(rule, at))
        except store.TransactionCancelled as cancelled:
            if cancelled.failed[0]:
                continue  # edited or migrated meanwhile: read it again
            raise Conflict(
                "A journey already has this automation's journey id; nothing was migrated."
            ) from None
        triggers.forget_cached()
        graph.forget_cached()
        return _answer(rule, at, already=False)
    raise Conflict("The automation keeps changing; try again.")


def _writes(rule: rules.Automation, at: str) -> list[store.Write]:
    journey_id = keys.migrated_journey_id(rule.id)
    try:
        fields = definitions.checked(as_journey(rule))
    except InvalidInput as refused:  # named as the rule's fields: nothing written
        named = {_rule_field(name): why for name, why in refused.fields.items()}
        raise InvalidInput("The automation cannot become a journey as it is.", named) from None
    published = {
        **fields,
        "journey_id": journey_id,
        "version": 1,
        "published_at": at,
        "migrated_from": rule.id,
    }
    journey = {
        **keys.journey(journey_id),
        "type": "journey",
        "id": journey_id,
        **fields,
        "version": 1,
        "created_at": rule.created_at,
        "updated_at": at,
        "published_versions": 1,
        "migrated_from": rule.id,
    }
    if rule.enabled:
        journey |= {"live": published, "live_version": 1}
    return [
        store.Update(
            keys.automation(rule.id),
            "SET migrated_to = :journey, migrated_at = :at ADD version :one",
            condition="version = :seen AND attribute_not_exists(migrated_to)",
            values={":journey": journey_id, ":at": at, ":one": 1, ":seen": rule.version},
        ),
        store.Put(journey, condition="attribute_not_exists(pk)"),
        store.Put(
            {**keys.journey_version(journey_id, 1), "type": "journey_version", **published},
            condition="attribute_not_exists(pk)",
        ),
    ]


def _rule_field(journey_field: str) -> str:
    """`steps.1.sender.email` -> `sender.email`, `steps.0.minutes` -> `delay_minutes`."""
    parts = journey_field.split(".")
    if parts[0] == "entry":
        return ".".join(["when", *parts[1:]])
    if parts[0] == "steps" and len(parts) > 2:
        return "delay_minutes" if parts[2] == "minutes" else ".".join(parts[2:])
    return journey_field


def _answer(rule: rules.Automation, at: str, *, already: bool) -> Migrated:
    return Migrated(
        automation_id=rule.id,
        journey_id=rule.migrated_to or keys.migrated_journey_id(rule.id),
        migrated_at=at,
        rule_enabled=rule.enabled,
        already=already,
    )
