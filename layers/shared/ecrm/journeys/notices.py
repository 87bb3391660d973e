"""A notify step's notice, as its channels read it back from the table (the outbox): the step
writes one `journey_step` interaction into the contact's partition (`notify_step`), and the
table's stream carries it to

- **EventBridge** (the default bus, as stage changes: StageEventsFunction), when the step's
  `to` names `eventbridge`: source `ecrm.journeys`, detail-type `Journey step`, the detail
  below; at least once, `detail.event_id` stable for consumers to dedupe;
- **webhooks** (`ecrm.webhooks.fanout`: the `journey.step` event type), when `to` names
  `webhook`.

No address or profile value is carried: the contact by id, the journey, its version, the step
and the step's `label`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.platform import bus

TYPE = "journey_step"  # the interaction's type
SOURCE = "ecrm.journeys"
DETAIL_TYPE = "Journey step"
EVENTBRIDGE, WEBHOOK = "eventbridge", "webhook"
FIELDS = ("contact_id", "event_id", "at", "journey_id", "journey_version", "step", "label")


def wanted(image: Mapping[str, Any], channel: str) -> bool:
    return image.get("type") == TYPE and channel in (image.get("to") or ())


def entry(interaction: Mapping[str, Any]) -> dict[str, Any]:
    return bus.entry(SOURCE, DETAIL_TYPE, interaction, FIELDS)


def publish(interaction: Mapping[str, Any]) -> None:
    bus.put(entry(interaction))
