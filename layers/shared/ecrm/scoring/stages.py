"""Stage transitions to EventBridge (the default bus), read from the `stage_changed`
interactions the ledger writes: the table is the outbox, so a transition stored is a
transition emitted (at least once; `detail.event_id` is stable for consumers to dedupe)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from ecrm.platform import aws, store
from ecrm.platform.errors import Busy

SOURCE = "ecrm.scoring"
DETAIL_TYPE = "Contact stage changed"
_FIELDS = (
    "contact_id",
    "event_id",
    "at",
    "from_stage",
    "to_stage",
    "score",
    "cause",
    "ruleset_version",
)


def entry(interaction: Mapping[str, Any]) -> dict[str, Any]:
    detail = {name: store.plain(interaction.get(name)) for name in _FIELDS}
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
