"""Events to EventBridge's default bus, read from the interactions the table keeps: the table
is the outbox, so an interaction stored is an event emitted (at least once; `detail.event_id`
stays stable for consumers to dedupe). Stage changes (`scoring.stages`) and journey notices
(`journeys.notices`) name their source, detail-type and fields."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from ecrm.platform import aws, store
from ecrm.platform.errors import Busy


def entry(
    source: str, detail_type: str, interaction: Mapping[str, Any], fields: Sequence[str]
) -> dict[str, Any]:
    """The PutEvents entry: only `fields` of the interaction go into the detail."""
    detail = {name: store.plain(interaction.get(name)) for name in fields}
    return {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, default=str),
        "EventBusName": "default",
    }


def put(event: Mapping[str, Any]) -> None:
    """One entry to the bus, or `Busy` (the stream record is retried)."""
    try:
        response = aws.events().put_events(Entries=[event])  # type: ignore[list-item]
    except ClientError as error:
        raise Busy() from error
    if response.get("FailedEntryCount"):
        raise Busy(f"EventBridge refused the event: {response['Entries']}")
