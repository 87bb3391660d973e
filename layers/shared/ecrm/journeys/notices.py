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

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from ecrm.platform import aws, store
from ecrm.platform.errors import Busy

TYPE = "journey_step"  # the interaction's type
SOURCE = "ecrm.journeys"
DETAIL_TYPE = "Journey step"
EVENTBRIDGE, WEBHOOK = "eventbridge", "webhook"
FIELDS = ("contact_id", "event_id", "at", "journey_id", "journey_version", "step", "label")


def wanted(image: Mapping[str, Any], channel: str) -> bool:
    return image.get("type") == TYPE and channel in (image.get("to") or ())


def entry(interaction: Mapping[str, Any]) -> dict[str, Any]:
    detail = {name: store.plain(interaction.get(name)) for name in FIELDS}
    return {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(detail, default=str),
        "EventBusName": "default",
    }


def publish(interaction: Mapping[str, Any]) -> None:
    try:
        response = aws.events().put_events(Entries=[entry(interaction)])  # type: ignore[list-item]
    except ClientError as error:
        raise Busy() from error
    if response.get("FailedEntryCount"):
        raise Busy(f"EventBridge refused the event: {response['Entries']}")
